"""Blank input lists of the household line (SPEC §8.1, §8.6 `baoxue template --kind`), for a township that compiles
its 户籍名单 (or a school its 学籍名单 …) by hand.

Each list is one sheet in the standard layout of ``baoxue.template.add_data_sheet`` — title, note, header in row 3,
text-formatted ID columns, dropdowns from a hidden 代码表 holding only the code lists the sheet uses, date validation,
locked header, printable — built from the sheet's declaration in ``baoxue.model`` alone (nothing restated here).
"""
from __future__ import annotations

from pathlib import Path

from . import model

# `--kind` on the command line -> the list's declaration
LIST_KINDS: dict[str, model.Sheet] = {
    "household": model.HOUSEHOLD_LIST,
    "xueji": model.XUEJI_LIST,
    "elsewhere": model.ELSEWHERE_LIST,
    "key-groups": model.KEY_GROUP_LIST,
}


def code_lists_of(sheet: model.Sheet) -> tuple[str, ...]:
    """The code lists the sheet's dropdowns use, in column order."""
    return tuple(dict.fromkeys(c.codes for c in sheet.columns if c.codes))


def build_list_workbook(kind: str):
    """A blank input list of ``kind`` (a key of ``LIST_KINDS``): an openpyxl Workbook."""
    from openpyxl import Workbook
    from .template import _set_properties, add_data_sheet, ensure_codes_sheet
    sheet = LIST_KINDS[kind]
    wb = Workbook()
    wb.remove(wb.active)
    add_data_sheet(wb, sheet)
    lists = code_lists_of(sheet)
    if lists:
        ensure_codes_sheet(wb, lists)
    wb.active = 0
    _set_properties(wb)
    wb.properties.title = sheet.title
    return wb


def write_list_template(kind: str, path: str | Path) -> Path:
    """Write the blank list atomically (an existing file of the same name is kept as a backup)."""
    from .atomic import atomic_save
    wb = build_list_workbook(kind)
    atomic_save(wb.save, path)
    return Path(path)
