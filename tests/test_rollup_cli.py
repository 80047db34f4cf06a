"""`baoxue rollup` as a user runs it: JSON on stdout exactly SPEC §7 (Chinese unescaped), summary on stderr, report and
store written, inputs unmodified, bad input → a Chinese message and no traceback."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from rollup_helpers import checksums, child_id, cover, dropout, register, stamp, write_book

from baoxue.indicators import KEYS, SCHOOL_YEAR_KEYS

M = "2026-10"


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    reg = register(root / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "初中", "城区"),
                                       ("4310000002", "河口小学", "河口乡", "小学", "乡村")])
    pid = child_id(21, "八年级", M)
    stamp(write_book(root / "inbox" / "a.xlsx", cover("4310000001", "城关中学", "城关镇", M),
                     {"辍学": [dropout(pid, "赵小燕", "八年级", dt.date(2026, 10, 2))]}),
          dt.datetime(2026, 10, 28, tzinfo=dt.timezone.utc))
    return root, reg, pid


def baoxue(*args):
    return subprocess.run([sys.executable, "-m", "baoxue", *map(str, args)], capture_output=True, text=True, timeout=300)


def test_json_shape_and_streams(inbox):
    root, reg, pid = inbox
    before = checksums(root / "inbox")
    p = baoxue("rollup", root / "inbox", "--month", M, "--register", reg, "--json", "--out", root / "r.xlsx",
               "--store", root / "store")
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    doc = json.loads(p.stdout)
    assert set(doc) == {"month", "schools", "townships", "county", "findings"} and doc["month"] == M
    school_keys = {"code", "name", "township", "submitted", "stamp_ok", "errors", "warnings", *KEYS, *SCHOOL_YEAR_KEYS}
    assert all(school_keys <= set(s) for s in doc["schools"])
    a, b = doc["schools"]
    assert a["submitted"] is True and a["open_cases"] == 1 and b["submitted"] is False and b["open_cases"] is None
    area_keys = {"name", "schools_expected", "schools_submitted", *(k for k in KEYS if k != "zero_report"),
                 *SCHOOL_YEAR_KEYS}
    assert all(area_keys <= set(t) for t in doc["townships"]) and area_keys <= set(doc["county"])
    assert doc["county"]["schools_expected"] == 2 and doc["county"]["schools_submitted"] == 1
    assert doc["county"]["ytd_months"] == [M] and doc["county"]["ytd_missing"] == ["2026-09"]
    assert b["year_dropout_rate_primary"] is None and a["enrolled_start_junior"] == 300
    finding_keys = {"rule", "severity", "sheet", "row", "column", "value", "message", "school", "file", "cell"}
    assert doc["findings"] and all(set(f) == finding_keys for f in doc["findings"])
    assert any(f["rule"] == "R001" and f["school"] == "4310000002" for f in doc["findings"])
    assert "城关中学" in p.stdout and "\\u" not in p.stdout          # Chinese unescaped
    assert pid not in p.stdout                                       # masked by default
    assert "月报表" in p.stderr and str(root / "r.xlsx") in p.stderr and "未报送" in p.stderr
    assert (root / "r.xlsx").exists() and (root / "store" / "months" / f"{M}.current").exists()
    assert checksums(root / "inbox") == before


def test_plain_run_prints_summary_and_defaults(inbox):
    root, reg, pid = inbox
    p = baoxue("rollup", root / "inbox", "--month", M, "--register", reg, "--unmasked")
    assert p.returncode == 0, p.stderr
    assert "内部使用" in p.stderr and "应报 2 所，有效报送 1 所" in p.stdout
    # the one open case is only suspected: the 学年辍学率 is 0; no store before: October alone, September missing
    assert ("2026—2027学年：学年辍学率 小学 0.00%，初中 0.00%；本学年累计辍学 0 人"
            "（计入月份：2026-10（1个月）；历史库缺少2026-09，未计入）") in p.stdout
    assert (root / f"月报表_{M}.xlsx").exists() and (root / "baoxue-store").is_dir()   # beside the inbox


def test_bad_month_is_a_message(inbox):
    root, reg, _ = inbox
    p = baoxue("rollup", root / "inbox", "--month", "2026-13", "--register", reg)
    assert p.returncode == 2 and "月份格式" in p.stderr and "Traceback" not in p.stderr


def test_missing_register_is_a_message(inbox):
    root, _, _ = inbox
    p = baoxue("rollup", root / "inbox", "--month", M, "--register", root / "没有这个名录.xlsx")
    assert p.returncode == 2 and "找不到学校名录" in p.stderr and "Traceback" not in p.stderr


def test_missing_inbox(tmp_path, inbox):
    _, reg, _ = inbox
    p = baoxue("rollup", tmp_path / "nope", "--month", M, "--register", reg)
    assert p.returncode == 2 and "找不到收件文件夹" in p.stderr


def test_a_report_open_in_excel_is_not_written_but_the_store_is(inbox, tmp_path):
    """The 月报表 is written in a forked process while the store is saved: a report file open in Excel (its lock file
    beside it) gives the Chinese message and exit code 2; the month is in the store all the same."""
    root, reg, _ = inbox
    out = tmp_path / "月报表.xlsx"
    out.write_bytes(b"old report")
    (tmp_path / "~$月报表.xlsx").write_bytes(b"")
    p = baoxue("rollup", root / "inbox", "--month", M, "--register", reg, "--out", out, "--store", tmp_path / "store")
    assert p.returncode == 2 and "月报表无法写入" in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert out.read_bytes() == b"old report"
    from baoxue.rollup import Store
    assert M in Store(tmp_path / "store").months()


def test_progress_bar_counts_cached_files_outside_the_rate(capsys):
    from baoxue.commands.rollup_full import _progress_bar
    progress = _progress_bar()
    progress(2000, 2000, "")   # a re-run: every file from the result cache, nothing read
    last = capsys.readouterr().err.replace("\n", "\r").rstrip("\r ").split("\r")[-1]   # what stays on the screen
    assert "2000/2000" in last and "?个文件/s" in last, last   # not millions of files a second
