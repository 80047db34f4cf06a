"""Report months and school years: the one home of the calendar arithmetic (SPEC §1, §3).

A report month is 'YYYY-MM'; its as-of date is its last day. A school year runs September–August: the months
2026-09 … 2027-08 are the school year 2026, which starts on 1 September 2026; ages for school entry are counted
on 31 August before it (the age cut-off).
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def valid_month(month: Any) -> bool:
    """'YYYY-MM' with a real month (01–12)."""
    return isinstance(month, str) and bool(MONTH_RE.match(month))


def _parts(month: str) -> tuple[int, int]:
    y, m = (int(p) for p in month.split("-"))
    return y, m


def month_start(month: str) -> dt.date:
    y, m = _parts(month)
    return dt.date(y, m, 1)


@lru_cache(maxsize=1024)   # every book's as-of date, asked for by many rules: a county has a handful of months
def month_end(month: str) -> dt.date:
    """The as-of date of a report month: its last day."""
    y, m = _parts(month)
    first_next = dt.date(y + (m == 12), m % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def next_month(month: str) -> str:
    y, m = _parts(month)
    return f"{y + (m == 12):04d}-{m % 12 + 1:02d}"


def prev_month(month: str) -> str:
    y, m = _parts(month)
    return f"{y - (m == 1):04d}-{(m - 2) % 12 + 1:02d}"


def school_year(day: dt.date) -> int:
    """The school year holding ``day``: its September's calendar year (Sep–Dec → this year, Jan–Aug → last year)."""
    return day.year - (day.month < 9)


def school_year_of(month: str) -> int:
    """The school year a report month belongs to."""
    return school_year(month_start(month))


def school_year_start(month: str) -> dt.date:
    """1 September of the school year the month belongs to."""
    return dt.date(school_year_of(month), 9, 1)


def age_cutoff(day: dt.date) -> dt.date:
    """31 August before the school year holding ``day``: the date ages for school entry are counted on (SPEC §3)."""
    return dt.date(school_year(day), 8, 31)
