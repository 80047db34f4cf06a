"""Long tables streamed into an XlsxWriter package (``baoxue.xlsx_rows``) are the cells XlsxWriter writes itself: the
same values, types, formats, row heights and sheet setup as the same rows written through XlsxWriter's own
``write_string`` / ``write_blank`` / ``write_datetime`` / ``write_number`` and ``set_row`` (``XlsxWriterTables``, the
reference), read back by openpyxl, python-calamine and headless LibreOffice; strings (an ID, a formula-looking text,
control characters) stay text. Whole 月报表 and 适龄儿童台账 workbooks are compared with the same workbooks written by
the reference."""
from __future__ import annotations

import datetime as dt
import io
import math

import openpyxl
import pytest
import python_calamine
import xlsxwriter

from baoxue.rollup import report
from baoxue.rollup.report import BORDER, DATE_FORMAT, FIRST_DATA_ROW, WARN_FONT, _Formats, _safe, _Sheet
from baoxue.xlsx_rows import LongTables, column_letters, excel_serial


class XlsxWriterTables:
    """``LongTables``' contract done by XlsxWriter itself, cell by cell, as the table is added: the reference."""

    def add(self, worksheet, first_row, columns, plain=None, dated=None, safe=None, *, formats=None, kinds=None,
            heights=None, shared_strings=False):
        formats = formats or [[(plain, dated)] * len(columns)]
        for i in range(len(columns[0]) if columns else 0):
            r = first_row - 1 + i
            for j, (fmt, date_fmt) in enumerate(formats[kinds[i] if kinds is not None else 0]):
                v = (safe or (lambda x: x))(columns[j][i])
                if isinstance(v, str):
                    worksheet.write_string(r, j, v, fmt)
                elif v is None:
                    worksheet.write_blank(r, j, None, fmt)
                elif isinstance(v, dt.date):
                    worksheet.write_datetime(r, j, v, date_fmt)
                else:
                    worksheet.write_number(r, j, v, fmt)
            if heights and i in heights:
                worksheet.set_row(r, heights[i])

    def save(self, package, target, compresslevel=None):
        if hasattr(target, "write"):
            target.write(package)
        else:
            with open(target, "wb") as fh:
                fh.write(package)


HEADER = ["姓名", "身份证号", "出生日期", "序号", "备注"]
ROWS = [
    ["欧阳小明", "430102201401011234", dt.date(2014, 1, 1), 1, None],
    ["李红", "43010220130202002X", dt.date(2013, 2, 2), 2, '=HYPERLINK("http://x.example/","点我")'],
    [" 前导空格", "0012345", None, 3.5, "a & b < c > d"],
    ["尾随空格 ", "4301", dt.date(1900, 1, 5), True, "控制\x07字符\r换行\n制表\t"],
    ["_x0041_ 字面", "", dt.datetime(2026, 9, 1, 8, 30), False, float("nan")],
    [None, None, None, None, "尾"],
    ["张" * 40000, "x", dt.date(2026, 9, 30), -7, "长文本"],
]
# a long table: most values plain, every few one that needs escaping, trimming or dropping (the column-wide shortcut)
TRICKY = ["a&b", " 前导", "尾随 ", "_x0042_", "控\x07制", "<t>", "\ufffe", "行\r", "a\x00b"]
ROWS += [[f"学生{i}" if i % 7 else TRICKY[i % len(TRICKY)] + str(i), f"4301022014{i:08d}",
          dt.date(2014, 1, 1) + dt.timedelta(days=i), i, TRICKY[i % len(TRICKY)] if i % 5 == 0 else f"备注{i % 90}"]
         for i in range(400)]


def _workbook(streamed: bool):
    package = io.BytesIO()
    wb = xlsxwriter.Workbook(package, {"in_memory": True, "nan_inf_to_errors": True})
    wb.baoxue_formats = _Formats(wb)
    wb.baoxue_tables = LongTables() if streamed else XlsxWriterTables()
    return package, wb


def _save(package, wb, path):
    wb.close()
    wb.baoxue_tables.save(package.getvalue(), path)
    return path


def _write(path, streamed: bool):
    package, wb = _workbook(streamed)
    small = _Sheet(wb, "前表", "前表", "说明", ["a"], [10])
    small.add(["小表在前"])
    small.finish()
    s = _Sheet(wb, "长表", "长表标题", "内部资料：不得外传。", HEADER, [10, 21, 12, 6, 30])
    wb.baoxue_tables.add(s.ws, FIRST_DATA_ROW, [[r[j] for r in ROWS] for j in range(len(HEADER))],
                         s.formats(dict(BORDER)), s.formats({**BORDER, "num_format": DATE_FORMAT}), _safe)
    s.row = FIRST_DATA_ROW + len(ROWS)
    s.finish()
    after = _Sheet(wb, "后表", "后表", "说明", ["b"], [10])
    after.add([dt.date(2026, 1, 2)])
    after.finish()
    return _save(package, wb, path)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("xlsx-rows")
    return _write(root / "cell-by-cell.xlsx", False), _write(root / "streamed.xlsx", True)


def _color(c):
    return c.rgb if c is not None else None


def _cells(path):
    """Per sheet its setup and every cell: value, type, number format, font, fill, border, alignment."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "setup": (ws.max_row, ws.max_column, ws.freeze_panes, ws.auto_filter.ref, ws.print_area,
                      ws.print_title_rows, ws.print_title_cols, ws.page_setup.orientation, ws.page_setup.scale,
                      ws.page_setup.fitToWidth, sorted(str(m) for m in ws.merged_cells.ranges),
                      [b.id for b in ws.row_breaks.brk], [b.id for b in ws.col_breaks.brk],
                      sorted((k, d.width) for k, d in ws.column_dimensions.items()),
                      sorted((k, d.height) for k, d in ws.row_dimensions.items() if d.height is not None),
                      [(type(ch).__name__, [(s.val.numRef.f, s.cat.strRef.f if s.cat.strRef else s.cat.numRef.f)
                                            for s in ch.series]) for ch in ws._charts]),
            "cells": [[(c.value, c.data_type, c.number_format, c.font.b, _color(c.font.color), c.fill.fill_type,
                        _color(c.fill.fgColor), c.border.left.style, _color(c.border.top.color),
                        c.alignment.horizontal, c.alignment.vertical, c.alignment.wrap_text)
                       for c in row] for row in ws.iter_rows()]}
    return out


def _undecoded(ours, theirs) -> int:
    """openpyxl leaves Excel's escape of a literal "_x0041_" (_x005F_x0041_) undecoded in an inline string (Excel,
    LibreOffice and python-calamine decode it: the tests below): count such cells of ``ours`` and take ``theirs``'."""
    n = 0
    for sheet in ours:
        for row_ours, row_theirs in zip(ours[sheet]["cells"], theirs[sheet]["cells"]):
            for j, (a, b) in enumerate(zip(row_ours, row_theirs)):
                if a != b and isinstance(b[0], str) and a[0] == b[0].replace("_x", "_x005F_x"):
                    row_ours[j] = b
                    n += 1
    return n


def test_streamed_rows_equal_xlsxwriters_own(pair):
    by_cell, streamed = pair
    ours, theirs = _cells(streamed), _cells(by_cell)
    assert list(ours) == ["前表", "长表", "后表"]
    assert _undecoded(ours, theirs) == 1 + sum("_x0042_" in str(v) for r in ROWS for v in r)   # inline strings
    assert ours == theirs
    ws = openpyxl.load_workbook(streamed)["长表"]
    assert ws.max_row == FIRST_DATA_ROW + len(ROWS) - 1
    assert ws.cell(5, 5).value == ROWS[1][4] and ws.cell(5, 5).data_type == "s"   # text, never a formula
    assert ws.cell(4, 2).value == "430102201401011234" and ws.cell(6, 2).value == "0012345"
    assert ws.cell(4, 3).value == dt.datetime(2014, 1, 1) and ws.cell(4, 3).number_format == DATE_FORMAT
    assert ws.cell(10, 1).value == "张" * 32767                  # Excel's limit, as XlsxWriter truncates
    assert ws.cell(FIRST_DATA_ROW + 7 + 398, 1).value == "学生398" and ws.cell(FIRST_DATA_ROW + 7, 1).value == "a&b0"
    assert ws.cell(9, 1).value is None and ws.cell(9, 1).border.left.style == "thin"   # formatted blank


def test_streamed_rows_read_by_calamine_as_xlsxwriters(pair):
    by_cell, streamed = pair
    a, b = (python_calamine.CalamineWorkbook.from_path(str(p)) for p in pair)
    assert a.sheet_names == b.sheet_names
    for name in a.sheet_names:
        assert a.get_sheet_by_name(name).to_python() == b.get_sheet_by_name(name).to_python(), name
    assert b.get_sheet_by_name("长表").to_python()[FIRST_DATA_ROW + 3][0] == "_x0041_ 字面"   # a literal escape-like text


def test_streamed_rows_open_in_libreoffice(pair, lo_convert, tmp_path):
    by_cell, streamed = pair
    back = openpyxl.load_workbook(lo_convert(streamed, "xlsx", tmp_path / "lo"))
    ref = openpyxl.load_workbook(lo_convert(by_cell, "xlsx", tmp_path / "lo-ref"))
    assert back.sheetnames == ref.sheetnames
    for ws in back.worksheets:
        assert [[c.value for c in r] for r in ws.iter_rows()] == [[c.value for c in r] for r in ref[ws.title].iter_rows()]
    assert back["长表"].cell(FIRST_DATA_ROW + 4, 1).value == "_x0041_ 字面"
    ids = [back["长表"].cell(r, 2).value for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 2)]
    assert ids == ["430102201401011234", "43010220130202002X"]
    assert back["长表"].cell(FIRST_DATA_ROW, 2).data_type == "s"


def test_serials_and_letters():
    assert excel_serial(dt.date(1900, 3, 1)) == 61 and excel_serial(dt.date(1900, 2, 28)) == 59
    assert excel_serial(dt.date(2026, 9, 1)) == (dt.date(2026, 9, 1) - dt.date(1899, 12, 30)).days
    assert [column_letters(j) for j in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def _mixed(path, streamed: bool):
    """A table of several kinds of rows (a bold filled total line, a warned cell, shorter and empty rows, grown
    rows) in shared strings, with a merged line written by XlsxWriter below it."""
    package, wb = _workbook(streamed)
    s = _Sheet(wb, "表", "标题", "说明", HEADER, [10, 21, 12, 6, 30])
    plain = [(s.formats(dict(BORDER)), s.formats({**BORDER, "num_format": DATE_FORMAT}))] * len(HEADER)
    total = [(s.formats({**BORDER, "bold": True, "bg_color": "#FFF2CC", "pattern": 1}),
              s.formats({**BORDER, "bold": True, "num_format": DATE_FORMAT}))] * len(HEADER)
    warned = plain[:1] + [(s.formats({**BORDER, **WARN_FONT}), s.formats({**BORDER, "num_format": "0.00"}))] \
        + plain[2:]
    rows = ROWS[:6] + [["合计", "全部", None, math.inf, -math.inf], [], ["短行", "两格"], ["王建国_x0041_", "a", None, 1, "b"]]
    kinds = [0, 2, 0, 2, 0, 0, 1, 3, 4, 2]
    wb.baoxue_tables.add(s.ws, FIRST_DATA_ROW, [[(r + [None] * 5)[j] for r in rows] for j in range(len(HEADER))],
                         safe=_safe, formats=[plain, total, warned, [], plain[:2]], kinds=kinds,
                         heights={1: 30, 3: 45, 8: 15}, shared_strings=True)
    below = FIRST_DATA_ROW + len(rows) + 1
    s.ws.merge_range(below - 1, 0, below - 1, 2, "表下的合并行", s.formats(dict(BORDER)))
    s.row = below + 1
    s.finish()
    return _save(package, wb, path)


def test_rows_of_several_kinds_equal_xlsxwriters_own(tmp_path):
    ours, theirs = _cells(_mixed(tmp_path / "ours.xlsx", True)), _cells(_mixed(tmp_path / "theirs.xlsx", False))
    assert _undecoded(ours, theirs) == 0          # shared strings: read back as XlsxWriter's, escapes included
    assert ours == theirs
    ws = openpyxl.load_workbook(tmp_path / "ours.xlsx")["表"]
    assert ws.row_dimensions[FIRST_DATA_ROW + 1].height == 30 and ws.cell(FIRST_DATA_ROW + 1, 2).font.color.rgb \
        == "FFC00000"
    assert ws.cell(FIRST_DATA_ROW + 6, 1).fill.fgColor.rgb == "FFFFF2CC" and ws.cell(FIRST_DATA_ROW + 6, 4).value \
        == "=1/0"   # XlsxWriter's error cell for infinity (nan_inf_to_errors)
    assert [c.value for c in ws[FIRST_DATA_ROW + 7]] == [None] * 5 and ws.cell(FIRST_DATA_ROW + 8, 3).has_style is False
    assert ws.cell(FIRST_DATA_ROW + 9, 1).value == "王建国_x0041_" and ws.cell(FIRST_DATA_ROW + 1, 5).data_type == "s"
    assert "A15:C15" in [str(m) for m in ws.merged_cells.ranges]
    a, b = (python_calamine.CalamineWorkbook.from_path(str(tmp_path / n)) for n in ("ours.xlsx", "theirs.xlsx"))
    assert a.get_sheet_by_name("表").to_python() == b.get_sheet_by_name("表").to_python()


def test_a_table_row_written_by_xlsxwriter_too_is_refused(tmp_path):
    package, wb = _workbook(True)
    s = _Sheet(wb, "表", "标题", "说明", ["a"], [10])
    s.add(["一"])
    s.add(["二"])
    s.finish()
    s.ws.write_string(FIRST_DATA_ROW, 0, "重写")
    wb.close()
    with pytest.raises(ValueError, match="row 5"):
        wb.baoxue_tables.save(package.getvalue(), tmp_path / "x.xlsx")


@pytest.fixture(scope="module")
def whole_workbooks(tmp_path_factory):
    """The hostile county's 月报表 (masked and not) and a household 台账, each written through LongTables and through
    the reference."""
    from test_report import _month
    from rollup_helpers import register
    from household_helpers import build_county
    from baoxue.household import outputs, run_match
    from baoxue.rollup import run_rollup
    root = tmp_path_factory.mktemp("whole")
    reg = register(root / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "九年一贯制学校", "城区"),
                                       ("4310000002", "河口小学", "河口乡", "小学", "乡村")])
    _month(root / "in-09", "2026-09", with_cases=False)
    run_rollup(root / "in-09", "2026-09", reg, store_dir=root / "store", workers=1)
    _month(root / "in-10", "2026-10", with_cases=True)
    rolled = run_rollup(root / "in-10", "2026-10", reg, store_dir=root / "store", workers=1)
    (root / "household").mkdir()
    matched = run_match(**build_county(root / "household").kwargs())
    out = {}
    for streamed in (True, False):
        tables = LongTables if streamed else XlsxWriterTables
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(report, "LongTables", tables)
            mp.setattr(outputs, "LongTables", tables)
            for masked in (True, False):
                path = root / f"月报表-{masked}-{streamed}.xlsx"
                report.build_report(rolled, path, masked)
                out[f"月报表-{masked}", streamed] = path
            outputs.build_ledger_workbook(matched, root / f"台账-{streamed}.xlsx")
            out["台账", streamed] = root / f"台账-{streamed}.xlsx"
    return out


@pytest.mark.parametrize("book", ["月报表-True", "月报表-False", "台账"])
def test_whole_workbooks_equal_xlsxwriters_own(whole_workbooks, book):
    ours, theirs = _cells(whole_workbooks[book, True]), _cells(whole_workbooks[book, False])
    _undecoded(ours, theirs)     # the ledger's long tables are inline strings
    assert list(ours) == list(theirs) == (list(report.SHEETS) if book != "台账" else list(ours))
    assert sum(len(r) for sheet in ours.values() for r in sheet["cells"]) > 300
    for name in ours:
        assert ours[name] == theirs[name], name


def test_rows_below_excels_last_row_are_left_out_as_xlsxwriter_does(tmp_path):
    got = []
    for streamed in (True, False):
        package, wb = _workbook(streamed)
        ws = wb.add_worksheet("表")
        ws.write_string(0, 0, "标题")
        fmt = wb.baoxue_formats(dict(BORDER))
        wb.baoxue_tables.add(ws, 1_048_570, [[f"行{i}" for i in range(10)], list(range(10))], fmt, fmt, _safe)
        sheet = openpyxl.load_workbook(_save(package, wb, tmp_path / f"{streamed}.xlsx"))["表"]
        got.append([(c.coordinate, c.value) for row in sheet.iter_rows(min_row=1_048_560) for c in row])
    assert got[0] == got[1] and got[0][-2:] == [("A1048576", "行6"), ("B1048576", 6)]
