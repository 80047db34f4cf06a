"""The live-Excel side of the one data flow: an ``xlwings.Book`` → ``Grid`` (read) and ``Edit``s → the book (write).

Written only against the xlwings Book API, so the same code serves every route: the classic desktop add-in (COM
engine), xlwings Lite and xlwings Server (the remote/Office.js engine, where the book is the JSON the Excel client
sends and every write becomes an action in ``book.json()``).

Reading (``grid_from_book``): each sheet's used range is read with its offset, so a Grid row is exactly an Excel row
and ``reader.parse_grid`` types it exactly as ``baoxue validate`` does a file. Formula cells come from ``.formula``
where the engine gives them synchronously (desktop) or from ``await get_formula()`` in xlwings Lite
(``grid_from_book_async``); a sheet whose formulas the engine did not give (xlwings Server never sends them; a failed
Lite read) is named in ``LiveRead.formulas_unread``, so the buttons can say that F013 was not checked there. Custom
document properties come from the COM object where there is one.

Writing (``apply_xlwings``): the same cell-addressed plan the openpyxl applier takes (``baoxue.edits``): it writes the
cells each edit names and decides no position. What a live engine cannot read (fills and note authors on the remote
engine) is settled with ``previous_marks``: the cells baoxue marked last time are exactly
the cells named in the current ``校验结果`` sheet, so only those are cleared — a clerk's own colours and notes elsewhere
are never touched, and a cell that already carries a clerk's note keeps it (the finding is in ``校验结果`` all the same).
Strings are written as text: a leading apostrophe keeps Excel from turning ``=…``, ``2026-10`` or an ID into a formula,
a date or a number.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from baoxue import model, normalize
from baoxue.book import SchoolBook, TableLayout
from baoxue.carry import next_month_edits
from baoxue.cells import DATE_FORMAT
from baoxue.edits import (MARK_FILLS, ClearCells, ClearMarks, DeleteSheet, Edit, EnsureSheet, HideSheet,
                          RecordKeptNotes, SetBlock, SetColumnWidth, SetComment, SetFill, SetPageHeaders, SetValue,
                          cell_of, contiguous_runs, kept_notes_cell)
from baoxue.findings import Finding
from baoxue.grid import Grid
from baoxue.reader import canonical_sheet_name, computed_sheet_name, parse_grid
from baoxue.template import COMPUTED_FILL

KEPT_NOTES_HEADER = "保留了您自己批注的单元格"   # 校验结果, beside the table: cells where baoxue left the clerk's note
TEXT_PREFIX = "'"                 # Excel's text prefix: stored as text, not shown, not part of the value
_NUMERIC_LOOKING = set("0123456789")


# ============================================================================================== reading
def _canonical_sheet(name: str) -> str | None:
    """The model sheet a live sheet is read as: the clerk's sheets and the stamp, and the computed sheets (月报汇总,
    校验结果: their layouts, for planning the writes)."""
    return canonical_sheet_name(name) or computed_sheet_name(name)


def _sheet_visible(sheet) -> bool:
    try:
        return bool(sheet.visible)
    except (KeyError, NotImplementedError, AttributeError):
        return True


_OFFICE_JS_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#DATA!"})


def _remote_value(v: Any) -> Any:
    """A cell of the JSON the Excel client sends, typed the way the file reader types it: "" is empty; a date cell
    arrives as ``Date.toISOString()`` (always with milliseconds and Z). Other text — even ISO-looking text such as a
    stamp time — stays text (xlwings' own ``.value`` would turn any ISO-looking text into a datetime)."""
    if v == "" or v is None:
        return None
    if isinstance(v, str):
        if _OFFICE_JS_DATE.match(v):
            return dt.datetime.fromisoformat(v[:-5])
        if v in _EXCEL_ERRORS:
            return None
    return v


def _used_block(sheet) -> tuple[int, int, list[list[Any]]]:
    """(first row, first column, 2-D values) of the sheet's used range; empty cells are None."""
    rng = sheet.used_range
    if is_remote(sheet.book):
        raw = rng.raw_value
        return rng.row, rng.column, [[_remote_value(v) for v in r] for r in raw]
    values = rng.options(ndim=2).value
    if values is None:
        values = [[None]]
    return rng.row, rng.column, [list(r) for r in values]


def _anchored(row0: int, col0: int, block: list[list[Any]]) -> list[list[Any]]:
    """The block re-anchored at A1 (rows above / columns left of the used range are empty)."""
    pad = [None] * (col0 - 1)
    rows = [[] for _ in range(row0 - 1)]
    rows.extend(pad + r for r in block)
    return rows


def _formula_cells(sheet, row0: int, col0: int) -> set[tuple[int, int]] | None:
    """1-based (row, col) of cells holding a formula, or None when the engine cannot say synchronously."""
    try:
        formulas = sheet.used_range.formula
    except (NotImplementedError, AttributeError):
        return None
    return _formula_set(formulas, row0, col0)


def _formula_set(formulas, row0: int, col0: int) -> set[tuple[int, int]]:
    if isinstance(formulas, str):
        formulas = ((formulas,),)
    elif formulas and not isinstance(formulas[0], (list, tuple)):
        formulas = (tuple(formulas),)     # one row
    out = set()
    for i, row in enumerate(formulas or ()):
        for j, f in enumerate(row):
            if isinstance(f, str) and f.startswith("="):
                out.add((row0 + i, col0 + j))
    return out


def _properties(book) -> dict[str, str]:
    """Custom document properties (desktop COM only; the remote engine does not send them)."""
    try:
        props = book.api.CustomDocumentProperties
    except Exception:  # remote: api is a dict; mac / no pywin32: no COM object
        return {}
    out = {}
    try:
        for i in range(1, props.Count + 1):
            p = props.Item(i)
            out[str(p.Name)] = "" if p.Value is None else str(p.Value)
    except Exception:
        return out
    return out


def grid_from_book(book) -> Grid:
    """A live workbook as a Grid: the same structure ``reader.load_grid`` makes of a file."""
    grid = Grid(path=book_path(book), properties=_properties(book))
    for sheet in book.sheets:
        name = sheet.name
        grid.sheet_names.append(name)
        canonical = _canonical_sheet(name)
        if canonical is None:
            continue
        row0, col0, block = _used_block(sheet)
        grid.sheets[canonical] = _anchored(row0, col0, block)
        if not _sheet_visible(sheet):
            grid.hidden.add(canonical)
        cells = _formula_cells(sheet, row0, col0)      # the cover's too: a formula there is F013 as well
        if cells is not None:
            grid.formulas[canonical] = cells
    return grid


def _formula_read_errors() -> tuple[type[BaseException], ...]:
    """What a failed on-demand formula read raises: NotImplementedError on an engine without on-demand reads (xlwings
    Server; xlwings Lite's engine outside the browser), pyodide's JsException when the Excel client fails the read
    (xlwings Lite). Anything else is a bug and is not swallowed."""
    errors: list[type[BaseException]] = [NotImplementedError]
    try:
        from pyodide.ffi import JsException   # only inside xlwings Lite (Pyodide)
    except ImportError:
        pass
    else:
        errors.append(JsException)
    return tuple(errors)


FORMULA_READ_ERRORS = _formula_read_errors()


async def grid_from_book_async(book) -> Grid:
    """``grid_from_book`` plus formula cells fetched with ``await get_formula()`` (xlwings Lite). A sheet whose read
    fails the expected way (``FORMULA_READ_ERRORS``) stays out of ``grid.formulas`` (see ``formulas_unread``)."""
    grid = grid_from_book(book)
    for sheet in book.sheets:
        canonical = _canonical_sheet(sheet.name)
        if canonical not in model.CLERK_SHEETS or canonical in grid.formulas:
            continue   # the computed sheets' formulas are the template's (their values are what the layout needs)
        rng = sheet.used_range
        try:
            formulas = await rng.options(ndim=2).get_formula()
        except FORMULA_READ_ERRORS:
            continue
        grid.formulas[canonical] = _formula_set(formulas, rng.row, rng.column)
    return grid


def formulas_unread(grid: Grid) -> tuple[str, ...]:
    """The clerk's sheets (封面 and the data sheets) of ``grid`` whose formula cells the engine did not give: rule F013
    was not checked there."""
    return tuple(name for name in model.CLERK_SHEETS if name in grid.sheets and name not in grid.formulas)


@dataclass(frozen=True)
class LiveRead:
    """A live workbook as read for a button: the SchoolBook, and the sheets whose formulas could not be read."""
    book: SchoolBook
    formulas_unread: tuple[str, ...] = ()


def read_live(book) -> LiveRead:
    grid = grid_from_book(book)
    return LiveRead(parse_grid(grid), formulas_unread(grid))


async def read_live_async(book) -> LiveRead:
    grid = await grid_from_book_async(book)
    return LiveRead(parse_grid(grid), formulas_unread(grid))


def read_book(book) -> SchoolBook:
    """The live workbook as the reader makes it: ``parse_grid(grid_from_book(book))``."""
    return read_live(book).book


async def read_book_async(book) -> SchoolBook:
    return (await read_live_async(book)).book


def open_book(path):
    """Open a workbook file in the running Excel (classic desktop add-in)."""
    import xlwings as xw
    return xw.Book(str(path))


def book_path(book) -> str | None:
    try:
        full = book.fullname
    except Exception:
        return None
    return full if isinstance(full, str) and ("/" in full or "\\" in full) else None


def is_remote(book) -> bool:
    """True for xlwings Lite / Server books (the JSON engine): nothing is saved to the clerk's disk from Python."""
    return isinstance(getattr(book.impl if hasattr(book, "impl") else book, "api", None), dict)


# ============================================================================================== previous marks
def find_sheet(book, name: str):
    for sheet in book.sheets:
        if sheet.name == name or normalize.clean_header(sheet.name) == normalize.clean_header(name):
            return sheet
    return None


@dataclass
class Marks:
    """What baoxue marked at the last validation. ``cells``: the cells named in the current 校验结果 sheet (their fill
    and note are baoxue's); ``kept_notes``: those of them whose note is the clerk's own (baoxue did not put its note
    there, so it must never delete it). The second list lives in 校验结果 itself, beside the table (``KEPT_NOTES_HEADER``
    at ``edits.kept_notes_cell``), because the remote engine cannot tell who wrote a note."""
    cells: dict[str, set[tuple[int, int]]] = field(default_factory=lambda: defaultdict(set))
    kept_notes: set[tuple[str, int, int]] = field(default_factory=set)

    def get(self, sheet: str, default=None):
        return self.cells.get(sheet, default)


def _address(row: int, col: int) -> str:
    from openpyxl.utils import get_column_letter
    return f"{get_column_letter(col)}{row}"


def _parse_address(text: str) -> tuple[int, int] | None:
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string
    try:
        letters, row = coordinate_from_string(text.strip())
        return row, column_index_from_string(letters)
    except Exception:
        return None


def _at(rows: list[list[Any]], row: int, col: int) -> Any:
    """The value at 1-based (row, col) of rows anchored at A1 (None outside)."""
    if row - 1 < len(rows) and col - 1 < len(rows[row - 1]):
        return rows[row - 1][col - 1]
    return None


def previous_marks(parsed: SchoolBook) -> Marks:
    """The cells baoxue marked at the last validation: those named in the 校验结果 sheet the reader found (its header
    and rows: ``parsed.layouts``), and the kept-notes list beside it."""
    out = Marks()
    found = parsed.layouts.get(model.FINDINGS_SHEET)
    if not isinstance(found, TableLayout) or not found.header_row:
        return out
    rows, cols = found.rows, found.columns
    if not all(name in cols for name in ("工作表", "行号", "列名")):
        return out
    record = kept_notes_cell(parsed)
    if record is not None and _at(rows, *record) == KEPT_NOTES_HEADER:
        for item in str(_at(rows, record[0] + 1, record[1]) or "").split(";"):
            if "!" in item:
                sheet, addr = item.rsplit("!", 1)
                cell = _parse_address(addr)
                if cell:
                    out.kept_notes.add((sheet.strip(), *cell))
    for r in range(found.header_row + 1, len(rows) + 1):
        sheet, row, column = (_at(rows, r, cols[name]) for name in ("工作表", "行号", "列名"))
        if not isinstance(sheet, str) or not sheet.strip() or row in (None, ""):
            continue
        try:
            row = int(row)
        except (TypeError, ValueError):
            continue
        f = Finding("", "warning", sheet.strip(), row, (column or "").strip() or None, None, "")
        where = cell_of(parsed, f)
        if where is not None:
            out.cells[f.sheet].add(where)
    return out


# ============================================================================================== writing
def xl_value(value: Any) -> Any:
    """A typed value as it must be sent to Excel: text stays text (apostrophe prefix where Excel would convert it)."""
    if value is None:
        return ""
    if isinstance(value, str):
        if value and (value[0] in "=+-@'" or not _NUMERIC_LOOKING.isdisjoint(value)):
            return TEXT_PREFIX + value
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _hex(argb: str) -> str:
    argb = argb.lstrip("#")
    return "#" + (argb[2:] if len(argb) == 8 else argb)


class _Applier:
    """Writes the planned cells into a live book. It decides no position: every edit names its cells."""

    def __init__(self, book, marks: Marks | None):
        self.book = book
        self.marks = marks or Marks()
        self.kept_notes: set[tuple[str, int, int]] = set()      # clerk's notes left in place in this run
        self.touched_marks = False
        self.record: RecordKeptNotes | None = None
        self.remote = is_remote(book)
        self.noted: dict[str, set[tuple[int, int]]] = defaultdict(set)   # notes baoxue removed in this run
        self._sheets: dict[str, Any] = {}

    def sheet(self, name: str):
        if name not in self._sheets:
            self._sheets[name] = find_sheet(self.book, name)
        return self._sheets[name]

    # ------------------------------------------------------------------ cells
    def set_value(self, e: SetValue) -> None:
        rng = self.sheet(e.sheet).range((e.row, e.col))
        rng.value = xl_value(e.value)
        if isinstance(e.value, (dt.date, dt.datetime)):
            rng.number_format = e.number_format or DATE_FORMAT

    def set_block(self, e: SetBlock) -> None:
        sheet = self.sheet(e.sheet)
        sheet.range((e.row, e.col)).value = [[xl_value(v) for v in r] for r in e.rows]
        width = max(map(len, e.rows), default=0)
        dated = [j for j in range(width) if any(j < len(r) and isinstance(r[j], dt.date) for r in e.rows)]
        for j in dated:
            sheet.range((e.row, e.col + j), (e.row + len(e.rows) - 1, e.col + j)).number_format = DATE_FORMAT

    def clear_cells(self, e: ClearCells) -> None:
        sheet = self.sheet(e.sheet)
        for first, last in contiguous_runs(e.cols):
            sheet.range((e.first_row, first), (e.last_row, last)).clear_contents()

    def set_fill(self, e: SetFill) -> None:
        self.sheet(e.sheet).range((e.row, e.col)).color = _hex(e.color)

    def set_comment(self, e: SetComment) -> None:
        rng = self.sheet(e.sheet).range((e.row, e.col))
        try:
            note = rng.note
        except (NotImplementedError, AttributeError):
            return
        self.touched_marks = True
        if note is not None:
            if (e.row, e.col) not in self.noted[e.sheet]:
                self.kept_notes.add((e.sheet, e.row, e.col))
                return  # the clerk's own note: keep it (the finding is listed in 校验结果)
            note.delete()
        try:
            rng.add_note(e.text)
        except (NotImplementedError, ValueError):
            pass  # a client without notes (ExcelApi < 1.18): the fill and 校验结果 still show the finding

    def clear_marks(self, e: ClearMarks) -> None:
        self.touched_marks = True
        sheet = self.sheet(e.sheet)
        cells = self.marks.get(e.sheet) or set()
        if sheet is None or not cells:
            return
        mark_colors = {_hex(c).upper() for c in MARK_FILLS.values()}
        for row, col in sorted(cells):
            rng = sheet.range((row, col))
            if not self.remote:
                try:
                    current = rng.color
                except NotImplementedError:
                    current = None
                if current is not None and _rgb_hex(current) not in mark_colors:
                    continue  # the clerk recoloured it since: keep theirs
            rng.color = _computed_fill() if col in e.computed_cols else None
            try:
                note = rng.note
            except (NotImplementedError, AttributeError):
                note = None
            if note is not None and (e.sheet, row, col) not in self.marks.kept_notes:
                note.delete()
                self.noted[e.sheet].add((row, col))

    # ------------------------------------------------------------------ sheets
    def ensure_sheet(self, e: EnsureSheet) -> None:
        if self.sheet(e.sheet) is not None:
            return
        sheets = self.book.sheets
        new = sheets.add(e.sheet, after=sheets[len(sheets) - 1])
        self._sheets[e.sheet] = new
        # a blank sheet: the plan writes its content (代码表's lists; 月报汇总's and 校验结果's header and keys)

    def hide_sheet(self, e: HideSheet) -> None:
        try:
            self.sheet(e.sheet).visible = False
        except Exception:   # an engine that cannot hide sheets: the lists stay visible, the dropdowns work alike
            pass

    def delete_sheet(self, e: DeleteSheet) -> None:
        self.sheet(e.sheet).delete()
        self._sheets[e.sheet] = None

    def apply(self, edits: Iterable[Edit]) -> None:
        for e in edits:
            if isinstance(e, EnsureSheet):
                self.ensure_sheet(e)
                continue
            if isinstance(e, SetPageHeaders) or self.sheet(e.sheet) is None:
                continue   # page setup is not reachable through xlwings' remote engine; the template's header stays
            if isinstance(e, SetValue):
                self.set_value(e)
            elif isinstance(e, SetBlock):
                self.set_block(e)
            elif isinstance(e, ClearCells):
                self.clear_cells(e)
            elif isinstance(e, SetFill):
                self.set_fill(e)
            elif isinstance(e, SetComment):
                self.set_comment(e)
            elif isinstance(e, ClearMarks):
                self.clear_marks(e)
            elif isinstance(e, HideSheet):
                self.hide_sheet(e)
            elif isinstance(e, DeleteSheet):
                self.delete_sheet(e)
            elif isinstance(e, RecordKeptNotes):
                self.record = e
            elif isinstance(e, SetColumnWidth):
                pass   # column widths are not reachable through xlwings' remote engine
            else:  # pragma: no cover - a new Edit type without an applier is a programming error
                raise TypeError(f"unknown edit {e!r}")
        if self.touched_marks and self.record is not None:
            self.record_kept_notes(self.record)

    def record_kept_notes(self, e: RecordKeptNotes) -> None:
        """Write (or clear) the list of cells whose note is the clerk's, at the planned cell beside 校验结果's table."""
        sheet = self.sheet(e.sheet)
        if sheet is None or (not self.kept_notes and not self.marks.kept_notes):
            return
        text = ";".join(f"{s}!{_address(r, c)}" for s, r, c in sorted(self.kept_notes))
        sheet.range((e.row, e.col)).value = [[KEPT_NOTES_HEADER], [text]] if text else [[""], [""]]


def _computed_fill() -> str:
    """The template's grey on computed columns (restored when a mark is cleared)."""
    return _hex(str(COMPUTED_FILL.fgColor.rgb))


def _rgb_hex(color: Any) -> str:
    if isinstance(color, str):
        return color.upper() if color.startswith("#") else "#" + color.upper()
    if isinstance(color, tuple):
        return "#" + "".join(f"{int(c):02X}" for c in color[:3])
    return str(color).upper()


def apply_xlwings(book, edits: Iterable[Edit], parsed: SchoolBook | None = None,
                  marks: Marks | None = None) -> None:
    """Apply edits to a live xlwings Book, in order (the Excel client performs them; nothing is saved here).

    ``parsed`` is the SchoolBook read from this book before the edits (its 校验结果 names the cells baoxue marked last
    time); ``marks`` those cells (default: ``previous_marks(parsed)``)."""
    if marks is None:
        marks = previous_marks(parsed if parsed is not None else read_book(book))
    _Applier(book, marks).apply(edits)


# ============================================================================================== stamp and next month
def write_stamp(book, stamp) -> None:
    """The submission stamp in the live book: the hidden sheet ``model.STAMP_SHEET`` (key, value, 说明), all text.
    (``stamp.read_stamp`` accepts the sheet alone; document properties cannot be written from Office.js.)"""
    sheet = find_sheet(book, model.STAMP_SHEET)
    if sheet is None:
        sheets = book.sheets
        sheet = sheets.add(model.STAMP_SHEET, after=sheets[len(sheets) - 1])
    else:
        sheet.clear_contents()
    rows = [["键", "值", "说明"], *[[key, value, label] for key, value, label in stamp.items()]]
    sheet.range((1, 1)).value = [[xl_value(v) for v in r] for r in rows]
    try:
        sheet.visible = False
    except Exception:
        pass


def rewrite_for_month(book, parsed: SchoolBook, carried) -> None:
    """Turn the live book into next month's (desktop: the copy just made; xlwings Lite: the copy the clerk saved):
    the one next-month plan (``carry.next_month_edits``) addressed to this book as read (``parsed``), applied."""
    apply_xlwings(book, next_month_edits(carried, parsed), parsed)
