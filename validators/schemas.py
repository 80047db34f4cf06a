"""pandera schemas generated from ``baoxue.model`` (never a hand-restated column list): the column-level checks
F001 (required: not nullable), F002 (``isin`` the code list) and F012 (a vectorised name pattern), registered as the
schema's pandera checks. ``failures`` evaluates those registered checks directly (what the rules report,
``rules_format.column_checks``); ``pandera_failures`` is pandera's own lazy validation, which finds the same cases.

The reader's type stage runs first (values that cannot be typed are ``Invalid``), so a bad cell never hides the other
checks of its column; ``Invalid`` values pass these checks here and are reported by their own rules (F003, F004, …).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Callable

import pandas as pd

from baoxue import model
from baoxue.normalize import Invalid

if TYPE_CHECKING:
    import pandera.pandas as pa

# CJK (incl. extension A and B–F), Latin letters, the middle dots used in minority names, inner spaces.
_NAME_CHARS = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1fA-Za-z·•・．. ]+$")
MAX_NAME = 20
CHECK_RULES = {"not_nullable": "F001", "F002": "F002", "F012": "F012"}


def name_problem(v) -> str | None:
    """Why a name is implausible (F012), or None."""
    if not isinstance(v, str):
        return None
    if any(ch.isdigit() for ch in v):
        return "含数字"
    if len(v) > MAX_NAME:
        return f"超过{MAX_NAME}个字符"
    if not _NAME_CHARS.match(v):
        return "含符号或标点"
    return None


_NAME_OK = re.compile(_NAME_CHARS.pattern[:-2] + "{1,%d}$" % MAX_NAME)


def names_ok(s: pd.Series) -> pd.Series:
    """F012, vectorised: a text value matches the name pattern (a non-text value — an ``Invalid`` — passes here and is
    reported by its own rule)."""
    return s.str.fullmatch(_NAME_OK).fillna(True).astype(bool)


def name_ok(v) -> bool:
    """F012 on one value (the same pattern as ``names_ok``)."""
    return v.__class__ is not str or _NAME_OK.fullmatch(v) is not None


_NAME_BAD = re.compile("[^" + _NAME_CHARS.pattern[2:-3] + r"\x00]+")   # a run of characters no name holds


def implausible_names(strings: list[str]) -> list[str]:
    """The ``strings`` (``str`` values) that ``name_ok`` refuses, in their order, found at C speed for a long list's
    names: one search of their join for a character outside the pattern, their lengths for the rest."""
    if not strings:
        return []
    joined = "\x00".join(strings)
    if joined.count("\x00") != len(strings) - 1:   # a value holding the separator: one by one
        return [s for s in strings if not name_ok(s)]
    import numpy as np
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    bad = (lengths == 0) | (lengths > MAX_NAME)
    at = [m.start() for m in _NAME_BAD.finditer(joined)]
    if at:
        starts = np.cumsum(lengths + 1) - (lengths + 1)
        bad[np.searchsorted(starts, at, side="right") - 1] = True
    return [s for s, b in zip(strings, bad.tolist()) if b]


def name_checked(column: model.Column) -> bool:
    """F012 applies to the person-name columns (姓名, 监护人姓名), not to staff lists such as 负责教师."""
    return column.kind == "name" and column.name.endswith("姓名")


@lru_cache(maxsize=None)
def column_checks(c: model.Column) -> tuple[tuple[str, Callable[[pd.Series], pd.Series]], ...]:
    """The column's vectorised checks from the model, as (rule, predicate on the non-empty values → bool Series):
    ``isin`` its code list (F002), the name pattern (F012). Required columns are also not nullable (F001)."""
    checks = []
    if c.codes:
        allowed = list(model.CODE_LISTS[c.codes])
        checks.append(("F002", lambda s: s.isin(allowed)))   # Series.isin: hashed, vectorised
    if name_checked(c):
        checks.append(("F012", names_ok))
    return tuple(checks)


def checked_columns(sheet: model.Sheet) -> list[model.Column]:
    return [c for c in sheet.columns if c.required or column_checks(c)]


@lru_cache(maxsize=None)
def schema(sheet_name: str) -> "pa.DataFrameSchema":
    """The sheet's ``DataFrameSchema``, generated from ``model``: each checked column non-nullable when required, with
    ``column_checks`` registered as its pandera checks. Values are the reader's typed objects (object dtype)."""
    import pandera.pandas as pa   # here: validating a workbook never needs pandera's import (≈ 0.3 s; see failures)
    sheet = model.SHEETS[sheet_name]
    columns = {c.name: pa.Column(object, checks=[pa.Check(fn, name=rule) for rule, fn in column_checks(c)],
                                 nullable=not c.required, required=False, coerce=False)
               for c in checked_columns(sheet)}
    return pa.DataFrameSchema(columns, strict=False, name=sheet.name)


def failures(sheet_name: str, df: pd.DataFrame) -> pd.DataFrame:
    """The failure cases of the sheet's schema: columns ``rule``, ``column``, ``index`` (the frame's index label).

    The schema's registered checks (``column_checks``) are evaluated directly, column by column — the same vectorised
    predicates ``schema(sheet).validate(df, lazy=True)`` runs (``pandera_failures``; tests/test_schemas.py holds the
    two equal) without pandera's per-column machinery, which costs about four times the checks themselves on a clean
    5,000-row workbook (≈ 47 ms against 11 ms CPU). An ``Invalid`` value is left to the type stage's own rule."""
    rules, columns, index = [], [], []
    for column in checked_columns(model.SHEETS[sheet_name]):
        name = column.name
        if name not in df.columns:
            continue
        values = df[name]
        empty = pd.isna(values.to_numpy())   # what values.isna() holds, without a Series made of it
        if column.required and empty.any():
            hit = values.index[empty]
            rules += ["F001"] * len(hit)
            columns += [name] * len(hit)
            index += hit.tolist()
        present = values[~empty] if empty.any() else values
        for rule, ok in column_checks(column):
            passed = ok(present).to_numpy(dtype=bool)
            if not passed.all():
                bad = present[~passed]
                hit = bad.index[[v.__class__ is not Invalid for v in bad.tolist()]]
                rules += [rule] * len(hit)
                columns += [name] * len(hit)
                index += hit.tolist()
    return pd.DataFrame({"rule": rules, "column": columns, "index": pd.Series(index, dtype="int64")})


def pandera_failures(sheet_name: str, df: pd.DataFrame) -> pd.DataFrame:
    """The same failure cases as ``failures``, found by pandera itself (``validate(lazy=True)``)."""
    import pandera.pandas as pa
    full = schema(sheet_name)
    cols = [c for c in full.columns if c in df.columns]
    try:
        full.select_columns(cols).validate(df[cols], lazy=True, inplace=True)
    except pa.errors.SchemaErrors as e:
        fc = e.failure_cases
        fc = fc[fc["check"].isin(CHECK_RULES) & fc["index"].notna()]
        fc = fc[[v.__class__ is not Invalid for v in fc["failure_case"].tolist()]]
        out = pd.DataFrame({"rule": fc["check"].map(CHECK_RULES), "column": fc["column"],
                            "index": fc["index"].astype("int64")})
        return out.drop_duplicates().reset_index(drop=True)
    return pd.DataFrame({"rule": [], "column": [], "index": pd.Series([], dtype="int64")})
