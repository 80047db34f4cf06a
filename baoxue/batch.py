"""A batch: many SchoolBooks' frames concatenated per sheet, so that one pass of each rule (and of the indicators)
serves every book.

Each concatenated frame carries the book's columns plus ``_row`` (Excel row), ``_book`` (position of the book in the
batch), ``_as_of`` (datetime64: the book's month end) and ``_month`` ('YYYY-MM' or None). ``validate`` is a batch of one.
Typed views of a column (dates, numbers, texts, IDs) are computed once per batch. The validators' subclass
(``baoxue.validators.hits.RuleBatch``) adds the findings; this module knows nothing of the rule catalogue.

The typed-value helpers (``dates``, ``numbers``, ``texts``, ``present``, ``filled``) take one column of typed values as
the reader makes them (``datetime.date``, ``str``, numbers, ``None`` or ``Invalid``); an ``Invalid`` counts as missing.
"""
from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from . import idcard, model
from .book import SchoolBook, empty_frame, frame_from_columns
from .normalize import Invalid
from .policy import Policy

ID_RE = idcard.ID_RE
BOOK_KEY = "_book"   # batch column: which book a row belongs to
AS_OF = "_as_of"
MONTH = "_month"


# ---------------------------------------------------------------------------------------------- typed values
_DATE_TYPES = (dt.date, dt.datetime)


def column_values(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=object, na_value=None) if len(series) else np.empty(0, dtype=object)


_EPOCH = dt.date(1970, 1, 1).toordinal()
_NAT = np.iinfo(np.int64).min   # the bit pattern of NaT


def _day(v: Any) -> int:
    c = v.__class__
    if c is dt.date:
        return v.toordinal() - _EPOCH
    if c is dt.datetime:
        return v.date().toordinal() - _EPOCH
    return _NAT


def dates(series: pd.Series) -> pd.Series:
    """datetime64 Series: the ``datetime.date`` values, NaT for empty / Invalid / anything else."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.astype("datetime64[ns]")
    seen: dict = {}
    days = np.array([seen[v] if v in seen else seen.setdefault(v, _day(v)) for v in column_values(series)],
                    dtype="int64").view("datetime64[D]")
    return pd.Series(days.astype("datetime64[ns]"), index=series.index)


def numbers(series: pd.Series) -> pd.Series:
    """float Series: int/float values, NaN for empty / Invalid / booleans / text."""
    kept = [float(v) if v.__class__ in (int, float) else np.nan for v in column_values(series)]
    return pd.Series(np.array(kept, dtype="float64"), index=series.index)


def texts(series: pd.Series) -> pd.Series:
    """object Series: the non-empty ``str`` values, None elsewhere (Invalid counts as missing)."""
    kept = np.array([v if v.__class__ is str and v else None for v in column_values(series)], dtype=object)
    return pd.Series(kept, index=series.index, dtype=object)


def present(series: pd.Series) -> pd.Series:
    """Bool per row: a usable (typed, non-empty) value."""
    return pd.Series(np.array([_present(v) for v in column_values(series)], dtype=bool), index=series.index)


def filled(series: pd.Series) -> pd.Series:
    """Bool per row: something was typed (an untypable ``Invalid`` value counts, unlike ``present``)."""
    kept = [v is not None and not (v.__class__ is str and not v.strip()) and not (v.__class__ is float and v != v)
            for v in column_values(series)]
    return pd.Series(np.array(kept, dtype=bool), index=series.index)


def _present(v: Any) -> bool:
    if v is None or v.__class__ is Invalid:
        return False
    if v.__class__ is str:
        return bool(v.strip())
    if v.__class__ is float:
        return v == v
    return v is not pd.NA and v is not pd.NaT


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
            table = np.fromiter((_day(v) for v in uniques), dtype=np.int64, count=len(uniques))
            days = np.append(table, _NAT)[codes]
            return cols, days.reshape(len(df), len(cols)).view("datetime64[D]").astype("datetime64[ns]")
        return self._memo(("date_matrix", sheet), make)

    def dates(self, sheet: str, column: str) -> pd.Series:
        """datetime64 view of a date column (NaT for empty / Invalid)."""
        def make():
            if sheet in model.SHEETS and model.SHEETS[sheet].has(column) and model.SHEETS[sheet].col(column).kind == "date":
                cols, matrix = self.date_matrix(sheet)
                return pd.Series(matrix[:, cols.index(column)], index=self.frame(sheet).index)
            return dates(self.frame(sheet)[column])
        return self._memo(("dates", sheet, column), make)

    def texts(self, sheet: str, column: str) -> pd.Series:
        return self._memo(("texts", sheet, column), lambda: texts(self.frame(sheet)[column]))

    def numbers(self, sheet: str, column: str) -> pd.Series:
        return self._memo(("numbers", sheet, column), lambda: numbers(self.frame(sheet)[column]))

    def filled(self, sheet: str, column: str) -> pd.Series:
        return self._memo(("filled", sheet, column), lambda: filled(self.frame(sheet)[column]))

    def ids(self, sheet: str) -> tuple[pd.Series, pd.Series, pd.Series]:
        """(ID text, well-formed (17 digits + digit/X), birth date from digits 7–14 as datetime64) of a sheet."""
        def make():
            ids = self.texts(sheet, "身份证号")
            mask, digits = id_digits(ids.tolist())
            self._cache[("id_digits", sheet)] = digits
            days = np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[D]")
            if mask.any():
                days[mask] = _birth_days(digits[:, 6:14].astype(np.int64))
            return ids, pd.Series(mask, index=ids.index), pd.Series(_as_ns(days), index=ids.index)
        return self._memo(("ids", sheet), make)

    def id_digit_matrix(self, sheet: str) -> np.ndarray:
        """The 18 characters of every well-formed ID of a sheet as digits (``id_digits``), in row order."""
        self.ids(sheet)
        return self._cache[("id_digits", sheet)]

    def _check_sums(self, sheet: str) -> np.ndarray:
        """GB 11643's weighted sum mod 11 of the first 17 digits of every well-formed ID, in row order."""
        def make():
            digits = self.id_digit_matrix(sheet)
            return (digits[:, :17].astype(np.int64) @ np.array(idcard.WEIGHTS)) % 11
        return self._memo(("check_sums", sheet), make)

    def check_digit_ok(self, sheet: str) -> np.ndarray:
        """Per well-formed ID (in row order): its 18th character is the check digit of the first 17 (F005)."""
        def make():
            last = self.id_digit_matrix(sheet)[:, 17]
            return last == _CHECK_CODES[self._check_sums(sheet)]
        return self._memo(("check_ok", sheet), make)

    def expected_check_digits(self, sheet: str) -> pd.Series:
        """The GB 11643 check digit computed from the first 17 digits of every well-formed ID (vectorized)."""
        def make():
            ids, well, _ = self.ids(sheet)
            good = ids[well]
            if good.empty:
                return pd.Series([], dtype=object)
            chars = np.array(list(idcard.CHECK_CHARS), dtype=object)[self._check_sums(sheet)]
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


_X = ord("X") - ord("0")
_CHECK_CODES = np.array([_X if c == "X" else int(c) for c in idcard.CHECK_CHARS], dtype=np.uint32)


def id_digits(ids: list) -> tuple[np.ndarray, np.ndarray]:
    """Per value of ``ids`` (``str`` or None): whether it is well formed (``ID_RE``: 17 ASCII digits, then a digit or
    X), and the 18 characters of the well-formed ones as digits — an (n well-formed, 18) uint32 array, X as
    ``ord("X") - ord("0")``. At C speed: the values as one fixed-width array of code points, no regex per value."""
    n = len(ids)
    texts = [v if v.__class__ is str else "" for v in ids]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    digits = np.array(texts, dtype="U18").view(np.uint32).reshape(n, 18) - np.uint32(48)   # below "0": wraps, > 9
    number = digits <= 9
    well = (lengths == 18) & number[:, :17].all(axis=1) & (number[:, 17] | (digits[:, 17] == _X))
    for i in np.flatnonzero(lengths == 19).tolist():   # "…\n": ID_RE's $ also matches before a final newline
        well[i] = ID_RE.match(texts[i]) is not None
    return well, digits[well]


def id_birth_days(ids: list[str]) -> np.ndarray:
    """The birth dates (digits 7–14) of well-formed IDs as datetime64[D], NaT where they are not a real date
    (vectorised: one byte array for all IDs instead of a ``datetime.date`` per ID)."""
    d = np.frombuffer("".join(v[6:14] for v in ids).encode("ascii"), dtype=np.uint8).reshape(-1, 8).astype(np.int64) - 48
    return _birth_days(d)


_NS_FIRST = np.datetime64(pd.Timestamp.min.ceil("D").date(), "D")
_NS_LAST = np.datetime64(pd.Timestamp.max.floor("D").date(), "D")


def _as_ns(days: np.ndarray) -> np.ndarray:
    """datetime64[D] → datetime64[ns], a date outside its years (1677–2262, e.g. an ID born in 9010) held at the
    nearest end instead of wrapping round to some date in between: it stays later (or earlier) than every as-of date,
    as the real date is, so F006's "晚于报送月末" and the ages see it as ``idcard`` does."""
    known = ~np.isnat(days)
    days = days.copy()
    days[known & (days > _NS_LAST)] = _NS_LAST
    days[known & (days < _NS_FIRST)] = _NS_FIRST
    return days.astype("datetime64[ns]")


def _birth_days(d: np.ndarray) -> np.ndarray:
    """``id_birth_days`` from the eight digits of each ID (an (n, 8) int64 array)."""
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
