"""A batch: many SchoolBooks' frames concatenated per sheet, so that one pass of each rule serves every book.

Each concatenated frame carries the book's columns plus ``_row`` (Excel row), ``_book`` (position of the book in the
batch), ``_as_of`` (datetime64: the book's month end) and ``_month`` ('YYYY-MM' or None). ``validate`` is a batch of one.
Rules report through ``Batch.hits`` (rows of a frame) or ``Batch.hit`` (one book-level finding); both fill the rule's
message template from the catalogue.
"""
from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any, Iterable

import numpy as np
import pandas as pd

from baoxue import model
from baoxue.book import Invalid, SchoolBook, empty_frame, frame_from_columns
from baoxue import cases, idcard
from baoxue.cases import BOOK_KEY
from baoxue.normalize import SCREEN_NUMBER_RE
from baoxue.findings import Finding
from baoxue.policy import Policy

from . import catalogue

ID_RE = idcard.ID_RE
AS_OF = "_as_of"
MONTH = "_month"
EMPTY = "（空）"
# Columns holding a child's identity number or a person's name: messages show them masked (110101********1234), so a message that is copied
# into a report, a log or an e-mail never carries a full ID; the finding's ``value`` keeps what is in the cell.
def _mask_id(shown: str) -> str:
    """A full ID masked; a number as Excel shows it (``5.30123E+17``: six digits, the area code) is quoted as is."""
    return shown if SCREEN_NUMBER_RE.match(shown) else idcard.mask(shown)


PRIVATE_COLUMNS = {c.name: (_mask_id if c.kind in ("id", "xjh") else idcard.mask_name)
                   for s in (*model.DATA_SHEETS, *model.HOUSEHOLD_SHEETS.values()) for c in s.columns
                   if c.kind in ("id", "xjh", "name")}


def show(v: Any) -> Any:
    """A value as found, for a finding's ``value`` and message: text, or None when empty."""
    if v is None:
        return None
    if isinstance(v, Invalid):
        return v.raw
    if isinstance(v, float):
        if v != v:
            return None
        return str(int(v)) if v.is_integer() else str(v)
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.date().isoformat()
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if v is pd.NaT or v is pd.NA:
        return None
    return str(v)


def _text(v: Any) -> str:
    s = show(v)
    return EMPTY if s is None or s == "" else s


class Batch:
    def __init__(self, books: list[SchoolBook], policy: Policy):
        self.books = books
        self.policy = policy
        self._frames: dict[str, pd.DataFrame] = {}
        self._cache: dict = {}

    # ----------------------------------------------------------------- frames
    def frame(self, sheet: str) -> pd.DataFrame:
        """All books' rows of ``sheet`` with ``_book``, ``_as_of``, ``_month`` (index 0..n-1)."""
        if sheet not in self._frames:
            out = self._frame_from_lists(sheet)
            if out is None:
                parts, which = [], []
                for i, book in enumerate(self.books):
                    df = book.frame(sheet)
                    if len(df):
                        parts.append(df)
                        which.append(i)
                if parts:
                    # concatenate first, then add the three book columns once (not a copy of every book's frame each)
                    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
                    for c, values in self._book_columns(which, [len(df) for df in parts]).items():
                        out[c] = values
                else:
                    out = self._empty(sheet)
            out[AS_OF] = out[AS_OF].astype("datetime64[ns]")
            out[MONTH] = out[MONTH].astype(object)
            out.columns = pd.Index(list(out.columns), dtype=object)   # plain labels: column lookups stay cheap
            self._frames[sheet] = out
        return self._frames[sheet]

    @staticmethod
    def _empty(sheet: str) -> pd.DataFrame:
        out = empty_frame(sheet)
        out[BOOK_KEY] = pd.Series([], dtype="int64")
        out[MONTH] = pd.Series([], dtype=object)
        out[AS_OF] = pd.Series([], dtype="datetime64[ns]")
        out.columns = pd.Index(list(out.columns), dtype=object)
        return out

    def _book_columns(self, which: list[int], sizes: list[int]) -> dict[str, np.ndarray]:
        """``_book``, ``_month``, ``_as_of`` for rows of the books ``which`` (``sizes`` rows each)."""
        position = np.repeat(np.arange(len(which)), sizes)   # row -> its part
        books = [self.books[i] for i in which]
        months = np.array([b.month for b in books], dtype=object)
        ends = np.array([np.datetime64(b.as_of, "ns") if b.as_of else np.datetime64("NaT", "ns") for b in books],
                        dtype="datetime64[ns]")
        return {BOOK_KEY: np.asarray(which, dtype="int64")[position], MONTH: months[position], AS_OF: ends[position]}

    def _frame_from_lists(self, sheet: str) -> pd.DataFrame | None:
        """The batch frame of ``sheet`` built at once from every book's column lists (``SchoolBook.columns``): no
        per-book frame and no concatenation of small frames. None when a book has no lists for it (a frame by now)."""
        if sheet not in model.SHEETS:
            return None
        lists = [book.columns(sheet) for book in self.books]
        if any(cols is None for cols in lists):
            return None
        which = [i for i, cols in enumerate(lists) if cols["_row"]]
        if not which:
            return self._empty(sheet)
        sizes = [len(lists[i]["_row"]) for i in which]
        data: dict[str, list] = {}
        for c in (*model.SHEETS[sheet].column_names, "_row"):
            merged: list = []
            for i in which:
                merged += lists[i][c]
            data[c] = merged
        return frame_from_columns(model.SHEETS[sheet].column_names, data, sum(sizes), self._book_columns(which, sizes))

    # ----------------------------------------------------------------- typed columns (computed once per batch)
    def _memo(self, key, make):
        try:
            return self._cache[key]
        except KeyError:
            value = self._cache[key] = make()
            return value

    def date_matrix(self, sheet: str) -> tuple[list[str], np.ndarray]:
        """Every date column of a sheet typed at once: (column names, rows × columns datetime64[ns], NaT = none)."""
        def make():
            df = self.frame(sheet)
            cols = [c.name for c in model.SHEETS[sheet].columns if c.kind == "date"]
            cells = df[cols].to_numpy(dtype=object).ravel() if len(df) else np.empty(0, dtype=object)
            # dates repeat: hash the cells in C (empty cells get code -1), type each distinct value once
            codes, uniques = pd.factorize(cells, use_na_sentinel=True)
            table = np.fromiter((cases._day(v) for v in uniques), dtype=np.int64, count=len(uniques))
            days = np.append(table, cases._NAT)[codes]
            return cols, days.reshape(len(df), len(cols)).view("datetime64[D]").astype("datetime64[ns]")
        return self._memo(("date_matrix", sheet), make)

    def dates(self, sheet: str, column: str) -> pd.Series:
        """datetime64 view of a date column (NaT for empty / Invalid)."""
        def make():
            if sheet in model.SHEETS and model.SHEETS[sheet].has(column) and model.SHEETS[sheet].col(column).kind == "date":
                cols, matrix = self.date_matrix(sheet)
                return pd.Series(matrix[:, cols.index(column)], index=self.frame(sheet).index)
            return cases.dates(self.frame(sheet)[column])
        return self._memo(("dates", sheet, column), make)

    def texts(self, sheet: str, column: str) -> pd.Series:
        return self._memo(("texts", sheet, column), lambda: cases.texts(self.frame(sheet)[column]))

    def numbers(self, sheet: str, column: str) -> pd.Series:
        return self._memo(("numbers", sheet, column), lambda: cases.numbers(self.frame(sheet)[column]))

    def filled(self, sheet: str, column: str) -> pd.Series:
        return self._memo(("filled", sheet, column), lambda: cases.filled(self.frame(sheet)[column]))

    def ids(self, sheet: str) -> tuple[pd.Series, pd.Series, pd.Series]:
        """(ID text, well-formed (17 digits + digit/X), birth date from digits 7–14 as datetime64) of a sheet."""
        def make():
            ids = self.texts(sheet, "身份证号")
            well = pd.Series(np.array([v is not None and ID_RE.match(v) is not None for v in ids.tolist()], dtype=bool),
                             index=ids.index)
            days = np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[D]")
            mask = well.to_numpy()
            if mask.any():
                days[mask] = id_birth_days([v for v, ok in zip(ids.tolist(), mask.tolist()) if ok])
            return ids, well, pd.Series(days.astype("datetime64[ns]"), index=ids.index)
        return self._memo(("ids", sheet), make)

    def expected_check_digits(self, sheet: str) -> pd.Series:
        """The GB 11643 check digit computed from the first 17 digits of every well-formed ID (vectorized)."""
        def make():
            ids, well, _ = self.ids(sheet)
            good = ids[well]
            if good.empty:
                return pd.Series([], dtype=object)
            digits = np.frombuffer("".join(v[:17] for v in good.tolist()).encode("ascii"), dtype=np.uint8)
            sums = ((digits.reshape(-1, 17).astype(np.int64) - 48) @ np.array(idcard.WEIGHTS)) % 11
            chars = np.array(list(idcard.CHECK_CHARS), dtype=object)[sums]
            return pd.Series(chars, index=good.index, dtype=object)
        return self._memo(("check", sheet), make)

    @cached_property
    def missing_sheets(self) -> list[set[str]]:
        return [set(b.missing_sheets) for b in self.books]

    def lacks(self, sheet: str) -> pd.Series:
        """Per book index: True where the book has no such sheet (rules that need it skip that book)."""
        return pd.Series([sheet in m for m in self.missing_sheets], dtype=bool)

    def books_lacking(self, sheet: str) -> set[int]:
        return {i for i, m in enumerate(self.missing_sheets) if sheet in m}

    @staticmethod
    def sheets_with(*columns: str) -> list[model.Sheet]:
        """The data sheets holding every one of ``columns`` (SPEC §4: rules apply wherever their columns are)."""
        return [s for s in model.DATA_SHEETS if all(s.has(c) for c in columns)]

    # ----------------------------------------------------------------- findings
    def hits(self, rule: str, sheet: str, df: pd.DataFrame, column: str | None, value: Any = None,
             severity: str | None = None, **fields: Any) -> list[tuple[int, Finding]]:
        """One finding per row of ``df`` (a subset of ``frame(sheet)``). ``value`` defaults to ``df[column]``; any field
        may be a Series aligned with ``df`` (a value per row) or a scalar."""
        if isinstance(df, pd.Series):      # a bool mask over (part of) frame(sheet): select only what is needed
            mask = df.fillna(False).astype(bool) if df.dtype != bool else df
            if not mask.any():
                return []
            df = self.frame(sheet).loc[mask.index[mask.to_numpy()]]
        if len(df) == 0:
            return []
        if value is None:
            value = df[column] if column in df.columns else None
        values = _per_row(value, df)
        per_row = {k: _per_row(v, df) for k, v in fields.items()}
        sev = severity or catalogue.severity(rule)
        private = PRIVATE_COLUMNS.get(column)   # IDs and names are masked inside messages (``value`` keeps them)
        template = catalogue.info(rule).message
        out = []
        for k, (book, row) in enumerate(zip(df[BOOK_KEY].tolist(), df["_row"].tolist())):
            shown = show(values[k])
            msg_fields = {name: _text(vals[k]) for name, vals in per_row.items()}
            msg_fields.setdefault("column", column or "")
            msg_fields.setdefault("sheet", sheet)
            msg_fields["value"] = EMPTY if shown in (None, "") else (private(shown) if private else shown)
            cell = self.books[int(book)].cell_address(sheet, int(row), column)
            out.append((int(book), Finding(rule, sev, sheet, int(row), column, shown,
                                           template.format_map(catalogue._Blank(msg_fields)), cell=cell)))
        return out

    def hit(self, book: int, rule: str, sheet: str | None, row: int | None, column: str | None, value: Any = None,
            severity: str | None = None, cell: str | None = None, **fields: Any) -> tuple[int, Finding]:
        """One book-level finding; ``cell`` where the caller knows the address (else from sheet, row and column)."""
        shown = show(value)
        fields = {k: _text(v) if not isinstance(v, str) else v for k, v in fields.items()}
        fields.setdefault("column", column or "")
        fields.setdefault("sheet", sheet or "")
        fields["value"] = EMPTY if shown in (None, "") else shown   # book-level: cover values, never an ID
        cell = cell or self.books[book].cell_address(sheet, row, column)
        return book, Finding(rule, severity or catalogue.severity(rule), sheet, row, column, shown,
                             catalogue.message(rule, **fields), cell=cell)


def id_birth_days(ids: list[str]) -> np.ndarray:
    """The birth dates (digits 7–14) of well-formed IDs as datetime64[D], NaT where they are not a real date
    (vectorised: one byte array for all IDs instead of a ``datetime.date`` per ID)."""
    d = np.frombuffer("".join(v[6:14] for v in ids).encode("ascii"), dtype=np.uint8).reshape(-1, 8).astype(np.int64) - 48
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month = d[:, 4] * 10 + d[:, 5]
    day = d[:, 6] * 10 + d[:, 7]
    ok = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    first = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
    length = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)
    ok &= day <= length
    out = first.astype("datetime64[D]") + (day - 1)
    out[~ok] = np.datetime64("NaT")
    return out


def _per_row(value: Any, df: pd.DataFrame) -> list:
    if isinstance(value, pd.Series):
        return value.reindex(df.index).tolist()
    if isinstance(value, (list, tuple)) and len(value) == len(df):
        return list(value)
    return [value] * len(df)


def chain(*iterables: Iterable) -> list:
    out: list = []
    for it in iterables:
        out.extend(it)
    return out
