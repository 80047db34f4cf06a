"""The reader: any SPEC workbook → SchoolBook (typed, normalised, every row with its Excel row number).

Two steps, so that a file and a live Excel book are read by the same code:
- ``load_grid(path)``: the file → Grid (values from python-calamine; formula cells and custom document properties from a
  scan of the zip). Everything a clerk might send that is not a readable workbook raises ``UnreadableWorkbook``
  with a Chinese message (→ rule S005): any OSError, any parser error, and — checked before the parser sees them — zip
  bombs and sheets whose used range would be too many cells to hold. The content decides the format, not the extension.
- ``parse_grid(grid)``: Grid → SchoolBook: header rows found by name within the first 10 rows, aliases mapped, any
  column order, extra columns kept aside, blank rows ignored, values normalised (SPEC §2.9) and typed; a value that cannot
  be typed becomes ``Invalid`` for the validators — never coerced, never a crash. When the grid holds the computed
  sheets (``computed_sheets=True``; the add-in's live read), their layouts too (``table_layout``, ``keyed_layout``):
  this module is the one place that finds where a workbook has its headers and keys, and the writers' plans address
  their cells from what it found.

A roll-up reads thousands of books made by the same tool, mostly small: the same theme, styles and empty sheets byte for
byte, the same header rows, the same codes and dates as text. What depends only on such bytes or text is worked out once
per process and kept, bounded (the inflated members: ``zipcheck``; a small sheet's scan; the parts' prologs:
``xlsx_scan``; a header row's cells; a text's typed value): only what passed is kept, keyed by everything it depends on
(a refusal is found again), and what a book reads as never depends on the books read before (tests/test_reader_memos.py).
python-calamine reads the members as the checks inflated them, stored (a book over ``STORED_BYTES`` inflated: the checked
file itself), not the file's compressed bytes again.
"""
from __future__ import annotations

import dataclasses
import gc
import io
import posixpath
import re
import struct
import threading
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache, partial
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pandas as pd

from . import layout, model, normalize, xlsx_scan, zipcheck
from .book import KeyedLayout, SchoolBook, TableLayout, UnreadableWorkbook
from .grid import ActiveContent, Grid
from .indicator_definitions import INDICATORS
from .normalize import Invalid
from .paths import MAX_FILE_BYTES, EntryError, read_regular, shown, shown_name  # noqa: F401 (MAX_FILE_BYTES: the limit)

HEADER_SCAN_ROWS = 10
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024  # declared uncompressed size of all zip members
MAX_SHEET_XML_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200                             # declared compression ratio of a large member (zip bomb)
MAX_ROWS = 200_000
MAX_COLS = 1_000
MAX_CELLS = 10_000_000                      # rows × columns of one sheet's used range (A1 to its last cell)

SAVE_AS_XLSX = "请在 Excel 或 WPS 中打开后“另存为” Excel 工作簿（*.xlsx）再提交。"


# ============================================================================================== file → Grid
def _fail(path: Path, why: str, advice: str = "") -> UnreadableWorkbook:
    """``advice``: what the school that sent the file should do (another sender's is put in by ``readdressed``)."""
    return UnreadableWorkbook(f"文件“{shown_name(path.name)}”无法作为工作簿读取：{why}", shown(path), advice)


def _sniff(path: Path) -> bytes:
    """Reject what is plainly not an .xlsx before opening it as a zip; the file's bytes otherwise (read once, and only
    from a regular file within the size limit: ``paths.read_regular``)."""
    try:
        data = read_regular(path, MAX_FILE_BYTES)
    except EntryError as e:
        raise UnreadableWorkbook(e.message, shown(path)) from None
    if not data:
        raise _fail(path, "文件是空的（0 字节），可能保存或传输中断。请重新保存后再发送。")
    head = data[:2048]
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        ext = path.suffix.lower()
        if "EncryptedPackage".encode("utf-16-le") in data[:256 * 1024]:
            raise _fail(path, "工作簿设置了打开密码（已加密）。请取消密码后另存为 .xlsx 再提交。")
        if ext == ".et":
            raise _fail(path, "这是 WPS 表格 .et 格式。" + SAVE_AS_XLSX)
        raise _fail(path, "这是旧版 Excel 97-2003（.xls）或其他 OLE 格式文件。" + SAVE_AS_XLSX)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<?xml", b"<table", b"<meta")) or b"<html" in stripped[:512]:
        raise _fail(path, "这是网页（HTML/XML）文件，只是扩展名为 .xls/.xlsx（常见于从系统导出的“伪 Excel”）。" + SAVE_AS_XLSX)
    if not head.startswith(b"PK"):
        raise _fail(path, "不是 Excel 工作簿（文件内容不是 .xlsx 格式），可能是其他类型的文件改了扩展名。" + SAVE_AS_XLSX)
    return data


def _check_zip(path: Path, members: list) -> dict[str, zipfile.ZipInfo | zipcheck.Member]:
    infos = {i.filename: i for i in members}
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


def _sheet_paths(read) -> dict[str, str]:
    """Sheet name → zip path of its XML (``read(member)``: the member's bytes)."""
    wb = xlsx_scan.parse_xml(read("xl/workbook.xml"), "xl/workbook.xml")
    rels = xlsx_scan.parse_xml(read("xl/_rels/workbook.xml.rels"), "xl/_rels/workbook.xml.rels")
    known = _SHEET_PATHS.get((wb, rels))   # the trees of parts seen before are the same objects (xlsx_scan.parse_xml)
    if known is not None:
        return dict(known)
    targets = {r.get("Id"): r.get("Target") or "" for r in rels}
    out = {}
    for el in wb.iter():
        if el.tag.endswith("}sheet"):
            target = targets.get(el.get(_NS_REL), "").replace("\\", "/").lstrip("/")
            out[el.get("name")] = posixpath.normpath(target if target.startswith("xl/") else "xl/" + target)
    if len(_SHEET_PATHS) >= 64:
        _SHEET_PATHS.clear()
    _SHEET_PATHS[(wb, rels)] = dict(out)
    return out


_SHEET_PATHS: dict[tuple, dict[str, str]] = {}   # (workbook tree, its relationships' tree) -> _sheet_paths


# ---------------------------------------------------------------------------------------------- sheet XML scans
# A worksheet's cells are the <c> elements of its <sheetData>: <c r="F5" s="10"><f>…</f><v>…</v></c>, or self-closing
# <c r="E5" s="10"/> for an empty formatted cell (the template has hundreds). Attributes come in any order, elements may
# carry a namespace prefix (<x:c>), and r may even be missing (then the cell follows the previous one). The scans below
# work on the raw bytes with bytes.find/rfind (C speed) and fall back to a full tag-by-tag walk only when the sheet's
# <dimension> cannot be trusted. They only size a sheet up; what a cell holds (a formula) is decided by an XML parser.
_CELL_R = re.compile(rb"""\sr\s*=\s*["']\$?([A-Za-z]{1,3})\$?(\d{1,7})["']""")
_ROW_R = re.compile(rb"""\sr\s*=\s*["'](\d{1,7})["']""")
_TAG = re.compile(rb"<(?:[\w.-]+:)?(row|c)(?=[\s/>])([^>]*)>")
_DIMENSION = re.compile(rb"""<(?:[\w.-]+:)?dimension\b[^>]*?\sref\s*=\s*["']([^"']*)["']""")
_REF = re.compile(rb"\$?([A-Za-z]{1,3})\$?(\d{1,7})")


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


class _SheetXml:
    """Where the cells of one worksheet XML are: [start, end) of its <sheetData> and the element prefix (b"" or b"x:")."""
    __slots__ = ("xml", "start", "end", "prefix")

    def __init__(self, xml: bytes):
        self.xml = xml
        i = xml.find(b"sheetData")
        if i < 0:
            self.start = self.end = len(xml)
            self.prefix = b""
            return
        lt = xml.rfind(b"<", 0, i)
        prefix = xml[lt + 1:i] if lt >= 0 else b""
        self.prefix = prefix if prefix == b"" or (prefix.endswith(b":") and len(prefix) < 40) else b""
        self.start = i
        j = xml.rfind(b"sheetData")
        self.end = j if j > i else i  # <sheetData/>: no cells


def _has_content(xml: bytes, tag_end: int) -> bool:
    """Whether the <c …> start tag ending at ``tag_end`` has a child (a value, an inline string or a formula)."""
    return xml[tag_end:tag_end + 2] != b"</"


def _walk(sheet: _SheetXml) -> tuple[int, int]:
    """Tag by tag: (last row, last column) holding anything (a value, an inline string or a formula). The slow path of
    the size check (formula cells are found by ``xlsx_scan`` with an XML parser)."""
    xml = sheet.xml
    row = col = max_row = max_col = 0
    for m in _TAG.finditer(xml, sheet.start, sheet.end):
        attrs = m.group(2)
        if m.group(1) == b"row":
            r = _ROW_R.search(attrs)
            row = int(r.group(1)) if r else row + 1
            col = 0
            continue
        r = _CELL_R.search(attrs)
        if r:
            col, cell_row = _col_index(r.group(1)), int(r.group(2))
        else:
            col, cell_row = col + 1, row
        if attrs.endswith(b"/") or not _has_content(xml, m.end()):
            continue
        max_row, max_col = max(max_row, cell_row), max(max_col, col)
    return max_row, max_col


def _last_ref(sheet: _SheetXml) -> tuple[int, int]:
    """(row, col) of the last <row> and the last cell in the XML (0 when absent): cheap evidence against a stale
    <dimension>, rows and cells being stored in order."""
    xml, start, end = sheet.xml, sheet.start, sheet.end
    row = col = 0
    rtag = b"<" + sheet.prefix + b"row"
    i = xml.rfind(rtag, start, end)
    if i >= 0:
        r = _ROW_R.search(xml, i + len(rtag), xml.find(b">", i, end))
        row = int(r.group(1)) if r else 0
    ctag = b"<" + sheet.prefix + b"c "
    i = xml.rfind(ctag, start, end)
    if i >= 0:
        r = _CELL_R.search(xml, i + len(ctag) - 1, xml.find(b">", i, end))
        if r:
            row, col = max(row, int(r.group(2))), _col_index(r.group(1))
    return row, col


SIX_DIGIT_ROWS = 999_999


def _referenced_bound(sheet: _SheetXml, max_rows: int = MAX_ROWS) -> tuple[int, int] | None:
    """An upper bound (rows, cols) of the cells from every cell's own reference (formatted empty cells included, so
    never less than what python-calamine stores), for a sheet without a <dimension>: a few searches of the usual
    ``<c r="A1"`` form, far cheaper than the tag walk on a county's long list. None when some cell is written another
    way (then only the walk can place it). The rows: 999,999 when no reference has seven digits and that bound is
    within the limits (a county's list), else the largest row referenced."""
    xml, start, end = sheet.xml, sheet.start, sheet.end
    ctag = b"<" + sheet.prefix + b"c"
    head = re.escape(ctag) + rb' r="'
    if re.compile(re.escape(ctag) + rb'(?=[\s>/])(?! r="[A-Z]{1,3}[0-9]{1,7}")').search(xml, start, end):
        return None   # a cell tag without the usual reference first
    columns = re.compile(head + rb'([A-Z]{1,3})[0-9]{1,7}"').findall(xml, start, end)
    if not columns:
        return 0, 0
    widest = _col_index(max(set(columns), key=lambda letters: (len(letters), letters)))
    if (not _too_large(SIX_DIGIT_ROWS, widest, max_rows)
            and not re.compile(head + rb'[A-Z]{1,3}[0-9]{7}"').search(xml, start, end)):
        return SIX_DIGIT_ROWS, widest
    rows = re.compile(head + rb'[A-Z]{1,3}([0-9]{1,7})"').findall(xml, start, end)
    return max(map(int, rows)), widest


@lru_cache(maxsize=None)
def _odd_cell_tag(prefix: bytes, max_rows: int) -> re.Pattern | None:
    """A cell tag other than ``<c r="A1"`` with a column letter and a row of at most six digits that keep
    999,999 rows within the limits; None when no column would (the limits of a school's sheet)."""
    widest = max((w for w in range(1, 27) if not _too_large(SIX_DIGIT_ROWS, w, max_rows)), default=0)
    if not widest:
        return None
    ctag = re.escape(b"<" + prefix + b"c")
    return re.compile(ctag + rb'(?=[\s>/])(?! r="[A-' + bytes([64 + widest]) + rb'][0-9]{1,6}")')


def _plain_long_list(sheet: _SheetXml, max_rows: int) -> bool:
    """Whether a sheet without a <dimension> is within the limits by one search, before ``_referenced_bound`` counts
    its references (a county's long list: every cell written ``<c r="J123456"``, so at most 999,999 rows of a few
    columns). False only means: look closer."""
    odd = _odd_cell_tag(sheet.prefix, max_rows)
    return odd is not None and odd.search(sheet.xml, sheet.start, sheet.end) is None


def _declared_extent(sheet: _SheetXml) -> tuple[int, int] | None:
    """(rows, cols) from A1 to the bottom-right corner of <dimension ref="A1:AE503"/>, or None when absent/garbled."""
    m = _DIMENSION.search(sheet.xml, 0, sheet.start)
    if not m:
        return None
    corner = _REF.fullmatch(m.group(1).rsplit(b":", 1)[-1].strip())
    if not corner:
        return None
    return int(corner.group(2)), _col_index(corner.group(1))


def _too_large(rows: int, cols: int, max_rows: int = MAX_ROWS) -> bool:
    return rows > max_rows or cols > MAX_COLS or rows * cols > MAX_CELLS


def _oversized(path: Path, name: str, rows: int, cols: int) -> UnreadableWorkbook:
    return _fail(path, f"工作表“{name}”过大：已用区域达 {rows} 行 × {cols} 列，远超月报需要，无法读取。"
                       "通常是远处的某个单元格误输入了内容（哪怕只是一个空格）。请在该工作表中按 Ctrl+End 找到最后一个"
                       "单元格，选中数据下方所有多余的空行、右侧所有多余的空列，右键“删除”（不要只按 Delete 键），"
                       "保存后再提交。")


def _check_extent(path: Path, name: str, sheet: _SheetXml, max_rows: int = MAX_ROWS) -> None:
    """Refuse a sheet whose cells span more than MAX_CELLS before python-calamine allocates them (it stores the used
    range densely: one stray value at row 199,999, column 999 means 200 million cells). <dimension> is trusted only when
    it is small and the last row/cell agree with it; otherwise the cells are walked (formatted empty cells, often left
    far away by clerks, do not count: python-calamine does not store them either)."""
    declared = _declared_extent(sheet)
    if declared is not None and not _too_large(*declared, max_rows):
        last_row, last_col = _last_ref(sheet)
        if last_row <= declared[0] and last_col <= declared[1]:
            return
    if declared is None and _plain_long_list(sheet, max_rows):
        return
    bound = _referenced_bound(sheet, max_rows) if declared is None else None
    if bound is not None and not _too_large(*bound, max_rows):
        return
    rows, cols = _walk(sheet)
    if _too_large(rows, cols, max_rows):
        raise _oversized(path, name, rows, cols)


def _custom_properties(read, infos) -> dict[str, str]:
    if "docProps/custom.xml" not in infos:
        return {}
    props = {}
    try:
        root = xlsx_scan.parse_xml(read("docProps/custom.xml"), "docProps/custom.xml")
    except ElementTree.ParseError:
        return {}
    for prop in root:
        name = prop.get("name")
        if name is not None and len(prop):
            props[name] = prop[0].text or ""
    return props


def canonical_sheet_name(name: str) -> str | None:
    """The model sheet a workbook sheet name stands for (tolerating spaces and full-width characters)."""
    return _SHEET_KEYS.get(_clean(name)) if name.__class__ is str else _SHEET_KEYS.get(normalize.clean_header(name))


_SHEET_KEYS = {normalize.clean_header(n): n for n in model.CLERK_SHEETS + (model.STAMP_SHEET,)}
COMPUTED_SHEETS = (model.SUMMARY_SHEET, model.FINDINGS_SHEET)   # what baoxue writes; read for their layout only
_COMPUTED_SHEET_KEYS = {normalize.clean_header(n): n for n in COMPUTED_SHEETS}


def computed_sheet_name(name: str) -> str | None:
    """The computed sheet (月报汇总, 校验结果) a workbook sheet name stands for, like ``canonical_sheet_name``."""
    return _COMPUTED_SHEET_KEYS.get(normalize.clean_header(name))


RESEND = "请让学校重新保存并发送。"
RESAVE = "请让学校在 Excel 或 WPS 中打开后重新保存并发送。"
RESAVE_CHECKED = "请让学校在 Excel/WPS 中打开确认后重新保存发送。"
CORRUPT = "文件已损坏或不完整（可能下载或拷贝中断）。"


def _memory_error(path: Path) -> UnreadableWorkbook:
    return _fail(path, "文件内容过大，内存不足，无法读取。请删除多余的行列和工作表后再提交。")


DTD_REFUSED = ("文件中含有 XML 文档类型定义（DTD）。Excel、WPS 和 LibreOffice 都不会生成这样的文件，它可能被篡改过，"
               "已拒绝读取。请在 Excel 或 WPS 中打开后另存为新的 .xlsx 文件再提交。")


class _package_errors:
    """What a damaged or hostile part of the package provokes becomes the one S005 message that says what to do (a
    context manager; a class, as it is entered for every sheet of every book)."""
    __slots__ = ("path",)

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, kind, e, traceback) -> bool:
        if e is None or isinstance(e, UnreadableWorkbook) or not isinstance(e, Exception):
            return False
        if isinstance(e, xlsx_scan.ForbiddenXml):
            raise _fail(self.path, DTD_REFUSED) from None
        if isinstance(e, MemoryError):
            raise _memory_error(self.path) from e
        raise _fail(self.path, CORRUPT, RESEND) from e   # zipfile, zlib, XML and anything else a damaged member provokes


def _scan_sheet(path: Path, read, name: str, member: str, loaded: bool = True,
                max_rows: int = MAX_ROWS, names=None) -> list[ActiveContent]:
    """Check one sheet's XML (``read(member)``: a ``_Package``'s checked bytes): its size when python-calamine is to
    load it (``loaded``); every formula cell and every hyperlink leaving the workbook on it (``xlsx_scan``, an XML
    parser). ``names``: the package's member names, when at hand (a sheet without relationships has no links)."""
    with _package_errors(path):
        xml = read(member)
        hyperlinks = (xlsx_scan.external_hyperlinks(read, member)
                      if names is None or xlsx_scan.rels_part(member) in names else {})
        # a sheet's scan depends on its bytes and the limits only: the same small sheet (a tool writes the same empty
        # sheets into every school's book) is scanned once (only what passed is kept: a refusal is found again)
        key = ((xml, loaded, max_rows, bool(hyperlinks), MAX_COLS, MAX_CELLS, _check_extent)
               if len(xml) <= SCANNED_BYTES else None)
        scanned = _recall_scan(key) if key is not None else None
        if scanned is None:
            if loaded:
                _check_extent(path, name, _SheetXml(xml), max_rows)
            scanned = xlsx_scan.sheet_formulas(xml, member, links=bool(hyperlinks))
            if key is not None:
                _remember_scan(key, scanned)
        formulas, links = scanned
    if not formulas and not links:
        return []
    items = [ActiveContent("formula", name, r, c, text) for (r, c), text in formulas.items()]
    return items + [xlsx_scan.link_item(name, ref, hyperlinks[rid]) for ref, rid in links if rid in hyperlinks]


SCANNED_BYTES = 16 * 1024   # sheets up to this size have their scan kept (_SCANNED), by their bytes
_SCANNED: dict[tuple, tuple[dict, list]] = {}   # (sheet XML, what the scan depends on) -> (formulas, links)
_SCANNED_LOCK = threading.Lock()   # the household line reads two lists at a time, in threads


def _recall_scan(key: tuple) -> tuple[dict, list] | None:
    with _SCANNED_LOCK:
        scanned = _SCANNED.pop(key, None)
        if scanned is not None:
            _SCANNED[key] = scanned   # the most recently used last
        return scanned


def _remember_scan(key: tuple, scanned: tuple[dict, list]) -> None:
    with _SCANNED_LOCK:
        _SCANNED.pop(key, None)
        if len(_SCANNED) >= 256:
            del _SCANNED[next(iter(_SCANNED))]   # the least recently used (at most 256 × 16 KB kept)
        _SCANNED[key] = scanned


KEEP_INFLATED = 16 * 1024 * 1024   # members up to this size are kept as inflated by the check (no second inflate)
ZIP_LIE = "压缩包中的内容与它声明的大小或校验值不符（疑似“压缩炸弹”，或文件在传输中损坏），已拒绝读取。"


class _Package:
    """An .xlsx file's zip after the checks: member sizes declared within limits (``_check_zip``), then every member
    inflated as a stream with a hard cap (``zipcheck``), so no later reader — zipfile, an XML parser, python-calamine,
    openpyxl — inflates more than the declared, capped sizes. ``read(name)``: a member's bytes; ``members``: the
    central directory's entries in order (``zipcheck.plain_members``, or ``zipfile``'s for any other zip)."""

    def __init__(self, path: Path, data: bytes, keep_inflated: int = KEEP_INFLATED):
        self.data = data
        self._zf = None
        members = zipcheck.plain_members(data)
        self.members = members if members is not None else self.zipfile().infolist()
        self.infos = _check_zip(path, self.members)
        try:
            self.kept = zipcheck.inflate_members(data, self.members, MAX_SHEET_XML_BYTES,
                                                 keep=lambda info: info.file_size <= keep_inflated)
        except zipcheck.ZipLie:
            raise _fail(path, ZIP_LIE, RESAVE) from None

    def zipfile(self) -> zipfile.ZipFile:
        """The zip opened by ``zipfile`` (only for what was not kept, or not read by ``zipcheck.plain_members``)."""
        if self._zf is None:
            self._zf = zipfile.ZipFile(io.BytesIO(self.data))
        return self._zf

    def read(self, name: str) -> bytes:
        kept = self.kept.get(name)
        if kept is not None:
            return kept
        if name not in self.infos:
            raise KeyError(name)   # as zipfile says it, without its search
        return self.zipfile().read(name)

    def close(self) -> None:
        if self._zf is not None:
            self._zf.close()


OPENPYXL_MAX_CELLS = 600_000   # stored cells a whole-file openpyxl load may meet (≈ 0.9 KB each): 4× the fullest book
_CELL_TAG = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")


def check_package(path: str | Path, max_cells: int | None = None) -> bytes:
    """The reader's guards for a library that loads the whole file (openpyxl, in ``update`` and ``submit``): a regular
    file within the size limit, the zip checks and capped inflation of every member, no DTD, every worksheet — not
    only the ones the reader types — within the extent limits, and at most ``max_cells`` stored cells in all.
    Raises ``UnreadableWorkbook`` (Chinese message). ``max_cells`` defaults to ``OPENPYXL_MAX_CELLS``. Returns the
    bytes it checked: the library is to load those, not the path again (a file replaced in between would skip the
    checks)."""
    path = Path(path)
    max_cells = max_cells or OPENPYXL_MAX_CELLS
    data = _sniff(path)
    with _package_errors(path):
        pkg = _Package(path, data)
        total = 0
        for name, member in _sheet_paths(pkg.read).items():
            if member not in pkg.infos:
                continue
            xml = pkg.read(member)
            xlsx_scan.check_xml(xml, member)
            sheet = _SheetXml(xml)
            _check_extent(path, name, sheet)
            total += sum(1 for _ in _CELL_TAG.finditer(xml, sheet.start, sheet.end))
            if total > max_cells:
                raise _fail(path, f"工作簿的单元格过多（超过 {max_cells} 个，工作表“{name}”处），远超月报需要，无法改写。"
                                  "请删除多余的工作表，以及数据下方、右侧多余的行列后再试。")
    return data


# python-calamine panics (a Rust panic, with a backtrace on stderr) on a date-styled number far below Excel's date range
# (<v>-1e12</v>): such a cell goes to python-calamine without its style, so it arrives as the number it is and the
# type stage reports it (F003) — the sheet's other cells and every check see the file as it is.
_NEGATIVE_VALUE = re.compile(rb"<((?:[\w.-]+:)?c)(\s[^>]*?)?(\ss\s*=\s*[\"'][^\"']*[\"'])([^>]*)>(\s*<(?:[\w.-]+:)?v>\s*(-[^<]*)<)")
DATE_FLOOR = -2_958_465.0   # serials below minus Excel's largest date are no date any client shows


def _has_negative_value(xml: bytes) -> bool:
    """Whether ``b">-"`` or ``b"> -"`` occurs in ``xml``: a search for the rare ``-`` (memchr, far faster than a
    two-byte search) and a look at what precedes each."""
    i = xml.find(b"-", 1)
    while i >= 0:
        before = xml[i - 1]
        if before == 0x3E or (before == 0x20 and i >= 2 and xml[i - 2] == 0x3E):   # ">-" or "> -"
            return True
        i = xml.find(b"-", i + 1)
    return False


def _unstyled_far_negatives(xml: bytes) -> bytes | None:
    """``xml`` with the style taken off every cell holding a number below ``DATE_FLOOR``; None when there is none."""
    if not _has_negative_value(xml):
        return None

    def unstyle(m: re.Match) -> bytes:
        try:
            far = float(m.group(6)) < DATE_FLOOR
        except ValueError:
            far = False
        return b"<" + m.group(1) + (m.group(2) or b"") + m.group(4) + b">" + m.group(5) if far else m.group(0)
    fixed = _NEGATIVE_VALUE.sub(unstyle, xml)
    return fixed if fixed != xml else None


def _for_calamine(data: bytes, pkg: "_Package", members) -> bytes:
    """The file's bytes as python-calamine is to read them: the members as the checks inflated them, stored (not
    compressed: python-calamine's own inflating costs more than reading the whole book otherwise does), or, where they
    were not all kept, the file unchanged or re-zipped; in every case with the sheets whose far negative date-styled
    numbers would make it panic unstyled (``_unstyled_far_negatives``)."""
    patched = {m: fixed for m in members if m in pkg.infos and (fixed := _unstyled_far_negatives(pkg.read(m)))}
    stored = _stored_zip(pkg, patched)
    if stored is not None:
        return stored
    if not patched:
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in pkg.members:
            zout.writestr(info.filename, patched.get(info.filename) or pkg.read(info.filename))
    return out.getvalue()


STORED_BYTES = 32 * 1024 * 1024   # a book whose members inflate to more is handed to python-calamine as it came
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL_HEADER = struct.Struct("<4sHHHHHHIIIHHHHHII")
_END_RECORD = struct.Struct("<4sHHHHIIH")
_UTF8_NAME = 0x800


def _stored_zip(pkg: "_Package", patched: dict[str, bytes]) -> bytes | None:
    """The package as a zip of stored members, in the same order and under the same names, from the bytes the checks
    inflated (``patched`` in place of a member's own); None when a member was not kept, a name occurs twice, or the
    members are large."""
    infos = pkg.members
    if len(infos) != len(pkg.infos) or len(infos) > 0xFFFF:
        return None
    kept = pkg.kept
    parts, central, offset = [], [], 0
    for info in infos:
        content = patched.get(info.filename)
        crc = info.CRC if content is None else zlib.crc32(content)
        if content is None:
            content = kept.get(info.filename)
            if content is None:
                return None
        flags = info.flag_bits & _UTF8_NAME
        name = _encoded_name(info.orig_filename, flags)
        size = len(content)
        if offset + size > STORED_BYTES:
            return None
        parts += (_LOCAL_HEADER.pack(b"PK\x03\x04", 20, flags, 0, 0, 33, crc, size, size, len(name), 0), name, content)
        central += (_CENTRAL_HEADER.pack(b"PK\x01\x02", 20, 20, flags, 0, 0, 33, crc, size, size, len(name), 0, 0, 0, 0,
                                         0, offset), name)
        offset += _LOCAL_HEADER.size + len(name) + size
    directory = b"".join(central)
    parts += (directory, _END_RECORD.pack(b"PK\x05\x06", 0, 0, len(infos), len(infos), len(directory), offset, 0))
    return b"".join(parts)


@lru_cache(maxsize=1024)
def _encoded_name(name: str, utf8: int) -> bytes:
    """A member's name as its zip wrote it (zipfile decodes cp437 unless the UTF-8 flag is set)."""
    return name.encode("utf-8" if utf8 else "cp437")


class _Done:
    """What ``_Inline.submit`` hands back: the call's value or exception, given by ``result()`` as a future would."""
    __slots__ = ("value", "error")

    def __init__(self, value, error):
        self.value, self.error = value, error

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value


class _Inline:
    """Stands in for a thread pool where threads cannot be started, or are not wanted: runs each call at once."""

    def submit(self, fn, *args):
        try:
            return _Done(fn(*args), None)
        except BaseException as e:  # handed on to whoever asks for the result, as a pool would
            return _Done(None, e)

    def shutdown(self, wait=True, cancel_futures=False):
        pass


def _with_errors(rows: list[list], errors: dict[tuple[int, int], str] | None) -> list[list]:
    """``rows`` with the error values (#N/A, #REF!) python-calamine read as empty put back as their text, so the rules
    see (and name) what the clerk sees instead of an empty cell."""
    for (r, c), text in (errors or {}).items():
        if r <= len(rows) and c <= len(rows[r - 1]) and rows[r - 1][c - 1] in ("", None):
            rows[r - 1][c - 1] = text
    return rows


def load_grid(path: str | Path, pipelined: bool = True, every_sheet: bool = False, max_rows: int = MAX_ROWS,
              keep_inflated: int = KEEP_INFLATED, computed_sheets: bool = False) -> Grid:
    """Read a workbook file into a Grid of the sheets baoxue knows (others are listed by name only).

    The content decides, not the extension: a real .xlsx renamed to .xls is read as the .xlsx it is. Each sheet's XML is
    checked (size, formula cells) before python-calamine loads it; python-calamine works without the GIL, so it loads
    sheets on a worker thread while this one checks the next sheet and converts the loaded ones to Python lists.
    ``pipelined=False`` loads in this thread: where every core already reads its own files (the roll-up's process
    pool), the extra thread only costs CPU. ``every_sheet``: load every sheet under its own name (the household line's
    lists, SPEC §8.1, whose header may be on any sheet); ``max_rows``: the rows a sheet may have (a county's list is
    far longer than a school's sheet); ``keep_inflated``: members up to this size are inflated once, for the check and
    the scans (a county's list: its one long sheet); ``computed_sheets``: load 月报汇总 and 校验结果 too (their layouts,
    for planning writes: ``SchoolBook.layouts``)."""
    import python_calamine  # here, not at module level: the add-in (xlwings Lite, Pyodide) parses grids without it
    path = Path(path)
    data = _sniff(path)
    with _package_errors(path):
        pkg = _Package(path, data, keep_inflated)
        infos = pkg.infos
        sheet_paths = _sheet_paths(pkg.read)
        properties = _custom_properties(pkg.read, infos)
        package = (xlsx_scan.defined_name_items(xlsx_scan.parse_xml(pkg.read("xl/workbook.xml"), "xl/workbook.xml"))
                   + xlsx_scan.package_items(pkg.read, infos))
    grid = Grid(path=str(path), properties=properties, active=package)
    try:
        # from the bytes, not the path: python-calamine would pick its parser from the file name's extension
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(_for_calamine(data, pkg, sheet_paths.values())))
        try:
            wanted = []  # (sheet name, canonical name) in workbook order
            for meta in wb.sheets_metadata:
                grid.sheet_names.append(meta.name)
                canonical = meta.name if every_sheet else canonical_sheet_name(meta.name)
                if canonical is None and computed_sheets:
                    canonical = computed_sheet_name(meta.name)
                if canonical is None:
                    continue
                if str(meta.visible) != "SheetVisibleEnum.Visible":
                    grid.hidden.add(canonical)
                wanted.append((meta.name, canonical))
            members = {name: sheet_paths.get(name) for name, _ in wanted}
            # small sheets first: the worker has them to load while this thread reads the big ones' XML
            order = sorted(wanted, key=lambda w: infos[members[w[0]]].file_size if members[w[0]] in infos else 0)
            active, rows = {}, {}   # sheet name -> its ActiveContent; canonical sheets' rows
            pool = ThreadPoolExecutor(1, thread_name_prefix="baoxue-read") if pipelined else _Inline()
            try:
                loading = []
                for name, member in sheet_paths.items():   # sheets python-calamine does not load: formulas, links
                    if name not in members and member in infos:
                        active[name] = _scan_sheet(path, pkg.read, name, member, loaded=False, names=infos)
                errors = {}   # sheet name -> its cells holding an error value (#N/A) as a value
                for name, _ in order:
                    if members[name] in infos:
                        active[name] = _scan_sheet(path, pkg.read, name, members[name], max_rows=max_rows,
                                                   names=infos)
                        with _package_errors(path):
                            errors[name] = xlsx_scan.error_cells(pkg.read(members[name]), members[name])
                    try:
                        loading.append((name, pool.submit(wb.get_sheet_by_name, name)))
                    except RuntimeError:  # no thread can be started here (WebAssembly): load in this one
                        pool = _Inline()
                        loading.append((name, pool.submit(wb.get_sheet_by_name, name)))
                for name, future in loading:
                    sheet = future.result()
                    height, width = sheet.total_height + 1, sheet.total_width + 1  # to_python spans A1 to the end
                    if _too_large(height, width, max_rows):  # the XML check missed it (a sheet not located, odd cell refs)
                        raise _oversized(path, name, height, width)
                    rows[name] = _with_errors(sheet.to_python(skip_empty_area=False), errors.get(name))
            finally:
                pool.shutdown(wait=True, cancel_futures=True)  # never close the workbook under a running load
            read_as = {}
            for name, canonical in wanted:  # workbook order: a later sheet of the same canonical name wins
                grid.sheets[canonical] = rows[name]
                read_as[canonical] = name
            read_as = {name: canonical for canonical, name in read_as.items()}
            grid.formulas = {canonical: set() for canonical in read_as.values()}
            for name, items in active.items():
                if not items:
                    continue
                canonical = read_as.get(name)
                grid.active += [dataclasses.replace(i, canonical=canonical) for i in items] if canonical else items
                if canonical:
                    grid.formulas[canonical] = {(i.row, i.col) for i in items if i.kind == "formula"}
        finally:
            wb.close()
            pkg.close()
    except UnreadableWorkbook:
        raise
    except python_calamine.PasswordError as e:
        raise _fail(path, "工作簿设置了密码。请取消密码后另存为 .xlsx 再提交。") from e
    except MemoryError as e:
        raise _memory_error(path) from e
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # calamine raises several error types for broken content, a Rust panic even
        raise _fail(path, "文件内容损坏，无法解析。", RESAVE_CHECKED) from e
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


def _cell(row: list, j: int) -> Any:
    return row[j] if j < len(row) else None


_CLEANED: dict[str, str] = {}   # header and label text -> normalize.clean_header of it (the same texts in every book)


def _clean(text: str) -> str:
    cleaned = _CLEANED.get(text)
    if cleaned is None:
        if len(_CLEANED) >= 8192:
            _CLEANED.clear()
        cleaned = _CLEANED[text] = normalize.clean_header(text)
    return cleaned


class _HeaderRow:
    """What one row says as a header row: its header cells (canonical column → 0-based col), and, worked out the first
    time a sheet asks, what the sheet takes from it. Kept for the next book with the same row: do not change it."""
    __slots__ = ("found", "plain", "_extras", "_sheets")

    def __init__(self, found: dict[str, int], plain: bool):
        self.found = found
        self.plain = plain           # every cell a str or None: equal rows are the same row, cell for cell
        self._extras = None
        self._sheets: dict[str, tuple] = {}

    def extras(self, row: list) -> dict[int, str]:
        """Extra col → header text: the row's other cells holding anything (a fresh dict)."""
        if self._extras is not None:
            return dict(self._extras)
        used = set(self.found.values())
        extras = {j: str(v).strip() for j, v in enumerate(row) if j not in used and not normalize.is_empty(v)}
        if self.plain:
            self._extras = dict(extras)
        return extras

    def for_sheet(self, sheet: model.Sheet) -> tuple[dict[str, int], list[str]]:
        """(canonical column → 1-based Excel column, the sheet's columns not found): kept, so copy before changing."""
        got = self._sheets.get(sheet.name)
        if got is None or got[0] is not sheet:
            got = self._sheets[sheet.name] = (sheet, {c: j + 1 for c, j in self.found.items()},
                                              [c for c in _column_names(sheet) if c not in self.found])
        return got[1], got[2]


def _header_row(row: list, keys: dict[str, str]) -> tuple[_HeaderRow, int]:
    """``row`` as a header row for ``keys`` (kept for the next book with an equal row), and the number of canonical
    columns of ``keys``."""
    entry = _HEADER_CELLS.get(id(keys))
    if entry is None or entry[0] is not keys:
        if len(_HEADER_CELLS) >= 64:
            _HEADER_CELLS.clear()
        entry = _HEADER_CELLS[id(keys)] = (keys, {}, len(set(keys.values())))
    try:
        cells = tuple(row)
        known = entry[1].get(cells)
    except TypeError:   # an unhashable value (not from a file): nothing kept
        cells = known = None
    if known is None:
        found = {}
        for j, v in enumerate(row):
            if isinstance(v, str) and v:
                canonical = keys.get(_clean(v).rstrip("*＊"))
                if canonical and canonical not in found:
                    found[canonical] = j
        # rows equal as tuples have equal text cells in the same places: the same found
        known = _HeaderRow(found, all(v is None or v.__class__ is str for v in row))
        if cells is not None:
            if len(entry[1]) >= 1024:
                entry[1].clear()
            entry[1][cells] = known
    return known, entry[2]


# id(keys) -> (keys, {row as a tuple: _HeaderRow}, the number of canonical columns): every book of a county has the same
# header rows (and the same rows above them)
_HEADER_CELLS: dict[int, tuple[dict, dict, int]] = {}


def _find_header(rows: list[list], keys: dict[str, str]) -> tuple[int, _HeaderRow] | None:
    """(0-based header row index, what it says as a header row) or None (see ``find_header``)."""
    best = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        header, every = _header_row(row, keys)
        found = header.found
        if len(found) >= 2 and (best is None or len(found) > len(best[1].found)):
            best = (i, header)
            if len(found) == every:   # every column found: no later row can be a better header
                break
    return best


def find_header(rows: list[list], keys: dict[str, str]) -> tuple[int, dict[str, int], dict[int, str]] | None:
    """(0-based header row index, canonical column → 0-based col, extra col → header text) or None."""
    best = _find_header(rows, keys)
    if best is None:
        return None
    i, header = best
    return i, dict(header.found), header.extras(rows[i])


def _typer(column: model.Column):
    """(memo key, function) typing one raw value of ``column``: ``normalize.cell`` depends on the column's kind and
    code list only, so columns alike share their memo."""
    return (column.kind, column.codes), partial(normalize.cell, column)


def _typed_column(column: model.Column, values, memo: dict | None = None, typer=None) -> tuple[list, bool]:
    """Normalise one column: (typed values, whether any is ``Invalid``). Values repeat a lot (codes, dates; the same IDs,
    names and 序号 on several sheets), so each distinct raw value is typed once per book (``memo``: one table per typing
    function) and the column is then mapped through that table at C speed. ``typer``: ``_typer(column)``, when the
    caller has it at hand."""
    n = len(values)
    if values.count(None) + values.count("") == n:   # an empty or absent column: None, whatever the kind
        return [None] * n, False
    key, fn = typer or _typer(column)
    if n <= 4 and memo is not None:   # a sheet of a few rows: value by value through the same memo
        typed = _typed_few(values, memo, key, fn)
        if typed is not None:
            return typed
    uniq = set(values)
    if (1 in uniq or 0 in uniq) and bool in set(map(type, values)):  # True == 1 as a key: type cell by cell
        typed = [None if v is None or v == "" else fn(v) for v in values]
        return typed, any(v.__class__ is Invalid for v in typed)
    kept = None if memo is None else memo.get(key)
    if kept is None:
        kept = ({None: None, "": None}, set())   # raw value -> typed value; the raw values typed Invalid
        if memo is not None:
            memo[key] = kept
    table, invalid = kept
    new = uniq.difference(table)
    if len(new) > 64:   # a long column: the strings its typing leaves as they are, found at once (§2.9 unchanged)
        new = list(new)
        strings = new if set(map(type, new)) == {str} else [k for k in new if k.__class__ is str]
        same = normalize.unchanged_strings(column.kind, strings)
        if len(same) == len(new) == len(uniq) - (None in uniq):   # every value but None new and kept as it is
            return list(values), False                             # (a long list's IDs, names): no table needed
        table.update(zip(same, same))
        new = set(new).difference(same) if same else new
        for k in new:
            v = table[k] = fn(k)
            if v.__class__ is Invalid:
                invalid.add(k)
    elif new:   # a short column: its texts (codes, grades, reasons, dates as text) typed once for all books
        for k in new:
            _type_new(k, key, fn, table, invalid)
    return list(map(table.__getitem__, values)), not invalid.isdisjoint(uniq)


def _typed_few(values, memo: dict, key, fn) -> tuple[list, bool] | None:
    """``_typed_column`` of a short column, value by value (what the set operations cost is more than the typing here);
    None when a value is a bool (True == 1 as a key: then ``_typed_column`` types it cell by cell)."""
    for v in values:
        if v.__class__ is bool:
            return None
    kept = memo.get(key)
    if kept is None:
        kept = memo[key] = ({None: None, "": None}, set())
    table, invalid = kept
    out, bad = [], False
    for v in values:
        t = table.get(v, _UNTYPED)
        if t is _UNTYPED:
            t = _type_new(v, key, fn, table, invalid)
        if t.__class__ is Invalid:
            bad = True
        out.append(t)
    return out, bad


def _type_new(v, key, fn, table: dict, invalid: set):
    """``fn(v)`` for a value not in the book's memo ``table`` (a text through the texts typed in earlier books), entered
    there, and in ``invalid`` when it is ``Invalid``."""
    if v.__class__ is str:
        known = _TYPED_TEXTS.get(key)
        if known is None or len(known) >= 16384:
            known = _TYPED_TEXTS[key] = {}
        t = known.get(v, _UNTYPED)
        if t is _UNTYPED:
            t = known[v] = fn(v)
    else:
        t = fn(v)
    table[v] = t
    if t.__class__ is Invalid:
        invalid.add(v)
    return t


def _typed_row(row: list, typers: list, found: dict[str, int], memo: dict) -> tuple[dict[str, list], set[str]]:
    """The columns of a sheet with one data row, and those holding an ``Invalid`` value: what ``_typed_column`` gives
    for each column of one value (the same memo, filled in the same order), without its per-column set-up."""
    columns, untypable = {}, set()
    width = len(row)
    for col, (key, fn) in typers:
        j = found.get(col.name)
        v = row[j] if j is not None and j < width else None
        if v is None or v == "":
            columns[col.name] = [None]
            continue
        if v.__class__ is bool:   # True == 1 as a key: typed on its own, as _typed_column does
            t = fn(v)
        else:
            kept = memo.get(key)
            if kept is None:
                kept = memo[key] = ({None: None, "": None}, set())
            table, invalid = kept
            t = table.get(v, _UNTYPED)
            if t is _UNTYPED:
                t = _type_new(v, key, fn, table, invalid)
        columns[col.name] = [t]
        if t.__class__ is Invalid:
            untypable.add(col.name)
    return columns, untypable


# typing key -> {text: its typed value}, across books (typing is a pure function of the key and the text; the typed
# values are immutable: str, date, int, float, Invalid). Only ``str`` keys: 1, 1.0 and True are one key to a dict.
_TYPED_TEXTS: dict[tuple, dict[str, Any]] = {}
_UNTYPED = object()


_TYPERS: dict[str, tuple[model.Sheet, list]] = {}   # sheet name -> (the sheet, [(column, _typer(column))])


def _column_typers(sheet: model.Sheet) -> list:
    got = _TYPERS.get(sheet.name)
    if got is None or got[0] is not sheet:
        got = _TYPERS[sheet.name] = (sheet, [(col, _typer(col)) for col in sheet.columns], tuple(sheet.column_names))
    return got[1]


def _column_names(sheet: model.Sheet) -> tuple[str, ...]:
    """``sheet.column_names``, as a tuple kept with the sheet's typers (the property builds a list each time)."""
    _column_typers(sheet)
    return _TYPERS[sheet.name][2]


def _data_rows(rows: list[list], first: int, numbering: int | None = None) -> tuple[list[list], list[int]]:
    """The rows from index ``first`` on that hold anything but blanks, and their Excel row numbers. ``numbering``: the
    column of 序号 (0-based), which a clerk often fills down the sheet in advance: a row holding only its number is
    blank too."""
    data_rows, excel_rows = [], []
    for i in range(first, len(rows)):
        row = rows[i]
        if row.count("") + row.count(None) == len(row):
            continue
        for j, v in enumerate(row):
            if v is not None and v != "" and not (isinstance(v, str) and v.isspace()) and j != numbering:
                data_rows.append(row)
                excel_rows.append(i + 1)
                break
    return data_rows, excel_rows


def _parse_sheet(book: SchoolBook, grid: Grid, sheet: model.Sheet, memo: dict | None = None) -> set[tuple[int, int]]:
    """Type one data sheet into ``book``; the (row, col) of the formula cells that became ``Invalid`` values (F013 by
    their column)."""
    placed = set()
    rows = grid.sheets[sheet.name]
    keys = _HEADER_KEYS.get(sheet.name) or header_keys(sheet)
    header = _find_header(rows, keys)
    if header is None:
        book.missing_columns[sheet.name] = sheet.column_names
        book.header_rows[sheet.name] = 0
        book.sheets.set_columns(sheet.name, {})
        return placed
    hi, header_row = header
    found, extras = header_row.found, header_row.extras(rows[hi])
    columns_at, missing = header_row.for_sheet(sheet)
    book.header_rows[sheet.name] = hi + 1
    book.header_columns[sheet.name] = dict(columns_at)
    book.missing_columns[sheet.name] = list(missing)
    data_rows, excel_rows = _data_rows(rows, hi + 1, found.get("序号"))
    if not data_rows and not extras:   # a header and nothing under it: every column empty, nothing to type
        book.sheets.set_columns(sheet.name, {"_row": excel_rows})
        book.untypable[sheet.name] = frozenset()
        return placed
    transposed = None

    def raw_column(j: int | None):
        nonlocal transposed
        if transposed is None:
            width = max(map(len, data_rows), default=0)
            if min(map(len, data_rows), default=0) == width:
                transposed = list(zip(*data_rows))  # python-calamine's rows are all as wide as the sheet
            else:
                transposed = list(zip(*(r if len(r) == width else list(r) + [None] * (width - len(r))
                                        for r in data_rows)))
        return transposed[j] if j is not None and j < len(transposed) else [None] * len(data_rows)

    if len(data_rows) == 1 and memo is not None:   # the most common sheet of all but the header: one row
        columns, untypable = _typed_row(data_rows[0], _column_typers(sheet), found, memo)
    else:
        columns, untypable = {}, set()
        for col, typer in _column_typers(sheet):
            columns[col.name], bad = _typed_column(col, raw_column(found.get(col.name)), memo, typer)
            if bad:
                untypable.add(col.name)
    formula_cells = grid.formulas.get(sheet.name)
    if formula_cells:
        row_index = {r: k for k, r in enumerate(excel_rows)}
        column_at = {j + 1: name for name, j in found.items()}
        for r, c in formula_cells:
            k, name = row_index.get(r), column_at.get(c)
            if k is not None and name is not None:
                raw = normalize.raw_text(_cell(data_rows[k], c - 1))
                columns[name][k] = Invalid(raw or "(公式)", "formula")
                untypable.add(name)
                placed.add((r, c))
        # a formula in an otherwise empty row is found by the row scan only when it has a cached value
    columns["_row"] = excel_rows
    book.sheets.set_columns(sheet.name, columns)
    book.untypable[sheet.name] = frozenset(untypable)
    if extras:
        book.extras[sheet.name] = pd.DataFrame(
            {name: list(raw_column(j)) for j, name in extras.items()}
            | {"_row": excel_rows})
    return placed


def _parse_cover(book: SchoolBook, rows: list[list], formula_cells: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Read the cover's fields into ``book``; the (row, col) of the formula cells that became ``Invalid`` values."""
    placed = set()
    for i, row in enumerate(rows):
        label = _cell(row, 0)
        if not isinstance(label, str):
            continue
        key = _cover_key(label)
        if key is None or key in book.cover_rows:
            continue
        book.cover_rows[key] = i + 1
        if (i + 1, 2) in formula_cells:  # =HYPERLINK(…) as 学校名称: F013, whether or not Excel cached a value
            book.cover[key] = Invalid(normalize.raw_text(_cell(row, 1)) or "(公式)", "formula")
            placed.add((i + 1, 2))
        else:
            book.cover[key] = _cover_value(key, _cell(row, 1))
    for f in model.COVER_FIELDS:
        book.cover.setdefault(f.label, None)
    return placed


def _cover_key(label: str) -> str | None:
    """The cover field a label in column A names (None for any other text), kept for the next book."""
    key = _COVER_LABELS.get(label, _UNTYPED)
    if key is _UNTYPED:
        if len(_COVER_LABELS) >= 4096:
            _COVER_LABELS.clear()
        key = _COVER_LABELS[label] = _COVER_KEYS.get(normalize.clean_header(label).rstrip(":：*＊"))
    return key


_COVER_LABELS: dict[str, str | None] = {}


def _cover_value(label: str, v: Any) -> Any:
    """``normalize.cover_value`` of a cover field; a text typed once for all books (most of the cover is the same from
    book to book: the month, the township, the school's kind; the typed values are immutable)."""
    if v.__class__ is not str:
        return normalize.cover_value(model.COVER[label], v)
    known = _COVER_TEXTS.get(label)
    if known is None or len(known) >= 4096:
        known = _COVER_TEXTS[label] = {}
    typed = known.get(v, _UNTYPED)
    if typed is _UNTYPED:
        typed = known[v] = normalize.cover_value(model.COVER[label], v)
    return typed


_COVER_TEXTS: dict[str, dict[str, Any]] = {}   # cover label -> {text: its typed value}


def parse_grid(grid: Grid) -> SchoolBook:
    book = SchoolBook(path=grid.path, properties=dict(grid.properties))
    book.other_sheets = [n for n in grid.sheet_names if canonical_sheet_name(n) is None]
    book.twin_sheets = _twin_sheets(grid.sheet_names)
    placed: dict[str, set[tuple[int, int]]] = {}   # canonical sheet -> formula cells typed as Invalid values
    if model.COVER_SHEET in grid.sheets:
        placed[model.COVER_SHEET] = _parse_cover(book, grid.sheets[model.COVER_SHEET],
                                                 grid.formulas.get(model.COVER_SHEET) or set())
    else:
        book.missing_sheets.append(model.COVER_SHEET)
        book.cover = {f.label: None for f in model.COVER_FIELDS}
    memo: dict = {}  # typed values, shared by every sheet of the book
    for sheet in model.DATA_SHEETS:
        if sheet.name in grid.sheets:
            placed[sheet.name] = _parse_sheet(book, grid, sheet, memo)
        else:
            book.missing_sheets.append(sheet.name)
            book.sheets.set_columns(sheet.name, {})
    findings_rows = grid.sheets.get(model.FINDINGS_SHEET)
    if findings_rows is not None:
        book.layouts[model.FINDINGS_SHEET] = table_layout(findings_rows, model.FINDINGS_COLUMNS)
    summary_rows = grid.sheets.get(model.SUMMARY_SHEET)
    if summary_rows is not None:
        book.layouts[model.SUMMARY_SHEET] = keyed_layout(summary_rows, [key for key, _label in INDICATORS],
                                                         model.PYTHON_VALUE_HEADER,
                                                         grid.formulas.get(model.SUMMARY_SHEET) or ())
    stamp_rows = grid.sheets.get(model.STAMP_SHEET)
    if stamp_rows:
        book.stamp_sheet = {str(r[0]).strip(): normalize.raw_text(_cell(r, 1)) or ""
                            for r in stamp_rows if r and isinstance(r[0], str) and r[0].strip()}
    book.active = [item for item in grid.active if not _accounted_for(item, placed)]
    return book


_SUMMARY_KEY = normalize.clean_header(model.SUMMARY_SHEET)


def _twin_sheets(names: list[str]) -> dict[str, list[str]]:
    """The clerk sheets that two or more of the workbook's sheets stand for ("辍学" and "辍学 "), with those names in
    workbook order: only the last is read, so the clerk must be told which one (S008)."""
    by_sheet: dict[str, list[str]] = {}
    for name in names:
        canonical = canonical_sheet_name(name)
        if canonical in model.CLERK_SHEETS:
            by_sheet.setdefault(canonical, []).append(name)
    return {sheet: found for sheet, found in by_sheet.items() if len(found) > 1}


def _filled(rows: list[list]) -> list[tuple[int, int]]:
    """1-based (row, col) of every cell holding anything, row by row."""
    return [(i, j) for i, row in enumerate(rows, start=1) for j, v in enumerate(row, start=1) if not normalize.is_empty(v)]


def table_layout(rows: list[list], names) -> TableLayout:
    """A table sheet's header (found like a data sheet's: ``find_header``, within the first rows) and its extent."""
    filled = _filled(rows)
    last_row = max((r for r, _c in filled), default=0)
    header = find_header(rows, {normalize.clean_header(n): n for n in names})
    if header is None:
        return TableLayout(0, {}, last_row, rows)
    i, found, _extras = header
    return TableLayout(i + 1, {name: j + 1 for name, j in found.items()}, last_row, rows)


def keyed_layout(rows: list[list], keys, value_header: str, formula_cells=()) -> KeyedLayout:
    """A keyed sheet's layout: the row of each key (its first cell holding exactly the key, row by row), the column
    holding most keys, the header row above the first key, the column headed ``value_header`` there, and how far the
    sheet's cells reach (formula cells count as filled, whether or not a value was cached)."""
    wanted = set(keys)
    key_rows: dict[str, int] = {}
    key_cols: dict[int, int] = {}
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row, start=1):
            if isinstance(v, str) and v.strip() in wanted and v.strip() not in key_rows:
                key_rows[v.strip()] = i
                key_cols[j] = key_cols.get(j, 0) + 1
    key_col = max(key_cols, key=key_cols.get) if key_cols else 2
    header_row = max(min(key_rows.values(), default=2) - 1, 1)
    value_col = None
    for i, row in enumerate(rows[:header_row], start=1):
        for j, v in enumerate(row, start=1):
            if isinstance(v, str) and v.strip() == value_header:
                value_col = j
    filled = set(_filled(rows)) | set(formula_cells)
    last_key_row = max(key_rows.values(), default=header_row)
    last_col = max([c for r, c in filled if header_row <= r <= last_key_row] + [key_col])
    column_last_row: dict[int, int] = {}
    for r, c in filled:
        column_last_row[c] = max(r, column_last_row.get(c, 0))
    return KeyedLayout(key_rows, key_col, header_row, value_col, last_col, column_last_row)


def _accounted_for(item: ActiveContent, placed: dict[str, set[tuple[int, int]]]) -> bool:
    """Whether a formula cell needs no report of its own: it is the template's own formula on 月报汇总, or it sits in a
    clerk's data cell, where it became an ``Invalid`` value (F013 by column, and part of the stamp's hash)."""
    if item.kind != "formula":
        return False
    if item.canonical is not None and (item.row, item.col) in placed.get(item.canonical, ()):
        return True
    return (normalize.clean_header(item.sheet or "") == _SUMMARY_KEY and item.row is not None and item.col is not None
            and layout.is_template_formula(item.row, item.col, item.text))


# ---------------------------------------------------------------------------------------------- the household lists
LIST_MAX_ROWS = 1_048_576   # Excel's own limit: a county's 户籍名单 or 学籍 export is one long sheet


def parse_list(grid: Grid, sheet: model.Sheet) -> tuple[SchoolBook, str | None]:
    """A list of the household line (SPEC §8.1: ``model.HOUSEHOLD_SHEETS``) from a Grid loaded with ``every_sheet``:
    the header is looked for on each sheet in workbook order, and the first sheet holding it is parsed exactly as a
    school sheet is (aliases, §2.9 normalisation, typing, formula cells, Excel rows). Returns the book — its
    ``sheets[sheet.name]`` frame, ``missing_columns`` (→ S002), ``header_rows`` — and the workbook's name of the sheet
    read (None when no sheet has the header)."""
    book = SchoolBook(path=grid.path, properties=dict(grid.properties))
    keys = header_keys(sheet)
    for name in grid.sheet_names:
        rows = grid.sheets.get(name)
        if rows and find_header(rows, keys) is not None:
            one = Grid(sheets={sheet.name: rows}, formulas={sheet.name: grid.formulas.get(name, set())}, path=grid.path)
            _parse_sheet(book, one, sheet, {})
            return book, name
    book.missing_columns[sheet.name] = sheet.column_names
    book.header_rows[sheet.name] = 0
    book.sheets.set_columns(sheet.name, {})
    return book, None


def read_list(path: str | Path, sheet: model.Sheet) -> tuple[SchoolBook, str | None]:
    """Read one household-line list file (``parse_list``). Raises ``UnreadableWorkbook`` (Chinese message, → S005)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return parse_list(load_grid(path, every_sheet=True, max_rows=LIST_MAX_ROWS, keep_inflated=MAX_SHEET_XML_BYTES),
                          sheet)
    finally:
        if paused:
            gc.enable()


def read_workbook(path: str | Path, pipelined: bool = True, computed_sheets: bool = False) -> SchoolBook:
    """Read one school workbook. Raises ``UnreadableWorkbook`` (Chinese message) for anything that is not one.
    ``pipelined``, ``computed_sheets`` (the layouts of 月报汇总 and 校验结果, for planning writes): see ``load_grid``."""
    # Reading allocates one list per row and one object per cell, none of them in reference cycles: pausing the cyclic
    # garbage collector meanwhile stops it from re-scanning everything the caller holds, again and again.
    paused = gc.isenabled()
    gc.disable()
    try:
        return parse_grid(load_grid(path, pipelined, computed_sheets=computed_sheets))
    finally:
        if paused:
            gc.enable()
