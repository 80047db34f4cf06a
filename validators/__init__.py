"""baoxue.validators — the rule catalogue of SPEC §4 (S, F, A, D, C, T, P, X) run over SchoolBooks.

- ``validate(book, policy) -> list[Finding]``                one workbook (a batch of one)
- ``validate_file(path, policy) -> (book | None, findings)``   unreadable → one S005 finding, never a traceback
- ``validate_books(books, policy, batch=None) -> list[list[Finding]]``  the roll-up: one pass of each rule over all books

Rules are registered with ``@rule("ID")`` in ``rules_*.py``; their words live in ``catalogue.py``.
"""
from __future__ import annotations

from pathlib import Path

from baoxue import model
from baoxue.batch import Batch
from baoxue.book import SchoolBook, UnreadableWorkbook
from baoxue.findings import Finding
from baoxue.policy import Policy
from baoxue.reader import read_workbook

from . import catalogue
from . import (rules_age, rules_cases, rules_cross, rules_dates, rules_format,  # noqa: F401  (registration)
               rules_home, rules_persuasion, rules_structure)
from .catalogue import CHECKS, RULES, info, rule
from .hits import RuleBatch

__all__ = ["validate", "validate_file", "validate_books", "unreadable_finding", "RULES", "CHECKS", "info", "rule"]


_SHEET_ORDER = {name: i for i, name in enumerate(model.ALL_SHEETS)}
_COLUMN_ORDER = {(s.name, c): j for s in model.DATA_SHEETS for j, c in enumerate(s.column_names)}
_COLUMN_ORDER.update({(model.COVER_SHEET, f.label): j for j, f in enumerate(model.COVER_FIELDS)})


def sort_key(f: Finding):
    """Sheet order (workbook-level first), Excel row (sheet-level first), column order in the sheet, rule."""
    return (_SHEET_ORDER.get(f.sheet, -1 if f.sheet is None else 99), f.row or 0,
            _COLUMN_ORDER.get((f.sheet, f.column), -1 if f.column is None else 999), f.column or "", f.rule)


def _checks():
    seen, out = set(), []
    for fns in CHECKS.values():
        for fn in fns:
            if fn not in seen:
                seen.add(fn)
                out.append(fn)
    return out


def validate_books(books: list[SchoolBook], policy: Policy, batch: Batch | None = None) -> list[list[Finding]]:
    """Findings per book (same order as ``books``), each list sorted by sheet order, row, column. ``policy``: the
    county's, loaded at the edge (``load_policy``; ``policy.DEFAULT`` where a county has none). ``batch``: a ``Batch``
    over these books to run the rules on (the roll-up shares it with ``indicators.batch_indicators``)."""
    if batch is None:
        batch = RuleBatch(list(books), policy)
    else:
        batch = RuleBatch.over(batch)
    per_book: list[list[Finding]] = [[] for _ in books]
    for check in _checks():
        for i, finding in check(batch):
            per_book[i].append(finding)
    for i, book in enumerate(books):
        hidden = {(s, c) for s, cols in book.missing_columns.items() for c in cols}
        kept = [f for f in per_book[i] if f.rule == "S002" or f.row is None or (f.sheet, f.column) not in hidden]
        per_book[i] = sorted(kept, key=sort_key)
    return per_book


def validate(book: SchoolBook, policy: Policy) -> list[Finding]:
    return validate_books([book], policy)[0]


def unreadable_finding(reason: UnreadableWorkbook | str, *, sheet: str | None = None, file: str | None = None
                       ) -> Finding:
    """S005: a file (or a list's sheet) that cannot be read or checked — the one constructor; severity and words from
    the catalogue. ``reason`` is the Chinese reason (an ``UnreadableWorkbook``'s message, or text)."""
    text = reason.message if isinstance(reason, UnreadableWorkbook) else str(reason)
    return Finding("S005", catalogue.severity("S005"), sheet, None, None, None, catalogue.message("S005", reason=text),
                   file=file)


def validate_file(path: str | Path, policy: Policy) -> tuple[SchoolBook | None, list[Finding]]:
    """Read and validate one file. An unreadable file gives ``(None, [S005])``."""
    try:
        book = read_workbook(path)
    except UnreadableWorkbook as e:
        return None, [unreadable_finding(e)]
    return book, validate(book, policy)
