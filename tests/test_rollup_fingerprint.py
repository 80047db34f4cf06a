"""The code fingerprint (the salt of the result cache and of the replay record) follows the installed versions of the
packages the results depend on, read without importing them."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from rollup_helpers import cover, register, stamp, write_book

from baoxue.rollup import fingerprint, run_rollup, runner

ROOT = Path(__file__).resolve().parents[1]
M = "2026-10"


@pytest.fixture
def fresh():
    """The fingerprint computed anew on each call inside the test, and again as installed after it."""
    def clear():
        fingerprint.code_fingerprint.cache_clear()
        fingerprint._dist_info_versions.cache_clear()
    clear()
    yield clear
    clear()


INSTALLED_VERSION = fingerprint.installed_version


def _reporting(monkeypatch, versions: dict[str, str]) -> None:
    """The version lookup reporting ``versions`` for those packages, the installed ones for the others."""
    monkeypatch.setattr(fingerprint, "installed_version", lambda name: versions.get(name) or INSTALLED_VERSION(name))


def test_the_fingerprint_changes_with_a_dependency_version_only(fresh, monkeypatch):
    installed = fingerprint.code_fingerprint()
    fresh()
    assert fingerprint.code_fingerprint() == installed            # nothing changed: the same
    for changed in ({"pandas": "9.9.9"}, {"python-calamine": "0.0.1"}, {"duckdb": fingerprint.ABSENT}):
        _reporting(monkeypatch, changed)
        fresh()
        assert fingerprint.code_fingerprint() != installed, changed
    _reporting(monkeypatch, {})
    fresh()
    assert fingerprint.code_fingerprint() == installed            # back as installed: the same again


def test_installed_versions_are_those_the_package_metadata_gives(fresh):
    for name in fingerprint.DEPENDENCIES:
        assert fingerprint.installed_version(name) == metadata.version(name), name
    assert fingerprint.installed_version("baoxue-no-such-package") == fingerprint.ABSENT


def test_every_declared_dependency_that_shapes_the_results_is_in_the_fingerprint():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    names = {re.match(r"[A-Za-z0-9._-]+", d).group(0).lower() for d in declared}
    assert names - {"xlwings", "tqdm"} <= set(fingerprint.DEPENDENCIES)


def test_the_fingerprint_imports_neither_the_dependencies_nor_importlib_metadata():
    """Cheap on every replayed re-run: the versions come from the dist-info folders' names."""
    code = ("import sys\nfrom baoxue.rollup.fingerprint import code_fingerprint\ncode_fingerprint()\n"
            "print(sorted(m for m in ('pandas', 'numpy', 'duckdb', 'pyarrow', 'python_calamine', 'openpyxl',"
            " 'importlib.metadata') if m in sys.modules))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"


def test_another_dependency_version_reads_the_cached_files_again(tmp_path, monkeypatch, fresh):
    reg = register(tmp_path / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "初中", "城区")])
    stamp(write_book(tmp_path / "inbox" / "a.xlsx", cover("4310000001", "城关中学", "城关镇", M)),
          dt.datetime(2026, 10, 28, tzinfo=dt.timezone.utc))
    seen: list[str] = []
    real = runner.process_chunk

    def counting(paths, *args):
        seen.extend(Path(p).name for p in paths)
        return real(paths, *args)

    monkeypatch.setattr(runner, "process_chunk", counting)
    for expect in (["a.xlsx"], []):
        seen.clear()
        run_rollup(tmp_path / "inbox", M, reg, store_dir=tmp_path / "store", workers=1)
        assert seen == expect
    _reporting(monkeypatch, {"pandera": "0.0.1"})   # pandera upgraded (or downgraded) since
    fresh()
    seen.clear()
    again = run_rollup(tmp_path / "inbox", M, reg, store_dir=tmp_path / "store", workers=1)
    assert seen == ["a.xlsx"] and again.county["schools_submitted"] == 1
