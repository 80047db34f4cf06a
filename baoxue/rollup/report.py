"""The monthly report workbook (月报表, SPEC §6), written with XlsxWriter:

报送情况 (who sent what; the inbox's files counted by outcome) · 收到的文件 (every file and what became of it) ·
乡镇汇总 (townships + county) · 学校明细 (each school's figures) ·
在册辍学名单 (open cases) · 逾期预警 (overdue cases) · 问题清单 (all findings) · 趋势 (months in the store, native charts).

IDs and names are masked by default (first 6 + last 4; 张*明) and free-text messages are scrubbed; ``masked=False`` is
for internal use and says so on every sheet. Every string is written as text (``write_string``: a value such as
``=HYPERLINK(...)`` stays text, never a formula). Print-ready (A4 landscape, fit to width, title and header rows
repeated): long text wraps in rows made tall enough, rates show two decimals, each trend chart prints on a page of its
own. Saved atomically.

The per-sheet functions build their tables through ``_Sheet`` (title, note, header, ``add`` a row, ``finish``) and
``put`` (one cell); only those two know the writer. XlsxWriter lays out each sheet and writes its few cells once, with
their whole format (formats are shared through ``_Formats``), and writes the package at the end — no per-cell style
objects. The data rows of a table (thousands of cells on a county's 学校明细, 收到的文件, 问题清单) skip XlsxWriter's
per-cell bookkeeping: ``_Sheet.add`` collects them with their kind of row (fill, bold, warned columns, length), whose
formats are resolved once, and ``finish`` hands them to ``xlsx_rows.LongTables`` (the household ledger's writer too),
which splices them into the sheet's XML as XlsxWriter would write them (every string a shared string, i.e. text).
"""
from __future__ import annotations

import datetime as dt
import io
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from ..atomic import atomic_save
from ..indicators import ALL_RATES, FIGURES
from ..paths import guard_output
from .engine import RollupResult
from ..beijing import CHINA, beijing
from ..layout import get_column_letter, print_bands
from .masking import LEFT_OUT_WHEN_MASKED, mask_value
from .school_year import rates_note
from .store import Store
from .trend import trend_frame
from ..xlsx_rows import LongTables

SHEETS = ("报送情况", "收到的文件", "乡镇汇总", "学校明细", "在册辍学名单", "逾期预警", "问题清单", "趋势")
HEADER_FILL = "#DDEBF7"                                # fills are solid background colours
TOTAL_FILL = "#FFF2CC"
WARN_FONT = {"font_color": "#C00000", "bold": True}    # a font is a set of XlsxWriter format properties
TITLE_FONT = {"bold": True, "font_size": 14}
NOTE_FONT = {"font_color": "#595959"}
BORDER = {"border": 1, "border_color": "#A6A6A6"}      # thin, grey, all four sides
HEADER_ALIGN = {"align": "center", "valign": "vcenter", "text_wrap": True}
DATE_FORMAT = "yyyy-mm-dd"
RATE_FORMAT = "0.00"                                   # every rate with two decimals (0.08 → 0.08, 0.1 → 0.10)
WRAP = {"text_wrap": True, "valign": "top"}            # long text wraps inside its column; the row grows to fit
SEVERITY_ZH = {"error": "错误", "warning": "警告"}
ZERO_REPORT_SCHOOLS = "zero_report_schools"  # baoxue.indicators.aggregate's count of 零报告 schools
_ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")  # not allowed in XML (as openpyxl's)
_EMU_PER_CM, _EMU_PER_PIXEL = 360000, 9525


def _indicators() -> tuple[list[str], dict[str, str]]:
    """The figures of the area tables (SPEC §5 with the school-year figures of §5.1 after the month-end rates) and
    their column headers (rates marked "(%)")."""
    return ([k for k, _ in FIGURES if k != "zero_report"],
            {k: label + ("(%)" if k in ALL_RATES else "") for k, label in FIGURES})


def _rate_formats(labels: dict[str, str]) -> dict[str, str]:
    """Header → ``RATE_FORMAT`` for every rate column (两位小数)."""
    return {labels[k]: RATE_FORMAT for k in ALL_RATES if k in labels}


def _rates_note(result: RollupResult) -> str:
    return " " + rates_note(result.month, result.county)


FIRST_DATA_ROW = 4


def _safe(v: Any) -> Any:
    if v.__class__ is str:   # the common case first (a printable string holds no illegal character)
        return v if v.isprintable() else _ILLEGAL_CHARACTERS_RE.sub("", v)
    if v is None:
        return None
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(CHINA).replace(tzinfo=None)
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, pd.Timestamp):
        return _safe(v.to_pydatetime())
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, (int, float, dt.date)):
        return v
    if hasattr(v, "item"):  # numpy scalar
        return _safe(v.item())
    return _ILLEGAL_CHARACTERS_RE.sub("", str(v))


class _Formats:
    """The workbook's cell formats, one XlsxWriter Format per distinct set of properties."""

    def __init__(self, wb):
        self.wb = wb
        self._made: dict[tuple, Any] = {}

    def __call__(self, props: dict[str, Any]) -> Any:
        if not props:
            return None
        key = tuple(sorted(props.items()))
        fmt = self._made.get(key)
        if fmt is None:
            fmt = self._made[key] = self.wb.add_format(dict(props))
        return fmt


def put(sheet: "_Sheet", row: int, col: int, value: Any, **style: Any) -> None:
    """Write one cell (1-based row and column) with the format properties ``style``; strings are always text (never
    interpreted as a formula), dates get the date format, an empty value with a style is a formatted blank cell."""
    _write(sheet.ws, row - 1, col - 1, _safe(value), sheet.formats(style),
           lambda: sheet.formats({**style, "num_format": DATE_FORMAT}))


def _write(ws, r: int, c: int, value: Any, fmt: Any, date_fmt) -> None:
    """One safe value at 0-based (r, c) with the Format ``fmt`` (``date_fmt()`` gives the one for a date)."""
    if isinstance(value, str):
        ws.write_string(r, c, value, fmt)
    elif value is None:
        if fmt is not None:
            ws.write_blank(r, c, None, fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, value, date_fmt())
    else:
        ws.write_number(r, c, value, fmt)


def _bands(widths: list[float], titles: int) -> list[int]:
    """0-based columns where the page bands after the first start (each at most ``BAND_UNITS`` wide, repeated title
    columns included)."""
    return print_bands(list(widths), titles, BAND_UNITS)


_WIDE_RE = re.compile("[\u2e81-\U0010ffff]")   # characters after U+2E80: CJK and beyond, two units wide


def _text_units(text: Any) -> int:
    """Width of a text in column-width units (a CJK character is two, like two digits)."""
    s = str(text or "")
    return len(s) if s.isascii() else len(s) + len(_WIDE_RE.findall(s))


ROW_HEIGHT = 15   # points: one line of 11-point text
# A table wider than BAND_FROM column-width units is unreadable fitted to one A4 width: it prints in page bands at
# BAND_SCALE % (narrow side margins), each band at most BAND_UNITS wide with its first ``band_columns`` repeated (the
# same rule as the school template's wide ledgers, ``baoxue.layout.print_bands``).
BAND_FROM = 230
BAND_UNITS = 140
BAND_SCALE = 70


def _lines(text: Any, width: float) -> int:
    """Lines a wrapped text takes in a column ``width`` characters wide (generous: a CJK character counts two)."""
    usable = max(int(width) - 1, 1)
    if text.__class__ is str and 2 * len(text) <= usable and "\n" not in text:   # (what ``_safe`` makes is shorter)
        return 1
    return _wrapped_lines(text, usable) if text.__class__ is str else _counted_lines(text, usable)


@lru_cache(maxsize=1 << 14)
def _wrapped_lines(text: str, usable: int) -> int:
    """``_counted_lines`` of a text, remembered: a table repeats its file and school names, sheet after sheet."""
    return _counted_lines(text, usable)


def _counted_lines(text: Any, usable: int) -> int:
    text = str(_safe(text))
    if 2 * len(text) <= usable and "\n" not in text:   # fits whatever its characters: one line
        return 1
    return sum(max(1, -(-_text_units(part) // usable)) for part in text.split("\n"))


def _width(characters: float) -> float:
    """XlsxWriter's column width argument that stores ``characters`` as the column's width (what openpyxl stored):
    XlsxWriter adds the 5-pixel cell padding (7-pixel digits of the default font) to the width it is given."""
    return characters - 5 / 7


class _Sheet:
    """A titled table: title (row 1), note (row 2), header (row 3), data from row 4; print-ready."""

    def __init__(self, wb, name: str, title: str, note: str, header: list[str], widths: list[int],
                 wrap: Iterable[str] = (), number_formats: dict[str, str] | None = None, band_columns: int = 1):
        """``wrap``: header names whose cells wrap (long free text: 说明, 去向说明, 文件); ``number_formats``: header
        name → number format of its data cells (rates: ``RATE_FORMAT``)."""
        self.wb = wb
        self.formats: _Formats = wb.baoxue_formats
        self.ws = ws = wb.add_worksheet(name)
        self.tables: LongTables = wb.baoxue_tables
        self._row_formats: dict[tuple, list[tuple[Any, Any, bool]]] = {}
        # the data rows, written by ``finish`` as one long table: values, kind of row (an index into the formats of
        # each kind, and whether each cell wraps), heights (points) of the rows that grow for wrapped text
        self._rows: list[list[Any]] | None = []
        self._kinds: dict[tuple, int] = {}
        self._kind_formats: list[list[tuple[Any, Any]]] = []
        self._kind_wraps: list[list[bool]] = []
        self._row_kinds: list[int] = []
        self._heights: dict[int, float] = {}
        self.name = name
        self.width = len(header)
        self.widths = list(widths)
        self.column_styles = {j: dict(WRAP) for j, h in enumerate(header, start=1) if h in set(wrap)}
        for j, h in enumerate(header, start=1):
            if number_formats and h in number_formats:
                self.column_styles.setdefault(j, {})["num_format"] = number_formats[h]
        put(self, 1, 1, title, **TITLE_FONT)
        # the note wraps across the table's (first printed band's) width, never cut at the print edge; its row is tall
        # enough for it
        bands = _bands(widths, band_columns) if sum(widths) > BAND_FROM else []
        note_cols = bands[0] if bands else max(len(header), 1)
        self.merged(2, 1, note_cols, note, **NOTE_FONT, **WRAP)
        ws.set_row(1, ROW_HEIGHT * _lines(note, sum(widths[:note_cols])))
        for j, h in enumerate(header, start=1):
            put(self, 3, j, h, bold=True, bg_color=HEADER_FILL, pattern=1, **BORDER, **HEADER_ALIGN)
        for j, w in enumerate(widths):
            ws.set_column(j, j, _width(w))
        # wrapped header text: two lines at least, more where a header needs them
        ws.set_row(2, max(32, ROW_HEIGHT * max((_lines(h, w) for h, w in zip(header, widths)), default=1) + 2))
        ws.freeze_panes(FIRST_DATA_ROW - 1, 0)
        self.row = FIRST_DATA_ROW
        ws.set_landscape()
        ws.set_paper(9)     # A4
        if bands:
            ws.set_print_scale(BAND_SCALE)
            ws.set_v_pagebreaks(bands)
            ws.repeat_columns(0, band_columns - 1)
        else:
            ws.fit_to_pages(1, 0)
        ws.repeat_rows(0, 2)
        ws.center_horizontally()
        ws.set_margins(left=0.25 if bands else 0.4, right=0.25 if bands else 0.4, top=1, bottom=1)
        ws.set_header("", margin=0.5)
        ws.set_footer("", margin=0.5)

    def add(self, values: Iterable[Any], fill: str | None = None, bold: bool = False,
            warn: Iterable[int] = ()) -> int:
        """Write the next row (bordered cells; ``fill`` a background colour, ``bold``, the 1-based columns ``warn``
        in the warning font); returns its row number."""
        r = self.row
        if self._rows is None or r != FIRST_DATA_ROW + len(self._rows):
            raise ValueError(f"{self.name}: table rows are added one after another from row {FIRST_DATA_ROW}, "
                             "before anything below them and before finish")
        values = list(values)
        kind = (fill, bold, tuple(sorted(set(warn))), len(values))
        k = self._kinds.get(kind)
        if k is None:
            formats = self._formats_of(kind[:3], len(values))[:len(values)]
            k = self._kinds[kind] = len(self._kind_formats)
            self._kind_formats.append([(plain, dated) for plain, dated, _ in formats])
            self._kind_wraps.append([wraps for _, _, wraps in formats])
        lines = 1
        for j, wraps in enumerate(self._kind_wraps[k]):
            if wraps and values[j] is not None and j < len(self.widths):   # wrapped text: how many lines
                lines = max(lines, _lines(values[j], self.widths[j]))
        self._rows.append(values)
        self._row_kinds.append(k)
        if lines > 1:   # spreadsheet programs do not grow a row for wrapped text written by a program: say how tall
            self._heights[r - FIRST_DATA_ROW] = ROW_HEIGHT * lines
        self.row += 1
        return r

    def _formats_of(self, kind: tuple, n: int) -> list[tuple[Any, Any, bool]]:
        """Per column of a row of ``kind`` (fill, bold, warned columns): its Format, its Format for a date and whether
        it wraps; resolved once per kind of row (and widened for a row longer than the header)."""
        got = self._row_formats.get(kind)
        if got is None or len(got) < n:
            fill, bold, warned = kind
            style = dict(BORDER, valign="top")   # a row grown for wrapped text reads from its top line
            if fill is not None:
                style.update(bg_color=fill, pattern=1)
            if bold:
                style["bold"] = True
            got = []
            for j in range(max(n, self.width)):
                own = self.column_styles.get(j + 1)
                cell = {**style, **(own or {})} if (own or j + 1 in warned) else style
                if j + 1 in warned:
                    cell = {**cell, **WARN_FONT}
                got.append((self.formats(cell), self.formats({**cell, "num_format": DATE_FORMAT}),
                            bool(own and own.get("text_wrap"))))
            self._row_formats[kind] = got
        return got

    def merged(self, row: int, first_col: int, last_col: int, value: Any, **style: Any) -> None:
        """One value across columns ``first_col``..``last_col`` of ``row`` (1-based), e.g. a summary line."""
        value = _safe(value)
        fmt = self.formats(style)
        if first_col == last_col:
            put(self, row, first_col, value, **style)
        else:
            self.ws.merge_range(row - 1, first_col - 1, row - 1, last_col - 1, "" if value is None else value, fmt)

    def page_break_before(self, rows: Iterable[int]) -> None:
        """Printed pages start at these 1-based rows (a chart below a table starts on a page of its own)."""
        self.ws.set_h_pagebreaks([r - 1 for r in rows])

    def finish(self, filter_to: int | None = None) -> None:
        """The data rows (``add``) into the sheet, filter buttons on the header over the data (down to row
        ``filter_to`` if given) and the print area."""
        self._table()
        last = max(self.row - 1, 3)
        self.ws.autofilter(f"A3:{get_column_letter(self.width)}{filter_to or last}")
        self.print_area(self.width, last)

    def _table(self) -> None:
        """Hand the rows ``add`` collected to the workbook's ``LongTables`` (once)."""
        rows, self._rows = self._rows, None
        if not rows:
            return
        width = max(map(len, rows))
        columns = [list(c) for c in zip(*(r + [None] * (width - len(r)) for r in rows))]
        self.tables.add(self.ws, FIRST_DATA_ROW, columns, safe=_safe, formats=self._kind_formats,
                        kinds=self._row_kinds, heights=self._heights, shared_strings=True)

    def print_area(self, last_col: int, last_row: int) -> None:
        self.ws.print_area(f"A1:{get_column_letter(last_col)}{last_row}")

    def chart(self, kind: str, title: str, y_title: str, x_title: str, columns: list[int], first: int, last: int,
              at_row: int, width_cm: float = 18, height_cm: float = 8) -> None:
        """A native chart (``kind`` "column" or "line") of the 1-based ``columns`` over rows ``first``..``last``
        (series named by their header in row 3, categories from column A), anchored at column A of row ``at_row``."""
        chart = self.wb.add_chart({"type": kind})
        for c in columns:
            chart.add_series({"name": [self.name, 2, c - 1], "categories": [self.name, first - 1, 0, last - 1, 0],
                              "values": [self.name, first - 1, c - 1, last - 1, c - 1]})
        chart.set_title({"name": title})
        chart.set_y_axis({"name": y_title})
        chart.set_x_axis({"name": x_title})
        chart.set_size({"width": round(width_cm * _EMU_PER_CM / _EMU_PER_PIXEL),
                        "height": round(height_cm * _EMU_PER_CM / _EMU_PER_PIXEL)})
        self.ws.insert_chart(f"A{at_row}", chart)


def _note(result: RollupResult, masked: bool, extra: str = "") -> str:
    privacy = "身份证号、姓名已脱敏。" if masked else "【内部使用】本表未脱敏，含未成年人个人信息，不得外传。"
    return f"报送月份 {result.month}；生成于 {beijing(result.created_at, seconds=True)}；策略指纹 {result.policy_fingerprint}。{privacy}{extra}"


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """``df.to_dict("records")``, built column by column (``Series.tolist``, not a cell at a time): the same values,
    None where a column's missing value is ``pd.NA``."""
    columns = df.columns.tolist()
    if not columns:
        return [{} for _ in range(len(df))]
    lists = []
    for j in range(len(columns)):
        col = df.iloc[:, j]
        values = col.tolist()
        lists.append([None if v is pd.NA else v for v in values] if getattr(col.dtype, "na_value", None) is pd.NA
                     else values)
    return [dict(zip(columns, row)) for row in zip(*lists)]


def _yn(v: bool) -> str:
    return "是" if v else "否"


# ============================================================================================== sheets
def _submissions(wb, result: RollupResult, masked: bool) -> None:
    late = {f.school for f in result.findings if f.rule == "R007"}
    s = _Sheet(wb, "报送情况", f"{result.month} 控辍保学月报报送情况", _note(result, masked),
               ["所属乡镇", "学校标识码", "学校名称", "学校类型", "城乡类别", "报送状态", "计入汇总", "盖戳时间（北京时间）", "逾期报送",
                "错误数", "警告数", "文件"], [10, 12, 22, 14, 9, 12, 9, 17, 9, 7, 7, 34], wrap=("学校名称", "文件"))
    for sc in result.schools:
        if not sc["submitted"]:
            status = "未报送"
        elif not sc["stamp_ok"]:
            status = "戳记无效"
        elif not sc.get("in_register", True):
            status = "已报送（不在名录）"
        else:
            status = "已报送"
        s.add([sc["township"], sc["code"], sc["name"], sc.get("学校类型"), sc.get("城乡类别"), status,
               _yn(sc.get("counted")), sc.get("stamped_at"), _yn(sc["code"] in late), sc["errors"], sc["warnings"],
               sc.get("file")], warn=(6,) if status in ("未报送", "戳记无效") else ())
    c = result.county
    s.add([])
    s.add(["合计", None, f"应报 {c['schools_expected']} 所，有效报送 {c['schools_submitted']} 所", None, None, None, None,
           None, None, None, None, None], fill=TOTAL_FILL, bold=True)
    s.add([])
    # what the roll-up did with the inbox's files, one line per outcome (other months' files counted, not listed:
    # an inbox that keeps every month would otherwise grow this sheet each month); the list is on 收到的文件
    header_row = s.row
    head = dict(bold=True, bg_color=HEADER_FILL, pattern=1, **BORDER, **HEADER_ALIGN)
    s.merged(header_row, 1, 5, "收到的文件：处理结果", **head)
    s.merged(header_row, 6, 6, "文件数", **head)
    s.merged(header_row, 7, 12, "说明", **head)
    s.row += 1
    for status, count in file_outcomes(result.files):
        r = s.row
        s.merged(r, 1, 5, status, **BORDER)
        s.merged(r, 6, 6, count, **BORDER)
        s.merged(r, 7, 12, OUTCOME_NOTES.get(status.split("（")[0].rstrip("，"), "逐个文件见“收到的文件”工作表。"),
                 **BORDER, **WRAP)
        s.row += 1
    s.finish(filter_to=header_row - 3)


OUTCOME_NOTES = {  # what an outcome means for the month, by its first words (baoxue.rollup.engine._file_list)
    "计入汇总": "本月计入汇总的报送。",
    "上月": "上月的报送，只用于个案连续性核对（R005），不计入本月。",
    "其他月份": "收件箱中其他月份的文件，不计入本月；逐个文件见“收到的文件”工作表。",
}


def file_outcomes(files: list[dict]) -> list[tuple[str, int]]:
    """(处理结果, number of files), this month's outcomes first, then last month, then other months (newest first)."""
    counts: dict[str, int] = {}
    for f in files:
        counts[f["status"]] = counts.get(f["status"], 0) + 1

    def rank(status: str):
        if status == "计入汇总":
            return (0, "")
        if status.startswith("上月"):
            return (2, "")
        if status.startswith("其他月份"):
            month = re.search(r"(\d{4})-(\d{2})", status)
            return (3, -(int(month[1]) * 12 + int(month[2])) if month else 0)   # newest month first
        return (1, status)
    return sorted(counts.items(), key=lambda kv: rank(kv[0]))


def _files(wb, result: RollupResult, masked: bool) -> None:
    """Every file found in the inbox and what the roll-up did with it."""
    s = _Sheet(wb, "收到的文件", f"{result.month} 收件箱中的文件", _note(result, masked, " 收件箱中找到的每个文件及其处理结果。"),
               ["文件", "学校标识码", "学校名称", "报送月份", "处理结果", "戳记有效", "盖戳时间（北京时间）", "错误数", "警告数",
                "说明"], [34, 12, 20, 9, 22, 8, 17, 7, 7, 48], wrap=("文件", "学校名称", "处理结果", "说明"))
    scrub = result.scrubber() if masked else (lambda x: x)
    for f in result.files:
        s.add([f["file"], f["school"], f["name"], f["month"], f["status"], _yn(f["stamp_ok"]), f["stamped_at"],
               f["errors"], f["warnings"], scrub(f["stamp_reason"])])
    s.finish()


def _area_row(area: dict, name: str) -> list:
    AREA_KEYS, _ = _indicators()
    return [name, area.get("schools_expected"), area.get("schools_submitted"), area.get(ZERO_REPORT_SCHOOLS),
            *[area.get(k) for k in AREA_KEYS]]


def _townships(wb, result: RollupResult, masked: bool) -> None:
    AREA_KEYS, AREA_LABELS = _indicators()
    header = ["乡镇", "应报学校数", "有效报送数", "零报告学校数", *[AREA_LABELS[k] for k in AREA_KEYS]]
    s = _Sheet(wb, "乡镇汇总", f"{result.month} 控辍保学月报 乡镇汇总",
               _note(result, masked, " 乡镇、全县数据为各校计数之和，辍学率由合计重新计算（不取平均）。" + _rates_note(result)),
               header, [12] + [9] * (len(header) - 1), number_formats=_rate_formats(AREA_LABELS))
    for t in result.townships:
        s.add(_area_row(t, t["name"]))
    s.add(_area_row(result.county, "全县合计"), fill=TOTAL_FILL, bold=True)
    s.finish()


def _schools(wb, result: RollupResult, masked: bool) -> None:
    AREA_KEYS, AREA_LABELS = _indicators()
    header = ["所属乡镇", "学校标识码", "学校名称", "城乡类别", "计入汇总", "零报告",
              *[AREA_LABELS[k] for k in AREA_KEYS]]
    s = _Sheet(wb, "学校明细", f"{result.month} 控辍保学月报 学校明细",
               _note(result, masked, " 未报送或戳记无效的学校指标为空。" + _rates_note(result)), header,
               [12, 13, 22, 9, 9, 8] + [9] * len(AREA_KEYS), wrap=("学校名称",),
               number_formats=_rate_formats(AREA_LABELS), band_columns=3)
    for sc in result.schools:
        s.add([sc["township"], sc["code"], sc["name"], sc.get("城乡类别"), _yn(sc.get("counted")), sc.get("zero_report"),
               *[sc.get(k) for k in AREA_KEYS]])
    s.finish()


CASE_HEADER = ["所属乡镇", "学校名称", "姓名", "性别", "身份证号", "年级", "类型", "发现日期", "辍学原因", "重点群体",
               "包保责任人", "劝返动员日期", "限期复学通知日期", "行政处罚日期", "司法程序日期", "状态", "去向说明"]
KEY_GROUPS = (("脱贫家庭或监测户", "脱贫/监测户"), ("残疾", "残疾"), ("留守儿童", "留守"), ("随迁子女", "随迁"))


def _cases(wb, result: RollupResult, masked: bool) -> None:
    """Open cases. Masked: names and IDs masked, and the child's circumstances (辍学原因, 重点群体) left out."""
    hidden = set(LEFT_OUT_WHEN_MASKED) if masked else set()
    header = [h for h in CASE_HEADER if h not in hidden]
    widths = [w for h, w in zip(CASE_HEADER, [10, 20, 9, 6, 21, 9, 10, 11, 14, 14, 10, 11, 11, 11, 11, 9, 24])
              if h not in hidden]
    s = _Sheet(wb, "在册辍学名单", f"{result.month} 月末在册未销号辍学学生名单",
               _note(result, masked, " 脱敏版不含辍学原因和重点群体（残疾、脱贫等）信息。" if masked else ""), header, widths,
               wrap=("学校名称", "去向说明", "辍学原因", "重点群体"))
    scrub = result.scrubber() if masked else (lambda x: x)
    m = (lambda col, v: mask_value(col, v)) if masked else (lambda col, v: v)
    df = result.open_cases.sort_values(["所属乡镇", "学校标识码", "row"], kind="stable") if len(result.open_cases) else result.open_cases
    for rec in records(df):
        values = {
            "所属乡镇": rec["所属乡镇"], "学校名称": rec["学校名称"], "姓名": m("姓名", rec.get("姓名")),
            "性别": rec.get("性别"), "身份证号": m("身份证号", rec.get("身份证号")), "年级": rec.get("年级"),
            "类型": rec.get("类型"), "发现日期": rec.get("发现日期"), "辍学原因": rec.get("辍学原因"),
            "重点群体": "、".join(label for col, label in KEY_GROUPS if rec.get(col) == "是"),
            "包保责任人": rec.get("包保责任人"), "劝返动员日期": rec.get("劝返动员日期"),
            "限期复学通知日期": rec.get("限期复学通知日期"), "行政处罚日期": rec.get("行政处罚日期"),
            "司法程序日期": rec.get("司法程序日期"), "状态": rec.get("状态"), "去向说明": scrub(rec.get("去向说明")),
        }
        s.add([values[h] for h in header])
    s.finish()


def _overdue(wb, result: RollupResult, masked: bool) -> None:
    s = _Sheet(wb, "逾期预警", f"{result.month} 逾期预警（截至月末）", _note(result, masked),
               ["所属乡镇", "学校名称", "类别", "姓名", "身份证号", "年级", "状态", "起算日期", "逾期天数", "工作表", "行号", "说明"],
               [10, 20, 26, 9, 21, 9, 9, 11, 9, 9, 6, 60], wrap=("学校名称", "类别", "说明"))
    scrub = result.scrubber() if masked else (lambda x: x)
    m = (lambda col, v: mask_value(col, v)) if masked else (lambda col, v: v)
    for rec in records(result.overdue):
        s.add([rec["所属乡镇"], rec["学校名称"], rec["类别"], m("姓名", rec.get("姓名")), m("身份证号", rec.get("身份证号")),
               rec.get("年级"), rec.get("状态"), rec.get("起算日期"), rec.get("逾期天数"), rec.get("sheet"), rec.get("row"),
               scrub(rec.get("说明"))])
    s.finish()


def _findings(wb, result: RollupResult, masked: bool) -> None:
    s = _Sheet(wb, "问题清单", f"{result.month} 问题清单（汇总核查与各校校验结果）", _note(result, masked),
               ["所属乡镇", "学校标识码", "学校名称", "文件", "工作表", "行号", "列名", "单元格", "规则编号", "级别", "值", "说明"],
               [10, 13, 20, 30, 9, 6, 12, 7, 8, 6, 20, 70], wrap=("学校名称", "文件", "列名", "值", "说明"))
    info = {sc["code"]: sc for sc in result.schools}
    order = {sc["code"]: i for i, sc in enumerate(result.schools)}
    rows = result.finding_dicts(masked)
    rows.sort(key=lambda d: (0 if d["school"] is None else 1, order.get(d["school"], len(order)), d["file"] or "",
                             0 if d["rule"].startswith(("R", "S")) else 1, d["row"] or 0, d["rule"]))
    for d in rows:
        sc = info.get(d["school"], {})
        s.add([sc.get("township"), d["school"], sc.get("name"), d["file"], d["sheet"], d["row"], d["column"],
               d.get("cell"), d["rule"], SEVERITY_ZH.get(d["severity"], d["severity"]), d["value"], d["message"]],
              warn=(10,) if d["severity"] == "error" else ())
    s.finish()


TREND_KEYS = ("open_cases", "new_suspected", "new_dropout", "returned", "closed", "dropout_rate_primary",
              "dropout_rate_junior", "year_dropout_rate_primary", "year_dropout_rate_junior",
              "cumulative_dropout_primary", "cumulative_dropout_junior", "escalation_overdue", "home_taught",
              "home_meeting_min")
TREND_RATES = ("year_dropout_rate_primary", "year_dropout_rate_junior")   # the rate chart: 学年辍学率
CHART_PAGE_ROWS = 17   # rows (15 pt) from one chart's anchor to the next: an 8 cm chart and a margin, one page each


def _trend(wb, result: RollupResult, masked: bool, history: dict | None = None) -> None:
    df = trend_frame(result, history=history)
    _, AREA_LABELS = _indicators()
    header = ["月份", *[AREA_LABELS[k] for k in TREND_KEYS]]
    s = _Sheet(wb, "趋势", "全县控辍保学主要指标趋势",
               _note(result, masked, f" 历史数据来自历史库（共 {len(df)} 个月）。学年辍学率每年9月重新起算，"
                                     "各月为该月汇总时按本学年计入月份计算的值。" + _rates_note(result)),
               header, [10] + [10] * len(TREND_KEYS), number_formats=_rate_formats(AREA_LABELS))
    for rec in records(df):
        s.add([rec["month"], *[rec.get(k) for k in TREND_KEYS]])
    s.finish()
    first, last = FIRST_DATA_ROW, s.row - 1
    col = {k: i + 2 for i, k in enumerate(TREND_KEYS)}
    # each chart on a printed page of its own, below the repeated title rows: a page break before each, and a chart
    # (8 cm) shorter than what an A4 landscape page holds under the title rows at the fitted scale
    chart_rows = CHART_PAGE_ROWS
    bars_at, lines_at = last + 3, last + 3 + chart_rows
    s.page_break_before([bars_at - 1, lines_at - 1])
    s.chart("column", "在册未销号与本月变化", "人数", "月份",
            [col[k] for k in ("open_cases", "new_suspected", "new_dropout", "returned", "closed")], first, last,
            at_row=bars_at)
    s.chart("line", "学年辍学率（%）", "%", "月份", [col[k] for k in TREND_RATES], first, last, at_row=lines_at)
    s.print_area(max(len(header), 10), lines_at + chart_rows - 1)


# ============================================================================================== entry point
def build_report(result: RollupResult, target, masked: bool = True, history: dict | None = None) -> None:
    """Write the report workbook to ``target`` (a path or a binary file object)."""
    import xlsxwriter
    package = io.BytesIO()
    wb = xlsxwriter.Workbook(package, {"in_memory": True, "nan_inf_to_errors": True})
    wb.baoxue_formats = _Formats(wb)
    wb.baoxue_tables = LongTables()   # the tables' data rows (``_Sheet.add``), spliced in as the package is saved
    _submissions(wb, result, masked)
    _files(wb, result, masked)
    _townships(wb, result, masked)
    _schools(wb, result, masked)
    _cases(wb, result, masked)
    _overdue(wb, result, masked)
    _findings(wb, result, masked)
    _trend(wb, result, masked, history)
    wb.set_properties({"title": f"{result.month} 控辍保学月报表", "author": "baoxue"})
    wb.close()
    wb.baoxue_tables.save(package.getvalue(), target, compresslevel=6)   # zlib's default, as XlsxWriter: a file to send


def write_report(result: RollupResult, out_path: str | Path, store: Store | str | Path | None = None,
                 masked: bool = True) -> Path:
    """Write the 月报表 workbook atomically (an existing report is kept as a backup). Returns the path. The trend is
    the run's (``result.history``); ``store``: take it from that history store instead (a result re-exported later).
    Raises ``paths.OutputPathError`` for a path inside the inbox or the store, or equal to the register: the report
    never replaces an input."""
    guard_output(out_path, inside=[result.inbox, result.store_dir], equal=[result.register])
    history = None
    if store is not None:
        store = store if isinstance(store, Store) else Store(store)
        history = {"county": store.trend("county", until=result.month)}
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_save(lambda tmp: build_report(result, tmp, masked, history), out)
    return out
