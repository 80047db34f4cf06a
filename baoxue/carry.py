"""`baoxue next-month BOOK --out NEW`: next month's workbook from this month's.

What is carried (``carry_forward``, pure):
- cover: the school's identity, enrolment, 填报人/联系电话/审核人 copied; 报送月份 advanced; 零报告 and 填报日期 left blank
  for the clerk (they are this month's declarations); 模板版本 current;
- 辍学: every open case (核查中/劝返中/去向不明) and any row the clerk has not closed properly (a closing status without
  a 销号日期 stays, so the clerk still sees it); cases closed before the new month are dropped (they live on in the
  month they were closed, and in the county's store);
- 休学 / 缓学 / 送教上门: the current rosters (休学中, 缓学中, 送教中); 本月送教次数/课时 cleared (``update`` recomputes them);
- 送教记录 / 劝返记录: kept for the school year (September–August): rows dated before the new month's school-year start
  are dropped when crossing into September; rows of children no longer carried (closed cases, students who left the
  roster) are dropped too, since their 辍学 / 送教上门 row is gone (P001 / T005 would otherwise flag them).
Rows keep their values exactly (typed values written back as they were read); a value that failed the type stage is
written back as the text found, so the clerk still sees and fixes it.

``next_month_edits(carried, target)`` is the one next-month plan: cell-addressed edits turning a workbook whose layout
the reader found (``target``) into next month's. ``baoxue next-month`` applies it with openpyxl to a fresh standard
workbook (``template.standard_layout()``); the add-in's 生成下月 applies it with xlwings to the copy of the clerk's own
workbook (its own header rows and columns), desktop and Lite alike.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import model, template
from .atomic import atomic_save
from .book import SchoolBook
from .edits import (ClearCells, DeleteSheet, Edit, SetValue, apply_openpyxl, clear_marks, control_character_note,
                    emptied_findings_table, table_blocks)
from .months import month_start, next_month, school_year_start
from .normalize import Invalid
from .paths import OutputPathError, guard_output_folder
from .policy import Policy
from .reader import read_workbook

CARRIED_COVER = ("学校标识码", "学校名称", "所属乡镇", "学校类型", "城乡类别", *model.ENROLMENT_LABELS,
                 "填报人", "联系电话", "审核人")
LOGS = {model.VISITS.name: ("送教日期", model.HOME.name), model.PERSUASION.name: ("劝返日期", model.DROPOUT.name)}


class CarryError(Exception):
    """The book cannot be carried forward (no valid 报送月份); the message is Chinese."""


@dataclass
class Carried:
    month: str
    cover: dict[str, Any]
    rows: dict[str, list[dict[str, Any]]]
    dropped: dict[str, int] = field(default_factory=dict)   # sheet -> rows not carried
    note: str = ""          # for the clerk: control characters kept in their escaped form (edits.control_character_note)


def _plain(v: Any) -> Any:
    """A typed value as it goes back into a cell. An ID that Excel stored as a number stays a number (its lost digits
    cannot be recovered: F004 keeps telling the clerk to retype it); other invalid values go back as the text found."""
    if isinstance(v, Invalid):
        if v.reason == "id_number" and v.raw.isdigit():
            return int(v.raw)
        return v.raw
    return v


def _records(book: SchoolBook, sheet: str) -> list[dict[str, Any]]:
    df = book.frame(sheet)
    names = model.SHEETS[sheet].column_names
    return [{c: _plain(v) for c, v in zip(names, values)} for values in zip(*(df[c].tolist() for c in names))] \
        if len(df) else []


def _keep_case(row: dict, new_start: dt.date) -> bool:
    status = row.get("状态")
    if status in model.DROPOUT_OPEN_STATUSES:
        return True
    closed = row.get("销号日期")
    if status in model.DROPOUT_CLOSING_STATUSES and isinstance(closed, dt.date) and closed < new_start:
        return False
    return True  # no/unknown status or no closing date: still the clerk's to settle


def carry_forward(book: SchoolBook) -> Carried:
    if not book.month:
        raise CarryError("封面的“报送月份”为空或格式不对（应为 YYYY-MM），无法生成下月工作簿。请先改正封面。")
    month = next_month(book.month)
    new_start = month_start(month)
    cover = {label: _plain(book.cover.get(label)) for label in CARRIED_COVER}
    cover.update({"报送月份": month, "零报告": None, "填报日期": None, "模板版本": model.TEMPLATE_VERSION})

    rows: dict[str, list[dict]] = {}
    dropped: dict[str, int] = {}
    cases = _records(book, model.DROPOUT.name)
    rows[model.DROPOUT.name] = [r for r in cases if _keep_case(r, new_start)]
    before: dict[str, set] = {model.DROPOUT.name: {r.get("身份证号") for r in cases}}
    for roster in (model.LEAVE, model.DEFER, model.HOME):      # rosters: the open rows go on
        records = _records(book, roster.name)
        before[roster.name] = {r.get("身份证号") for r in records}
        rows[roster.name] = [r for r in records if r.get("状态") in roster.open_statuses]
    for r in rows[model.HOME.name]:
        r["本月送教次数"] = None
        r["本月送教课时"] = None

    year_start = school_year_start(month)
    for sheet, (date_col, owner) in LOGS.items():
        gone = before[owner] - {r.get("身份证号") for r in rows[owner]}   # children whose row was not carried
        kept = []
        for r in _records(book, sheet):
            day = r.get(date_col)
            if isinstance(day, dt.date) and day < year_start:
                continue
            if isinstance(r.get("身份证号"), str) and r["身份证号"] in gone:
                continue
            kept.append(r)
        rows[sheet] = kept
    for sheet in model.SHEETS:
        dropped[sheet] = len(book.frame(sheet)) - len(rows[sheet])
    return Carried(month, cover, rows, dropped)


def next_month_edits(carried: Carried, target: SchoolBook) -> list[Edit]:
    """The cells that make ``target`` (a workbook as the reader found it) next month's: the cover's values in its
    value column, each data sheet's rows replaced by the carried rows (under its header, in its columns), marks,
    校验结果's rows and any submission stamp removed."""
    edits: list[Edit] = []
    for label, value in carried.cover.items():
        row = target.cover_rows.get(label)
        if row is not None:
            edits.append(SetValue(model.COVER_SHEET, row, 2, value))
    for sheet in model.DATA_SHEETS:
        name = sheet.name
        cols = target.header_columns.get(name)
        if not cols or name in target.missing_sheets:
            continue
        header_row = target.header_rows[name]
        rows = target.frame(name)["_row"].tolist()
        if rows and max(rows) > header_row:
            edits.append(ClearCells(name, header_row + 1, max(rows), tuple(sorted(cols.values()))))
        names = tuple(c for c in sheet.column_names if c in cols)
        records = carried.rows.get(name) or []
        edits += table_blocks(name, header_row + 1, cols, names, [tuple(r.get(c) for c in names) for r in records])
    edits.append(DeleteSheet(model.STAMP_SHEET))
    edits += clear_marks(target)
    edits += emptied_findings_table(target)
    return edits


def next_month_workbook(src: str | Path, out: str | Path, policy: Policy) -> Carried:
    """Read ``src``, carry it forward and write the new workbook to ``out``: a fresh standard workbook with
    ``next_month_edits`` applied (an existing ``out`` is backed up first)."""

    if Path(out).resolve() == Path(src).resolve():
        raise CarryError("下月工作簿不能覆盖本月工作簿，请用 --out 指定新的文件名。")
    book = read_workbook(src)
    carried = carry_forward(book)
    carried.note = control_character_note(book)
    wb = template.build_school_workbook(policy=policy)
    apply_openpyxl(wb, next_month_edits(carried, template.standard_layout()))
    out = Path(out)
    try:
        guard_output_folder(out.parent, "下月工作簿所在的文件夹")
    except OutputPathError as e:
        raise CarryError(str(e)) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_save(wb.save, out, backup=True)
    return carried
