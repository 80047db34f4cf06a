"""Long plain tables written straight into the sheet XML of a workbook that XlsxWriter has laid out.

XlsxWriter keeps a Python object per cell and writes each through several method calls: on a county's ledger (a
row per child, millions of cells) that is most of the run. Here XlsxWriter still lays out every sheet — title, note,
header, widths, freeze panes, filter, print setup, formats — and writes the small tables; a long table's data rows
are only registered (``LongTables.add``) and, once XlsxWriter has written the package, spliced into that sheet's
``<sheetData>`` as XML made column by column (each distinct value of a column turned into its cell XML once), while
the package is copied to the target. The cells are what XlsxWriter's ``write_string`` / ``write_blank`` /
``write_datetime`` / ``write_number`` would write with the same formats: every string is an inline string (text,
never a formula: an ID stays text), control characters as Excel's ``_xHHHH_`` escapes, a date as its serial with the
date format, an empty value as a formatted blank cell.

    tables = LongTables()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ... lay out a sheet (its header in row 3), then
    tables.add(ws, first_row=4, columns=[values, ...], plain=fmt, dated=date_fmt, safe=clean)
    wb.close()
    tables.save(buffer.getvalue(), target)      # target: a path or a binary file object

The XML is compressed on a second thread while the next rows are made (zlib works without the GIL).
"""
from __future__ import annotations

import datetime as dt
import math
import queue
import re
import threading
import zipfile
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any, Callable, Sequence

from .layout import get_column_letter

CHUNK_ROWS = 20_000
MAX_STRING = 32_767                     # Excel's limit (UTF-16 units), as XlsxWriter truncates
_ESCAPE_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_XML_SPECIAL = re.compile("[&<>]")
_DIMENSION = re.compile(r"<dimension ref=\"[^\"]*\"/>")
_EPOCH = dt.datetime(1899, 12, 31)


def column_letters(j: int) -> str:
    """Column letters of a 0-based column index."""
    return get_column_letter(j + 1)


def _truncated(s: str) -> str:
    if len(s) <= MAX_STRING // 2 or len(s.encode("utf-16-le", "surrogatepass")) // 2 <= MAX_STRING:
        return s
    units = s.encode("utf-16-le", "surrogatepass")[:2 * MAX_STRING]
    if 0xD8 <= units[-1] <= 0xDB:   # never split a character above U+FFFF
        units = units[:-2]
    return units.decode("utf-16-le", "surrogatepass")


def text_xml(s: str) -> str:
    """A string as the content of an inline string's ``<t>`` (with its attribute), as XlsxWriter writes it."""
    s = _truncated(s)
    if "_x" in s:
        s = _ESCAPE_ESCAPE.sub(r"_x005F\1", s)
    s = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", s)
    s = s.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    preserve = s[:1].isspace() or s[-1:].isspace()
    if _XML_SPECIAL.search(s):
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (' xml:space="preserve">' if preserve else ">") + s


def excel_serial(d: dt.date) -> float:
    """XlsxWriter's serial of a date (1900 epoch, with Excel's 1900 leap-year day)."""
    delta = (d if isinstance(d, dt.datetime) else dt.datetime.fromordinal(d.toordinal())) - _EPOCH
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return serial + 1 if serial > 59 else serial


class _Cells(dict):
    """Value → the XML of its cell after ``<c r="A4`` (one table per column; each distinct value made once)."""

    def __init__(self, plain: int, dated: int, safe: Callable[[Any], Any]):
        super().__init__()
        self.plain, self.dated, self.safe = f'" s="{plain}"', f'" s="{dated}"', safe

    def __missing__(self, value):
        xml = self[value] = self.make(value)
        return xml

    def make(self, value) -> str:
        v = self.safe(value)
        if v is None:
            return self.plain + "/>"
        if isinstance(v, str):
            return f'{self.plain} t="inlineStr"><is><t{text_xml(v)}</t></is></c>'
        if isinstance(v, (dt.date, dt.datetime)):
            return f"{self.dated}><v>{excel_serial(v):.16G}</v></c>"
        if isinstance(v, float) and not math.isfinite(v):
            return self.plain + "/>"
        return f"{self.plain}><v>{v:.16G}</v></c>"

    def column(self, values: Sequence) -> list[str]:
        kinds = set(map(type, values))
        if bool in kinds and len(kinds) > 1:   # True == 1 as a key: make cell by cell
            return [self.make(v) for v in values]
        try:
            new = set(values).difference(self)
        except TypeError:                       # an unhashable value
            return [self.make(v) for v in values]
        if len(new) > 64:
            plain = [v for v in new if v.__class__ is str]
            head, tail = f'{self.plain} t="inlineStr"><is><t>', "</t></is></c>"
            self.update((v, head + v + tail) for v in _plain_strings(plain))
        out = list(map(self.__getitem__, values))
        if len(self) > KEEP_CELLS:             # a column of distinct values (IDs, names): no use keeping them
            self.clear()
        return out


KEEP_CELLS = 50_000
_NEEDS_CARE = re.compile("[&<>\x01-\x1f\ufffe\uffff]|_x|(?:^|\x00)\\s|\\s(?=\x00|$)")


def _plain_strings(strings: list[str]) -> list[str]:
    """The ``strings`` whose cell XML is the text itself: nothing to escape or drop, no space at either end, within
    Excel's length (one regex over their join; [] when a value holds the separator)."""
    if not strings or max(map(len, strings)) > MAX_STRING // 2:
        return []
    joined = "\x00".join(strings)
    if joined.count("\x00") != len(strings) - 1:
        return []
    care = _NEEDS_CARE.finditer(joined)
    first = next(care, None)
    if first is None:
        return strings
    import numpy as np
    starts = np.cumsum([0] + [len(s) + 1 for s in strings[:-1]])
    at = [first.end() - 1] + [m.end() - 1 for m in care]
    keep = np.ones(len(strings), dtype=bool)
    keep[np.searchsorted(starts, at, side="right") - 1] = False
    return [s for s, k in zip(strings, keep.tolist()) if k]


@dataclass
class _Table:
    member: str           # the sheet's XML in the package
    first_row: int        # 1-based
    columns: list[Sequence]
    plain: Any            # XlsxWriter Formats of the data cells
    dated: Any
    safe: Callable[[Any], Any]

    @property
    def rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def dimension(self) -> str:
        last = self.first_row + self.rows - 1
        return f'<dimension ref="A1:{column_letters(max(len(self.columns), 1) - 1)}{max(last, self.first_row - 1)}"/>'

    def chunks(self):
        """The rows' XML, ``CHUNK_ROWS`` rows at a time (UTF-8)."""
        n = len(self.columns)
        plain, dated = self.plain._get_xf_index(), self.dated._get_xf_index()   # XlsxWriter's own style numbers
        cells = [_Cells(plain, dated, self.safe) for _ in range(n)]
        opens = [repeat(f'<c r="{column_letters(j)}') for j in range(n)]
        for start in range(0, self.rows, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, self.rows)
            numbers = list(map(str, range(self.first_row + start, self.first_row + stop)))
            pieces = [repeat('<row r="'), numbers, repeat('">')]
            for c, col, open_ in zip(cells, self.columns, opens):   # <c r="A + 12 + " s="5" …</c>
                pieces += [open_, numbers, c.column(col[start:stop])]
            pieces.append(repeat("</row>"))
            yield "".join(chain.from_iterable(zip(*pieces))).encode("utf-8")


class LongTables:
    """The long tables of one XlsxWriter workbook, spliced in by ``save``."""

    def __init__(self):
        self.tables: dict[str, _Table] = {}

    def add(self, worksheet, first_row: int, columns: list[Sequence], plain, dated,
            safe: Callable[[Any], Any]) -> None:
        """Register the data rows of ``worksheet`` (XlsxWriter's): ``columns`` (equal lengths) from the 1-based
        ``first_row`` on, every cell with the Format ``plain`` (``dated`` for a date); ``safe(value)`` → what is
        written (a str, a number, a date or None; a string without control characters as it is). The rows are written by ``save``; lay out the sheet (a filter or
        print area over them) as if they were there."""
        # XlsxWriter names its worksheets' XML by their position (sheet1.xml, …)
        member = f"xl/worksheets/sheet{worksheet.index + 1}.xml"
        self.tables[member] = _Table(member, first_row, [list(c) for c in columns], plain, dated, safe)
        plain._get_xf_index(), dated._get_xf_index()   # numbered now: XlsxWriter writes only the Formats in use

    def save(self, package: bytes, target, compresslevel: int = 1) -> None:
        """Copy the package XlsxWriter wrote to ``target`` with the registered rows in their sheets."""
        import io
        with zipfile.ZipFile(io.BytesIO(package)) as zin, \
                zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zout:
            for info in zin.infolist():
                table = self.tables.get(info.filename)
                if table is None:
                    zout.writestr(info, zin.read(info.filename), compresslevel=compresslevel)
                    continue
                xml = zin.read(info.filename).decode("utf-8")
                cut = xml.rindex("</sheetData>")
                head, tail = _DIMENSION.sub(table.dimension(), xml[:cut], count=1), xml[cut:]
                with zout.open(info.filename, "w") as stream:   # deflated at the archive's level
                    stream.write(head.encode("utf-8"))
                    _write_behind(stream, table.chunks())
                    stream.write(tail.encode("utf-8"))


def _write_behind(stream, chunks) -> None:
    """Write ``chunks`` to ``stream`` on a second thread (compression) while this one makes the next."""
    pending: queue.Queue = queue.Queue(maxsize=2)
    failed: list[BaseException] = []

    def drain() -> None:
        while (chunk := pending.get()) is not None:
            if not failed:
                try:
                    stream.write(chunk)
                except BaseException as e:   # handed back to the caller below
                    failed.append(e)

    writer = threading.Thread(target=drain, name="baoxue-xlsx-rows", daemon=True)
    writer.start()
    try:
        for chunk in chunks:
            if failed:
                break
            pending.put(chunk)
    finally:
        pending.put(None)
        writer.join()
    if failed:
        raise failed[0]
