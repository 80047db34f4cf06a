"""Grid: a workbook as a spreadsheet client gives it — raw cell values per sheet, which cells hold formulas, the
custom document properties. Both sources (a file via python-calamine, a live Excel book via xlwings) produce a Grid;
``reader.parse_grid`` turns either into a SchoolBook, so the add-in and the CLI can never disagree."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Grid:
    sheets: dict[str, list[list[Any]]] = field(default_factory=dict)   # canonical sheet name -> rows from Excel
    #                                                                    row 1, cells from column A (None or "" = empty)
    formulas: dict[str, set[tuple[int, int]]] = field(default_factory=dict)  # sheet -> {(row, col)} 1-based
    properties: dict[str, str] = field(default_factory=dict)           # custom document properties
    hidden: set[str] = field(default_factory=set)                      # hidden sheet names
    sheet_names: list[str] = field(default_factory=list)               # every sheet of the workbook, in order
    path: str | None = None
