"""The next legal step of a dropout case (四步法): the core (``cases.next_step``) against the validator's own rules
(F002, F003, C007 words; C003/C004 deadlines), and BX_NEXT_STEP as a thin wrapper over it.

Test-only: ``XLWINGS_LICENSE_KEY=noncommercial`` (xlwings' own key for noncommercial use) — see test_addin_payload.py.
"""
from __future__ import annotations

import datetime as dt
import inspect

import pandas as pd
import pytest

from test_addin_payload import planted, write_book  # noqa: I001  (sets the server runtime first)
from test_addin_functions import call, serial  # noqa: E402

from baoxue import cases, model  # noqa: E402
from baoxue.grid import Grid  # noqa: E402
from baoxue.policy import DEFAULT, load_policy  # noqa: E402
from baoxue.reader import parse_grid, read_workbook  # noqa: E402
from baoxue.validators import validate  # noqa: E402

from baoxue.addin import functions as F  # noqa: E402

D = dt.date
FOUND = D(2026, 10, 8)
ARGS = ("发现日期", *cases.FOUR_STEPS, "状态")


def dropout_book(row: dict, month: str = "2026-10"):
    """A workbook whose 辍学 sheet holds ``row`` (Excel row 2) under the header, read as the reader reads a live book."""
    header = list(model.DROPOUT.column_names)
    grid = Grid(sheets={model.COVER_SHEET: [["报送月份", month]], "辍学": [header, [row.get(c) for c in header]]},
                sheet_names=[model.COVER_SHEET, "辍学"])
    return parse_grid(grid)


def typed_row(row: dict) -> dict:
    """The row's cells as the reader types them (what the core takes)."""
    frame = dropout_book(row).frame("辍学")
    return {c: frame.iloc[0][c] for c in ARGS}


def finding(row: dict, rule: str):
    return next(f for f in validate(dropout_book(row), DEFAULT) if f.rule == rule and f.sheet == "辍学")


# ============================================================================================== the core
def test_the_four_steps_in_order_with_the_policy_deadlines():
    week = int(DEFAULT.deadlines.first_persuasion_days)
    notice_days = int(DEFAULT.deadlines.notice_to_next_step_days)
    row = {"发现日期": FOUND, "状态": "核查中"}
    step = cases.next_step(row, DEFAULT)
    assert step.advice.startswith("第一步 劝返动员") and step.due == FOUND + dt.timedelta(days=week) and not step.problem
    row["劝返动员日期"] = D(2026, 10, 9)
    assert cases.next_step(row, DEFAULT).advice.startswith("第二步 责令改正") and cases.next_step(row, DEFAULT).due is None
    row["限期复学通知日期"] = D(2026, 10, 20)
    step = cases.next_step(row, DEFAULT)
    assert step.advice.startswith("第三步 行政处罚") and step.due == D(2026, 10, 20) + dt.timedelta(days=notice_days)
    row["行政处罚日期"] = D(2026, 10, 28)
    assert cases.next_step(row, DEFAULT).advice.startswith("第四步 司法程序")
    row["司法程序日期"] = D(2026, 11, 5)
    assert cases.next_step(row, DEFAULT).advice.startswith("已进入司法程序")
    assert cases.next_step({}, DEFAULT) == cases.NextStep("请先填写发现日期（必填）", None, True)


def test_a_county_policy_moves_the_due_dates(tmp_path):
    county = tmp_path / "county.toml"
    county.write_text("[deadlines]\nnotice_to_next_step_days = 10\nfirst_persuasion_days = 3\n", encoding="utf-8")
    policy = load_policy(county)
    assert cases.next_step({"发现日期": FOUND}, policy).due == D(2026, 10, 11)
    step = cases.next_step({"发现日期": FOUND, "劝返动员日期": FOUND, "限期复学通知日期": D(2026, 10, 20)}, policy)
    assert step.due == D(2026, 10, 30) and "10日内" in step.advice


@pytest.mark.parametrize("status", model.DROPOUT_CLOSING_STATUSES)
def test_closed_cases_need_no_step(status):
    step = cases.next_step({"发现日期": FOUND, "状态": status}, DEFAULT)
    assert step == cases.NextStep(f"已销号（{status}）：无需下一步", None, False)


@pytest.mark.parametrize("status", [*model.DROPOUT_OPEN_STATUSES, None, ""])
def test_open_or_blank_status_gets_the_next_step(status):
    assert cases.next_step({"发现日期": FOUND, "状态": status}, DEFAULT).advice.startswith("第一步")


def test_status_outside_the_code_list_is_the_validators_f002_not_closed(tmp_path):
    """“不知道” is F002 for `baoxue validate`; it used to be read as closed (“已销号：无需下一步”)."""
    path = write_book(tmp_path / "messy.xlsx", planted)        # 辍学 row 2 has 状态 “不知道”
    book = read_workbook(path)
    f002 = next(f for f in validate(book, DEFAULT) if f.rule == "F002" and f.column == "状态")
    frame = book.frame("辍学")
    row = frame[frame["_row"] == f002.row].iloc[0]
    step = F.with_words(cases.next_step({c: row[c] for c in ARGS}, DEFAULT))
    assert step.problem and step.due is None
    assert step.advice == f002.message
    assert "无需下一步" not in step.advice and "、".join(model.CODE_LISTS["辍学状态"]) in step.advice


@pytest.mark.parametrize("column", ["发现日期", *cases.FOUR_STEPS])
def test_a_date_that_cannot_be_read_is_the_validators_f003(column):
    row = {"发现日期": FOUND, "状态": "劝返中"}
    for earlier in cases.FOUR_STEPS[:cases.FOUR_STEPS.index(column)] if column in cases.FOUR_STEPS else ():
        row[earlier] = D(2026, 10, 9)          # the steps before it are dated: F003 is the only problem
    row[column] = "九月初"
    step = F.with_words(cases.next_step(typed_row(row), DEFAULT))
    f003 = next(f for f in validate(dropout_book(row), DEFAULT) if f.rule == "F003" and f.column == column)
    assert step.problem and step.due is None and step.advice == f003.message
    assert "请先填写发现日期" not in step.advice


def test_a_skipped_step_is_the_validators_c007():
    row = {"发现日期": FOUND, "劝返动员日期": D(2026, 10, 9), "行政处罚日期": D(2026, 10, 28), "状态": "劝返中"}
    step = F.with_words(cases.next_step(typed_row(row), DEFAULT))
    assert step.problem and step.advice == finding(row, "C007").message and "限期复学通知日期" in step.advice


def test_due_dates_are_the_deadlines_c003_and_c004_measure():
    """A case is overdue (C003 / C004) exactly when the as-of date is past the due date next_step gives."""
    as_of = D(2026, 10, 31)
    no_log = pd.DataFrame({"身份证号": pd.Series([], dtype=object), "劝返日期": pd.Series([], dtype=object)})
    for offset in range(0, 12):
        notice = as_of - dt.timedelta(days=offset)
        row = {"发现日期": D(2026, 9, 1), "劝返动员日期": D(2026, 9, 2), "限期复学通知日期": notice,
               "行政处罚日期": None, "状态": "劝返中"}
        df = pd.DataFrame([row], dtype=object)
        overdue = bool(cases.escalation_overdue(df, as_of, DEFAULT).iloc[0])
        assert overdue == (cases.next_step(row, DEFAULT).due < as_of), offset
        found = {"发现日期": notice, "劝返动员日期": None, "状态": "核查中", "身份证号": "x"}
        df = pd.DataFrame([found], dtype=object)
        overdue = bool(cases.no_persuasion_overdue(df, no_log, as_of, DEFAULT).iloc[0])
        assert overdue == (cases.next_step(found, DEFAULT).due < as_of), offset


# ============================================================================================== BX_NEXT_STEP
def test_udf_invalid_status_and_unreadable_date_say_so():
    text, due = F.BX_NEXT_STEP(FOUND, None, None, None, None, "不知道")[0]
    assert "不在代码表" in text and "核查中" in text and "无需下一步" not in text and due == ""
    text, due = F.BX_NEXT_STEP("九月初")[0]
    assert "不是有效日期" in text and "九月初" in text and "请先填写发现日期" not in text and due == ""
    text, _ = F.BX_NEXT_STEP(FOUND, "十月", None, None, None, "劝返中")[0]
    assert "劝返动员日期" in text and "不是有效日期" in text


def test_udf_is_the_core_on_the_readers_values(monkeypatch):
    monkeypatch.delenv("BAOXUE_POLICY", raising=False)
    cells = [
        (FOUND,),
        (serial(FOUND), serial(D(2026, 10, 9))),                                   # Excel date serials
        ("2026年10月8日", "2026/10/9", dt.datetime(2026, 10, 20)),                 # typed dates, a date cell
        (FOUND, None, None, None, None, " 劝返中 "),
        (FOUND, None, None, None, None, "已复学"),
        (FOUND, None, None, D(2026, 10, 28), None, "劝返中"),
    ]
    for args in cells:
        row = typed_row(dict(zip(ARGS, args)))
        want = F.with_words(cases.next_step(row, DEFAULT))
        got = F.BX_NEXT_STEP(*args)
        assert got == [[want.advice, dt.datetime(want.due.year, want.due.month, want.due.day) if want.due else ""]]
    assert F.BX_NEXT_STEP(*cells[2])[0][0].startswith("第三步")


def test_udf_follows_the_county_policy(monkeypatch, tmp_path):
    county = tmp_path / "county.toml"
    county.write_text("[deadlines]\nnotice_to_next_step_days = 10\n", encoding="utf-8")
    monkeypatch.setenv("BAOXUE_POLICY", str(county))
    assert F.BX_NEXT_STEP(FOUND, D(2026, 10, 9), D(2026, 10, 20))[0][1] == dt.datetime(2026, 10, 30)


def test_udf_through_the_custom_function_call_path():
    step, due = call("BX_NEXT_STEP", serial(FOUND), serial(D(2026, 10, 9)), serial(D(2026, 10, 20)), "", "", "劝返中")[0]
    assert step.startswith("第三步") and due["basicValue"] == serial(D(2026, 10, 27))
    assert "不在代码表" in call("BX_NEXT_STEP", serial(FOUND), "", "", "", "", "不知道")[0][0]


def test_the_glue_holds_no_copy_of_the_method():
    source = inspect.getsource(F)
    assert "deadlines." not in source and "第一步" not in source and "timedelta" not in source


def test_the_core_names_the_rule_and_the_addin_says_its_words():
    """The core knows no rule words (it sits below the validators): it names the rule and its fields."""
    step = cases.next_step({"发现日期": FOUND, "状态": "不知道"}, DEFAULT)
    assert step.problem and step.rule == "F002" and step.advice == "" and step.fields["value"] == "不知道"
    assert F.with_words(step).advice.startswith("“状态”的值“不知道”不在代码表")
    assert cases.next_step({"发现日期": FOUND}, DEFAULT).rule is None
