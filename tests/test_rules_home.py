"""T, P and X rules: home teaching, the persuasion log and cross-sheet checks — failing example at its sheet, row and
column; a passing near-miss is clean. Also the policy file changes what the T rules demand."""
from __future__ import annotations

import datetime as dt

import pytest

from baoxue.policy import load_policy
from baoxue.validators import validate_file
from baoxue.policy import DEFAULT
from rules_helpers import (DROP_ID, HOME_ID, ROW1, Case, both, check, run_bad, run_good, setting, where, write)

D = dt.date
E, W = "error", "warning"
DROP, LEAVE, HOME, VISITS, LOG = "辍学", "休学", "送教上门", "送教记录", "劝返记录"


def one_visit(cover, rows):
    rows[VISITS] = rows[VISITS][:1]


def extra(sheet, **values):
    def edit(cover, rows):
        rows[sheet].append({**rows[sheet][0], **values})
    return edit


def leave_for_dropout_child(status):
    def edit(cover, rows):
        src = rows[DROP][0]
        rows[LEAVE][0].update({k: src[k] for k in ("姓名", "性别", "身份证号", "学籍号", "年级")}, 状态=status)
        if status == "已复学":
            rows[LEAVE][0]["实际复学日期"] = D(2026, 9, 2)
    return edit


def no_cases(cover, rows):
    rows[DROP], rows[LOG] = [], []


CASES = [
    Case("T001", one_visit, [(W, HOME, ROW1, "本月送教次数")], good=extra(VISITS, 送教日期=D(2026, 9, 26))),
    Case("T001", setting(VISITS, 1, 送教日期=D(2026, 8, 28)), [(W, HOME, ROW1, "本月送教次数")], label="last-month"),
    Case("T002", setting(VISITS, 1, 课时=1), [(W, VISITS, ROW1 + 1, "课时")], good=setting(VISITS, 1, 课时=3)),
    Case("T003", setting(VISITS, 1, 同行人数=1), [(W, VISITS, ROW1 + 1, "同行人数")], good=setting(VISITS, 1, 同行人数=3)),
    Case("T004", setting(VISITS, 1, 有男教师="否"), [(W, VISITS, ROW1 + 1, "有男教师")],
         good=setting(VISITS, 1, 有男教师="√")),
    Case("T005", extra(VISITS, 身份证号=DROP_ID), [(E, VISITS, ROW1 + 2, "身份证号")],
         good=extra(VISITS, 身份证号=HOME_ID.lower())),
    Case("T006", setting(HOME, 学籍号=None), [(E, HOME, ROW1, "学籍号")],
         good=both(setting(HOME, 学籍号=None, 状态="转随班就读"))),
    Case("T007", setting(HOME, 个别化教育计划日期=None), [(W, HOME, ROW1, "个别化教育计划日期")],
         good=setting(HOME, 状态="已毕业", 个别化教育计划日期=None)),
    Case("P001", extra(LOG, 身份证号=HOME_ID), [(E, LOG, ROW1 + 1, "身份证号")], good=extra(LOG, 劝返日期=D(2026, 9, 12))),
    Case("P002", setting(LOG, 劝返日期=D(2026, 9, 1)), [(E, LOG, ROW1, "劝返日期")], good=setting(LOG, 劝返日期=D(2026, 9, 3))),
    Case("X001", extra(DROP), [(E, DROP, ROW1 + 1, "身份证号")],
         good=both(setting(DROP, 状态="已复学", 复学日期=D(2026, 9, 4), 销号日期=D(2026, 9, 4)),
                   extra(DROP, 状态="劝返中", 复学日期=None, 销号日期=None, 发现日期=D(2026, 9, 5),
                         上报日期=D(2026, 9, 5), 劝返动员日期=D(2026, 9, 5)))),
    Case("X002", leave_for_dropout_child("休学中"), [(E, LEAVE, ROW1, "身份证号")],
         good=leave_for_dropout_child("已复学")),
    Case("X003", setting("封面", 零报告="是"), [(E, "封面", "cover", "零报告")],
         good=both(no_cases, setting("封面", 零报告="是"))),
    Case("X003", no_cases, [(W, "封面", "cover", "零报告")], label="warning"),
    # a 小学 with no junior pupils and rows in 七–九年级: without X004 its 初中辍学率 would read 100 without a word
    Case("X004", setting("封面", 学校类型="小学", 七年级在校生数=0, 八年级在校生数=0, 九年级在校生数=0),
         [(W, DROP, ROW1, "年级"), (W, LEAVE, ROW1, "年级"), (W, HOME, ROW1, "年级")],
         good=setting("封面", 学校类型="九年一贯制学校")),
    Case("X004", setting("封面", 学校类型="小学"), [(W, DROP, ROW1, "年级"), (W, LEAVE, ROW1, "年级"),
                                                  (W, HOME, ROW1, "年级")], label="type"),
    Case("X004", setting("封面", 八年级在校生数=None), [(W, DROP, ROW1, "年级")], label="enrolment",
         good=setting("封面", 二年级在校生数=None, 一年级在校生数=0)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_failing_example(tmp_path, case):
    run_bad(tmp_path, case)


@pytest.mark.parametrize("case", [c for c in CASES if c.good or c.good_file], ids=lambda c: c.id)
def test_passing_example(tmp_path, case):
    run_good(tmp_path, case)


def test_county_policy_changes_the_home_teaching_rules(tmp_path):
    """A county asking for weekly visits (4 a month) and not requiring a male teacher: T001 fires, T004 does not."""
    policy_file = tmp_path / "county.toml"
    policy_file.write_text("[home_teaching]\nvisits_per_month = 4\nmale_teacher_required = false\n", encoding="utf-8")
    policy = load_policy(policy_file)
    findings = check(tmp_path, setting(VISITS, 1, 有男教师="否"), policy=policy)
    assert where(findings, "T001") == [(W, HOME, ROW1, "本月送教次数")]
    assert where(findings, "T004") == []
    t001 = next(f for f in findings if f.rule == "T001")
    assert "4次" in t001.message and t001.value == "2"


def test_cases_logic_matches_the_indicators(tmp_path):
    """The overdue rows the rules report are the rows the monthly indicators count (one shared case logic)."""
    from baoxue.indicators import school_indicators

    def edit(cover, rows):
        rows[DROP][0]["限期复学通知日期"] = D(2026, 9, 10)
        rows[LEAVE][0]["预计复学日期"] = D(2026, 9, 20)
    book, findings = validate_file(check_path(tmp_path, edit), DEFAULT)
    figures = school_indicators(book, DEFAULT)
    assert figures["escalation_overdue"] == len(where(findings, "C003")) == 1
    assert figures["leave_overdue"] == len(where(findings, "C005")) == 1
    assert figures["home_meeting_min"] == 1 and where(findings, "T001") == []


def check_path(tmp_path, edit):
    from rules_helpers import clean
    cover, rows = clean()
    edit(cover, rows)
    return write(tmp_path, cover, rows)
