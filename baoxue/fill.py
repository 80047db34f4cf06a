"""Fill the standard template with a cover and data rows, the way a clerk would have typed them.

Used by the demo county, the tests, `next-month` and the add-in tests. Values are written as given:
- ``str`` always as text (IDs, 学籍号, phone numbers keep every digit; text starting with = + - @ never becomes a formula);
- ``datetime.date`` as a date cell with a date format; ``int`` / ``float`` as numbers; ``None`` leaves the cell empty;
- anything else is written as its text.
Every data cell written is unlocked (the template's input area), so sheet protection never blocks the clerk.
"""
from __future__ import annotations

import datetime as dt
from copy import copy
from pathlib import Path
from typing import Any, Iterable, Mapping

from openpyxl.cell.cell import Cell
from openpyxl.styles import Protection

from . import model, template
from .atomic import atomic_save


class FillError(ValueError):
    """Rows name a sheet or column the model does not know (a programming error in the caller)."""


def _style_prototypes(ws, sheet: model.Sheet) -> dict[str, Any]:
    """One StyleArray per column (unlocked; text, date or general format), built once and copied to each cell."""
    protos = {}
    scratch_row = template.LAST_INPUT_ROW + 10
    for j, column in enumerate(sheet.columns, start=1):
        cell = Cell(ws, row=scratch_row, column=j)
        if column.is_text_format:
            cell.number_format = template.TEXT_FORMAT
        elif column.kind == "date":
            cell.number_format = template.DATE_FORMAT
        cell.protection = Protection(locked=False)
        if column.computed:
            cell.fill = copy(template.COMPUTED_FILL)
        protos[column.name] = cell._style
    return protos


def _date_style(ws) -> Any:
    cell = Cell(ws, row=1, column=1)
    cell.number_format = template.DATE_FORMAT
    cell.protection = Protection(locked=False)
    return cell._style


def _typed(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, (str, int, float, dt.date)) or value is None:
        return value
    return str(value)


def fill_rows(ws, sheet: model.Sheet, rows: Iterable[Mapping[str, Any]], first_row: int = template.FIRST_INPUT_ROW) -> int:
    """Write ``rows`` (dicts keyed by canonical column names) under the sheet's header; returns the rows written."""
    columns = {c.name: j for j, c in enumerate(sheet.columns, start=1)}
    protos = _style_prototypes(ws, sheet)
    date_style = None
    cells = ws._cells
    n = 0
    for i, row in enumerate(rows):
        r = first_row + i
        n += 1
        for name, value in row.items():
            if value is None:
                continue
            j = columns.get(name)
            if j is None:
                raise FillError(f"sheet {sheet.name} has no column {name!r}")
            value = _typed(value)
            cell = Cell(ws, row=r, column=j, style_array=copy(protos[name]))
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
            elif isinstance(value, dt.date) and not sheet.col(name).kind == "date":
                if date_style is None:
                    date_style = _date_style(ws)
                cell._style = copy(date_style)
            cells[(r, j)] = cell
    return n


def fill_cover(ws, cover: Mapping[str, Any]) -> None:
    for label, value in cover.items():
        if label not in model.COVER:
            raise FillError(f"unknown cover field {label!r}")
        cell = ws.cell(template.cover_row(label), 2)
        if value is None:
            cell.value = None
            continue
        template.set_text_safe(cell, _typed(value))


def fill_workbook(wb, cover: Mapping[str, Any] | None, rows: Mapping[str, Iterable[Mapping[str, Any]]] | None) -> None:
    """Fill a workbook built by ``template.build_school_workbook`` (cover values, then data rows per sheet)."""
    if cover:
        fill_cover(wb[model.COVER_SHEET], cover)
    for sheet_name, sheet_rows in (rows or {}).items():
        if sheet_name not in model.SHEETS:
            raise FillError(f"unknown data sheet {sheet_name!r}")
        fill_rows(wb[sheet_name], model.SHEETS[sheet_name], sheet_rows)


def write_school_workbook(path: str | Path, cover: Mapping[str, Any] | None,
                          rows: Mapping[str, Iterable[Mapping[str, Any]]] | None, policy=None,
                          backup: bool = True) -> Path:
    """Build the standard template, fill it and save it atomically (an existing file is backed up first)."""
    wb = template.build_school_workbook(policy=policy)
    fill_workbook(wb, cover, rows)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_save(wb.save, path, backup=backup)
    return path
