"""Reading the household line's input lists (SPEC §8.1) with the school books' reader (``reader.read_list``): header
by name within the first 10 rows on the first sheet that has it, aliases, §2.9 normalisation, Excel row numbers.

A required input (the 户籍名单 files, the 学籍名单, and the optional lists the officer named) that cannot be read, or
lacks a required column, raises ``InputError`` with a Chinese message: the match would otherwise be wrong without
saying so. A returned 核查清单 that cannot be read is one finding (S005 / S002) and the others are still used.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd

from .. import model
from ..book import SchoolBook, UnreadableWorkbook
from ..findings import Finding
from ..paths import file_problem, folder_problem
from ..reader import read_list
from ..validators import catalogue, unreadable_finding


class InputError(Exception):
    """A required input is unreadable or lacks a required column; the message is Chinese (the CLI exits 2)."""


@dataclass
class ListFile:
    """One list file as read: its typed frame (the model sheet's columns + ``_row``), the book the reader made (for the
    validators' batch) and the name findings carry (``file``)."""
    path: Path
    file: str
    sheet: model.Sheet
    book: SchoolBook
    sheet_read: str | None

    @property
    def frame(self) -> pd.DataFrame:
        return self.book.sheets[self.sheet.name]

    @property
    def missing_required(self) -> list[str]:
        return [c for c in self.sheet.required_columns if c in self.book.missing_columns.get(self.sheet.name, ())]


LABELS = {model.HOUSEHOLD_LIST.name: "户籍名单", model.XUEJI_LIST.name: "学籍名单",
          model.ELSEWHERE_LIST.name: "异地就读名单", model.KEY_GROUP_LIST.name: "重点人群名单",
          model.CHECKLIST.name: "核查清单"}
# what to do about an unreadable file, by who sends it (SPEC §8.1: the lists are exports of a department's system, the
# 核查清单 comes back from a township); the reader's own advice addresses a school
EXPORTED_AGAIN = "请让导出该名单的部门重新导出并发送。"
RESEND_ADVICE = {model.HOUSEHOLD_LIST.name: EXPORTED_AGAIN, model.XUEJI_LIST.name: EXPORTED_AGAIN,
                 model.ELSEWHERE_LIST.name: EXPORTED_AGAIN, model.KEY_GROUP_LIST.name: EXPORTED_AGAIN,
                 model.CHECKLIST.name: "请让该乡镇在 Excel 或 WPS 中打开后重新保存并发送。"}


def _missing_message(lf: ListFile) -> str:
    sheet = lf.sheet
    parts = []
    for name in lf.missing_required:
        aliases = sheet.col(name).aliases
        parts.append(f"“{name}”" + (f"（也接受：{'、'.join(aliases)}）" if aliases else ""))
    where = (f"工作表“{lf.sheet_read}”" if lf.sheet_read else "任何工作表的前10行中都")
    return (f"{LABELS[sheet.name]}“{lf.path.name}”缺少必需的列：{'、'.join(parts)}。{where}找不到该列标题。"
            f"请补上该列（列标题写在前10行内）后重新运行；必需的列为：{'、'.join(sheet.required_columns)}。")


def load(path: str | Path, sheet: model.Sheet, month: str, file: str | None = None) -> ListFile:
    """Read one list. Raises ``UnreadableWorkbook`` (→ S005). ``month``: the report month, whose end is the as-of date
    of the ID checks (F006: a birth date after it)."""
    path = Path(path)
    try:
        book, sheet_read = read_list(path, sheet)
    except UnreadableWorkbook as e:
        raise e.readdressed(RESEND_ADVICE[sheet.name]) from None
    book.cover["报送月份"] = month
    return ListFile(path, file or str(path), sheet, book, sheet_read)


def path_problem(household: Sequence[Path], xueji: Path, inbox: Path, register: Path, elsewhere: Sequence[Path] = (),
                 key_groups: Sequence[Path] = (), returns: Sequence[Path] = (), store: Sequence[Path] = ()) -> str | None:
    """The first input of a match that is not there or is of the wrong kind (a folder for a list, a file for a
    folder), in Chinese, before anything is read; None when every path is usable. A store that does not exist yet is
    made by the match."""
    problems = [*(file_problem(p, "户籍名单") for p in household), file_problem(xueji, "学籍名单"),
                folder_problem(inbox, "收件夹"), file_problem(register, "学校名录"),
                *(file_problem(p, "异地就读名单") for p in elsewhere),
                *(file_problem(p, "重点人群名单") for p in key_groups),
                *(folder_problem(p, "核查清单返回文件夹") for p in returns),
                *(folder_problem(p, "历史库", "请另填一个文件夹（留空：收件夹旁的 baoxue-store）。")
                  for p in store if p.exists())]
    return next((p for p in problems if p), None)


def load_required(path: str | Path, sheet: model.Sheet, month: str) -> ListFile:
    """Read a list the match needs: ``InputError`` (Chinese, with the file) when unreadable or a required column is
    missing."""
    path = Path(path)
    label = LABELS[sheet.name]
    problem = file_problem(path, label)
    if problem:
        raise InputError(problem)
    try:
        lf = load(path, sheet, month)
    except UnreadableWorkbook as e:
        raise InputError(f"{label}无法读取：{e.message}") from None
    if lf.missing_required:
        raise InputError(_missing_message(lf))
    return lf


def unreadable(file: str, sheet: model.Sheet, error: UnreadableWorkbook) -> Finding:
    return unreadable_finding(error, sheet=sheet.name, file=file)


def missing_columns(lf: ListFile) -> list[Finding]:
    return [Finding("S002", "error", lf.sheet.name, None, c, None,
                    catalogue.message("S002", sheet=lf.sheet.name, column=c), file=lf.file)
            for c in lf.missing_required]
