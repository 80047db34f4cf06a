"""A, D and C rules: each rule's failing example at its sheet, row and column; a passing near-miss is clean."""
from __future__ import annotations

import datetime as dt

import pytest

from rules_helpers import ROW1, Case, both, dropping, person, run_bad, run_good, setting

D = dt.date
E, W = "error", "warning"
DROP, LEAVE, DEFER = "辍学", "休学", "缓学"


def child(born):
    """A 缓学 child (no 学籍号 column on that sheet)."""
    p = person(born, seq=3)
    p.pop("学籍号")
    return p


def no_log(cover, rows):
    rows["劝返记录"] = []


def closed(**extra):
    return setting(DROP, 状态="已复学", 复学日期=D(2026, 9, 18), 销号日期=D(2026, 9, 18), **extra)


def same_person(cover, rows):
    """The dropout child's identity on the 休学 row."""
    src = rows[DROP][0]
    rows[LEAVE][0].update({k: src[k] for k in ("姓名", "性别", "身份证号", "学籍号")}, 年级=src["年级"])


def persuasion(cover, rows):
    rows[DROP][0]["劝返动员日期"] = D(2026, 9, 5)


CASES = [
    # ------------------------------------------------------------------ age
    Case("A001", setting(DROP, **person(D(2008, 5, 10)), 年级="九年级"), [(W, DROP, ROW1, "身份证号")],
         good=both(setting(DROP, **person(D(2011, 9, 1)), 年级="九年级"), lambda c, r: r["劝返记录"][0].update(
             身份证号=r[DROP][0]["身份证号"]))),
    Case("A001", both(setting(DROP, 身份证号=None, 学籍号=None, 出生日期=D(2008, 5, 10), 年级="九年级")),
         [(W, DROP, ROW1, "出生日期")], label="birth-column"),
    Case("A002", setting(DROP, 年级="二年级"), [(W, DROP, ROW1, "年级")], good=setting(DROP, 年级="七年级")),
    Case("A003", setting(DEFER, **child(D(2020, 9, 1))), [(W, DEFER, ROW1, "身份证号")],
         good=setting(DEFER, **child(D(2020, 8, 31)))),
    # ------------------------------------------------------------------ dates
    Case("D001", setting(DROP, 劝返动员日期=D(2026, 10, 2)), [(E, DROP, ROW1, "劝返动员日期")],
         good=setting(DROP, 劝返动员日期=D(2026, 9, 30))),
    Case("D001", setting("送教记录", 送教日期=D(2026, 10, 1)), [(E, "送教记录", ROW1, "送教日期")], label="visit"),
    Case("D002", setting(DROP, 上报日期=D(2026, 9, 1)), [(E, DROP, ROW1, "上报日期")],
         good=setting(DROP, 发现日期=D(2026, 9, 1), 上报日期=D(2026, 9, 1))),
    Case("D002", setting(LEAVE, 批准日期=D(2026, 8, 19)), [(E, LEAVE, ROW1, "批准日期")], label="leave"),
    Case("D002", setting(DROP, 劝返动员日期=D(2026, 9, 20), 限期复学通知日期=D(2026, 9, 10)),
         [(E, DROP, ROW1, "限期复学通知日期")], label="steps"),
    Case("D003", setting(DROP, 上报日期=D(2026, 9, 10)), [(W, DROP, ROW1, "上报日期")],
         good=setting(DROP, 上报日期=D(2026, 9, 4))),
    Case("D004", setting(LEAVE, 预计复学日期=D(2027, 9, 2)), [(W, LEAVE, ROW1, "预计复学日期")],
         good=setting(LEAVE, 预计复学日期=D(2027, 9, 1))),
    Case("D005", setting(DEFER, 缓学截止日期=D(2027, 9, 2)), [(W, DEFER, ROW1, "缓学截止日期")],
         good=setting(DEFER, 缓学截止日期=D(2027, 9, 1))),
    # ------------------------------------------------------------------ cases
    Case("C001", setting(DROP, 状态="已复学", 复学日期=D(2026, 9, 18)), [(E, DROP, ROW1, "销号日期")], good=closed()),
    Case("C001", setting(DROP, 销号日期=D(2026, 9, 18)), [(E, DROP, ROW1, "销号日期")], label="open-with-date"),
    Case("C002", setting(DROP, 状态="已复学", 销号日期=D(2026, 9, 18)), [(E, DROP, ROW1, "复学日期")], good=closed()),
    Case("C002", setting(DEFER, 状态="已入学"), [(E, DEFER, ROW1, "入学日期")],
         good=setting(DEFER, 状态="已入学", 入学日期=D(2026, 9, 20)), label="defer"),
    Case("C003", setting(DROP, 限期复学通知日期=D(2026, 9, 10)), [(W, DROP, ROW1, "限期复学通知日期")],
         good=setting(DROP, 限期复学通知日期=D(2026, 9, 25))),
    Case("C004", both(dropping(DROP, "劝返动员日期"), no_log), [(W, DROP, ROW1, "发现日期")],
         good=dropping(DROP, "劝返动员日期")),
    Case("C005", setting(LEAVE, 预计复学日期=D(2026, 9, 20)), [(W, LEAVE, ROW1, "预计复学日期")],
         good=setting(LEAVE, 预计复学日期=D(2026, 9, 20), 状态="已复学", 实际复学日期=D(2026, 9, 21))),
    Case("C006", setting(DEFER, 缓学截止日期=D(2026, 9, 20)), [(W, DEFER, ROW1, "缓学截止日期")],
         good=setting(DEFER, 缓学截止日期=D(2026, 9, 30))),
    Case("C007", setting(DROP, 行政处罚日期=D(2026, 9, 20)), [(E, DROP, ROW1, "限期复学通知日期")],
         good=setting(DROP, 限期复学通知日期=D(2026, 9, 12), 行政处罚日期=D(2026, 9, 20))),
    Case("C008", setting(DROP, 状态="去向不明"), [(E, DROP, ROW1, "去向说明")],
         good=setting(DROP, 状态="去向不明", 去向说明="9月5日、9月12日两次入户，家中无人，村委会称随父母外出，去向待查")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_failing_example(tmp_path, case):
    run_bad(tmp_path, case)


@pytest.mark.parametrize("case", [c for c in CASES if c.good or c.good_file], ids=lambda c: c.id)
def test_passing_example(tmp_path, case):
    run_good(tmp_path, case)
