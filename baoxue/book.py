"""SchoolBook: what the reader makes of one school's monthly workbook (typed, normalised, row-numbered).

Every data sheet is a pandas DataFrame with exactly the model's canonical columns (object dtype) plus ``_row``, the
Excel row number the clerk sees (``book.sheets``, a ``Frames`` mapping: the reader hands each sheet over as plain column
lists, ``book.columns(sheet)``, and a sheet's DataFrame is built the first time it is asked for). Cell values after the
type stage are:

- ``None`` for an empty cell;
- ``str`` for text / name / id / 学籍号 / phone / code / grade columns (normalised per SPEC §2.9; code columns hold the
  canonical list value when an alias was typed, otherwise the normalised text, which F002 then reports);
- ``datetime.date`` for date columns; ``int`` for int columns; ``float`` or ``int`` for number columns;
- ``Invalid(raw, reason)`` where the value could not be typed (an unparseable date, an ID stored as a number,
  an unrecognisable grade, a formula …). Validators turn these into findings; nothing is silently coerced.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np
import pandas as pd

from . import model
from .grid import ActiveContent
from .layout import get_column_letter
from .months import month_end


class UnreadableWorkbook(Exception):
    """The file cannot be read as a workbook. ``message`` is Chinese and tells the clerk what to do (→ S005)."""

    def __init__(self, message: str, path: str | None = None, advice: str = ""):
        """``advice``: the closing sentence that tells the file's sender what to do (it ends ``message``); a file that
        another sender sends gets its own through ``readdressed``."""
        super().__init__(message + advice)
        self.message = message + advice
        self.path = path
        self.reason, self.advice = message, advice

    def __reduce__(self):   # keeps the advice apart across processes, as a pool hands errors back
        return type(self), (self.reason, self.path, self.advice)

    def readdressed(self, advice: str) -> "UnreadableWorkbook":
        """This error for a file with another sender (a county list, the register, a township's return): its advice
        replaced by ``advice``; an error without advice stays as it is."""
        return UnreadableWorkbook(self.reason, self.path, advice) if self.advice else self


_COLUMN_NAMES: dict[str, tuple[Any, list[str]]] = {}   # sheet -> (its model table, its column names)


def _column_names(sheet: str) -> list[str]:
    """``model.TABLES[sheet].column_names`` (do not change it: it is kept; the property builds a list each time)."""
    table = model.TABLES[sheet]
    got = _COLUMN_NAMES.get(sheet)
    if got is None or got[0] is not table:
        got = _COLUMN_NAMES[sheet] = (table, table.column_names)
    return got[1]


def frame_from_columns(names: list[str], columns: dict[str, list], n: int,
                       extra: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """A typed sheet frame: the ``names`` columns (object dtype; a column missing from ``columns`` is empty), then
    ``_row`` (int64) from ``columns["_row"]``, then the ``extra`` arrays as they are."""
    # one 2-D object block: far cheaper than a Series per column. Stored column by column (pandas keeps a block as
    # columns × rows, so the transposed view goes in without a copy) and filled with fromiter, which, unlike a slice
    # assignment of a list, does not probe every value (dates, Invalid) for being an array or a sequence.
    block = np.empty((len(names), n), dtype=object)
    for j, c in enumerate(names):
        values = columns.get(c)
        if values is not None:
            block[j] = np.fromiter(values, dtype=object, count=n)
    # plain object labels: pandas' default string Index costs more on every column insert and lookup
    df = pd.DataFrame(block.T, columns=pd.Index(names, dtype=object), dtype=object, copy=False)
    df["_row"] = np.asarray(columns.get("_row", ()), dtype="int64")
    for c, values in (extra or {}).items():
        df[c] = values
    return df


class Frames(MutableMapping):
    """A book's data sheets: sheet name -> typed DataFrame (the model's columns + ``_row``).

    The reader stores each sheet as plain column lists (``set_columns``); its DataFrame is built on first access. A
    roll-up never needs one book's frame: its batch builds one frame per sheet from many books' lists, and the stamp and
    the per-file extraction read the lists (``columns``). Once a sheet's frame has been built or assigned, the frame is
    the sheet (callers may change it) and ``columns`` gives None for it."""

    def __init__(self, frames: dict[str, pd.DataFrame] | None = None):
        self._order: dict[str, None] = {}
        self._frames: dict[str, pd.DataFrame] = {}
        self._lists: dict[str, tuple[int, dict[str, list]]] = {}
        for name, df in (frames or {}).items():
            self[name] = df

    def set_columns(self, sheet: str, columns: dict[str, list]) -> None:
        """The sheet's typed values, column name -> list (the model's columns; ``"_row"``: Excel row numbers)."""
        names = _column_names(sheet)
        n = len(columns.get("_row", ()))
        full = {c: columns.get(c) or [None] * n for c in names}
        full["_row"] = list(columns.get("_row", ()))
        self._lists[sheet] = (n, full)
        self._frames.pop(sheet, None)
        self._order[sheet] = None

    def columns(self, sheet: str) -> dict[str, list] | None:
        """The sheet's lists as the reader left them (every model column and ``"_row"``; do not change them), or None
        when the sheet is not here or is a frame (built or assigned) by now."""
        got = self._lists.get(sheet)
        return None if got is None else got[1]

    def __getitem__(self, sheet: str) -> pd.DataFrame:
        df = self._frames.get(sheet)
        if df is None:
            n, columns = self._lists.pop(sheet)   # KeyError: no such sheet
            df = self._frames[sheet] = frame_from_columns(model.TABLES[sheet].column_names, columns, n)
        return df

    def __setitem__(self, sheet: str, df: pd.DataFrame) -> None:
        self._frames[sheet] = df
        self._lists.pop(sheet, None)
        self._order[sheet] = None

    def __delitem__(self, sheet: str) -> None:
        del self._order[sheet]
        self._frames.pop(sheet, None)
        self._lists.pop(sheet, None)

    def __contains__(self, sheet: object) -> bool:
        return sheet in self._order

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)

    def __repr__(self) -> str:
        return f"Frames({list(self._order)})"


@dataclass(frozen=True)
class TableLayout:
    """Where a table sheet (校验结果) has its header and how far it reaches, as the reader found it."""
    header_row: int                       # Excel row of the header; 0 when no header was recognised
    columns: dict[str, int]               # header name -> 1-based Excel column
    last_row: int                         # the last row holding anything (0: an empty sheet)
    rows: list[list[Any]] = field(default_factory=list, repr=False)   # the sheet's values from A1 (reading only)


@dataclass(frozen=True)
class KeyedLayout:
    """Where a keyed sheet (月报汇总: one row per indicator key) has its keys and its value column, as the reader found
    it. Rows and columns are 1-based Excel numbers."""
    key_rows: dict[str, int]              # key -> its row (the first cell holding exactly the key)
    key_col: int                          # the column holding most keys (2 when none was found)
    header_row: int                       # the row above the first key
    value_col: int | None                 # the column headed by the value header in rows 1..header_row, if any
    last_col: int                         # rightmost column holding anything from the header row to the last key
    column_last_row: dict[int, int]       # column -> its last row holding anything (formula cells included)


@dataclass
class SchoolBook:
    path: str | None = None
    cover: dict[str, Any] = field(default_factory=dict)          # cover label -> typed value (or Invalid / None)
    cover_rows: dict[str, int] = field(default_factory=dict)     # cover label -> Excel row
    sheets: Frames = field(default_factory=Frames)  # data sheet name -> typed frame (+ "_row"); a dict is converted
    header_rows: dict[str, int] = field(default_factory=dict)    # sheet -> Excel row of its header
    header_columns: dict[str, dict[str, int]] = field(default_factory=dict)  # sheet -> canonical column -> 1-based Excel column
    missing_sheets: list[str] = field(default_factory=list)      # required sheets not found (S001)
    missing_columns: dict[str, list[str]] = field(default_factory=dict)  # sheet -> columns whose header is absent (S002)
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)  # sheet -> unknown columns, kept aside (+ "_row")
    properties: dict[str, str] = field(default_factory=dict)     # custom document properties (template version, stamp)
    stamp_sheet: dict[str, str] = field(default_factory=dict)    # key/value pairs of the hidden stamp sheet, if any
    other_sheets: list[str] = field(default_factory=list)        # sheet names present that the model does not know
    twin_sheets: dict[str, list[str]] = field(default_factory=dict)   # standard sheet -> its names, when 2+ (S008)
    # sheet -> the columns holding an ``Invalid`` value, as the reader left them (a sheet not listed: not known, so the
    # type stage looks at every column). Frames changed after reading must not add Invalid values to other columns.
    untypable: dict[str, frozenset[str]] = field(default_factory=dict)
    # what in the file can compute, fetch or run, beyond the template's own 月报汇总 formulas and the formula cells
    # already typed as ``Invalid`` in the frames: F013 (formulas), S006/S007 (links, names, macros); part of the stamp
    active: list[ActiveContent] = field(default_factory=list)
    # the computed sheets' layouts (校验结果: TableLayout, 月报汇总: KeyedLayout), when the grid held those sheets (a
    # reader asked for them: ``read_workbook(path, computed_sheets=True)``, the add-in's live read); the planners
    # address their cells from these
    layouts: dict[str, TableLayout | KeyedLayout] = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.sheets, Frames):
            self.sheets = Frames(self.sheets)

    # ----------------------------------------------------------------- convenience
    def columns(self, sheet: str) -> dict[str, list] | None:
        """A sheet's typed values as plain lists per column (+ ``"_row"``) while it has not become a DataFrame (see
        ``Frames``); None otherwise — then read ``frame(sheet)``. Read-only."""
        sheets = self.sheets
        return sheets.columns(sheet) if isinstance(sheets, Frames) else None

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

    def cell_at(self, sheet: str | None, row: int | None, column: str | None) -> tuple[int, int] | None:
        """The (row, col) a finding at ``sheet``/``row``/``column`` points at, or None for sheet- and book-level ones:
        the cover's value column B, a data sheet's column by its header (its first column when the name is unknown)."""
        if sheet is None or row is None:
            return None
        if sheet == model.COVER_SHEET:
            return (row, 2)  # label in column A, value in column B
        columns = self.header_columns.get(sheet) or {}
        if not columns:
            return None
        col = columns.get(column) if column else None
        return (row, col if col is not None else min(columns.values()))

    def cell_address(self, sheet: str | None, row: int | None, column: str | None) -> str | None:
        """``E4``: what the clerk types into the Name Box to reach the cell (None when there is no one cell)."""
        where = self.cell_at(sheet, row, column)
        return None if where is None else f"{get_column_letter(where[1])}{where[0]}"

    def enrolment(self, grade: str) -> int:
        v = self.cover.get(f"{grade}在校生数")
        return v if isinstance(v, int) else 0


def empty_frame(sheet: str) -> pd.DataFrame:
    cols = model.SHEETS[sheet].column_names
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols + ["_row"]})
