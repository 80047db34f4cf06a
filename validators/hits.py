"""The validators' batch: ``RuleBatch`` is the core ``Batch`` plus the findings rules report through — ``hits``
(rows of a frame) or ``hit`` (one book-level finding). Both fill the rule's message template from the catalogue.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

import pandas as pd

from baoxue import idcard, model
from baoxue.batch import BOOK_KEY, Batch
from baoxue.findings import Finding
from baoxue.normalize import SCREEN_NUMBER_RE, Invalid

from . import catalogue

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


class RuleBatch(Batch):
    """A ``Batch`` the rules report findings on (``validate_books`` makes one, or wraps the roll-up's ``Batch``)."""

    @classmethod
    def over(cls, batch: Batch) -> "RuleBatch":
        """The same books, frames and typed columns as ``batch`` (shared, not recomputed)."""
        if isinstance(batch, cls):
            return batch
        out = cls.__new__(cls)
        out.__dict__ = batch.__dict__
        return out

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
        cell = cell or self.books[book].cell_address(sheet, row, column)
        shown = show(value)
        fields = {k: _text(v) if not isinstance(v, str) else v for k, v in fields.items()}
        fields.setdefault("column", column or "")
        fields.setdefault("sheet", sheet or "")
        fields["value"] = EMPTY if shown in (None, "") else shown   # book-level: cover values, never an ID
        return book, Finding(rule, severity or catalogue.severity(rule), sheet, row, column, shown,
                             catalogue.message(rule, **fields), cell=cell)


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
