"""The standard school workbook (SPEC §2) and the register template, built with openpyxl from ``baoxue.model`` alone.

Layout of every data sheet: row 1 title, row 2 note (sheet note + conditional requirements), row 3 header (styled,
frozen at A4), input rows from row 4. Per column: a column style (number format, unlocked) for the whole column, plus
explicit text-format cells for the first ``TEXT_FORMAT_ROWS`` input rows of ID-like columns (so Excel keeps all 18 digits
wherever the clerk types or pastes); list validations fed from the hidden 代码表 through one defined name per code list
(``代码_<list>``); date format and a date validation on date columns; sheet protection without password (header rows
locked, input area unlocked, formatting / inserting / deleting rows / sorting / filtering allowed).

月报汇总 holds one live formula per SPEC §5 indicator (COUNTIFS / SUMPRODUCT over the input ranges, as-of from 封面
报送月份), so the workbook gives its figures in plain Excel, WPS or LibreOffice with no add-in.

Nothing time-dependent is written, so a fresh generation equals the checked-in templates cell by cell.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from copy import copy

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.packaging.custom import CustomPropertyList, StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties

from . import cells, model
from .atomic import atomic_save
from .book import SchoolBook, TableLayout
from .cells import DATE_FORMAT, TEXT_FORMAT  # noqa: F401  (the formats the template's cells use)
from .indicators import INDICATORS
from .layout import BAND_UNITS, print_bands  # noqa: F401  (BAND_UNITS: the template's band width)
from .layout import (FIRST_INPUT_ROW, HEADER_ROW, INPUT_ROWS, LAST_INPUT_ROW, NOTE_ROW, SUMMARY_FORMULA_COLUMN,  # noqa: F401
                     TITLE_ROW, column_letter, cover_cell, cover_row, indicator_formulas, input_range, summary_formulas,
                     summary_rows)
from .policy import DEFAULT, Policy

FINDINGS_NOTE = "级别为“错误”的问题必须改正后才能报送；“警告”请核实。"
TEXT_FORMAT_ROWS = 500                  # explicit "@" cells in ID-like columns (the column style covers the rest)
CODE_NAME_PREFIX = "代码_"
FIXED_CREATED = dt.datetime(2026, 1, 1)  # document creation time: fixed, so generations are identical
SCHOOL_TEMPLATE_NAME = "控辍保学月报模板.xlsx"
REGISTER_TEMPLATE_NAME = "学校名录模板.xlsx"

_THIN = Side(style="thin", color="FF8EA9DB")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
TITLE_FONT = Font(name="等线", size=14, bold=True)
NOTE_FONT = Font(name="等线", size=9, italic=True, color="FF595959")
HEADER_FONT = Font(name="等线", size=11, bold=True)
HEADER_FILL = PatternFill(fill_type="solid", fgColor="FFDDEBF7")
REQUIRED_FILL = PatternFill(fill_type="solid", fgColor="FFFCE4D6")
COMPUTED_FILL = PatternFill(fill_type="solid", fgColor="FFEDEDED")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
NOTE_ALIGN = Alignment(horizontal="left", vertical="center", wrap_text=True)
LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)


# ============================================================================================== helpers
def code_name(list_name: str) -> str:
    """The workbook defined name of a code list: 代码_辍学状态."""
    return CODE_NAME_PREFIX + list_name


def _protect(ws) -> None:
    """Sheet protection without a password; clerks may still format, insert/delete rows, sort and filter."""
    p = ws.protection
    p.sheet = True
    p.formatCells = False
    p.formatColumns = False
    p.formatRows = False
    p.insertRows = False
    p.deleteRows = False
    p.sort = False
    p.autoFilter = False
    p.selectLockedCells = False
    p.selectUnlockedCells = False


# Every sheet prints on A4 (most schools have no A3 printer). A sheet wider than ``layout.BAND_UNITS`` column-width
# units is printed in page bands (``layout.print_bands``) at ``BAND_SCALE`` % with narrow side margins: the first
# columns on the first page, the rest on the next ones, each band repeating the columns up to 姓名 so every row can be
# told apart; narrower sheets are fitted to the page width. (LibreOffice draws a width unit of the template's font
# about 0.28 cm wide: 140 units at 70 % fill the 28 cm of an A4 landscape page; Excel's narrower unit leaves a margin.)
BAND_SCALE = 70
BAND_SIDE_MARGIN = 0.25   # inches
FOOTER = "第 &P 页 / 共 &N 页"
SCHOOL_BLANK = "学校：＿＿＿＿＿＿＿＿"


def set_page_header(ws, school: str | None = None, month: str | None = None) -> None:
    """Every printed page: the school and the report month (blanks to fill in by hand when unknown), the sheet name
    and 第 N 页 / 共 M 页."""
    ws.oddHeader.left.text = f"学校：{school}" if school else SCHOOL_BLANK
    ws.oddHeader.center.text = "&A"
    ws.oddHeader.right.text = f"报送月份：{month}" if month else "报送月份：＿＿＿＿"
    ws.oddFooter.center.text = FOOTER


def _print_setup(ws, title_rows: str, widths: list[float] | None = None, title_columns: int = 0) -> None:
    from openpyxl.worksheet.pagebreak import Break
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.print_title_rows = title_rows
    set_page_header(ws)
    bands = print_bands(list(widths or []), title_columns)
    if not bands:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        return
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=False)
    ws.page_setup.scale = BAND_SCALE
    ws.page_margins.left = ws.page_margins.right = BAND_SIDE_MARGIN
    for start in bands:
        ws.col_breaks.append(Break(id=start))
    if title_columns:
        ws.print_title_cols = f"A:{get_column_letter(title_columns)}"


def _title_and_note(ws, title: str, note: str, width: int) -> None:
    ws.cell(TITLE_ROW, 1, title).font = TITLE_FONT
    ws.row_dimensions[TITLE_ROW].height = 24
    c = ws.cell(NOTE_ROW, 1, note)
    c.font = NOTE_FONT
    c.alignment = NOTE_ALIGN
    ws.row_dimensions[NOTE_ROW].height = 30
    if width > 1:
        ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=width)
        ws.merge_cells(start_row=NOTE_ROW, start_column=1, end_row=NOTE_ROW, end_column=width)


def sheet_note(sheet: model.Sheet) -> str:
    """The note row: the sheet's note, which columns are required (marked *), and the conditional requirements."""
    parts = [sheet.note] if sheet.note else []
    parts.append("橙色表头的列必填。")
    if any(c.computed for c in sheet.columns):
        parts.append("灰色表头的列自动计算，无需填写。")
    parts += [f"{c.name}：{c.note}" for c in sheet.columns if c.note]
    return " ".join(parts)


# ============================================================================================== 代码表
def ensure_codes_sheet(wb, lists: tuple[str, ...] = model.WORKBOOK_CODE_LISTS):
    """The hidden 代码表 (one column per code list of ``lists``: by default the school workbook's, SPEC §2.8) and one
    defined name per list. Idempotent: an existing sheet is rewritten and missing names are added, so `update` can
    repair a workbook whose clerk deleted it."""
    if model.CODES_SHEET in wb.sheetnames:
        ws = wb[model.CODES_SHEET]
        ws.delete_rows(1, ws.max_row)
    else:
        ws = wb.create_sheet(model.CODES_SHEET)
    for j, list_name in enumerate(lists, start=1):
        values = model.CODE_LISTS[list_name]
        head = ws.cell(1, j, list_name)
        head.font = HEADER_FONT
        head.fill = HEADER_FILL
        for i, value in enumerate(values, start=2):
            ws.cell(i, j, value)
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(10, 2 * max(len(v) for v in values) + 2)
        ref = f"{quote_sheetname(model.CODES_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
        name = code_name(list_name)
        if name in wb.defined_names:
            del wb.defined_names[name]
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
    ws.sheet_state = "hidden"
    _protect(ws)
    return ws


def _list_validation(list_name: str) -> DataValidation:
    dv = DataValidation(type="list", formula1=code_name(list_name), allow_blank=True)
    dv.showErrorMessage = True
    dv.errorStyle = "stop"
    dv.errorTitle = "不在代码表中"
    dv.error = f"请从下拉列表中选择（代码表：{list_name}）。"
    dv.showInputMessage = False
    return dv


def _date_validation() -> DataValidation:
    dv = DataValidation(type="date", operator="between", formula1="DATE(2000,1,1)", formula2="DATE(2099,12,31)",
                        allow_blank=True)
    dv.showErrorMessage = True
    dv.errorStyle = "warning"   # 2026.9.3 / 2026年9月3日 typed as text are accepted by baoxue: warn, do not block
    dv.errorTitle = "日期格式"
    dv.error = "请输入日期，如 2026-09-03。"
    return dv


# ============================================================================================== data sheets
def _column_style(ws, letter: str, column: model.Column | None, width: int) -> None:
    dim = ws.column_dimensions[letter]
    dim.width = width
    dim.protection = UNLOCKED
    if column is None:
        return
    if column.is_text_format:
        dim.number_format = TEXT_FORMAT
    elif column.kind == "date":
        dim.number_format = DATE_FORMAT
    if column.computed:
        dim.fill = COMPUTED_FILL


def _header_cell(ws, row: int, col: int, text: str, required: bool = False, computed: bool = False) -> None:
    c = ws.cell(row, col, text)
    c.font = HEADER_FONT
    c.fill = COMPUTED_FILL if computed else (REQUIRED_FILL if required else HEADER_FILL)
    c.alignment = HEADER_ALIGN
    c.border = BORDER
    c.protection = LOCKED


def add_data_sheet(wb, sheet: model.Sheet, columns: tuple[model.Column, ...] | None = None):
    """One data sheet in the standard layout (also used for the register)."""
    columns = columns or sheet.columns
    ws = wb.create_sheet(sheet.name)
    _title_and_note(ws, sheet.title, sheet_note(sheet), len(columns))
    for r in (TITLE_ROW, NOTE_ROW):
        for j in range(1, len(columns) + 1):
            ws.cell(r, j).protection = LOCKED
    validations: dict[str, DataValidation] = {}
    date_dv = None
    for j, column in enumerate(columns, start=1):
        letter = get_column_letter(j)
        _header_cell(ws, HEADER_ROW, j, column.name, column.required, column.computed)
        _column_style(ws, letter, column, column.width)
        rng = f"{letter}{FIRST_INPUT_ROW}:{letter}{LAST_INPUT_ROW}"
        if column.codes:
            dv = validations.get(column.codes)
            if dv is None:
                dv = validations[column.codes] = _list_validation(column.codes)
                ws.add_data_validation(dv)
            dv.add(rng)
        elif column.kind == "date":
            if date_dv is None:
                date_dv = _date_validation()
                ws.add_data_validation(date_dv)
            date_dv.add(rng)
        if column.is_text_format:
            first = ws.cell(FIRST_INPUT_ROW, j)
            first.number_format = TEXT_FORMAT
            first.protection = UNLOCKED
            for r in range(FIRST_INPUT_ROW + 1, FIRST_INPUT_ROW + TEXT_FORMAT_ROWS):
                ws._cells[(r, j)] = Cell(ws, row=r, column=j, style_array=copy(first._style))
    ws.row_dimensions[HEADER_ROW].height = 32
    ws.freeze_panes = ws.cell(FIRST_INPUT_ROW, 1).coordinate
    names = [c.name for c in columns]
    _print_setup(ws, f"{TITLE_ROW}:{HEADER_ROW}", [c.width for c in columns],
                 names.index("姓名") + 1 if "姓名" in names else 0)
    _protect(ws)
    return ws


# ============================================================================================== 封面
def add_cover_sheet(wb, school_code: str | None = None, month: str | None = None, cover: dict | None = None):
    ws = wb.create_sheet(model.COVER_SHEET, 0)
    ws.cell(TITLE_ROW, 1, "控辍保学月报（学校）").font = TITLE_FONT
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=3)
    for j, text in enumerate(("项目", "填写内容", "说明"), start=1):
        _header_cell(ws, 2, j, text)
    ws.cell(TITLE_ROW, 1).protection = LOCKED
    values = dict(cover or {})
    if school_code is not None:
        values["学校标识码"] = school_code
    if month is not None:
        values["报送月份"] = month
    values.setdefault("模板版本", model.TEMPLATE_VERSION)
    validations: dict[str, DataValidation] = {}
    for field in model.COVER_FIELDS:
        r = cover_row(field.label)
        label = ws.cell(r, 1, field.label)
        label.font = Font(name="等线", bold=field.required)
        label.border = BORDER
        label.protection = LOCKED
        value = ws.cell(r, 2)
        value.border = BORDER
        value.protection = UNLOCKED
        if field.kind in ("schoolcode", "month", "phone", "version"):
            value.number_format = TEXT_FORMAT
        elif field.kind == "date":
            value.number_format = DATE_FORMAT
        hint = ws.cell(r, 3, field.hint or ("必填" if field.required else None))
        hint.font = NOTE_FONT
        hint.protection = LOCKED
        if field.codes:
            dv = validations.get(field.codes)
            if dv is None:
                dv = validations[field.codes] = _list_validation(field.codes)
                ws.add_data_validation(dv)
            dv.add(value.coordinate)
        elif field.kind == "int":
            dv = validations.get("int")
            if dv is None:
                dv = validations["int"] = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                                                         allow_blank=True)
                dv.showErrorMessage = True
                dv.error = "请填写不小于 0 的整数（无此年级填 0 或留空）。"
                ws.add_data_validation(dv)
            dv.add(value.coordinate)
        if field.label in values and values[field.label] is not None:
            cells.write(value, values[field.label])
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions["C"].width = 30
    ws.freeze_panes = "A3"
    _print_setup(ws, "1:2")
    ws.page_setup.orientation = "portrait"
    _protect(ws)
    return ws


# ============================================================================================== 月报汇总 formulas
SUMMARY_HEADER = ("指标", "键", "本表公式计算值")


def ensure_summary_sheet(wb, policy: Policy = DEFAULT):
    """月报汇总: title, the report period (from 封面 报送月份), header, then one row per indicator: label, JSON key,
    live formula. An existing sheet is left alone (update writes its 程序计算值 column beside the formulas)."""
    if model.SUMMARY_SHEET in wb.sheetnames:
        return wb[model.SUMMARY_SHEET]
    ws = wb.create_sheet(model.SUMMARY_SHEET)
    index = wb.sheetnames.index(model.SUMMARY_SHEET)
    wanted = len([n for n in wb.sheetnames if n in model.CLERK_SHEETS])
    if index != wanted:
        wb.move_sheet(ws, offset=wanted - index)
    ws.cell(TITLE_ROW, 1, "月报汇总（自动计算，请勿填写）").font = TITLE_FONT
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=4)
    ws.cell(NOTE_ROW, 1, "统计期间（按封面报送月份）").font = NOTE_FONT
    formulas = summary_formulas(policy)
    ws.cell(NOTE_ROW, 2, "=" + formulas[(NOTE_ROW, 2)]).number_format = DATE_FORMAT
    ws.cell(NOTE_ROW, 3, "=" + formulas[(NOTE_ROW, 3)]).number_format = DATE_FORMAT
    note = ("计数为行数；月末在册辍学率 = 未销号 ÷ (在校生 + 未销号) × 100（%），含疑似辍学，"
                         "是月末监测指标；与年度目标比较的学年辍学率（学年辍学人数 ÷ 学年初在校生数）由县级汇总按学年计算。"
                         "公式只认日期格式的单元格和下拉列表中的值；以文字录入的日期等请以“更新”（baoxue update）写入的“程序计算值”为准。")
    for j, text in enumerate(SUMMARY_HEADER, start=1):
        _header_cell(ws, HEADER_ROW, j, text)
    row_of = summary_rows()
    for key, label in INDICATORS:
        r = row_of[key]
        ws.cell(r, 1, label).border = BORDER
        ws.cell(r, 2, key).border = BORDER
        ws.cell(r, 2).font = Font(name="等线", color="FF808080", size=9)
        c = ws.cell(r, SUMMARY_FORMULA_COLUMN, "=" + formulas[(r, SUMMARY_FORMULA_COLUMN)])
        c.border = BORDER
        if key.startswith("dropout_rate"):
            c.number_format = "0.00"
    # the note under the table, wrapped across its printed width (a long note beside the table made fit-to-width
    # shrink the whole table to a third of the page)
    note_row = max(row_of.values()) + 2
    c = ws.cell(note_row, 1, "说明：" + note)
    c.font = NOTE_FONT
    c.alignment = NOTE_ALIGN
    ws.merge_cells(start_row=note_row, start_column=1, end_row=note_row, end_column=4)
    units = sum(2 if ord(ch) > 0x2E80 else 1 for ch in c.value)
    ws.row_dimensions[note_row].height = 15 * (-(-units // 48) + 1)   # A + C + D: 54 characters wide
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["B"].hidden = True     # the JSON keys (the reader finds their rows: reader.keyed_layout): not for clerks
    ws.column_dimensions["C"].width = 16
    ws.column_dimensions["D"].width = 16
    ws.freeze_panes = ws.cell(FIRST_INPUT_ROW, 1).coordinate
    _print_setup(ws, f"{TITLE_ROW}:{HEADER_ROW}")
    ws.page_setup.orientation = "portrait"
    return ws


def ensure_findings_sheet(wb):
    """校验结果: title, note, header of ``model.FINDINGS_COLUMNS`` (rows are written by `update`)."""
    if model.FINDINGS_SHEET in wb.sheetnames:
        return wb[model.FINDINGS_SHEET]
    ws = wb.create_sheet(model.FINDINGS_SHEET)
    index = wb.sheetnames.index(model.FINDINGS_SHEET)
    wanted = len([n for n in wb.sheetnames if n in model.CLERK_SHEETS + (model.SUMMARY_SHEET,)])
    if index != wanted:
        wb.move_sheet(ws, offset=wanted - index)
    ws.cell(TITLE_ROW, 1, "校验结果（由 baoxue 校验生成，请按说明修改原表）").font = TITLE_FONT
    ws.cell(NOTE_ROW, 1, FINDINGS_NOTE).font = NOTE_FONT
    widths = {"工作表": 10, "行号": 6, "列名": 14, "单元格": 8, "规则编号": 8, "级别": 6, "值": 22, "说明": 70}
    for j, name in enumerate(model.FINDINGS_COLUMNS, start=1):
        _header_cell(ws, HEADER_ROW, j, name)
        ws.column_dimensions[get_column_letter(j)].width = widths.get(name, 12)
    ws.freeze_panes = ws.cell(FIRST_INPUT_ROW, 1).coordinate
    _print_setup(ws, f"{TITLE_ROW}:{HEADER_ROW}")
    return ws


# ============================================================================================== workbooks
def _set_properties(wb) -> None:
    wb.properties.creator = "baoxue"
    wb.properties.lastModifiedBy = "baoxue"
    wb.properties.created = FIXED_CREATED
    wb.properties.modified = FIXED_CREATED
    wb.properties.title = "控辍保学月报"
    props = CustomPropertyList()
    props.append(StringProperty(name="模板版本", value=model.TEMPLATE_VERSION))
    wb.custom_doc_props = props
    wb.calculation.fullCalcOnLoad = True


def build_school_workbook(school_code: str | None = None, month: str | None = None, cover: dict | None = None,
                          policy: Policy = DEFAULT) -> Workbook:
    """A blank standard school workbook (SPEC §2 sheet order), optionally with cover values prefilled."""
    wb = Workbook()
    wb.remove(wb.active)
    add_cover_sheet(wb, school_code, month, cover)
    for sheet in model.DATA_SHEETS:
        add_data_sheet(wb, sheet)
    ensure_summary_sheet(wb, policy)
    ensure_findings_sheet(wb)
    ensure_codes_sheet(wb)
    school = (cover or {}).get("学校名称")
    month = month or (cover or {}).get("报送月份")
    for ws in wb.worksheets:
        set_page_header(ws, school if isinstance(school, str) else None, month if isinstance(month, str) else None)
    wb.active = 0
    _set_properties(wb)
    return wb


def build_register_workbook() -> Workbook:
    """学校名录: the schools expected each month (``model.REGISTER`` columns, the same header layout)."""
    wb = Workbook()
    wb.remove(wb.active)
    add_data_sheet(wb, model.REGISTER)
    ensure_codes_sheet(wb)
    wb.active = 0
    _set_properties(wb)
    wb.properties.title = "学校名录"
    return wb


def save_templates(directory: str | Path) -> list[Path]:
    """Write the two checked-in templates into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for name, build in ((SCHOOL_TEMPLATE_NAME, build_school_workbook), (REGISTER_TEMPLATE_NAME, build_register_workbook)):
        wb = build()
        atomic_save(wb.save, directory / name, backup=False)
        out.append(directory / name)
    return out


def standard_layout() -> SchoolBook:
    """Where a fresh standard workbook has things, as the reader finds them there (an empty SchoolBook with the cover's
    rows, each data sheet's header row and columns, 校验结果's header): what a plan addresses when it writes into a
    workbook this module builds (``baoxue next-month``)."""
    book = SchoolBook(cover_rows={f.label: cover_row(f.label) for f in model.COVER_FIELDS})
    for sheet in model.DATA_SHEETS:
        book.header_rows[sheet.name] = HEADER_ROW
        book.header_columns[sheet.name] = {name: j for j, name in enumerate(sheet.column_names, start=1)}
        book.sheets.set_columns(sheet.name, {})
    book.layouts[model.FINDINGS_SHEET] = TableLayout(
        HEADER_ROW, {name: j for j, name in enumerate(model.FINDINGS_COLUMNS, start=1)}, HEADER_ROW)
    return book
