"""Delivery routes: `baoxue addin lite` (main.py, requirements.txt, the pure-Python wheel — installed on its own and run
with the native-only packages blocked, as in Pyodide) and `baoxue addin desktop` (xlwings.conf names the UDF module,
the VBA buttons call functions that exist). One xlwings version everywhere.

Test-only: ``XLWINGS_LICENSE_KEY=noncommercial`` (xlwings' own key for noncommercial use) — see test_addin_payload.py.
"""
from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from test_addin_payload import apply_actions, payload_from_xlsx, planted, remote_book, write_book  # noqa: I001

import xlwings as xw  # noqa: E402
from xlwings.server import custom_functions_meta, custom_scripts_call, custom_scripts_meta  # noqa: E402

from baoxue import cli, edits  # noqa: E402
from baoxue.validators import validate_file  # noqa: E402

from baoxue.addin import actions, desktop, routes  # noqa: E402
from baoxue.addin.runtime import XLWINGS_VERSION  # noqa: E402
from baoxue.policy import DEFAULT  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = {"BX_ID_CHECK", "BX_ID_BIRTHDATE", "BX_ID_SEX", "BX_AGE", "BX_NEXT_STEP", "BX_VALIDATE"}
SCRIPTS = {"bx_validate", "bx_update", "bx_submit", "bx_next_month"}
NATIVE_ONLY = ("python_calamine", "duckdb", "pyarrow", "dask", "distributed", "tqdm")


def table_of(payload: dict) -> list[tuple]:
    rows = next(s for s in payload["sheets"] if s["name"] == "校验结果")["values"]
    header = next(i for i, r in enumerate(rows) if "规则编号" in r)
    return [tuple(r[:8]) for r in rows[header + 1:] if any(v != "" for v in r[:8])]


def findings_rows_of(payload: dict) -> list[tuple]:
    """The findings in 校验结果; outside the browser the engine gives no formulas, so the table must also say that F013
    was not checked (its first row)."""
    table = table_of(payload)
    assert table and table[0][4:6] == ("F013", actions.UNCHECKED_LEVEL)
    return [r for r in table if r[5] != actions.UNCHECKED_LEVEL]


@pytest.fixture(scope="module")
def lite_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("lite")
    assert cli.main(["addin", "lite", str(out), "--wheel-url", "https://edu.example.cn/baoxue/"]) == 0
    return out


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    path = write_book(tmp_path_factory.mktemp("m") / "messy.xlsx", planted)
    return path, payload_from_xlsx(path)


def test_one_xlwings_version_everywhere(lite_dir):
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert f"xlwings=={XLWINGS_VERSION}" in deps
    assert xw.__version__ == XLWINGS_VERSION
    req = (lite_dir / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert f"xlwings=={XLWINGS_VERSION}" in req
    assert f"https://edu.example.cn/baoxue/{routes.wheel_name()}" in req
    assert "0.37.8" in (lite_dir / "main.py").read_text(encoding="utf-8")


def test_wheel_declares_only_what_pyodide_installs(lite_dir):
    whl = lite_dir / routes.wheel_name()
    with zipfile.ZipFile(whl) as zf:
        names = set(zf.namelist())
        meta = zf.read(f"baoxue-{routes.__version__}.dist-info/METADATA").decode()
        record = zf.read(f"baoxue-{routes.__version__}.dist-info/RECORD").decode()
    assert {"baoxue/reader.py", "baoxue/validators/__init__.py", "baoxue/addin/scripts.py",
            "baoxue/addin/functions.py", "baoxue/policy_default.toml"} <= names
    assert not [n for n in names if n.endswith((".so", ".pyd", ".pyc"))]
    requires = re.findall(r"^Requires-Dist: (\S+)", meta, re.M)
    assert requires == list(routes.LITE_REQUIRES)
    assert not [r for r in requires if r.split("=")[0].split(">")[0].replace("-", "_") in NATIVE_ONLY]
    assert len(record.strip().splitlines()) == len(names)
    # the same package gives the same wheel (a county can check the file it hosts)
    again = routes.build_wheel(lite_dir / "again")
    assert again.read_bytes() == whl.read_bytes()


def test_lite_main_registers_every_button_and_function_and_runs(lite_dir, messy):
    path, payload = messy
    spec = importlib.util.spec_from_file_location("bx_lite_main", lite_dir / "main.py")
    main = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(main)
    assert {f["name"] for f in custom_functions_meta(main)["functions"]} == FUNCTIONS
    assert {s["function_name"] for s in custom_scripts_meta(main)} == SCRIPTS
    book = remote_book(payload)
    asyncio.run(custom_scripts_call(main, "bx_validate", typehint_to_value={xw.Book: book}))
    after, record = apply_actions(payload, book.json()["actions"])
    _, cli_findings = validate_file(path, DEFAULT)
    assert findings_rows_of(after) == [tuple("" if v is None else v for v in r)
                                       for r in edits.findings_rows(cli_findings)]
    assert len(record["alerts"]) == 1


WHEEL_RUN = r"""
import asyncio, json, os, sys
target = sys.argv[1]
for name in {native!r}:
    sys.modules[name] = None                      # as in Pyodide: these cannot be installed
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, target)
import baoxue
assert baoxue.__file__.startswith(target), baoxue.__file__
import xlwings as xw
from xlwings.server import custom_scripts_call
import importlib
import importlib.util
spec = importlib.util.spec_from_file_location("main", sys.argv[2])
main = importlib.util.module_from_spec(spec); spec.loader.exec_module(main)
payload = json.load(open(sys.argv[3], encoding="utf-8"))
book = xw.Book(json=payload)
asyncio.run(custom_scripts_call(main, "bx_validate", typehint_to_value={{xw.Book: book}}))
print(json.dumps(book.json()["actions"], ensure_ascii=False, default=str))
"""


def test_the_wheel_alone_runs_the_buttons_without_native_packages(lite_dir, messy, tmp_path):
    path, payload = messy
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", "--target",
                    str(target), str(lite_dir / routes.wheel_name())], check=True, capture_output=True, timeout=300)
    payload_file = tmp_path / "payload.json"
    payload_file.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    script = tmp_path / "run.py"
    script.write_text(WHEEL_RUN.format(native=NATIVE_ONLY), encoding="utf-8")
    env = {"XLWINGS_LICENSE_KEY": "noncommercial", "XLWINGS_ON_SERVER": "true", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(script), str(target), str(lite_dir / "main.py"), str(payload_file)],
                          capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    actions = json.loads(done.stdout)
    after, record = apply_actions(payload, actions)
    _, cli_findings = validate_file(path, DEFAULT)
    assert findings_rows_of(after) == [tuple("" if v is None else v for v in r)
                                       for r in edits.findings_rows(cli_findings)]


def vba_config(raw: bytes) -> dict[str, str]:
    """xlwings.conf as xlwings' VBA reads it (``Open … For Input`` + ``Input #``: ANSI = GBK on a Chinese Windows, one
    quoted "key","value" pair per CRLF line)."""
    text = raw.decode("gbk")
    assert text.endswith("\r\n") or "\r\n" in text
    lines = text.split("\r\n")
    assert not [line for line in lines if "\n" in line or "\r" in line]
    return dict(re.fullmatch(r'"([^"]+)","([^"]*)"', line).groups() for line in lines if line)


def test_desktop_config_names_the_udf_module_and_buttons_exist(tmp_path):
    assert cli.main(["addin", "desktop", str(tmp_path), "--interpreter", r"C:\baoxue\python\pythonw.exe"]) == 0
    conf = vba_config((tmp_path / "xlwings.conf").read_bytes())
    assert conf["UDF MODULES"] == routes.UDF_MODULE == "baoxue.addin.functions"
    assert conf["INTERPRETER_WIN"] == r"C:\baoxue\python\pythonw.exe"
    module = importlib.import_module(conf["UDF MODULES"])
    assert FUNCTIONS <= set(dir(module))
    assert not [n for n in dir(module) if hasattr(getattr(module, n), "__xlscript__")]   # no script among the UDFs

    raw = (tmp_path / "baoxue_buttons.bas").read_bytes()
    text = raw.decode("gbk")                          # the VBA editor of a Chinese Windows reads ANSI (GBK)
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    calls = re.findall(r'RunPython "import baoxue\.addin\.desktop as bx; bx\.(\w+)\(\)"', text)
    assert sorted(calls) == ["next_month", "submit", "update", "validate"]
    assert all(callable(getattr(desktop, c)) for c in calls)
    assert len(re.findall(r"^Sub BX_\w+\(\)\r$", text, re.M)) == 4


def test_desktop_config_holds_a_chinese_path_as_gbk(tmp_path):
    """Python under C:\\Users\\张三\\ : the bytes are GBK (what VBA reads), not UTF-8 (which VBA would garble)."""
    python = r"C:\Users\张三\AppData\Local\Programs\Python\Python311\pythonw.exe"
    routes.write_desktop(tmp_path, python)
    raw = (tmp_path / "xlwings.conf").read_bytes()
    assert vba_config(raw)["INTERPRETER_WIN"] == python
    assert "张三".encode("gbk") in raw and "张三".encode("utf-8") not in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")                           # a UTF-8 file would have read as 寮犱笁 in VBA
    assert raw.count(b"\r\n") == raw.count(b"\n") == len(vba_config(raw))


def test_desktop_config_refuses_a_path_gbk_cannot_hold(tmp_path, capsys):
    with pytest.raises(routes.DesktopConfigError, match="GBK"):
        routes.write_desktop(tmp_path / "out", "C:\\Users\\😀\\pythonw.exe")
    assert not (tmp_path / "out").exists()
    assert cli.main(["addin", "desktop", str(tmp_path / "out"), "--interpreter", "C:\\Users\\😀\\pythonw.exe"]) == 2
    err = capsys.readouterr().err
    assert "GBK" in err and "Traceback" not in err


def test_desktop_entry_points_use_the_calling_workbook(messy, monkeypatch):
    path, payload = messy
    book = remote_book(payload)
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: book))
    out = desktop.validate()
    assert not out.ok and out.findings
    actions = book.json()["actions"]
    assert actions[-1]["func"] == "alert" and actions[-1]["args"][0] == out.message
