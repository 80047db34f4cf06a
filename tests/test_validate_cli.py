"""`baoxue validate`: exit codes, the SPEC §7 JSON shape, the Chinese table, several files, no traceback ever."""
from __future__ import annotations

import json

import pytest
import subprocess
import sys
from pathlib import Path

from rules_helpers import clean, write

FINDING_KEYS = {"rule", "severity", "sheet", "row", "column", "value", "message", "cell"}


def baoxue(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "baoxue", "validate", *map(str, args)], capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def _books(tmp_path: Path):
    c, r = clean()
    good = write(tmp_path, c, r, "good.xlsx")
    c, r = clean()
    r["辍学"][0]["性别"] = "女"                      # F007 error
    r["送教记录"][1]["课时"] = 1                     # T002 + T001 warnings
    bad = write(tmp_path, c, r, "bad.xlsx")
    c, r = clean()
    r["送教记录"][1]["同行人数"] = 1                  # T003 warning only
    warn = write(tmp_path, c, r, "warn.xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04garbage")
    return good, bad, warn, broken


def test_exit_codes_and_json(tmp_path):
    good, bad, warn, broken = _books(tmp_path)

    p = baoxue(good, "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert set(doc) == {"findings", "summary"} and doc["findings"] == []
    assert doc["summary"]["errors"] == 0 and doc["summary"]["warnings"] == 0

    p = baoxue(bad, "--json")
    assert p.returncode == 1, p.stderr
    doc = json.loads(p.stdout)
    assert set(doc) == {"findings", "summary"}
    assert all(set(f) == FINDING_KEYS for f in doc["findings"])
    rules = {(f["rule"], f["severity"], f["sheet"], f["row"], f["column"]) for f in doc["findings"]}
    assert ("F007", "error", "辍学", 4, "性别") in rules
    assert ("T002", "warning", "送教记录", 5, "课时") in rules
    cells = {(f["rule"], f["sheet"], f["cell"]) for f in doc["findings"]}   # the address for the Name Box
    assert ("F007", "辍学", "C4") in cells and ("T002", "送教记录", "E5") in cells
    table = baoxue(bad).stdout                                              # the table a clerk reads names it too
    assert "（单元格 C4）" in table and "（单元格 E5）" in table
    assert doc["summary"]["errors"] == sum(f["severity"] == "error" for f in doc["findings"])
    assert doc["summary"]["warnings"] == sum(f["severity"] == "warning" for f in doc["findings"])
    assert "“女”" in p.stdout                          # Chinese unescaped

    assert baoxue(warn).returncode == 0                  # warnings do not fail

    p = baoxue(broken, "--json")
    assert p.returncode == 2
    doc = json.loads(p.stdout)
    assert [f["rule"] for f in doc["findings"]] == ["S005"] and "Traceback" not in p.stderr


def test_several_files_superset_shape(tmp_path):
    good, bad, warn, broken = _books(tmp_path)
    p = baoxue(good, bad, warn, "--json")
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert {"findings", "summary", "files"} <= set(doc)
    assert [f["file"] for f in doc["files"]] == [str(good), str(bad), str(warn)]
    assert doc["summary"]["files"] == 3
    assert sum(len(f["findings"]) for f in doc["files"]) == len(doc["findings"])
    assert all(set(f) == FINDING_KEYS | {"file"} for f in doc["findings"])
    assert doc["summary"]["errors"] == sum(f["summary"]["errors"] for f in doc["files"])
    assert baoxue(good, broken, bad).returncode == 2     # the worst wins: unreadable


def test_readable_table(tmp_path):
    good, bad, warn, broken = _books(tmp_path)
    p = baoxue(bad)
    assert p.returncode == 1
    assert "【辍学】错误 1 条" in p.stdout and "【送教记录】" in p.stdout
    assert "第4行" in p.stdout and "F007" in p.stdout and "合计：错误" in p.stdout
    p = baoxue(good)
    assert p.returncode == 0 and "未发现问题" in p.stdout


def test_no_traceback_for_any_input(tmp_path):
    odd = [tmp_path / "missing.xlsx", tmp_path]
    (tmp_path / "html.xlsx").write_text("<html><table></table></html>", encoding="utf-8")
    (tmp_path / "blank.xlsx").write_bytes(b"")
    odd += [tmp_path / "html.xlsx", tmp_path / "blank.xlsx"]
    for path in odd:
        p = baoxue(path)
        assert p.returncode == 2, (path, p.stdout, p.stderr)
        assert "Traceback" not in p.stderr and "S005" in p.stdout


def test_policy_file(tmp_path):
    good, bad, warn, broken = _books(tmp_path)
    policy = tmp_path / "county.toml"
    policy.write_text("[home_teaching]\nteachers_per_visit = 1\n", encoding="utf-8")
    doc = json.loads(baoxue(warn, "--json", "--policy", policy).stdout)
    assert doc["findings"] == []
    bad_policy = tmp_path / "bad.toml"
    bad_policy.write_text("[home_teaching]\nvisits = 3\n", encoding="utf-8")
    p = baoxue(good, "--policy", bad_policy)
    assert p.returncode == 2 and "策略文件" in p.stderr and "Traceback" not in p.stderr


def test_an_internal_error_gives_a_chinese_message_not_a_traceback(tmp_path, monkeypatch, capsys):
    from baoxue import cli

    good, *_ = _books(tmp_path)
    before = good.read_bytes()

    def buggy_plan(*_a, **_k):
        raise ZeroDivisionError("a bug, with a value 110101201001011234 from the file")
    monkeypatch.setattr("baoxue.update.plan", buggy_plan)
    code = cli.main(["update", str(good)])
    err = capsys.readouterr().err
    assert code == 2 and "内部出错" in err and "ZeroDivisionError" in err
    assert "110101201001011234" not in err and "Traceback" not in err
    assert good.read_bytes() == before
    monkeypatch.setenv("BAOXUE_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli.main(["update", str(good)])
