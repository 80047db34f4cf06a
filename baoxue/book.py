"""SchoolBook: what the reader makes of one school's monthly workbook (typed, normalised, row-numbered).

Every data sheet is a pandas DataFrame with exactly the model's canonical columns (object dtype) plus ``_row``, the
Excel row number the clerk sees. Cell values after the type stage are:

- ``None`` for an empty cell;
- ``str`` for text / name / id / 学籍号 / phone / code / grade columns (normalised per SPEC §2.9; code columns hold the
  canonical list value when an alias was typed, otherwise the normalised text, which F002 then reports);
- ``datetime.date`` for date columns; ``int`` for int columns; ``float`` or ``int`` for number columns;
- ``Invalid(raw, reason)`` where the value could not be typed (an unparseable date, an ID stored as a number,
  an unrecognisable grade, a formula …). Validators turn these into findings; nothing is silently coerced.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import model
from .grid import ActiveContent
from .months import month_end


class UnreadableWorkbook(Exception):
    """The file cannot be read as a workbook. ``message`` is Chinese and tells the clerk what to do (→ S005)."""

    def __init__(self, message: str, path: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass
class SchoolBook:
    path: str | None = None
    cover: dict[str, Any] = field(default_factory=dict)          # cover label -> typed value (or Invalid / None)
    cover_rows: dict[str, int] = field(default_factory=dict)     # cover label -> Excel row
    sheets: dict[str, pd.DataFrame] = field(default_factory=dict)  # data sheet name -> typed frame (+ "_row")
    header_rows: dict[str, int] = field(default_factory=dict)    # sheet -> Excel row of its header
    header_columns: dict[str, dict[str, int]] = field(default_factory=dict)  # sheet -> canonical column -> 1-based Excel column
    missing_sheets: list[str] = field(default_factory=list)      # required sheets not found (S001)
    missing_columns: dict[str, list[str]] = field(default_factory=dict)  # sheet -> columns whose header is absent (S002)
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)  # sheet -> unknown columns, kept aside (+ "_row")
    properties: dict[str, str] = field(default_factory=dict)     # custom document properties (template version, stamp)
    stamp_sheet: dict[str, str] = field(default_factory=dict)    # key/value pairs of the hidden stamp sheet, if any
    other_sheets: list[str] = field(default_factory=list)        # sheet names present that the model does not know
    # sheet -> the columns holding an ``Invalid`` value, as the reader left them (a sheet not listed: not known, so the
    # type stage looks at every column). Frames changed after reading must not add Invalid values to other columns.
    untypable: dict[str, frozenset[str]] = field(default_factory=dict)
    # what in the file can compute, fetch or run, beyond the template's own 月报汇总 formulas and the formula cells
    # already typed as ``Invalid`` in the frames: F013 (formulas), S006/S007 (links, names, macros); part of the stamp
    active: list[ActiveContent] = field(default_factory=list)

    # ----------------------------------------------------------------- convenience
    @property
    def school_code(self) -> str | None:
        v = self.cover.get("学校标识码")
        return v if isinstance(v, str) else None

    @property
    def month(self) -> str | None:
        """Report month as 'YYYY-MM' (None when missing or invalid)."""
        v = self.cover.get("报送月份")
        return v if isinstance(v, str) else None

    @property
    def as_of(self) -> dt.date | None:
        """Last day of the report month."""
        return month_end(self.month) if self.month else None

    def frame(self, sheet: str) -> pd.DataFrame:
        """The typed frame of a data sheet (an empty frame with all columns when the sheet is missing)."""
        df = self.sheets.get(sheet)
        if df is None:
            df = empty_frame(sheet)
        return df

    def enrolment(self, grade: str) -> int:
        v = self.cover.get(f"{grade}在校生数")
        return v if isinstance(v, int) else 0


def empty_frame(sheet: str) -> pd.DataFrame:
    cols = model.SHEETS[sheet].column_names
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols + ["_row"]})
