"""T rules: home-delivered teaching (送教上门) — the roster and the visit log against the policy (SPEC §2.5, §2.6)."""
from __future__ import annotations

import pandas as pd

from baoxue import cases, model
from baoxue.batch import BOOK_KEY, MONTH

from .hits import RuleBatch
from .catalogue import rule

HOME, VISITS = model.HOME.name, model.VISITS.name


def keys(batch: RuleBatch, sheet: str, column: str = "身份证号") -> pd.Series:
    """"book␟ID" per row of a sheet (None without an ID): IDs are compared within one book only."""
    return batch._memo(("keys", sheet, column), lambda: cases.person_keys(batch.frame(sheet), column))


@rule("T001")
def too_few_visits(batch: RuleBatch):
    home = batch.frame(HOME)
    if len(home) == 0:
        return []
    visits = batch.frame(VISITS)
    got = cases.roster_qualifying(home, visits, visits[MONTH], batch.policy)
    need = int(batch.policy.home_teaching.visits_per_month)
    bad = cases.open_mask(HOME, home) & (got < need) & home[MONTH].notna()
    bad &= ~home[BOOK_KEY].isin(batch.books_lacking(VISITS))   # no visit log at all is S001, not one T001 per child
    return batch.hits("T001", HOME, bad, "本月送教次数", value=got,
                      hours=batch.policy.home_teaching.hours_per_visit,
                      need=batch.policy.home_teaching.visits_per_month)


def _this_month(batch: RuleBatch) -> pd.DataFrame:
    """Visits dated in the report month (earlier months' visits were checked in their own month)."""
    df = batch.frame(VISITS)
    if len(df) == 0:
        return df
    return df[cases.visits_in_month(df, df[MONTH])]


@rule("T002")
def short_visit(batch: RuleBatch):
    df = _this_month(batch)
    if len(df) == 0:
        return []
    hours = batch.policy.home_teaching.hours_per_visit
    bad = (batch.numbers(VISITS, "课时")[df.index] < float(hours)).fillna(False).astype(bool)
    return batch.hits("T002", VISITS, bad, "课时", hours=hours)


@rule("T003")
def too_few_teachers(batch: RuleBatch):
    df = _this_month(batch)
    if len(df) == 0:
        return []
    need = batch.policy.home_teaching.teachers_per_visit
    bad = (batch.numbers(VISITS, "同行人数")[df.index] < float(need)).fillna(False).astype(bool)
    return batch.hits("T003", VISITS, bad, "同行人数", need=need)


@rule("T004")
def no_male_teacher(batch: RuleBatch):
    if not batch.policy.home_teaching.male_teacher_required:
        return []
    df = _this_month(batch)
    if len(df) == 0:
        return []
    return batch.hits("T004", VISITS, df["有男教师"] == "否", "有男教师")


def log_rows_without_a_person(batch: RuleBatch, rule_id: str, log: str, reference: str):
    """Findings for rows of a log sheet whose 身份证号 is not in the reference sheet of the same book (T005, P001);
    a book that lacks the reference sheet is left alone (S001 already says so)."""
    df = batch.frame(log)
    if len(df) == 0:
        return []
    mine = keys(batch, log)
    bad = ~mine.isin(set(keys(batch, reference).dropna())) & mine.notna()
    bad &= ~df[BOOK_KEY].isin(batch.books_lacking(reference))
    return batch.hits(rule_id, log, bad, "身份证号")


@rule("T005")
def visit_not_on_roster(batch: RuleBatch):
    return log_rows_without_a_person(batch, "T005", VISITS, HOME)


@rule("T006")
def teaching_without_xjh(batch: RuleBatch):
    df = batch.frame(HOME)
    if len(df) == 0:
        return []
    bad = cases.open_mask(HOME, df) & ~batch.filled(HOME, "学籍号")
    return batch.hits("T006", HOME, bad, "学籍号")


@rule("T007")
def teaching_without_plan(batch: RuleBatch):
    df = batch.frame(HOME)
    if len(df) == 0:
        return []
    teaching = cases.open_mask(HOME, df)
    out = []
    for column in ("送教协议日期", "个别化教育计划日期"):
        bad = teaching & ~batch.filled(HOME, column)
        out += batch.hits("T007", HOME, bad, column)
    return out
