"""Edits: cell operations on a workbook as plain data, the plans that make them, and the openpyxl applier.

Decide once, apply dumbly. Planning is pure (SchoolBook + findings + policy → ``list[Edit]``) and resolves every target
cell from what the reader found in the book: the data sheets' header rows and columns (``book.header_rows`` /
``header_columns``), the cover's rows (``cover_rows``) and the computed sheets' layouts (``book.layouts``: where
校验结果 has its header, where 月报汇总 has its keys and its value column). A sheet the book lacks is planned in the
standard template's layout (``layout.py``), which is what ``EnsureSheet`` makes. Every edit then names its sheet and
its 1-based rows and columns, so an applier only writes cells: ``apply_openpyxl(wb, edits)`` here (files, via
``baoxue update`` and ``baoxue next-month``) and ``baoxue.addin.bridge.apply_xlwings(book, edits)`` (a live Excel book)
take the same plan and search for nothing.

Marks are what baoxue puts on an offending cell: a fill in one of ``MARK_FILLS`` and a comment whose text starts with
``MARK_TAG`` (author ``MARK_AUTHOR``). ``ClearMarks`` removes exactly those (comments carrying the tag, fills of exactly
those colours), so the clerk's own comments and colours are never touched. The tag is in the text because spreadsheet
programs rewrite comment authors when they re-save a book (LibreOffice turns "baoxue" into " "); the author is still
accepted for books marked before the tag existed.
"""
from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable

from . import __version__, cases, cells, idcard, layout, model, normalize, template
from .book import KeyedLayout, SchoolBook, TableLayout
from .cells import DATE_FORMAT  # noqa: F401  (the add-in's applier formats dates alike)
from .findings import Finding, sort_key
from .indicators import INDICATORS, school_indicators
from .template import FINDINGS_NOTE, SUMMARY_HEADER
from .indicators import RATES
from .template import set_page_header

MARK_AUTHOR = "baoxue"
MARK_TAG = "【baoxue 校验】"   # the first line of every comment baoxue writes; how its marks are recognised after any re-save
MARK_FILLS = {"error": "FFFFC7CE", "warning": "FFFFEB9C"}   # ARGB: light red (错误), light yellow (警告)
PYTHON_VALUE_HEADER = model.PYTHON_VALUE_HEADER   # 月报汇总: the column beside the live formulas holding baoxue's figures
PYTHON_VALUE_WIDTH = 14
COMMENT_MAX_CHARS = 1500
RATE_FORMAT = "0.00"               # rates, as the formulas beside them
UNHEADED_TABLE_ROW = 2             # a table sheet whose header is not recognised gets it here (its caption above)


# ============================================================================================== edit types
@dataclass(frozen=True)
class SetValue:
    """Write one typed value (str, int, float, date, None). A str is always written as text, never as a formula."""
    sheet: str
    row: int
    col: int
    value: Any
    number_format: str | None = None   # applied when the cell still has the General format (dates: ``DATE_FORMAT``)
    style_of: tuple[int, int] | None = None   # (row, col) of a cell whose look the new cell takes (a header beside it)


@dataclass(frozen=True)
class SetBlock:
    """Write a rectangle of typed values with its top-left cell at (row, col): ``rows[i][j]`` goes to
    (row + i, col + j). ``None`` leaves a cell empty; dates get ``DATE_FORMAT``; a str is always text."""
    sheet: str
    row: int
    col: int
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class ClearCells:
    """Empty the values of the cells in rows ``first_row``..``last_row`` of ``cols`` (their look stays)."""
    sheet: str
    first_row: int
    last_row: int
    cols: tuple[int, ...]


@dataclass(frozen=True)
class SetFill:
    sheet: str
    row: int
    col: int
    color: str                         # ARGB hex, e.g. "FFFFC7CE"


@dataclass(frozen=True)
class SetComment:
    """A comment carrying the findings' messages. A cell that already holds someone else's comment keeps it."""
    sheet: str
    row: int
    col: int
    text: str
    author: str = MARK_AUTHOR


@dataclass(frozen=True)
class ClearMarks:
    """Remove every mark baoxue made on a sheet (comments carrying ``MARK_TAG``; fills of exactly ``MARK_FILLS``).
    ``computed_cols``: the sheet's computed columns, whose cells get the template's grey back."""
    sheet: str
    computed_cols: tuple[int, ...] = ()


@dataclass(frozen=True)
class RecordKeptNotes:
    """Where an applier that cannot tell who wrote a note (xlwings' remote engine) lists, as text, the cells whose note
    it left because it was the clerk's: (row, col) on 校验结果, a blank column beside the findings table."""
    sheet: str
    row: int
    col: int


@dataclass(frozen=True)
class EnsureSheet:
    """Create a computed/template sheet (月报汇总, 校验结果, 代码表) when the workbook lacks it."""
    sheet: str


@dataclass(frozen=True)
class HideSheet:
    sheet: str


@dataclass(frozen=True)
class DeleteSheet:
    """Remove a sheet when the workbook has it (next month: the submission stamp)."""
    sheet: str


@dataclass(frozen=True)
class SetColumnWidth:
    sheet: str
    col: int
    width: float


@dataclass(frozen=True)
class SetPageHeaders:
    """Every sheet's printed header names the school and the report month (``template.set_page_header``)."""
    school: str | None
    month: str | None
    sheet: str = ""   # all sheets


Edit = (SetValue | SetBlock | ClearCells | SetFill | SetComment | ClearMarks | RecordKeptNotes | EnsureSheet
        | HideSheet | DeleteSheet | SetColumnWidth | SetPageHeaders)


# ============================================================================================== planning (pure)
def findings_caption(policy) -> str:
    """The 校验结果 note row: what to do, and what the findings were checked with (program version, policy fingerprint)."""
    return f"{FINDINGS_NOTE}校验依据：baoxue {__version__}，策略指纹 {policy.fingerprint}。"


def findings_rows(findings: Iterable[Finding]) -> tuple[tuple[Any, ...], ...]:
    """The 校验结果 rows (``model.FINDINGS_COLUMNS``), one per finding, in sheet/row/column order."""
    out = []
    for f in sorted(findings, key=sort_key):
        value = "" if f.value is None else (f.value if isinstance(f.value, (int, float)) else str(f.value))
        out.append((f.sheet or "", f.row if f.row is not None else "", f.column or "", f.cell or "", f.rule,
                    model.SEVERITY_LABELS.get(f.severity, f.severity), value, f.message))
    return tuple(out)


def contiguous_runs(cols: Iterable[int]) -> list[tuple[int, int]]:
    """(first, last) of each run of adjacent columns, left to right."""
    runs: list[list[int]] = []
    for c in sorted(set(cols)):
        if runs and c == runs[-1][1] + 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return [(a, b) for a, b in runs]


def table_blocks(sheet: str, first_row: int, cols: dict[str, int], names: tuple[str, ...], rows) -> list[SetBlock]:
    """``rows`` (values in the order of ``names``) written from ``first_row`` into the columns ``cols`` gives the names:
    one block per run of adjacent columns."""
    if not rows:
        return []
    index = {cols[name]: k for k, name in enumerate(names)}
    return [SetBlock(sheet, first_row, a, tuple(tuple(r[index[c]] for c in range(a, b + 1)) for r in rows))
            for a, b in contiguous_runs(index)]


def _findings_header(book: SchoolBook) -> tuple[int, dict[str, int], list[Edit]]:
    """Where the 校验结果 table goes — (header row, column of each name, the header cells to write): under the header
    the reader found; an older header without ``FINDINGS_ADDED_COLUMNS`` gets them beside it; a sheet the book lacks is
    the template's (``EnsureSheet``); a sheet without a recognisable header gets one at ``UNHEADED_TABLE_ROW``."""
    sheet, names = model.FINDINGS_SHEET, model.FINDINGS_COLUMNS
    found = book.layouts.get(sheet)
    standard = {name: j for j, name in enumerate(names, start=1)}
    if not isinstance(found, TableLayout):
        return layout.HEADER_ROW, standard, [SetBlock(sheet, layout.HEADER_ROW, 1, (names,))]
    cols = dict(found.columns)
    if found.header_row and all(n in cols for n in names):
        return found.header_row, {n: cols[n] for n in names}, []
    kept = [n for n in names if n not in model.FINDINGS_ADDED_COLUMNS]
    if found.header_row and all(n in cols for n in kept):
        cols = {n: cols[n] for n in kept}
        header = []
        for name in model.FINDINGS_ADDED_COLUMNS:
            cols[name] = max(cols.values()) + 1
            header.append(SetValue(sheet, found.header_row, cols[name], name,
                                   style_of=(found.header_row, cols[name] - 1)))
        return found.header_row, cols, header
    return UNHEADED_TABLE_ROW, standard, [SetBlock(sheet, UNHEADED_TABLE_ROW, 1, (names,))]


def findings_table(book: SchoolBook, findings: Iterable[Finding], policy,
                   lead_rows: tuple[tuple[Any, ...], ...] = ()) -> list[Edit]:
    """The whole 校验结果 write, cell by cell: the header where needed, the caption naming the policy in effect in the
    row above it, the old rows cleared, then ``lead_rows`` and one row per finding; and where a kept-notes list goes."""
    sheet, names = model.FINDINGS_SHEET, model.FINDINGS_COLUMNS
    header_row, cols, edits = _findings_header(book)
    if header_row > 1:
        edits.append(SetValue(sheet, header_row - 1, 1, findings_caption(policy)))
    edits += _clear_below(book, sheet, header_row, cols)
    edits += table_blocks(sheet, header_row + 1, cols, names, tuple(lead_rows) + findings_rows(findings))
    edits.append(RecordKeptNotes(sheet, header_row, max(cols.values()) + 2))
    return edits


def _clear_below(book: SchoolBook, sheet: str, header_row: int, cols: dict[str, int]) -> list[Edit]:
    found = book.layouts.get(sheet)
    if not isinstance(found, TableLayout) or found.last_row <= header_row:
        return []
    return [ClearCells(sheet, header_row + 1, found.last_row, tuple(sorted(cols.values())))]


def emptied_findings_table(book: SchoolBook) -> list[Edit]:
    """校验结果 emptied under its header (next month starts without findings); nothing when the book has no such sheet
    or its header is not recognised."""
    found = book.layouts.get(model.FINDINGS_SHEET)
    if not isinstance(found, TableLayout) or not found.header_row:
        return []
    cols = found.columns
    return _clear_below(book, model.FINDINGS_SHEET, found.header_row, cols) + [
        RecordKeptNotes(model.FINDINGS_SHEET, found.header_row, max(cols.values()) + 2)]


def kept_notes_cell(book: SchoolBook) -> tuple[int, int] | None:
    """Where the last run listed the cells whose note is the clerk's (see ``RecordKeptNotes``), or None."""
    found = book.layouts.get(model.FINDINGS_SHEET)
    if not isinstance(found, TableLayout) or not found.header_row:
        return None
    return found.header_row, max(found.columns.values()) + 2


def _template_summary() -> KeyedLayout:
    """月报汇总 as ``EnsureSheet`` makes it: the template's (keys in column B, formulas in column C)."""
    rows = layout.summary_rows()
    last = max(rows.values())
    return KeyedLayout(rows, 2, layout.HEADER_ROW, None, layout.SUMMARY_FORMULA_COLUMN,
                       {1: last, 2: last, layout.SUMMARY_FORMULA_COLUMN: last})


def summary_values(book: SchoolBook, figures: dict[str, Any]) -> list[Edit]:
    """baoxue's own figures on 月报汇总, in the value column (headed ``PYTHON_VALUE_HEADER``; made beside the used
    columns when absent) of each indicator key's row; a key the sheet lacks gets a row below (label, key). Formulas
    elsewhere are kept. A book without the sheet is planned in the template's layout, its header and keys written."""
    sheet = model.SUMMARY_SHEET
    found = book.layouts.get(sheet)
    edits: list[Edit] = []
    if not isinstance(found, KeyedLayout):
        found = _template_summary()
        edits.append(SetBlock(sheet, found.header_row, 1, (SUMMARY_HEADER,)))
        edits += [SetBlock(sheet, found.key_rows[key], 1, ((label, key),)) for key, label in INDICATORS]
    key_col, header_row, value_col = found.key_col, found.header_row, found.value_col
    if value_col is None:
        value_col = found.last_col + 1
        edits.append(SetValue(sheet, header_row, value_col, PYTHON_VALUE_HEADER, style_of=(header_row, value_col - 1)))
        edits.append(SetColumnWidth(sheet, value_col, PYTHON_VALUE_WIDTH))
    next_row = max([found.column_last_row.get(c, 0) for c in (key_col - 1, key_col, value_col)] + [header_row]) + 1
    for key, label in INDICATORS:
        row = found.key_rows.get(key)
        if row is None:   # a key the sheet lacks: a row of its own (the label before the key when there is room)
            row, next_row = next_row, next_row + 1
            if key_col > 1:
                edits.append(SetValue(sheet, row, key_col - 1, label))
            edits.append(SetValue(sheet, row, key_col, key))
        value = figures.get(key)
        edits.append(SetValue(sheet, row, value_col, "" if value is None else value,
                              RATE_FORMAT if key in RATES else None))
    return edits


def has_other_sheet(book: SchoolBook, name: str) -> bool:
    """Whether the workbook has a sheet the reader lists by name only (``other_sheets``: 代码表 …), spaces and
    full-width characters tolerated."""
    key = normalize.clean_header(name)
    return any(normalize.clean_header(n) == key for n in book.other_sheets)


def codes_sheet(book: SchoolBook) -> list[Edit]:
    """代码表 (the dropdowns' lists, SPEC §2.8): made where the book lacks it (``EnsureSheet``), its lists written one
    per column under their names, hidden."""
    edits: list[Edit] = [EnsureSheet(model.CODES_SHEET)]
    if has_other_sheet(book, model.CODES_SHEET):
        return edits
    lists = [(name, model.CODE_LISTS[name]) for name in model.WORKBOOK_CODE_LISTS]
    height = max(len(values) for _, values in lists)
    block = [tuple(name for name, _ in lists)]
    block += [tuple(values[i] if i < len(values) else None for _, values in lists) for i in range(height)]
    return edits + [SetBlock(model.CODES_SHEET, 1, 1, tuple(block)), HideSheet(model.CODES_SHEET)]


def cell_of(book, finding: Finding) -> tuple[int, int] | None:
    """The (row, col) a finding points at in the workbook, or None for sheet- and workbook-level findings (its own
    ``cell`` address when it has one: F013 names cells outside the data columns)."""
    if finding.cell and finding.sheet is not None:
        from openpyxl.utils.cell import coordinate_from_string, column_index_from_string
        try:
            letters, row = coordinate_from_string(finding.cell)
            return (row, column_index_from_string(letters))
        except ValueError:
            pass
    return book.cell_at(finding.sheet, finding.row, finding.column)


def computed_columns(book: SchoolBook, sheet: str) -> tuple[int, ...]:
    """The Excel columns of ``sheet``'s computed columns (grey in the template), where the reader found them."""
    model_sheet = model.SHEETS.get(sheet)
    cols = book.header_columns.get(sheet) or {}
    if model_sheet is None:
        return ()
    return tuple(sorted(cols[c.name] for c in model_sheet.columns if c.computed and c.name in cols))


def clear_marks(book: SchoolBook) -> list[Edit]:
    """Stale marks cleared on every clerk sheet present."""
    return [ClearMarks(s, computed_columns(book, s)) for s in model.CLERK_SHEETS if s not in book.missing_sheets]


def plan_marks(book, findings: Iterable[Finding]) -> list[Edit]:
    """Clear stale marks on every clerk sheet present, then one fill + one comment per offending cell."""
    edits: list[Edit] = clear_marks(book)
    by_cell: dict[tuple[str, int, int], list[Finding]] = defaultdict(list)
    for f in sorted(findings, key=sort_key):
        where = cell_of(book, f)
        if where is not None and f.sheet not in book.missing_sheets:
            by_cell[(f.sheet, *where)].append(f)
    for (sheet, row, col), found in by_cell.items():
        worst = "error" if any(f.is_error for f in found) else "warning"
        lines = [MARK_TAG + "修正后再次运行“更新”，本批注自动清除。"]
        lines += [f"{model.SEVERITY_LABELS.get(f.severity, f.severity)} {f.rule}：{f.message}" for f in found]
        text = "\n".join(lines)
        if len(text) > COMMENT_MAX_CHARS:
            text = text[:COMMENT_MAX_CHARS - 1] + "…"
        edits.append(SetFill(sheet, row, col, MARK_FILLS[worst]))
        edits.append(SetComment(sheet, row, col, text))
    return edits


def control_character_note(book: SchoolBook) -> str:
    """A Chinese note for the clerk when the book's text holds control characters (Excel's ``_x0007_`` escapes): they are
    written back in that escaped form (``normalize.excel_escaped``), never dropped silently. "" when there are none."""
    cells = sum(normalize.has_control_characters(v) for v in book.cover.values())
    for df in book.sheets.values():
        for column in df.columns:
            if df[column].dtype == object:
                cells += sum(map(normalize.has_control_characters, df[column].tolist()))
    if not cells:
        return ""
    return (f"注意：有 {cells} 个单元格的文字含不可见的控制字符（在 Excel 中看不见，文件中写作 _x0007_ 之类），已按 Excel 的写法原样保留。"
            "请检查这些单元格（多为从其他系统复制粘贴带入），删除多余字符后保存。")


# ============================================================================================== applying (openpyxl)
def is_mark_comment(text: str | None, author: str | None = None) -> bool:
    """True for a comment baoxue wrote: its text carries ``MARK_TAG`` (whatever program re-saved it since), or — books
    marked before the tag — its author is still ``MARK_AUTHOR``."""
    return MARK_TAG in (text or "") or (author or "").strip() == MARK_AUTHOR


def _column_style(ws, col: int):
    """The style a column gives its empty cells (the template unlocks the input area and formats it this way)."""
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= col <= dim.max:
            return dim._style if dim.has_style else None
    return None


def _cell(ws, row: int, col: int):
    """The cell at (row, col); a new cell takes its column's style (so protection and formats stay the template's)."""
    cell = ws._cells.get((row, col))
    if cell is not None and cell.__class__.__name__ == "MergedCell":
        # a clerk merged cells across data rows: the reader reads the covered cells as empty (the findings name them),
        # so the merge is undone for the cell written (values stay where they are) rather than writing elsewhere
        _unmerge_at(ws, row, col)
        cell = None
    if cell is None:
        cell = ws.cell(row, col)
        style = _column_style(ws, col)
        if style is not None:
            cell._style = copy.copy(style)
    return cell


def _unmerge_at(ws, row: int, col: int) -> None:
    for merged in list(ws.merged_cells.ranges):
        if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
            ws.unmerge_cells(merged.coord)


def _ensure_sheet(wb, name: str) -> None:
    if name in wb.sheetnames:
        return
    makers = {model.SUMMARY_SHEET: template.ensure_summary_sheet, model.FINDINGS_SHEET: template.ensure_findings_sheet,
              model.CODES_SHEET: template.ensure_codes_sheet}
    makers[name](wb)


def _clear_marks(ws) -> None:
    """Remove baoxue's comments and fills; a cell gets back its column's fill (e.g. the grey of computed columns)."""
    from openpyxl.styles import PatternFill
    colors = set(MARK_FILLS.values())
    column_fills: dict[int, Any] = {}
    for cell in list(ws._cells.values()):
        comment = cell.comment
        if comment is not None and is_mark_comment(comment.text, comment.author):
            cell.comment = None
        fill = cell.fill
        if fill is not None and fill.fill_type == "solid" and str(fill.fgColor.rgb) in colors:
            if cell.column not in column_fills:
                style = _column_style(ws, cell.column)
                column_fills[cell.column] = (ws.parent._fills[style.fillId] if style is not None and style.fillId
                                             else PatternFill(fill_type=None))
            cell.fill = copy.copy(column_fills[cell.column])


def _set_value(ws, e: SetValue) -> None:
    cell = _cell(ws, e.row, e.col)
    if e.style_of is not None:
        model_cell = ws._cells.get(e.style_of)
        if model_cell is not None and model_cell.has_style:
            cell._style = copy.copy(model_cell._style)
    cells.write(cell, e.value, e.number_format)


def _set_block(ws, e: SetBlock) -> None:
    for i, values in enumerate(e.rows, start=e.row):
        for j, v in enumerate(values, start=e.col):
            if v is not None:
                cells.write(_cell(ws, i, j), v)


def _clear_cells(ws, e: ClearCells) -> None:
    cols = set(e.cols)
    for (r, c), cell in list(ws._cells.items()):   # the cells there are, not every position of the range
        if e.first_row <= r <= e.last_row and c in cols and cell.value is not None:
            cell.value = None


def apply_openpyxl(wb, edits: Iterable[Edit]) -> None:
    """Apply edits to an openpyxl Workbook in order (the caller saves, atomically). Writes cells; decides nothing."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter

    for e in edits:
        if isinstance(e, EnsureSheet):
            _ensure_sheet(wb, e.sheet)
            continue
        if isinstance(e, SetPageHeaders):
            for ws in wb.worksheets:
                set_page_header(ws, e.school, e.month)
            continue
        if e.sheet not in wb.sheetnames:
            continue
        ws = wb[e.sheet]
        if isinstance(e, SetValue):
            _set_value(ws, e)
        elif isinstance(e, SetBlock):
            _set_block(ws, e)
        elif isinstance(e, ClearCells):
            _clear_cells(ws, e)
        elif isinstance(e, SetFill):
            _cell(ws, e.row, e.col).fill = PatternFill(fill_type="solid", fgColor=e.color, bgColor=e.color)
        elif isinstance(e, SetComment):
            existing = _cell(ws, e.row, e.col).comment
            if existing is not None and not is_mark_comment(existing.text, existing.author):
                continue  # the clerk's own comment is never replaced; the fill and 校验结果 still show the problem
            comment = Comment(normalize.excel_escaped(e.text), e.author)
            comment.width = 320
            comment.height = min(60 + 18 * e.text.count("\n") + len(e.text) // 2, 400)
            _cell(ws, e.row, e.col).comment = comment
        elif isinstance(e, ClearMarks):
            _clear_marks(ws)
        elif isinstance(e, SetColumnWidth):
            ws.column_dimensions[get_column_letter(e.col)].width = e.width
        elif isinstance(e, HideSheet):
            ws.sheet_state = "hidden"
        elif isinstance(e, DeleteSheet):
            del wb[e.sheet]
        elif isinstance(e, RecordKeptNotes):
            pass   # a file's comments carry their tag and author: the clerk's own are recognised, nothing to record
        else:  # pragma: no cover - a new Edit type without an applier is a programming error
            raise TypeError(f"unknown edit {e!r}")


# ============================================================================================== derived values (pure)
def _valid_id(v: Any) -> str | None:
    return v if idcard.usable(v) else None


def _visit_counts(book) -> dict[str, tuple[int, Any]]:
    """ID → (visits, class hours) in the report month, from ``baoxue.cases.visit_counts`` (the rules use the same)."""
    counts = cases.visit_counts(book.frame(model.VISITS.name), book.month)
    if hasattr(counts, "iterrows"):
        return {str(k): (int(r["visits"]), r["hours"]) for k, r in counts.iterrows()}
    return {str(k): (int(v[0]), v[1]) for k, v in dict(counts).items()}


def _earliest_persuasion(book) -> dict[str, dt.date]:
    df = book.frame(model.PERSUASION.name)
    out: dict[str, dt.date] = {}
    for pid, day in zip(df["身份证号"].tolist(), df["劝返日期"].tolist()):
        if isinstance(pid, str) and isinstance(day, dt.date):
            if pid not in out or day < out[pid]:
                out[pid] = day
    return out


def derive_values(book) -> list[SetValue]:
    """What ``update`` fills in (SPEC §2): 出生日期 / 性别 from a valid ID where blank; 本月送教次数 / 本月送教课时 from
    送教记录 for the report month (computed columns: always refreshed); 劝返动员日期 from the earliest 劝返记录 where blank.
    Only cells whose column header exists are touched; a value already equal is not rewritten."""
    edits: list[SetValue] = []
    for sheet in model.PERSON_SHEETS:
        if sheet.name in book.missing_sheets:
            continue
        cols = book.header_columns.get(sheet.name) or {}
        df = book.frame(sheet.name)
        if not len(df) or "身份证号" not in cols:
            continue
        ids = [_valid_id(v) for v in df["身份证号"].tolist()]
        rows = df["_row"].tolist()
        if "出生日期" in cols:
            for r, pid, cur in zip(rows, ids, df["出生日期"].tolist()):
                if pid and cur is None:
                    edits.append(SetValue(sheet.name, r, cols["出生日期"], idcard.birth_date(pid), DATE_FORMAT))
        if "性别" in cols:
            for r, pid, cur in zip(rows, ids, df["性别"].tolist()):
                if pid and cur is None:
                    edits.append(SetValue(sheet.name, r, cols["性别"], idcard.sex(pid)))

    home = model.HOME.name
    cols = book.header_columns.get(home) or {}
    df = book.frame(home)
    if home not in book.missing_sheets and len(df) and book.month and "身份证号" in cols:
        counts = _visit_counts(book)
        for r, pid, n_cur, h_cur in zip(df["_row"].tolist(), df["身份证号"].tolist(), df["本月送教次数"].tolist(),
                                        df["本月送教课时"].tolist()):
            if not isinstance(pid, str):
                continue
            n, hours = counts.get(pid, (0, 0))
            if isinstance(hours, float) and hours.is_integer():
                hours = int(hours)
            if "本月送教次数" in cols and n_cur != n:
                edits.append(SetValue(home, r, cols["本月送教次数"], n))
            if "本月送教课时" in cols and h_cur != hours:
                edits.append(SetValue(home, r, cols["本月送教课时"], hours))

    drop = model.DROPOUT.name
    cols = book.header_columns.get(drop) or {}
    df = book.frame(drop)
    if drop not in book.missing_sheets and len(df) and "劝返动员日期" in cols:
        first = _earliest_persuasion(book)
        for r, pid, cur in zip(df["_row"].tolist(), df["身份证号"].tolist(), df["劝返动员日期"].tolist()):
            if cur is None and isinstance(pid, str) and pid in first:
                edits.append(SetValue(drop, r, cols["劝返动员日期"], first[pid], DATE_FORMAT))
    return edits


def with_values(book, edits: Iterable[Edit]):
    """A copy of ``book`` with the SetValue edits applied to its typed frames (so findings and indicators see them)."""
    out = copy.copy(book)
    out.sheets = dict(book.sheets)
    by_sheet: dict[str, list[SetValue]] = defaultdict(list)
    for e in edits:
        if isinstance(e, SetValue) and e.sheet in model.SHEETS:
            by_sheet[e.sheet].append(e)
    for name, changes in by_sheet.items():
        df = book.sheets[name].copy()
        col_names = {v: k for k, v in (book.header_columns.get(name) or {}).items()}
        index_of = {r: i for i, r in zip(df.index, df["_row"].tolist())}
        for e in changes:
            column = col_names.get(e.col)
            if column is not None and e.row in index_of:
                df.at[index_of[e.row], column] = e.value
        out.sheets[name] = df
    return out


def plan_update(book, findings: Iterable[Finding], policy, lead_rows: tuple[tuple[Any, ...], ...] = ()) -> list[Edit]:
    """Everything ``update`` writes, as cell-addressed edits: derived values, marks (stale ones cleared), the 校验结果
    rows (``lead_rows`` first) and the 月报汇总 figures. ``findings`` should be those of the book with its derived
    values filled (see ``update.plan``)."""
    findings = list(findings)
    derived = derive_values(book)
    after = with_values(book, derived)
    edits: list[Edit] = list(derived)
    edits += plan_marks(book, findings)
    edits += [EnsureSheet(model.SUMMARY_SHEET), EnsureSheet(model.FINDINGS_SHEET), *codes_sheet(book)]
    edits += findings_table(book, findings, policy, lead_rows)
    figures = school_indicators(after, policy) if after.month else {}
    school = book.cover.get("学校名称")
    edits.append(SetPageHeaders(school if isinstance(school, str) else None, book.month))
    edits += summary_values(book, figures)
    return edits
