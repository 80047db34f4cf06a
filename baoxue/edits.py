"""Edits: cell operations on a workbook as plain data, and the openpyxl applier.

Computing what to change is pure (SchoolBook + findings + policy → ``list[Edit]``); applying it is a writer's job. Two
appliers exist for the same Edit types: ``apply_openpyxl(wb, edits)`` here (files, via ``baoxue update``) and
``baoxue.addin.bridge.apply_xlwings(book, edits)`` (a live Excel book). Every edit names its sheet and, where it touches
one cell, its 1-based row and column.

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

from . import __version__, cases, cells, idcard, model, normalize, template
from .book import SchoolBook
from .cells import DATE_FORMAT  # noqa: F401  (the add-in's applier formats dates alike)
from .findings import Finding, sort_key
from .indicators import INDICATORS, school_indicators
from .normalize import clean_header
from .template import FINDINGS_NOTE
from .indicators import RATES
from .template import set_page_header

MARK_AUTHOR = "baoxue"
MARK_TAG = "【baoxue 校验】"   # the first line of every comment baoxue writes; how its marks are recognised after any re-save
MARK_FILLS = {"error": "FFFFC7CE", "warning": "FFFFEB9C"}   # ARGB: light red (错误), light yellow (警告)
PYTHON_VALUE_HEADER = "程序计算值"   # 月报汇总: the column beside the live formulas holding baoxue's own figures
COMMENT_MAX_CHARS = 1500


# ============================================================================================== edit types
@dataclass(frozen=True)
class SetValue:
    """Write one typed value (str, int, float, date, None). A str is always written as text, never as a formula."""
    sheet: str
    row: int
    col: int
    value: Any
    number_format: str | None = None   # applied when the cell still has the General format (dates: ``DATE_FORMAT``)


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
    """Remove every mark baoxue made on a sheet (comments carrying ``MARK_TAG``; fills of exactly ``MARK_FILLS``)."""
    sheet: str


@dataclass(frozen=True)
class EnsureSheet:
    """Create a computed/template sheet (月报汇总, 校验结果, 代码表) when the workbook lacks it."""
    sheet: str


@dataclass(frozen=True)
class ReplaceTable:
    """Replace the rows under a sheet's header (found by its names within the first 10 rows) with ``rows``; a
    ``caption`` goes into column A of the row just above the header (the template's note row)."""
    sheet: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    caption: str | None = None
    added: tuple[str, ...] = ()   # header names an older sheet may lack: found without them, then written beside it


@dataclass(frozen=True)
class SetKeyedValues:
    """月报汇总-style sheets: for each (key, label, value), find the row whose cell holds ``key`` and write ``value`` in
    the column headed ``value_header`` (created beside the existing columns if absent). Formulas elsewhere are kept."""
    sheet: str
    value_header: str
    items: tuple[tuple[str, str, Any], ...]
    number_formats: tuple[tuple[str, str], ...] = ()   # (key, format): rates "0.00", as the formulas beside them


@dataclass(frozen=True)
class SetPageHeaders:
    """Every sheet's printed header names the school and the report month (``template.set_page_header``)."""
    school: str | None
    month: str | None
    sheet: str = ""   # all sheets


Edit = SetValue | SetFill | SetComment | ClearMarks | EnsureSheet | ReplaceTable | SetKeyedValues | SetPageHeaders


# ============================================================================================== planning (pure)
def findings_caption(policy) -> str:
    """The 校验结果 note row: what to do, and what the findings were checked with (program version, policy fingerprint)."""
    return f"{FINDINGS_NOTE}校验依据：baoxue {__version__}，策略指纹 {policy.fingerprint}。"


def findings_table(findings: Iterable[Finding], policy) -> ReplaceTable:
    """The whole 校验结果 write: one row per finding, and the caption naming the policy in effect."""
    return ReplaceTable(model.FINDINGS_SHEET, model.FINDINGS_COLUMNS, findings_rows(findings), findings_caption(policy),
                        model.FINDINGS_ADDED_COLUMNS)


def findings_rows(findings: Iterable[Finding]) -> tuple[tuple[Any, ...], ...]:
    """The 校验结果 rows (``model.FINDINGS_COLUMNS``), one per finding, in sheet/row/column order."""
    out = []
    for f in sorted(findings, key=sort_key):
        value = "" if f.value is None else (f.value if isinstance(f.value, (int, float)) else str(f.value))
        out.append((f.sheet or "", f.row if f.row is not None else "", f.column or "", f.cell or "", f.rule,
                    model.SEVERITY_LABELS.get(f.severity, f.severity), value, f.message))
    return tuple(out)


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


def plan_marks(book, findings: Iterable[Finding]) -> list[Edit]:
    """Clear stale marks on every clerk sheet present, then one fill + one comment per offending cell."""
    edits: list[Edit] = [ClearMarks(s) for s in model.CLERK_SHEETS if s not in book.missing_sheets]
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


def _value(ws, row: int, col: int) -> Any:
    cell = ws._cells.get((row, col))
    return None if cell is None else cell.value


def _find_header(ws, names: Iterable[str], scan_rows: int = 10) -> tuple[int, dict[str, int]] | None:
    wanted = {clean_header(n): n for n in names}
    for r in range(1, min(scan_rows, ws.max_row) + 1):
        found = {}
        for c in range(1, ws.max_column + 1):
            v = _value(ws, r, c)
            if isinstance(v, str) and clean_header(v) in wanted:
                found[wanted[clean_header(v)]] = c
        if len(found) == len(wanted):
            return r, found
    return None


def _column_style(ws, col: int):
    """The style a column gives its empty cells (the template unlocks the input area and formats it this way)."""
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= col <= dim.max:
            return dim._style if dim.has_style else None
    return None


def _cell(ws, row: int, col: int):
    """The cell at (row, col); a new cell takes its column's style (so protection and formats stay the template's)."""
    cell = ws._cells.get((row, col))
    if cell is None:
        cell = ws.cell(row, col)
        style = _column_style(ws, col)
        if style is not None:
            cell._style = copy.copy(style)
    return cell


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


def _replace_table(ws, header: tuple[str, ...], rows, caption: str | None = None, added: tuple[str, ...] = ()) -> None:
    found = _find_header(ws, header)
    if found is None and added:   # an older sheet without the added columns: keep its header, add them beside it
        found = _find_header(ws, [n for n in header if n not in added])
        if found is not None:
            header_row, cols = found
            for name in added:
                cols[name] = max(cols.values()) + 1
                cell = _cell(ws, header_row, cols[name])
                left = ws._cells.get((header_row, cols[name] - 1))
                if left is not None and left.has_style:
                    cell._style = copy.copy(left._style)
                cells.write(cell, name)
    if found is None:
        header_row = 2 if caption else 1
        for j, name in enumerate(header, 1):
            cells.write(_cell(ws, header_row, j), name)
        cols = {name: j for j, name in enumerate(header, 1)}
    else:
        header_row, cols = found
    if caption and header_row > 1:
        cells.write(_cell(ws, header_row - 1, 1), caption)
    columns = set(cols.values())
    for (r, c), cell in list(ws._cells.items()):   # the cells there are, not every position up to max_row
        if r > header_row and c in columns and cell.value is not None:
            cell.value = None
    order = [cols[name] for name in header]
    for i, values in enumerate(rows, start=header_row + 1):
        for c, v in zip(order, values):
            cells.write(_cell(ws, i, c), "" if v is None else v)


def _set_keyed_values(ws, value_header: str, items, number_formats: dict[str, str] | None = None) -> None:
    keys = {key for key, _label, _v in items}
    key_rows: dict[str, int] = {}
    key_cols: dict[int, int] = defaultdict(int)
    for (r, c), cell in sorted(ws._cells.items()):   # existing cells only: a stray far cell costs nothing
        if isinstance(cell.value, str) and cell.value.strip() in keys and cell.value.strip() not in key_rows:
            key_rows[cell.value.strip()] = r
            key_cols[c] += 1
    key_col = max(key_cols, key=key_cols.get) if key_cols else 2
    first_key_row = min(key_rows.values()) if key_rows else 2
    header_row = max(first_key_row - 1, 1)
    value_col = None
    for r in range(1, header_row + 1):
        for c in range(1, ws.max_column + 1):
            v = _value(ws, r, c)
            if isinstance(v, str) and v.strip() == value_header:
                value_col = c
    if value_col is None:
        last_row = max(key_rows.values()) if key_rows else header_row
        used = [c for (r, c), cell in ws._cells.items() if header_row <= r <= last_row and cell.value is not None]
        value_col = max(used + [key_col]) + 1
        head = ws.cell(header_row, value_col)
        cells.write(head, value_header)
        left = ws.cell(header_row, value_col - 1)
        if left.has_style:
            head._style = copy.copy(left._style)
        from openpyxl.utils import get_column_letter
        ws.column_dimensions[get_column_letter(value_col)].width = 14
    next_row = max([r for (r, c) in ws._cells if c in (key_col - 1, key_col, value_col)] + [header_row]) + 1
    for key, label, value in items:
        r = key_rows.get(key)
        if r is None:  # a key the sheet lacks: append a row (label before the key when there is room)
            r = next_row
            next_row += 1
            if key_col > 1:
                cells.write(_cell(ws, r, key_col - 1), label)
            cells.write(_cell(ws, r, key_col), key)
        cells.write(_cell(ws, r, value_col), "" if value is None else value, (number_formats or {}).get(key))


def apply_openpyxl(wb, edits: Iterable[Edit]) -> None:
    """Apply edits to an openpyxl Workbook in order (the caller saves, atomically)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

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
            cells.write(_cell(ws, e.row, e.col), e.value, e.number_format)
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
        elif isinstance(e, ReplaceTable):
            _replace_table(ws, e.header, e.rows, e.caption, e.added)
        elif isinstance(e, SetKeyedValues):
            _set_keyed_values(ws, e.value_header, e.items, dict(e.number_formats))
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


def plan_update(book, findings: Iterable[Finding], policy) -> list[Edit]:
    """Everything ``update`` writes, as edits: derived values, marks (stale ones cleared), the 校验结果 rows and the
    月报汇总 figures. ``findings`` should be those of the book with its derived values filled (see ``update.plan``)."""
    findings = list(findings)
    derived = derive_values(book)
    after = with_values(book, derived)
    edits: list[Edit] = list(derived)
    edits += plan_marks(book, findings)
    edits += [EnsureSheet(model.SUMMARY_SHEET), EnsureSheet(model.FINDINGS_SHEET), EnsureSheet(model.CODES_SHEET)]
    edits.append(findings_table(findings, policy))
    figures = school_indicators(after, policy) if after.month else {}
    school = book.cover.get("学校名称")
    edits.append(SetPageHeaders(school if isinstance(school, str) else None, book.month))
    edits.append(SetKeyedValues(model.SUMMARY_SHEET, PYTHON_VALUE_HEADER,
                                tuple((key, label, figures.get(key)) for key, label in INDICATORS),
                                tuple((key, "0.00") for key in RATES)))
    return edits
