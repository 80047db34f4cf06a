"""Writing one value into an openpyxl cell — the one text-cell writer: a ``str`` is always stored as text (never a
formula, even when it starts with = + - @), a date gets the date format where the cell has none. The template, the
update's edits, the fill of generated workbooks and the notebook's exports all write through ``write``.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from . import normalize

TEXT_FORMAT = "@"
DATE_FORMAT = "yyyy-mm-dd"


def write(cell, value: Any, number_format: str | None = None) -> None:
    """Put ``value`` in ``cell``; ``number_format`` (or the date format, for a date) applies where the cell's format
    is General."""
    if isinstance(value, str):
        cell.value = normalize.excel_escaped(value)   # a control character (read from _x0007_) goes back as _x0007_
        cell.data_type = "s"
        return
    cell.value = value
    if number_format is None and isinstance(value, (dt.date, dt.datetime)):
        if cell.number_format == "General":
            cell.number_format = DATE_FORMAT
    elif number_format and cell.number_format == "General":
        cell.number_format = number_format
