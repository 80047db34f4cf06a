"""Grid: a workbook as a spreadsheet client gives it — raw cell values per sheet, which cells hold formulas, the
custom document properties. Both sources (a file via python-calamine, a live Excel book via xlwings) produce a Grid;
``reader.parse_grid`` turns either into a SchoolBook, so the add-in and the CLI can never disagree."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# kinds of ActiveContent, and the rule that reports each (F013 errors, S006 errors, S007 warnings)
ACTIVE_RULES = {"formula": "F013", "defined_name": "S006", "external_link": "S006", "connection": "S006", "dde": "S006",
                "macro": "S006", "local_link": "S006", "web_link": "S007", "embedded": "S007"}


@dataclass(frozen=True)
class ActiveContent:
    """Something in a workbook file that can compute, fetch or run rather than just hold a value: a formula cell, a
    defined name, an external link or data connection, DDE, a macro, a hyperlink, an embedded object."""
    kind: str                  # a key of ACTIVE_RULES
    sheet: str | None          # the workbook's sheet name (None for the workbook as a whole)
    row: int | None            # 1-based Excel row and column of the cell it sits on, when it sits on one
    col: int | None
    text: str                  # the formula, the link target, the name's definition or the part's name
    canonical: str | None = None   # the model sheet ``sheet`` was read as (when it is the one read)


@dataclass
class Grid:
    sheets: dict[str, list[list[Any]]] = field(default_factory=dict)   # canonical sheet name -> rows from Excel
    #                                                                    row 1, cells from column A (None or "" = empty)
    formulas: dict[str, set[tuple[int, int]]] = field(default_factory=dict)  # sheet -> {(row, col)} 1-based
    properties: dict[str, str] = field(default_factory=dict)           # custom document properties
    hidden: set[str] = field(default_factory=set)                      # hidden sheet names
    sheet_names: list[str] = field(default_factory=list)               # every sheet of the workbook, in order
    path: str | None = None
    active: list[ActiveContent] = field(default_factory=list)          # from a file: every formula cell on every
    #                                                                    sheet, links, names, macros (xlsx_scan)
