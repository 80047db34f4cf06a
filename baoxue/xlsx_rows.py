"""Long tables written straight into the sheet XML of a workbook that XlsxWriter has laid out.

XlsxWriter keeps a Python object per cell and writes each through several method calls: on a county's ledger (a
row per child, millions of cells) or the 月报表's school and finding lists that is most of the run. Here XlsxWriter
still lays out every sheet — title, note, header, widths, freeze panes, filter, print setup, formats, merged summary
lines — and writes the small cells; a table's data rows are only registered (``LongTables.add``) and, once XlsxWriter
has written the package, spliced into that sheet's ``<sheetData>`` in their place (between XlsxWriter's rows above and
below them) as XML made column by column (each distinct value of a column turned into its cell XML once per kind of
row), while the package is copied to the target. The cells are what XlsxWriter's ``write_string`` / ``write_blank`` /
``write_datetime`` / ``write_number`` would write with the same formats: every string is text (never a formula: an
ID stays text) — an inline string, or with ``shared_strings`` an entry of the workbook's shared strings as XlsxWriter
makes it —, control characters as Excel's ``_xHHHH_`` escapes, a date as its serial with the date format, an empty
value as a formatted blank cell, a number that is not finite as XlsxWriter's error cell (``nan_inf_to_errors``).

    tables = LongTables()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ... lay out a sheet (its header in row 3), then
    tables.add(ws, first_row=4, columns=[values, ...], plain=fmt, dated=date_fmt, safe=clean)
    # or rows of several kinds (e.g. a total line in bold, a warned cell in red), each with its formats per column:
    tables.add(ws, 4, columns, safe=clean, formats=[[(fmt, date_fmt), ...], ...], kinds=[0, 0, 1, ...],
               heights={2: 30})
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
EXCEL_ROWS = 1_048_576
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
    """Value → the XML of its cell after ``<c r="A4`` (one table per column and kind of row; each distinct value made
    once). ``strings``: XlsxWriter's shared strings table to enter strings in, None for inline strings."""

    def __init__(self, plain: int, dated: int, safe: Callable[[Any], Any], strings=None, errors: bool = True):
        super().__init__()
        self.plain, self.dated, self.safe = f'" s="{plain}"', f'" s="{dated}"', safe
        self.strings, self.errors = strings, errors
        self.shared: set[str] = set()    # the XML of the shared-string cells made (counted per use in ``column``)

    def __missing__(self, value):
        xml = self[value] = self.make(value)
        return xml

    def make(self, value) -> str:
        v = self.safe(value)
        if v is None:
            return self.plain + "/>"
        if isinstance(v, str):
            if self.strings is None:
                return f'{self.plain} t="inlineStr"><is><t{text_xml(v)}</t></is></c>'
            index = self.strings._get_shared_string_index(_truncated(v))
            self.strings.count -= 1      # XlsxWriter counts every use: ``column`` counts them
            xml = f'{self.plain} t="s"><v>{index}</v></c>'
            self.shared.add(xml)
            return xml
        if isinstance(v, (dt.date, dt.datetime)):
            return f"{self.dated}><v>{excel_serial(v):.16G}</v></c>"
        if isinstance(v, float) and not math.isfinite(v):
            if not self.errors:
                return self.plain + "/>"
            formula = "#NUM!" if v != v else "1/0" if v > 0 else "-1/0"   # as XlsxWriter's nan_inf_to_errors
            return f'{self.plain} t="e"><f>{formula}</f><v>{"#NUM!" if v != v else "#DIV/0!"}</v></c>'
        return f"{self.plain}><v>{v:.16G}</v></c>"

    def column(self, values: Sequence) -> list[str]:
        out = self._column(values)
        if self.shared:
            self.strings.count += sum(map(self.shared.__contains__, out))
        if len(self) > KEEP_CELLS:             # a column of distinct values (IDs, names): no use keeping them
            self.clear()
            self.shared.clear()
        return out

    def _column(self, values: Sequence) -> list[str]:
        kinds = set(map(type, values))
        if bool in kinds and len(kinds) > 1:   # True == 1 as a key: make cell by cell
            return [self.make(v) for v in values]
        try:
            new = set(values).difference(self)
        except TypeError:                       # an unhashable value
            return [self.make(v) for v in values]
        if len(new) > 64 and self.strings is None:
            plain = [v for v in new if v.__class__ is str]
            head, tail = f'{self.plain} t="inlineStr"><is><t>', "</t></is></c>"
            self.update((v, head + v + tail) for v in _plain_strings(plain))
        return list(map(self.__getitem__, values))


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


_ROW_REF = re.compile(r'<row r="(\d+)"')


@dataclass
class _Table:
    member: str           # the sheet's XML in the package
    sheet: Any            # XlsxWriter's worksheet
    first_row: int        # 1-based
    columns: list[Sequence]
    kinds: list[list[tuple[int, int]]]    # per kind of row, per cell from column A: the XF numbers (plain, date)
    row_kinds: list[int] | None           # per row its kind; None: every row of kind 0, as wide as the columns
    row_ends: dict[int, str]              # row (0-based in the table) → the end of its <row> tag (a height)
    safe: Callable[[Any], Any]
    strings: Any = None                   # XlsxWriter's shared strings, or None for inline strings
    errors: bool = True                   # not-finite numbers as error cells (XlsxWriter's nan_inf_to_errors)
    made: list[bytes] | None = None       # the rows' XML made when added (shared strings: before XlsxWriter's table)

    @property
    def rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def extent(self) -> tuple[int, int, int] | None:
        """(first row, last row, last column), 1-based, of the table's cells; None without any."""
        if self.row_kinds is None:
            return (self.first_row, self.first_row + self.rows - 1, len(self.columns)) \
                if self.rows and self.columns else None
        width = [len(k) for k in self.kinds]
        filled = [i for i, k in enumerate(self.row_kinds) if width[k]]
        if not filled:
            return None
        return self.first_row + filled[0], self.first_row + filled[-1], max(width[self.row_kinds[i]] for i in filled)

    def dimension(self) -> str:
        """The sheet's ``<dimension>``: the range of XlsxWriter's cells and the table's."""
        ws, box = self.sheet, []
        if ws.dim_rowmin is not None and ws.dim_colmin is not None:
            box.append((ws.dim_rowmin + 1, ws.dim_colmin + 1, ws.dim_rowmax + 1, ws.dim_colmax + 1))
        mine = self.extent()
        if mine is not None:
            box.append((mine[0], 1, mine[1], mine[2]))
        if not box:
            return '<dimension ref="A1"/>'
        r1, c1, r2, c2 = min(b[0] for b in box), min(b[1] for b in box), max(b[2] for b in box), max(b[3] for b in box)
        ref = f"{column_letters(c1 - 1)}{r1}" + (f":{column_letters(c2 - 1)}{r2}" if (r1, c1) != (r2, c2) else "")
        return f'<dimension ref="{ref}"/>'

    def chunks(self):
        """The rows' XML, ``CHUNK_ROWS`` rows at a time (UTF-8)."""
        if self.made is not None:
            yield from self.made
            return
        caches: dict[tuple[int, int], _Cells] = {}

        def cells(j: int, k: int) -> _Cells:
            c = caches.get((j, k))
            if c is None:
                plain, dated = self.kinds[k][j]
                c = caches[j, k] = _Cells(plain, dated, self.safe, self.strings, self.errors)
            return c

        opens = [f'<c r="{column_letters(j)}' for j in range(len(self.columns))]
        for start in range(0, self.rows, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, self.rows)
            numbers = list(map(str, range(self.first_row + start, self.first_row + stop)))
            ends = [self.row_ends.get(i, '">') for i in range(start, stop)] if self.row_ends else None
            if self.row_kinds is None:   # one kind of row, every cell there: column by column, no per-row work
                pieces = [repeat('<row r="'), numbers, ends or repeat('">')]
                for j, col in enumerate(self.columns):   # <c r="A + 12 + " s="5" …</c>
                    pieces += [repeat(opens[j]), numbers, cells(j, 0).column(col[start:stop])]
                pieces.append(repeat("</row>"))
                yield "".join(chain.from_iterable(zip(*pieces))).encode("utf-8")
                continue
            yield self._mixed_rows(start, stop, numbers, ends or ['">'] * (stop - start), opens, cells)

    def _mixed_rows(self, start: int, stop: int, numbers: list[str], ends: list[str], opens: list[str],
                    cells) -> bytes:
        """Rows of several kinds, each with its own formats and number of cells (a row of none is left out)."""
        kinds = self.row_kinds[start:stop]
        groups: dict[int, list[int]] = {}
        for i, k in enumerate(kinds):
            groups.setdefault(k, []).append(i)
        width = [len(k) for k in self.kinds]
        n = len(self.columns)
        full = all(width[k] == n for k in groups)
        out = [[""] * (stop - start) for _ in self.columns]
        for j, col in enumerate(self.columns):
            part = col[start:stop]
            for k, at in groups.items():
                if j < width[k]:
                    row, made = out[j], cells(j, k).column([part[i] for i in at])
                    if full:
                        for i, xml in zip(at, made):
                            row[i] = xml
                    else:
                        for i, xml in zip(at, made):
                            row[i] = opens[j] + numbers[i] + xml
        if full:   # every row has every cell: joined column by column, as one kind of row
            pieces = [repeat('<row r="'), numbers, ends]
            for j in range(n):
                pieces += [repeat(opens[j]), numbers, out[j]]
            pieces.append(repeat("</row>"))
            return "".join(chain.from_iterable(zip(*pieces))).encode("utf-8")
        rows = []
        for i, row_cells in enumerate(zip(*out)):
            if width[kinds[i]] or ends[i] != '">':
                rows.append(f'<row r="{numbers[i]}{ends[i]}{"".join(row_cells)}</row>')
        return "".join(rows).encode("utf-8")


def _row_end(worksheet, points: float) -> str:
    """The end of a ``<row>`` tag of a row ``points`` tall, as XlsxWriter's ``set_row`` writes it."""
    pixels = int(points * 4.0 / 3.0 + 0.5)
    if pixels == worksheet.original_row_height and pixels == worksheet.default_row_height:
        return '">'
    return f'" ht="{pixels * 0.75:.16g}" customHeight="1">'


class LongTables:
    """The long tables of one XlsxWriter workbook (one a sheet), spliced in by ``save``."""

    def __init__(self):
        self.tables: dict[str, _Table] = {}

    def add(self, worksheet, first_row: int, columns: list[Sequence], plain=None, dated=None,
            safe: Callable[[Any], Any] | None = None, *, formats: list[list[tuple[Any, Any]]] | None = None,
            kinds: Sequence[int] | None = None, heights: dict[int, float] | None = None,
            shared_strings: bool = False) -> None:
        """Register the data rows of ``worksheet`` (XlsxWriter's): ``columns`` (equal lengths) from the 1-based
        ``first_row`` on, every cell with the Format ``plain`` (``dated`` for a date); ``safe(value)`` → what is
        written (a str, a number, a date or None; a string without control characters as it is). The rows are
        written by ``save``; lay out the sheet (a filter or print area over them) as if they were there, and write
        nothing through XlsxWriter in their rows.

        Rows of several kinds: ``formats`` per kind of row its cells' Formats ``(plain, dated)`` from column A (a
        row has as many cells as its kind has formats: fewer than the columns leaves the rest of the row empty, none
        leaves the row out), ``kinds`` per row its kind (an index into ``formats``; default: the first).
        ``heights``: row (0-based in the table) → its height in points (as ``set_row``). ``shared_strings``: the
        strings go into the workbook's shared strings (as XlsxWriter's ``write_string``) instead of inline: the
        rows are then made now, before XlsxWriter writes its table."""
        member = f"xl/worksheets/sheet{worksheet.index + 1}.xml"  # XlsxWriter names them by position
        if member in self.tables:
            raise ValueError(f"{worksheet.name}: a second long table in the same sheet")
        keep = max(EXCEL_ROWS - first_row + 1, 0)   # XlsxWriter ignores cells below Excel's last row
        columns = [list(c[:keep]) for c in columns]
        kinds = kinds[:keep] if kinds is not None else None
        if formats is None:
            formats = [[(plain, dated)] * len(columns)]
        if kinds is None and len(formats) == 1 and len(formats[0]) == len(columns):
            row_kinds = None
        else:
            row_kinds = list(kinds) if kinds is not None else [0] * (len(columns[0]) if columns else 0)
            if any(len(f) > len(columns) for f in formats) or (columns and len(row_kinds) != len(columns[0])):
                raise ValueError(f"{worksheet.name}: kinds of rows wider than the columns, or not one per row")
        # XF numbers now: XlsxWriter writes only the Formats in use
        xfs = [[(p._get_xf_index(), d._get_xf_index()) for p, d in kind] for kind in formats]
        ends = {i: end for i, h in (heights or {}).items() if (end := _row_end(worksheet, h)) != '">'}
        table = _Table(member, worksheet, first_row, columns, xfs, row_kinds, ends, safe or (lambda v: v),
                       worksheet.str_table if shared_strings else None, worksheet.nan_inf_to_errors)
        if shared_strings:
            table.made = list(table.chunks())
        self.tables[member] = table

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
                cut = _splice_at(xml, table)
                head, tail = _DIMENSION.sub(table.dimension(), xml[:cut], count=1), xml[cut:]
                with zout.open(info.filename, "w") as stream:   # deflated at the archive's level
                    stream.write(head.encode("utf-8"))
                    _write_behind(stream, table.chunks())
                    stream.write(tail.encode("utf-8"))


def _splice_at(xml: str, table: _Table) -> int:
    """Where the table's rows go in the sheet's XML: before XlsxWriter's first row below them (or the end of the
    data). A row of XlsxWriter's among them is a mistake of the caller's."""
    start, end = xml.index("<sheetData"), xml.rindex("</sheetData>")
    for found in _ROW_REF.finditer(xml, start, end):
        if int(found[1]) >= table.first_row:
            if int(found[1]) < table.first_row + table.rows:
                raise ValueError(f"{table.member}: row {found[1]} written both by XlsxWriter and as a long table")
            return found.start()
    return end


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
