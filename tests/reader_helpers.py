"""Helpers for the reader tests: a minimal standard workbook written with openpyxl."""
from __future__ import annotations

from pathlib import Path

import openpyxl

from baoxue import model


def make_book(path: Path, dropout_rows: list[dict], *, header_row: int = 3, reverse: bool = False,
              header_text=lambda n: n, cover: dict | None = None, extra_sheets=(), suffix_rows=(),
              extra_columns=()) -> Path:
    """A minimal standard workbook written with openpyxl: every sheet, header at ``header_row`` (the sheet's title in
    A1 above it; ``header_row=1``: the header alone, as another tool saves it), ``extra_columns`` after the standard
    ones."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("封面")
    cover = {"学校标识码": "4401010001", "报送月份": "2026-09", **(cover or {})}
    for i, f in enumerate(model.COVER_FIELDS, 1):
        ws.cell(i, 1, f.label)
        if f.label in cover:
            ws.cell(i, 2, cover[f.label])
    for sheet in model.DATA_SHEETS:
        ws = wb.create_sheet(sheet.name)
        ws.cell(1, 1, sheet.title)
        cols = (list(reversed(sheet.column_names)) if reverse else sheet.column_names) + list(extra_columns)
        for j, name in enumerate(cols, 1):
            ws.cell(header_row, j, header_text(name))
        if sheet.name == "辍学":
            r = header_row + 1
            for row in dropout_rows:
                if row is None:  # a blank row in the middle
                    r += 1
                    continue
                for j, name in enumerate(cols, 1):
                    if name in row:
                        ws.cell(r, j, row[name])
                r += 1
    for name in extra_sheets:
        wb.create_sheet(name)
    wb.save(path)
    return path
