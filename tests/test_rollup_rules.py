"""Roll-up rules R001–R008, each with a constructed case, on real stamped workbooks in one inbox; inputs unmodified."""
from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pytest

from rollup_helpers import checksums, child_id, cover, dropout, leave, register, stamp, write_book

from baoxue.rollup import run_rollup

M, PREV = "2026-10", "2026-09"
UTC = dt.timezone.utc
IN_TIME = dt.datetime(2026, 10, 30, 2, tzinfo=UTC)
SHARED = child_id(1, "七年级", M)           # open at A (辍学) and at B (休学中): R004
LOST = child_id(2, "八年级", M)             # open at A in September, gone in October: R005
KEPT = child_id(3, "八年级", M)             # open in September, closed in October: no R005
REGISTERED = [
    ("4310000001", "城关小学", "城关镇", "小学", "城区"),
    ("4310000002", "河口中学", "河口乡", "初中", "乡村"),
    ("4310000003", "三塘中学", "河口乡", "初中", "乡村"),   # sends nothing: R001
    ("4310000004", "双峰小学", "城关镇", "小学", "城区"),   # two submissions: R002
    ("4310000005", "白沙中学", "白沙镇", "初中", "镇区"),   # edited after stamping: R003
    ("4310000006", "青山小学", "白沙镇", "小学", "乡村"),   # stamped late: R007
]


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    root = tmp_path_factory.mktemp("rules")
    inbox = root / "inbox"
    reg = register(root / "学校名录.xlsx", REGISTERED)

    a_rows = {"辍学": [dropout(SHARED, "张小明", "七年级", dt.date(2026, 10, 3)),
                      dropout(KEPT, "王小红", "八年级", dt.date(2026, 9, 8), status="已复学")]}
    stamp(write_book(inbox / "城关镇" / "4310000001_2026-10.xlsx",
                     cover("4310000001", "城关小学", "城关镇", M, urban="城区", enrol=200), a_rows), IN_TIME)
    # last month's workbook of A, in the inbox: LOST and KEPT were open then
    stamp(write_book(inbox / "九月" / "4310000001_2026-09.xlsx",
                     cover("4310000001", "城关小学", "城关镇", PREV, urban="城区", enrol=200),
                     {"辍学": [dropout(LOST, "李小刚", "八年级", dt.date(2026, 9, 5)),
                               dropout(KEPT, "王小红", "八年级", dt.date(2026, 9, 8))]}),
          dt.datetime(2026, 9, 29, tzinfo=UTC))
    # B: rural junior school, SHARED on leave here, and one open confirmed junior dropout on 10 pupils per grade → R006
    stamp(write_book(inbox / "河口乡" / "B.xlsx", cover("4310000002", "河口中学", "河口乡", M, enrol=10),
                     {"休学": [leave(SHARED, "张小明", "七年级", dt.date(2026, 9, 10))],
                      "辍学": [dropout(child_id(4, "九年级", M), "陈小军", "九年级", dt.date(2026, 10, 9), 类型="辍学")]}),
          IN_TIME)
    # D: two submissions, the later stamp wins (enrolment 111 vs 222)
    stamp(write_book(inbox / "D-first.xlsx", cover("4310000004", "双峰小学", "城关镇", M, urban="城区", enrol=111)),
          dt.datetime(2026, 10, 20, tzinfo=UTC))
    stamp(write_book(inbox / "sub" / "deeper" / "D-second.xlsx",
                     cover("4310000004", "双峰小学", "城关镇", M, urban="城区", enrol=222)), IN_TIME)
    # E: stamped, then a clerk edits an enrolment figure → broken stamp
    e = stamp(write_book(inbox / "E.xlsx", cover("4310000005", "白沙中学", "白沙镇", M, urban="镇区")), IN_TIME)
    wb = openpyxl.load_workbook(e)
    ws = wb["封面"]
    for row in ws.iter_rows(min_col=1, max_col=2):
        if row[0].value == "七年级在校生数":
            row[1].value = 99
    wb.save(e)
    # F: stamped 3 days after the month end (Beijing time)
    stamp(write_book(inbox / "F.xlsx", cover("4310000006", "青山小学", "白沙镇", M)),
          dt.datetime(2026, 11, 3, 1, tzinfo=UTC))
    # G: not in the register
    stamp(write_book(inbox / "G.xlsx", cover("4310000099", "新建学校", "白沙镇", M)), IN_TIME)
    # noise: an unreadable file, an Office lock file, a baoxue backup, another month's workbook
    (inbox / "坏文件.xlsx").write_bytes(b"not a workbook")
    (inbox / "旧格式.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    (inbox / "~$B.xlsx").write_bytes(b"lock")
    shutil.copy(inbox / "F.xlsx", inbox / "F.备份-20261030-101010.xlsx")
    stamp(write_book(inbox / "old" / "F-2026-08.xlsx", cover("4310000006", "青山小学", "白沙镇", "2026-08")), IN_TIME)

    before = checksums(inbox)
    result = run_rollup(inbox, M, reg, store_dir=root / "store", workers=1)
    return result, before, checksums(inbox)


def by_rule(result, rule):
    return [f for f in result.findings if f.rule == rule]


def school(result, code):
    return next(s for s in result.schools if s["code"] == code)


def test_inputs_unmodified(county):
    _, before, after = county
    assert before == after


def test_validation_crash_on_one_book_does_not_stop_the_rollup():
    from baoxue.rollup import worker
    calls = []

    def fragile(books, policy):
        calls.append(len(books))
        if any(b.school_code == "4310000006" for b in books):
            raise RuntimeError("rule bug")
        return [[] for _ in books]

    out = worker._validate_safely(fragile, [type("B", (), {"school_code": c})() for c in ("4310000001", "4310000006")],
                                  None)
    assert out == [[], None] and calls == [2, 1, 1]


def test_every_file_listed_and_skips(county):
    result, _, _ = county
    files = {f["file"]: f["status"] for f in result.files}
    assert "坏文件.xlsx" in files and files["坏文件.xlsx"] == "无法读取"
    assert "锁定文件" in files["~$B.xlsx"] and "F.备份-20261030-101010.xlsx" not in files   # a lock file is listed, not read
    assert files["old/F-2026-08.xlsx"].startswith("其他月份")
    assert files["九月/4310000001_2026-09.xlsx"].startswith("上月")
    assert files["sub/deeper/D-second.xlsx"] == "计入汇总"
    assert files["旧格式.xls"] == "无法读取"
    s005 = by_rule(result, "S005")
    assert sorted(f.file for f in s005) == ["坏文件.xlsx", "旧格式.xls"] and s005[0].severity == "error"
    assert any(".xls" in f.message and "另存为" in f.message for f in s005)


def test_r001_missing(county):
    result, _, _ = county
    assert [f.school for f in by_rule(result, "R001")] == ["4310000003"]
    s = school(result, "4310000003")
    assert s["submitted"] is False and s["open_cases"] is None


def test_r002_later_stamp_wins(county):
    result, _, _ = county
    r002 = by_rule(result, "R002")
    assert [(f.school, f.file) for f in r002] == [("4310000004", "D-first.xlsx")]
    assert r002[0].severity == "warning"
    assert school(result, "4310000004")["enrolled_primary"] == 6 * 222


def test_r002_says_which_copy_wins_and_why(county, tmp_path):
    result, _, _ = county
    (later,) = by_rule(result, "R002")
    assert "以“sub/deeper/D-second.xlsx”为准：它的报送戳记较晚（2026-10-30 10:00（北京时间））" in later.message
    assert "本文件盖戳时间 2026-10-20 08:00（北京时间）" in later.message
    # two copies stamped at the same second: the message says so, and which one counts
    reg = register(tmp_path / "名录.xlsx", REGISTERED[3:4])
    for name in ("甲.xlsx", "乙.xlsx"):
        stamp(write_book(tmp_path / "in" / name, cover("4310000004", "双峰小学", "城关镇", M, urban="城区")), IN_TIME)
    same = run_rollup(tmp_path / "in", M, reg, store_dir=False, workers=1)
    (tie,) = by_rule(same, "R002")
    assert "较晚" not in tie.message
    assert "两份的盖戳时间相同（2026-10-30 10:00（北京时间）），按文件名排序取最后一份" in tie.message
    assert tie.file != school(same, "4310000004")["file"]


def test_r003_broken_stamp_left_out(county):
    result, _, _ = county
    r003 = by_rule(result, "R003")
    assert [(f.school, f.file) for f in r003] == [("4310000005", "E.xlsx")]
    s = school(result, "4310000005")
    assert s["submitted"] is True and s["stamp_ok"] is False and s["enrolled_junior"] is None
    county_counted = {s["code"] for s in result.schools if s["counted"]}
    assert result.county["schools_submitted"] == len(county_counted) and "4310000005" not in county_counted
    # county enrolment = sum over counted schools only
    assert result.county["enrolled_primary"] == sum(s["enrolled_primary"] for s in result.schools if s["counted"])


def test_r004_open_in_two_schools(county):
    result, _, _ = county
    r004 = by_rule(result, "R004")
    assert sorted((f.school, f.sheet) for f in r004) == [("4310000001", "辍学"), ("4310000002", "休学")]
    assert all(f.value == SHARED and f.row == 4 for f in r004)


def test_r005_lost_case_from_inbox(county):
    result, _, _ = county
    r005 = by_rule(result, "R005")
    assert [(f.school, f.value) for f in r005] == [("4310000001", LOST)]
    assert result.previous_source == "收件箱"


def test_r006_rate_over_target(county):
    result, _, _ = county
    b = school(result, "4310000002")
    assert b["year_dropout_rate_junior"] == round(100 * 1 / 30, 2) > 3.0   # 1 confirmed ÷ 30 at the start of the year
    assert b["dropout_rate_junior"] == round(100 * 1 / 31, 2)              # the month-end rate, not compared
    schools = {f.school for f in by_rule(result, "R006") if f.school}
    assert "4310000002" in schools
    assert "4310000001" not in schools   # its one open junior case is only suspected: 学年辍学率 0 %


def test_r007_late(county):
    result, _, _ = county
    r007 = by_rule(result, "R007")
    assert [f.school for f in r007] == ["4310000006"]
    assert "2026-10-31" in r007[0].message


def test_r008_unregistered(county):
    result, _, _ = county
    assert [f.school for f in by_rule(result, "R008")] == ["4310000099"]


def test_rollup_findings_carry_school_and_file(county):
    result, _, _ = county
    for f in result.findings:
        if f.rule in ("R002", "R003", "R004", "R005", "R007", "R008"):
            assert f.school and f.file


def test_r005_from_store(tmp_path):
    """Month M−1 in the store (and not in the inbox): continuity still checked."""
    reg = register(tmp_path / "名录.xlsx", REGISTERED[:1])
    sept, octo = tmp_path / "inbox-09", tmp_path / "inbox-10"
    c = ("4310000001", "城关小学", "城关镇")
    stamp(write_book(sept / "a.xlsx", cover(*c, PREV), {"辍学": [dropout(LOST, "李小刚", "八年级", dt.date(2026, 9, 5))]}),
          IN_TIME)
    stamp(write_book(octo / "a.xlsx", cover(*c, M)), IN_TIME)
    store = tmp_path / "store"
    run_rollup(sept, PREV, reg, store_dir=store, workers=1)
    result = run_rollup(octo, M, reg, store_dir=store, workers=1)
    assert result.previous_source == "历史库"
    assert [(f.school, f.value) for f in by_rule(result, "R005")] == [("4310000001", LOST)]


def test_register_and_store_inside_inbox_are_not_submissions(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    reg = register(inbox / "学校名录.xlsx", REGISTERED[:1])
    stamp(write_book(inbox / "a.xlsx", cover("4310000001", "城关小学", "城关镇", M)), IN_TIME)
    result = run_rollup(inbox, M, reg, store_dir=inbox / "store", workers=1)
    run_rollup(inbox, M, reg, store_dir=inbox / "store", workers=1)   # the store's files are not read as workbooks
    assert [f["file"] for f in result.files] == ["a.xlsx"]


# ---------------------------------------------------------------------------------------------- R006 with a county policy
R006_SCHOOLS = [   # 学年辍学率 (confirmed open ÷ start enrolment) and, in brackets, the month-end rate
    ("4310000011", "城关中学", "城关镇", "初中", "城区"),     # 1 of 75: 1.33 % > urban 1 % (1 of 75 + 1: 1.32 %)
    ("4310000012", "河口中学", "河口乡", "初中", "乡村"),     # 0 of 30: 0 %
    ("4310000013", "白沙中学", "白沙镇", "初中", "镇区"),     # 3 of 300: 1.00 %, under the default 3 % (0.99 %)
]


@pytest.fixture(scope="module")
def r006_inbox(tmp_path_factory):
    root = tmp_path_factory.mktemp("r006")
    reg = register(root / "名录.xlsx", R006_SCHOOLS)
    found = dt.date(2026, 10, 5)
    opened = {"4310000011": [dropout(child_id(31, "八年级", M), "周小亮", "八年级", found, 类型="辍学")],
              "4310000013": [dropout(child_id(32 + i, "九年级", M), f"吴小{n}", "九年级", found, 类型="辍学")
                             for i, n in enumerate("甲乙丙")]}
    enrol = {"4310000011": 25, "4310000012": 10, "4310000013": 100}
    for code, name, town, _kind, urban in R006_SCHOOLS:
        stamp(write_book(root / "inbox" / f"{code}.xlsx", cover(code, name, town, M, urban=urban, enrol=enrol[code]),
                         {"辍学": opened.get(code, [])}), IN_TIME)
    # the county lowers the rural junior target; the other targets keep their defaults
    policy = root / "县策略.toml"
    policy.write_text("[targets]\njunior_rural = 0.6\n", encoding="utf-8")
    return root, reg, policy


def r006(result):
    return sorted(((f.school, f.column, f.value) for f in by_rule(result, "R006")), key=str)


def test_r006_default_targets(r006_inbox):
    root, reg, _ = r006_inbox
    result = run_rollup(root / "inbox", M, reg, store_dir=False, workers=1)
    rates = {s["code"]: s["year_dropout_rate_junior"] for s in result.schools}
    assert rates == {"4310000011": 1.33, "4310000012": 0.0, "4310000013": 1.0}
    assert {s["code"]: s["dropout_rate_junior"] for s in result.schools} == {
        "4310000011": 1.32, "4310000012": 0.0, "4310000013": 0.99}
    # urban school over 1 %, and the county's urban group (that school alone); rural schools under 3 %: nothing
    assert r006(result) == sorted([("4310000011", "初中学年辍学率", 1.33), (None, "初中学年辍学率", 1.33)], key=str)
    county_urban = next(f for f in by_rule(result, "R006") if f.school is None)
    assert "全县城区学校" in county_urban.message and "学年辍学率为1.33%，高于年度目标1%" in county_urban.message
    # no store: October alone counts, and the message says September is missing
    assert "计入月份：2026-10（1个月）；历史库缺少2026-09" in county_urban.message


def test_r006_county_policy_lowers_rural_target(r006_inbox):
    root, reg, policy = r006_inbox
    result = run_rollup(root / "inbox", M, reg, store_dir=False, workers=1, policy=policy)
    found = by_rule(result, "R006")
    assert r006(result) == sorted([("4310000011", "初中学年辍学率", 1.33), (None, "初中学年辍学率", 1.33),
                                   ("4310000013", "初中学年辍学率", 1.0), (None, "初中学年辍学率", 0.91)], key=str)
    school = next(f for f in found if f.school == "4310000013")
    assert school.severity == "warning" and "白沙中学" in school.message and "1.00%，高于年度目标0.6%" in school.message
    assert school.file == "4310000013.xlsx"
    # the county's rural group: its rate is recomputed from the summed counts (3 / 330 = 0.91 %), never the average
    # of the two rural schools' rates ((0 + 1.00) / 2 = 0.50 %, which would be under the 0.6 % target)
    group = next(f for f in found if f.school is None and f.value == 0.91)
    assert "全县农村（镇区、乡村）学校" in group.message and "0.91%，高于年度目标0.6%" in group.message
    assert "4310000012" not in {f.school for f in found}
    assert result.policy_fingerprint != run_rollup(root / "inbox", M, reg, store_dir=False, workers=1).policy_fingerprint


def test_r006_policy_file_on_the_command_line(r006_inbox):
    import json
    import subprocess
    import sys
    root, reg, policy = r006_inbox
    p = subprocess.run([sys.executable, "-m", "baoxue", "rollup", str(root / "inbox"), "--month", M, "--register",
                        str(reg), "--policy", str(policy), "--store", str(root / "store"), "--out",
                        str(root / "r.xlsx"), "--json"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    got = sorted(((f["school"], f["value"]) for f in doc["findings"] if f["rule"] == "R006"), key=str)
    assert got == sorted([("4310000011", 1.33), (None, 1.33), ("4310000013", 1.0), (None, 0.91)], key=str)
    assert doc["county"]["dropout_rate_junior"] == round(100 * 4 / (405 + 4), 2)
    assert doc["county"]["year_dropout_rate_junior"] == round(100 * 4 / 405, 2)
    assert doc["county"]["ytd_months"] == [M] and doc["county"]["ytd_missing"] == [PREV]
