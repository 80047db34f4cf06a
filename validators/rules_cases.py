"""C rules: the case ledger — closing, return dates, the four-step method, overdue cases (SPEC §1, §4).
The overdue logic itself lives in ``baoxue.cases`` (shared with the monthly indicators)."""
from __future__ import annotations

import pandas as pd

from baoxue import cases, model
from baoxue.batch import AS_OF, BOOK_KEY

from .hits import RuleBatch
from .catalogue import rule

DROP = model.DROPOUT.name
STEPS = cases.FOUR_STEPS


@rule("C001")
def closing(batch: RuleBatch):
    out = []
    for sheet in batch.sheets_with("状态", "销号日期"):
        df = batch.frame(sheet.name)
        if len(df) == 0:
            continue
        status = df["状态"]
        has_date = batch.filled(sheet.name, "销号日期")
        closing_status = status.isin(model.DROPOUT_CLOSING_STATUSES)
        open_status = status.isin(model.DROPOUT_OPEN_STATUSES)
        missing = closing_status & ~has_date
        stray = open_status & has_date
        out += batch.hits("C001", sheet.name, missing, "销号日期",
                          problem=status[missing].map(lambda s: f"状态为“{s}”（销号状态），但未填写销号日期。"
                                                                f"请填写销号日期；若个案尚未办结，请把状态改为核查中/劝返中/去向不明。"))
        out += batch.hits("C001", sheet.name, stray, "销号日期",
                          problem=status[stray].map(lambda s: f"状态“{s}”表示个案未销号，却填写了销号日期。"
                                                              f"已办结的请把状态改为实际结果（如已复学），未办结的请清空销号日期。"))
    return out


RETURN_DATES = {"复学日期": "已复学", "实际复学日期": "已复学", "入学日期": "已入学"}


@rule("C002")
def return_date(batch: RuleBatch):
    out = []
    for column, status in RETURN_DATES.items():
        for sheet in batch.sheets_with("状态", column):
            df = batch.frame(sheet.name)
            if len(df) == 0:
                continue
            bad = (df["状态"] == status) & ~batch.filled(sheet.name, column)
            out += batch.hits("C002", sheet.name, bad, column, status=status)
    return out


@rule("C003")
def escalation_overdue(batch: RuleBatch):
    df = batch.frame(DROP)
    if len(df) == 0:
        return []
    days = batch.policy.deadlines.notice_to_next_step_days
    bad = cases.escalation_overdue(df, df[AS_OF], batch.policy)
    return batch.hits("C003", DROP, bad, "限期复学通知日期", days=days, as_of=df.loc[bad, AS_OF])


@rule("C004")
def no_persuasion(batch: RuleBatch):
    df = batch.frame(DROP)
    if len(df) == 0:
        return []
    days = batch.policy.deadlines.first_persuasion_days
    bad = cases.no_persuasion_overdue(df, batch.frame(model.PERSUASION.name), df[AS_OF], batch.policy)
    bad &= ~df[BOOK_KEY].isin(batch.books_lacking(model.PERSUASION.name))
    return batch.hits("C004", DROP, bad, "发现日期", days=days, as_of=df.loc[bad, AS_OF])


@rule("C005")
def leave_overdue(batch: RuleBatch):
    df = batch.frame(model.LEAVE.name)
    if len(df) == 0:
        return []
    bad = cases.leave_overdue(df, df[AS_OF])
    return batch.hits("C005", model.LEAVE.name, bad, "预计复学日期", as_of=df.loc[bad, AS_OF])


@rule("C006")
def deferral_expired(batch: RuleBatch):
    df = batch.frame(model.DEFER.name)
    if len(df) == 0:
        return []
    bad = cases.deferral_expired(df, df[AS_OF])
    return batch.hits("C006", model.DEFER.name, bad, "缓学截止日期", as_of=df.loc[bad, AS_OF])


@rule("C007")
def skipped_step(batch: RuleBatch):
    """A later step dated while an earlier one is empty: reported at the first empty earlier step."""
    df = batch.frame(DROP)
    if len(df) == 0:
        return []
    dated = {c: batch.filled(DROP, c) for c in STEPS}
    reported = pd.Series(False, index=df.index)
    out = []
    for k, earlier in enumerate(STEPS[:-1]):
        later_filled = pd.Series(False, index=df.index)
        later_col = pd.Series(None, index=df.index, dtype=object)
        later_val = pd.Series(None, index=df.index, dtype=object)
        for later in reversed(STEPS[k + 1:]):  # the nearest later step that is filled
            f = dated[later]
            later_col = later_col.where(~f, later)
            later_val = later_val.where(~f, df[later])
            later_filled |= f
        bad = ~dated[earlier] & later_filled & ~reported
        reported |= bad
        out += batch.hits("C007", DROP, bad, earlier, later=later_col[bad], later_value=later_val[bad])
    return out


WHEREABOUTS = {"去向不明": "调查情况报告：何时何地如何查找、结果如何", "转学就读": "转入学校名称和所在地",
               "省外就读已核实": "就读学校名称、所在省市和核实方式"}


@rule("C008")
def whereabouts(batch: RuleBatch):
    out = []
    for sheet in batch.sheets_with("状态", "去向说明"):
        df = batch.frame(sheet.name)
        if len(df) == 0:
            continue
        bad = df["状态"].isin(model.NEEDS_WHEREABOUTS) & ~batch.filled(sheet.name, "去向说明")
        out += batch.hits("C008", sheet.name, bad, "去向说明", status=df.loc[bad, "状态"],
                          what=df.loc[bad, "状态"].map(WHEREABOUTS))
    return out
