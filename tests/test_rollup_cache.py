"""Re-running a month reuses the store's per-file results for unchanged files, and gives the same result."""
from __future__ import annotations

import datetime as dt
import shutil

from rollup_helpers import checksums, child_id, cover, dropout, register, stamp, write_book

from baoxue.rollup import run_rollup, runner

M = "2026-10"
WHEN = dt.datetime(2026, 10, 28, tzinfo=dt.timezone.utc)


def test_rerun_reads_only_new_or_changed_files(tmp_path, monkeypatch):
    reg = register(tmp_path / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "初中", "城区"),
                                           ("4310000002", "河口小学", "河口乡", "小学", "乡村")])
    inbox = tmp_path / "inbox"
    stamp(write_book(inbox / "a.xlsx", cover("4310000001", "城关中学", "城关镇", M),
                     {"辍学": [dropout(child_id(5, "八年级", M), "赵小燕", "八年级", dt.date(2026, 10, 2))]}), WHEN)
    seen: list[list[str]] = []
    real = runner.process_chunk

    def counting(paths, *args):
        seen.append([p.rsplit("/", 1)[-1] for p in paths])
        return real(paths, *args)

    monkeypatch.setattr(runner, "process_chunk", counting)
    first = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert seen == [["a.xlsx"]]

    seen.clear()
    again = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert seen == [] and again.to_json(masked=False) == first.to_json(masked=False)

    # a late school arrives: only its file is read
    seen.clear()
    late = tmp_path / "late.xlsx"
    stamp(write_book(late, cover("4310000002", "河口小学", "河口乡", M)), WHEN)
    shutil.copy(late, inbox / "b.xlsx")
    before = checksums(inbox)
    third = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert seen == [["b.xlsx"]] and third.county["schools_submitted"] == 2
    assert checksums(inbox) == before

    # a changed file (same name) is read again; another month or policy never shares entries
    seen.clear()
    stamp(write_book(inbox / "a.xlsx", cover("4310000001", "城关中学", "城关镇", M, enrol=7)), WHEN)
    fourth = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert seen == [["a.xlsx"]] and fourth.schools[0]["enrolled_junior"] == 21
    seen.clear()
    run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1, cache=False)
    assert sorted(sum(seen, [])) == ["a.xlsx", "b.xlsx"]


def test_rerun_does_not_read_unchanged_files_for_their_key(tmp_path, monkeypatch):
    """An unchanged file keeps its cached key without being read; a file rewritten with its old size and modification
    time set back is still read again (its change time moved)."""
    import os

    from baoxue.rollup import cache as cache_module
    reg = register(tmp_path / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "初中", "城区")])
    inbox = tmp_path / "inbox"
    stamp(write_book(inbox / "a.xlsx", cover("4310000001", "城关中学", "城关镇", M)), WHEN)
    read: list[str] = []
    real = cache_module.read_regular

    def counting(path, *args, **kw):
        read.append(os.path.basename(path))
        return real(path, *args, **kw)

    monkeypatch.setattr(cache_module, "read_regular", counting)
    first = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert read == ["a.xlsx"]
    read.clear()
    cached = (tmp_path / "store" / "cache" / f"{M}.pickle").stat().st_mtime_ns
    again = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert read == [] and again.to_json(masked=False) == first.to_json(masked=False)
    assert (tmp_path / "store" / "cache" / f"{M}.pickle").stat().st_mtime_ns == cached   # nothing changed: not rewritten

    path = inbox / "a.xlsx"
    st = path.stat()
    new = stamp(write_book(tmp_path / "b.xlsx", cover("4310000001", "城关中学", "城关镇", M, enrol=7)), WHEN).read_bytes()
    assert new != path.read_bytes()
    path.write_bytes(new)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))   # the modification time set back
    third = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert read == ["a.xlsx"] and third.schools[0]["enrolled_junior"] == 21
