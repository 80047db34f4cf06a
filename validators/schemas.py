"""pandera schemas generated from ``baoxue.model`` (never a hand-restated column list): the column-level checks
F001 (required), F002 (code list) and F012 (plausible name), run lazily so that every failure is collected.

The reader's type stage runs first (values that cannot be typed are ``Invalid``), so a bad cell never hides the other
checks of its column; ``Invalid`` values pass these checks here and are reported by their own rules (F003, F004, …).
"""
from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from baoxue import model
from baoxue.book import Invalid

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


def _values(s: pd.Series) -> list:
    return s.to_numpy(dtype=object).tolist()


def _code_ok(allowed: frozenset):
    """Element predicate of F002: a listed value (an untypable ``Invalid`` is reported by its own rule)."""
    return lambda v: v in allowed or v.__class__ is Invalid


_NAME_OK = re.compile(_NAME_CHARS.pattern[:-2] + "{1,%d}$" % MAX_NAME)


def _name_ok(v) -> bool:
    """Element predicate of F012."""
    return v.__class__ is not str or _NAME_OK.match(v) is not None


def _as_check(ok):
    """An element predicate as a vectorised pandera check function (Series -> bool Series)."""
    def check(s: pd.Series) -> pd.Series:
        return pd.Series([ok(v) for v in _values(s)], index=s.index, dtype=bool)
    return check


def name_checked(column: model.Column) -> bool:
    """F012 applies to the person-name columns (姓名, 监护人姓名), not to staff lists such as 负责教师."""
    return column.kind == "name" and column.name.endswith("姓名")


@lru_cache(maxsize=None)
def _column_checks(c: model.Column) -> tuple:
    """The element checks of a column: (rule, predicate on one non-empty value)."""
    checks = []
    if c.codes:
        checks.append(("F002", _code_ok(frozenset(model.CODE_LISTS[c.codes]))))
    if name_checked(c):
        checks.append(("F012", _name_ok))
    return tuple(checks)


@lru_cache(maxsize=None)
def schema(sheet_name: str) -> "pa.DataFrameSchema":
    import pandera.pandas as pa   # here: a clean workbook (or a re-run from the cache) never needs pandera (≈ 0.3 s)
    sheet = model.SHEETS[sheet_name]
    columns = {}
    for c in sheet.columns:
        checks = [pa.Check(_as_check(ok), name=rule) for rule, ok in _column_checks(c)]
        if checks or c.required:   # a nullable column without checks has nothing to validate
            columns[c.name] = pa.Column(None, checks=checks, nullable=not c.required, required=False)
    return pa.DataFrameSchema(columns, strict=False, name=sheet.name)


def _suspect(column: model.Column, values: pd.Series) -> bool:
    """A fast screen with the very same checks: could pandera find anything in this column?"""
    cells = values.to_numpy(dtype=object)
    empty = pd.isna(cells)
    if column.required and empty.any():
        return True
    checks = _column_checks(column)
    if not checks:
        return False
    present = cells[~empty].tolist() if empty.any() else cells.tolist()
    return any(not all(ok(v) for v in present) for _, ok in checks)


def failures(sheet_name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Deduplicated failure cases: columns ``rule``, ``column``, ``index`` (the frame's index label).

    pandera validates (lazily, collecting every failure) the columns that the same checks flag in a fast screen; a
    clean column is not handed to pandera at all, which keeps a clean workbook cheap."""
    sheet = model.SHEETS[sheet_name]
    cols = [c.name for c in sheet.columns if (_column_checks(c) or c.required) and c.name in df.columns
            and _suspect(c, df[c.name])]
    if cols:
        import pandera.pandas as pa
        try:
            schema(sheet_name).select_columns(cols).validate(df[cols], lazy=True)
        except pa.errors.SchemaErrors as e:
            fc = e.failure_cases
            fc = fc[fc["check"].isin(CHECK_RULES) & fc["index"].notna()]
            out = pd.DataFrame({"rule": fc["check"].map(CHECK_RULES), "column": fc["column"],
                                "index": fc["index"].astype("int64")})
            return out.drop_duplicates().reset_index(drop=True)
    return pd.DataFrame({"rule": [], "column": [], "index": pd.Series([], dtype="int64")})
