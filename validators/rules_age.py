"""A rules: age on 31 August before the school year (SPEC §3: a school year runs September–August)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from baoxue import model
from baoxue.months import age_cutoff

from baoxue.batch import BOOK_KEY

from .hits import RuleBatch
from .catalogue import rule


def cutoff(as_of) -> pd.Timestamp:
    """31 August before the school year holding the as-of date (Sep–Dec → this year, Jan–Aug → last year)."""
    if as_of is None or pd.isna(as_of):
        return pd.NaT
    return pd.Timestamp(age_cutoff(as_of))


def cutoffs(batch: RuleBatch, df: pd.DataFrame) -> pd.Series:
    """The cut-off date per row (each book its own, from its report month)."""
    def make():   # once per batch, for every person sheet
        return np.array([None if pd.isna(c) else c.to_datetime64() for c in (cutoff(b.as_of) for b in batch.books)],
                        dtype="datetime64[ns]")
    per_book = batch._memo(("cutoffs",), make)
    return pd.Series(per_book[df[BOOK_KEY].to_numpy()], index=df.index)


def ages(batch: RuleBatch, sheet: model.Sheet) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(age in whole years at the cut-off (float, NaN unknown), cut-off date, column the birth date came from).
    The ID's birth date wins; 出生日期 is used where the ID gives none."""
    def make():
        df = batch.frame(sheet.name)
        n = len(df)
        born = batch.ids(sheet.name)[2].to_numpy() if sheet.has("身份证号") else np.full(n, np.datetime64("NaT"), "M8[ns]")
        source = np.full(n, "身份证号", dtype=object)
        if sheet.has("出生日期"):
            stated = batch.dates(sheet.name, "出生日期").to_numpy()
            use_stated = np.isnat(born) & ~np.isnat(stated)
            born = np.where(use_stated, stated, born)
            source[use_stated] = "出生日期"
        cut = cutoffs(batch, df)
        cut_np = cut.to_numpy()
        unknown = np.isnat(born) | np.isnat(cut_np)
        years = born.astype("datetime64[Y]").astype(np.int64)
        months = born.astype("datetime64[M]").astype(np.int64) % 12 + 1
        cut_years = cut_np.astype("datetime64[Y]").astype(np.int64)
        age = np.where(unknown, np.nan, (cut_years - years - (months >= 9)).astype("float64"))
        return pd.Series(age, index=df.index), cut, pd.Series(source, index=df.index, dtype=object)
    return batch._memo(("ages", sheet.name), make)


def _person_sheets(batch: RuleBatch):
    for sheet in model.PERSON_SHEETS:
        df = batch.frame(sheet.name)
        if len(df):
            yield sheet, df, *ages(batch, sheet)


@rule("A001")
def school_age(batch: RuleBatch):
    low, high = batch.policy.school_age.min, batch.policy.school_age.max
    out = []
    for sheet, df, age, cut, source in _person_sheets(batch):
        bad = age > high
        if sheet.name != model.DEFER.name:   # a too-young 缓学 child is A003, not A001
            bad = bad | (age < low)
        bad = bad.fillna(False).astype(bool)
        if not bad.any():
            continue
        for col in ("身份证号", "出生日期"):
            sel = bad & (source == col)
            out += batch.hits("A001", sheet.name, sel, col, source=col, cutoff=cut[sel],
                              age=age[sel].astype(int), min=low, max=high)
    return out


@rule("A002")
def grade_for_age(batch: RuleBatch):
    out = []
    for sheet in batch.sheets_with("年级"):
        df = batch.frame(sheet.name)
        if len(df) == 0:
            continue
        age, cut, _ = ages(batch, sheet)
        grade = pd.Series([model.grade_number(g) if g in model.GRADES else np.nan for g in df["年级"].tolist()],
                          index=df.index, dtype="float64")
        expected = age - 5
        bad = ((grade - expected).abs() > 2).fillna(False).astype(bool)
        hint = expected[bad].map(lambda e: model.GRADES[int(min(max(e, 1), 9)) - 1] if e == e else "")
        out += batch.hits("A002", sheet.name, bad, "年级", cutoff=cut[bad], age=age[bad].astype(int), expected=hint)
    return out


@rule("A003")
def deferral_too_young(batch: RuleBatch):
    low = batch.policy.school_age.min
    df = batch.frame(model.DEFER.name)
    if len(df) == 0:
        return []
    age, cut, source = ages(batch, model.DEFER)
    bad = (age < low).fillna(False).astype(bool)
    out = []
    for col in ("身份证号", "出生日期") if bad.any() else ():
        sel = bad & (source == col)
        out += batch.hits("A003", model.DEFER.name, sel, col, cutoff=cut[sel], age=age[sel].astype(int), min=low)
    return out
