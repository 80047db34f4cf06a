"""The reader: any SPEC workbook → SchoolBook (typed, normalised, every row with its Excel row number).

Two steps, so that a file and a live Excel book are read by the same code:
- ``load_grid(path)``: the file → Grid (values from python-calamine; formula cells and custom document properties from a
  scan of the zip). Everything a clerk might send that is not a readable workbook raises ``UnreadableWorkbook``
  with a Chinese message (→ rule S005), after checking declared sizes so a zip bomb never reaches the parser.
- ``parse_grid(grid)``: Grid → SchoolBook: header rows found by name within the first 10 rows, aliases mapped, any
  column order, extra columns kept aside, blank rows ignored, values normalised (SPEC §2.9) and typed; a value that cannot
  be typed becomes ``Invalid`` for the validators — never coerced, never a crash.
"""
from __future__ import annotations

import gc
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from . import model, normalize
from .book import Invalid, SchoolBook, UnreadableWorkbook
from .grid import Grid

HEADER_SCAN_ROWS = 10
MAX_FILE_BYTES = 60 * 1024 * 1024          # a school's monthly workbook is well under 1 MB
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024  # declared uncompressed size of all zip members
MAX_SHEET_XML_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200                             # declared compression ratio of a large member (zip bomb)
MAX_ROWS = 200_000
MAX_COLS = 1_000

SAVE_AS_XLSX = "请在 Excel 或 WPS 中打开后“另存为” Excel 工作簿（*.xlsx）再提交。"


# ============================================================================================== file → Grid
def _fail(path: Path, why: str) -> UnreadableWorkbook:
    return UnreadableWorkbook(f"文件“{path.name}”无法作为工作簿读取：{why}", str(path))


def _sniff(path: Path) -> None:
    """Reject what is plainly not an .xlsx before opening it as a zip."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UnreadableWorkbook(f"找不到文件“{path}”。请检查路径。", str(path)) from None
    if path.is_dir():
        raise _fail(path, "这是一个文件夹，不是工作簿。")
    if size == 0:
        raise _fail(path, "文件是空的（0 字节），可能保存或传输中断。请重新保存后再发送。")
    if size > MAX_FILE_BYTES:
        raise _fail(path, f"文件过大（{size / 1048576:.0f} MB），不像是一所学校的月报工作簿。请只保留标准模板中的工作表。")
    with open(path, "rb") as fh:
        head = fh.read(2048)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        ext = path.suffix.lower()
        if "EncryptedPackage".encode("utf-16-le") in _ole_head(path):
            raise _fail(path, "工作簿设置了打开密码（已加密）。请取消密码后另存为 .xlsx 再提交。")
        if ext == ".et":
            raise _fail(path, "这是 WPS 表格 .et 格式。" + SAVE_AS_XLSX)
        raise _fail(path, "这是旧版 Excel 97-2003（.xls）或其他 OLE 格式文件。" + SAVE_AS_XLSX)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<?xml", b"<table", b"<meta")) or b"<html" in stripped[:512]:
        raise _fail(path, "这是网页（HTML/XML）文件，只是扩展名为 .xls/.xlsx（常见于从系统导出的“伪 Excel”）。" + SAVE_AS_XLSX)
    if not head.startswith(b"PK"):
        raise _fail(path, "不是 Excel 工作簿（文件内容不是 .xlsx 格式），可能是其他类型的文件改了扩展名。" + SAVE_AS_XLSX)


def _ole_head(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(256 * 1024)


def _check_zip(path: Path, zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    infos = {i.filename: i for i in zf.infolist()}
    if "xl/workbook.xml" not in infos:
        if "mimetype" in infos or "content.xml" in infos:
            raise _fail(path, "这是 OpenDocument（.ods）表格。" + SAVE_AS_XLSX)
        if "word/document.xml" in infos:
            raise _fail(path, "这是 Word 文档，不是 Excel 工作簿。")
        raise _fail(path, "压缩包中没有工作簿内容，不是 .xlsx 文件。" + SAVE_AS_XLSX)
    total = sum(i.file_size for i in infos.values())
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _fail(path, f"解压后内容过大（声明 {total / 1048576:.0f} MB），疑似异常文件，已拒绝读取。")
    for info in infos.values():
        if info.file_size > 10 * 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _fail(path, "文件压缩比异常（疑似“压缩炸弹”），已拒绝读取。")
        if info.filename.startswith("xl/worksheets/") and info.file_size > MAX_SHEET_XML_BYTES:
            raise _fail(path, "某个工作表过大（行数或列数远超月报需要）。请删除多余的行列后再提交。")
    return infos


_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*?>(?:(?!</c>).){0,400}?<f[ >/]', re.S)


def _sheet_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → zip path of its XML."""
    wb = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for el in wb.iter():
        if el.tag.endswith("}sheet"):
            target = targets.get(el.get(_NS_REL), "")
            target = target.lstrip("/")
            out[el.get("name")] = target if target.startswith("xl/") else "xl/" + target
    return out


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _formula_cells(xml: bytes) -> set[tuple[int, int]]:
    if not re.search(rb"<f[ >/]", xml):
        return set()
    return {(int(m.group(2)), _col_index(m.group(1))) for m in _FORMULA_CELL.finditer(xml)}


def _custom_properties(zf: zipfile.ZipFile, infos) -> dict[str, str]:
    if "docProps/custom.xml" not in infos:
        return {}
    props = {}
    try:
        root = ElementTree.fromstring(zf.read("docProps/custom.xml"))
    except ElementTree.ParseError:
        return {}
    for prop in root:
        name = prop.get("name")
        if name is not None and len(prop):
            props[name] = prop[0].text or ""
    return props


def canonical_sheet_name(name: str) -> str | None:
    """The model sheet a workbook sheet name stands for (tolerating spaces and full-width characters)."""
    key = normalize.clean_header(name)
    return _SHEET_KEYS.get(key)


_SHEET_KEYS = {normalize.clean_header(n): n for n in model.CLERK_SHEETS + (model.STAMP_SHEET,)}


def load_grid(path: str | Path) -> Grid:
    """Read a workbook file into a Grid of the sheets baoxue knows (others are listed by name only)."""
    import python_calamine  # here, not at module level: the add-in (xlwings Lite, Pyodide) parses grids without it
    path = Path(path)
    _sniff(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = _check_zip(path, zf)
            sheet_paths = _sheet_paths(zf)
            formulas = {}
            for name, member in sheet_paths.items():
                canonical = canonical_sheet_name(name)
                if canonical and canonical != model.COVER_SHEET and member in infos:
                    formulas[canonical] = _formula_cells(zf.read(member))
            properties = _custom_properties(zf, infos)
    except UnreadableWorkbook:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, KeyError, ElementTree.ParseError, OSError, ValueError,
            NotImplementedError, RuntimeError) as e:
        raise _fail(path, "文件已损坏或不完整（可能下载或拷贝中断）。请让学校重新保存并发送。") from e
    grid = Grid(path=str(path), formulas=formulas, properties=properties)
    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            for meta in wb.sheets_metadata:
                grid.sheet_names.append(meta.name)
                canonical = canonical_sheet_name(meta.name)
                if canonical is None:
                    continue
                if str(meta.visible) != "SheetVisibleEnum.Visible":
                    grid.hidden.add(canonical)
                sheet = wb.get_sheet_by_name(meta.name)
                if sheet.total_height > MAX_ROWS or sheet.total_width > MAX_COLS:
                    raise _fail(path, f"工作表“{meta.name}”行列数过多（{sheet.total_height} 行 × {sheet.total_width} 列）。"
                                      "请删除多余的行列后再提交。")
                grid.sheets[canonical] = sheet.to_python(skip_empty_area=False)
        finally:
            wb.close()
    except UnreadableWorkbook:
        raise
    except python_calamine.PasswordError as e:
        raise _fail(path, "工作簿设置了密码。请取消密码后另存为 .xlsx 再提交。") from e
    except Exception as e:  # calamine raises several error types for broken content
        raise _fail(path, "文件内容损坏，无法解析。请让学校在 Excel/WPS 中打开确认后重新保存发送。") from e
    return grid


# ============================================================================================== Grid → SchoolBook
def header_keys(sheet: model.Sheet) -> dict[str, str]:
    keys = {}
    for col in sheet.columns:
        for label in (col.name, *col.aliases):
            keys[normalize.clean_header(label)] = col.name
    return keys


_HEADER_KEYS = {s.name: header_keys(s) for s in model.DATA_SHEETS}
_COVER_KEYS = {normalize.clean_header(f.label): f.label for f in model.COVER_FIELDS}


def _blank(v: Any) -> bool:
    return v is None or v == "" or (isinstance(v, str) and not v.strip())


def _cell(row: list, j: int) -> Any:
    return row[j] if j < len(row) else None


def find_header(rows: list[list], keys: dict[str, str]) -> tuple[int, dict[str, int], dict[int, str]] | None:
    """(0-based header row index, canonical column → 0-based col, extra col → header text) or None."""
    best = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        found: dict[str, int] = {}
        for j, v in enumerate(row):
            if isinstance(v, str) and v:
                canonical = keys.get(normalize.clean_header(v).rstrip("*＊"))
                if canonical and canonical not in found:
                    found[canonical] = j
        if len(found) >= 2 and (best is None or len(found) > len(best[1])):
            best = (i, found)
    if best is None:
        return None
    i, found = best
    used = set(found.values())
    extras = {j: str(v).strip() for j, v in enumerate(rows[i]) if j not in used and not normalize.is_empty(v)}
    return i, found, extras


def _typed_column(column: model.Column, values) -> list:
    """Normalise one column. Values repeat a lot (codes, dates), so each distinct raw value is typed once and the
    column is then mapped through that table at C speed."""
    fn = normalize.cell
    table = dict.fromkeys(values)
    if any(k.__class__ is bool for k in table):  # True == 1.0 as a dict key: type cell by cell
        return [None if v is None or v == "" else fn(column, v) for v in values]
    for k in table:
        table[k] = None if k is None or k == "" else fn(column, k)
    return list(map(table.__getitem__, values))


def _parse_sheet(book: SchoolBook, grid: Grid, sheet: model.Sheet) -> None:
    rows = grid.sheets[sheet.name]
    header = find_header(rows, _HEADER_KEYS[sheet.name])
    if header is None:
        book.missing_columns[sheet.name] = sheet.column_names
        book.header_rows[sheet.name] = 0
        book.sheets[sheet.name] = _frame(sheet, [], {})
        return
    hi, found, extras = header
    book.header_rows[sheet.name] = hi + 1
    book.header_columns[sheet.name] = {c: j + 1 for c, j in found.items()}
    book.missing_columns[sheet.name] = [c for c in sheet.column_names if c not in found]
    data_rows = []
    excel_rows = []
    for i in range(hi + 1, len(rows)):
        row = rows[i]
        if row.count("") + row.count(None) == len(row) or all(_blank(v) for v in row):
            continue
        data_rows.append(row)
        excel_rows.append(i + 1)
    width = max((len(r) for r in data_rows), default=0)
    transposed = list(zip(*(r if len(r) == width else list(r) + [None] * (width - len(r)) for r in data_rows)))
    def raw_column(j: int | None):
        return transposed[j] if j is not None and j < len(transposed) else [None] * len(data_rows)

    columns = {col.name: _typed_column(col, raw_column(found.get(col.name))) for col in sheet.columns}
    formula_cells = grid.formulas.get(sheet.name) or set()
    if formula_cells:
        for col_name, j in found.items():
            values = columns[col_name]
            for k, r in enumerate(excel_rows):
                if (r, j + 1) in formula_cells:
                    raw = normalize.raw_text(_cell(data_rows[k], j))
                    values[k] = Invalid(raw or "(公式)", "formula")
        # a formula in an otherwise empty row is found by the row scan only when it has a cached value
    book.sheets[sheet.name] = _frame(sheet, excel_rows, columns)
    if extras:
        book.extras[sheet.name] = pd.DataFrame(
            {name: list(raw_column(j)) for j, name in extras.items()}
            | {"_row": excel_rows})


def _frame(sheet: model.Sheet, excel_rows: list[int], columns: dict[str, list]) -> pd.DataFrame:
    names = sheet.column_names
    n = len(excel_rows)
    block = np.empty((n, len(names)), dtype=object)  # one 2-D object block: far cheaper than a Series per column
    for j, c in enumerate(names):
        values = columns.get(c)
        block[:, j] = values if values is not None else None
    df = pd.DataFrame(block, columns=names, dtype=object, copy=False)
    df["_row"] = np.asarray(excel_rows, dtype="int64")
    return df


def _parse_cover(book: SchoolBook, rows: list[list]) -> None:
    for i, row in enumerate(rows):
        label = _cell(row, 0)
        if not isinstance(label, str):
            continue
        key = _COVER_KEYS.get(normalize.clean_header(label).rstrip(":：*＊"))
        if key is None or key in book.cover_rows:
            continue
        book.cover_rows[key] = i + 1
        book.cover[key] = normalize.cover_value(model.COVER[key], _cell(row, 1))
    for f in model.COVER_FIELDS:
        book.cover.setdefault(f.label, None)


def parse_grid(grid: Grid) -> SchoolBook:
    book = SchoolBook(path=grid.path, properties=dict(grid.properties))
    book.other_sheets = [n for n in grid.sheet_names if canonical_sheet_name(n) is None]
    if model.COVER_SHEET in grid.sheets:
        _parse_cover(book, grid.sheets[model.COVER_SHEET])
    else:
        book.missing_sheets.append(model.COVER_SHEET)
        book.cover = {f.label: None for f in model.COVER_FIELDS}
    for sheet in model.DATA_SHEETS:
        if sheet.name in grid.sheets:
            _parse_sheet(book, grid, sheet)
        else:
            book.missing_sheets.append(sheet.name)
            book.sheets[sheet.name] = _frame(sheet, [], {})
    stamp_rows = grid.sheets.get(model.STAMP_SHEET)
    if stamp_rows:
        book.stamp_sheet = {str(r[0]).strip(): normalize.raw_text(_cell(r, 1)) or ""
                            for r in stamp_rows if r and isinstance(r[0], str) and r[0].strip()}
    return book


def read_workbook(path: str | Path) -> SchoolBook:
    """Read one school workbook. Raises ``UnreadableWorkbook`` (Chinese message) for anything that is not one."""
    # Reading allocates one list per row and one object per cell, none of them in reference cycles: pausing the cyclic
    # garbage collector meanwhile stops it from re-scanning everything the caller holds, again and again.
    paused = gc.isenabled()
    gc.disable()
    try:
        return parse_grid(load_grid(path))
    finally:
        if paused:
            gc.enable()
