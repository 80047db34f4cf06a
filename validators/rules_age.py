"""A rules: age on 31 August before the school year (SPEC §3: a school year runs September–August)."""
from __future__ import annotations

import pandas as pd

from baoxue import model
from baoxue.cases import dates, texts

from .batch import AS_OF, Batch
from .catalogue import rule
from .rules_format import ID_RE, id_births


def cutoffs(as_of: pd.Series) -> pd.Series:
    """31 August before the school year holding the as-of date (Sep–Dec → this year, Jan–Aug → last year)."""
    year = as_of.dt.year - (as_of.dt.month < 9).astype("Int64")
    return pd.to_datetime(year.astype("string") + "-08-31", errors="coerce").astype("datetime64[ns]")


def ages(df: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(age in whole years at the cut-off (float, NaN unknown), cut-off date, source of the birth date)."""
    if "身份证号" in df.columns:
        ids = texts(df["身份证号"])
        well = ids.str.fullmatch(ID_RE).fillna(False).astype(bool)
        born = id_births(ids, well)
    else:
        born = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    source = pd.Series("身份证号", index=df.index, dtype=object)
    if "出生日期" in df.columns:
        stated = dates(df["出生日期"])
        use_stated = born.isna() & stated.notna()
        born = born.where(~use_stated, stated)
        source[use_stated] = "出生日期"
    cut = cutoffs(df[AS_OF])
    age = (cut.dt.year - born.dt.year - (born.dt.month >= 9).astype("Int64")).astype("float64")
    return age, cut, source


def _person_sheets(batch: Batch):
    for sheet in model.PERSON_SHEETS:
        df = batch.frame(sheet.name)
        if len(df):
            yield sheet, df, *ages(df)


@rule("A001")
def school_age(batch: Batch):
    low, high = batch.policy["school_age.min"], batch.policy["school_age.max"]
    out = []
    for sheet, df, age, cut, source in _person_sheets(batch):
        bad = age > high
        if sheet.name != model.DEFER.name:   # a too-young 缓学 child is A003, not A001
            bad = bad | (age < low)
        bad = bad.fillna(False).astype(bool)
        column = pd.Series(source[bad].map(lambda s: "身份证号" if s == "身份证号" else "出生日期"))
        for col, part in df[bad].groupby(column, sort=False):
            out += batch.hits("A001", sheet.name, part, col, source=col, cutoff=cut[part.index],
                              age=age[part.index].astype(int), min=low, max=high)
    return out


@rule("A002")
def grade_for_age(batch: Batch):
    out = []
    for sheet in batch.sheets_with("年级"):
        df = batch.frame(sheet.name)
        if len(df) == 0:
            continue
        age, cut, _ = ages(df)
        grade = df["年级"].map(lambda g: model.grade_number(g) if g in model.GRADES else None).astype("float64")
        expected = age - 5
        bad = ((grade - expected).abs() > 2).fillna(False).astype(bool)
        hint = expected[bad].map(lambda e: model.GRADES[int(min(max(e, 1), 9)) - 1] if e == e else "")
        out += batch.hits("A002", sheet.name, df[bad], "年级", cutoff=cut[bad], age=age[bad].astype(int), expected=hint)
    return out


@rule("A003")
def deferral_too_young(batch: Batch):
    low = batch.policy["school_age.min"]
    df = batch.frame(model.DEFER.name)
    if len(df) == 0:
        return []
    age, cut, source = ages(df)
    bad = (age < low).fillna(False).astype(bool)
    out = []
    for col, part in df[bad].groupby(source[bad], sort=False):
        out += batch.hits("A003", model.DEFER.name, part, col, cutoff=cut[part.index],
                          age=age[part.index].astype(int), min=low)
    return out
