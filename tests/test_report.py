"""The 月报表 workbook: sheets, masking (every cell scanned), text never a formula, print setup, native charts, trend."""
from __future__ import annotations

import datetime as dt
import re
import zipfile

import openpyxl
import pytest

from rollup_helpers import child_id, cover, dropout, leave, register, stamp, write_book

from baoxue import idcard
from baoxue.rollup import run_rollup, write_report
from baoxue.rollup import report
from baoxue.rollup.report import SHEETS

UTC = dt.timezone.utc
EVIL_NAME = '=HYPERLINK("http://x.example/","点我")'
EVIL_NOTE = "=1+2"
CHILDREN = [  # (ID, name, grade)
    (child_id(11, "七年级", "2026-10"), "欧阳小明", "七年级"),
    (child_id(12, "八年级", "2026-10"), "李红", "八年级"),
    (child_id(13, "九年级", "2026-10"), EVIL_NAME, "九年级"),
    (child_id(14, "五年级", "2026-10"), "王建国", "五年级"),
]


def _month(inbox, month, with_cases: bool):
    rows = {}
    if with_cases:
        rows["辍学"] = [dropout(pid, name, grade, dt.date(2026, int(month[5:]), 2), 监护人姓名="欧阳大海",
                               去向说明=EVIL_NOTE, 状态="去向不明" if i == 2 else "劝返中")
                       for i, (pid, name, grade) in enumerate(CHILDREN[:3])]
        rows["休学"] = [leave(CHILDREN[3][0], CHILDREN[3][1], CHILDREN[3][2], dt.date(2026, 1, 5))]  # overdue (C005)
    stamp(write_book(inbox / f"a-{month}.xlsx", cover("4310000001", "城关中学", "城关镇", month), rows),
          dt.datetime(int(month[:4]), int(month[5:]), 20, tzinfo=UTC))


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    reg = register(root / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "九年一贯制学校", "城区"),
                                       ("4310000002", "河口小学", "河口乡", "小学", "乡村")])
    store = root / "store"
    _month(root / "in-09", "2026-09", with_cases=False)
    run_rollup(root / "in-09", "2026-09", reg, store_dir=store, workers=1)
    _month(root / "in-10", "2026-10", with_cases=True)
    result = run_rollup(root / "in-10", "2026-10", reg, store_dir=store, workers=1)
    masked = write_report(result, root / "masked.xlsx")
    unmasked = write_report(result, root / "unmasked.xlsx", masked=False)
    return result, masked, unmasked


def cells(path):
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    yield ws.title, c


def test_sheets_in_order(reports):
    _, masked, _ = reports
    assert openpyxl.load_workbook(masked).sheetnames == list(SHEETS)


def test_masked_report_holds_no_full_id_or_name(reports):
    _, masked, _ = reports
    secrets = [pid for pid, _, _ in CHILDREN] + ["G" + pid for pid, _, _ in CHILDREN]
    names = [name for _, name, _ in CHILDREN] + ["欧阳大海"]
    texts = [str(c.value) for _, c in cells(masked)]
    for t in texts:
        assert not any(s in t for s in secrets), t
        assert not any(n in t for n in names), t
        assert not re.search(r"\d{15,}", t), t
    everything = "\n".join(texts)
    assert idcard.mask(CHILDREN[0][0]) in everything and "欧**明" in everything   # the masked forms are there


def test_masked_case_list_leaves_out_circumstances(reports):
    _, masked, unmasked = reports
    head = lambda path: [c.value for c in openpyxl.load_workbook(path)["在册辍学名单"][3]]
    assert "辍学原因" not in head(masked) and "重点群体" not in head(masked)
    assert "辍学原因" in head(unmasked) and "重点群体" in head(unmasked)
    cases = openpyxl.load_workbook(unmasked)["在册辍学名单"]
    assert any(row[9] and "留守" in row[9] for row in cases.iter_rows(min_row=4, values_only=True))


def test_unmasked_report_is_marked_internal(reports):
    _, _, unmasked = reports
    texts = "\n".join(str(c.value) for _, c in cells(unmasked))
    assert CHILDREN[0][0] in texts and "欧阳小明" in texts
    assert "内部使用" in texts


def test_strings_are_text_never_formulas(reports):
    _, masked, unmasked = reports
    for path in (masked, unmasked):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/sheet"):
                    assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
        found = [c for _, c in cells(path) if isinstance(c.value, str) and c.value.startswith("=")]
        assert found and all(c.data_type == "s" for c in found)
    assert any(c.value == EVIL_NAME for _, c in cells(unmasked))
    assert any(c.value == EVIL_NOTE for _, c in cells(masked))


def test_times_are_beijing_time_and_say_so(reports):
    """The stamp time 2026-10-20 00:00 UTC is shown as 2026-10-20 08:00 under a header that says 北京时间."""
    _, masked, _ = reports
    ws = openpyxl.load_workbook(masked)["报送情况"]
    header = [c.value for c in ws[3]]
    col = header.index("盖戳时间（北京时间）")
    assert ws.cell(4, col + 1).value == "2026-10-20 08:00"
    assert re.search(r"生成于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}（北京时间）", ws.cell(2, 1).value)


def test_print_ready(reports):
    _, masked, _ = reports
    wb = openpyxl.load_workbook(masked)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9   # A4
        assert ws.print_title_rows == "$1:$3"
        if ws.col_breaks.brk:   # a table too wide for one A4 width (学校明细, 乡镇汇总): page bands, first columns repeated
            assert int(ws.page_setup.scale) == report.BAND_SCALE and ws.print_title_cols
            assert not ws.sheet_properties.pageSetUpPr.fitToPage
            continue
        # one page wide: fitToWidth is 1, written or (the OOXML default) left out; as many pages down as needed
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (1, None)
        assert ws.page_setup.fitToHeight == 0
    assert wb["学校明细"].col_breaks.brk


def test_trend_sheet_has_native_charts_over_store_months(reports):
    result, masked, _ = reports
    with zipfile.ZipFile(masked) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 2
        kinds = b"".join(z.read(n) for n in charts)
        assert re.search(rb"<(c:)?barChart>", kinds) and re.search(rb"<(c:)?lineChart>", kinds)
    ws = openpyxl.load_workbook(masked)["趋势"]
    months = [ws.cell(row=r, column=1).value for r in range(4, ws.max_row + 1) if ws.cell(row=r, column=1).value]
    assert months == ["2026-09", "2026-10"]
    assert ws.cell(row=5, column=2).value == result.county["open_cases"] == 3


def test_a_months_report_re_exported_later_ends_at_its_month(tmp_path):
    """2026-10 re-exported after 2026-11 was rolled up: 趋势 shows 2026-09 and 2026-10, not 2026-11."""
    reg = register(tmp_path / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "九年一贯制学校", "城区")])
    store = tmp_path / "store"
    results = {}
    for month in ("2026-09", "2026-10", "2026-11"):
        _month(tmp_path / f"in-{month}", month, with_cases=month != "2026-09")
        results[month] = run_rollup(tmp_path / f"in-{month}", month, reg, store_dir=store, workers=1)
    out = write_report(results["2026-10"], tmp_path / "月报表_2026-10.xlsx")
    ws = openpyxl.load_workbook(out)["趋势"]
    months = [ws.cell(row=r, column=1).value for r in range(4, ws.max_row + 1) if ws.cell(row=r, column=1).value]
    assert months == ["2026-09", "2026-10"]
    assert "共 2 个月" in ws.cell(row=2, column=1).value


def test_lists_and_figures(reports):
    result, masked, _ = reports
    wb = openpyxl.load_workbook(masked)
    cases = wb["在册辍学名单"]
    assert cases.max_row - 3 == len(result.open_cases) == 3
    overdue = [cases for cases in wb["逾期预警"].iter_rows(min_row=4, values_only=True) if cases[0]]
    assert any(row[2] == "休学逾期未复学" for row in overdue)
    towns = {row[0]: row for row in wb["乡镇汇总"].iter_rows(min_row=4, values_only=True) if row[0]}
    assert towns["城关镇"][2] == 1 and towns["河口乡"][2] == 0 and towns["全县合计"][1] == 2
    status = {}
    for row in wb["报送情况"].iter_rows(min_row=4, values_only=True):   # the school table, then the file list
        if row[1] and row[1] not in status:
            status[row[1]] = row[5]
    assert status["4310000001"] == "已报送" and status["4310000002"] == "未报送"
    rules = {row[8] for row in wb["问题清单"].iter_rows(min_row=4, values_only=True)}
    assert "R001" in rules


def test_report_written_atomically_with_backup(reports, tmp_path):
    result, _, _ = reports
    out = tmp_path / "r.xlsx"
    write_report(result, out)
    write_report(result, out)
    backups = list(tmp_path.glob("r.备份-*.xlsx"))
    assert out.exists() and len(backups) == 1 and not list(tmp_path.glob(".baoxue-*"))


def _values(ws):
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_libreoffice_opens_the_report_as_written(reports, lo_convert, tmp_path):
    """An independent client reads the report back: every sheet and value, dates as dates, both native charts and the
    print setup (headless LibreOffice does not keep the frozen header: that is checked on the file as written)."""
    _, masked, _ = reports
    back = lo_convert(masked, "xlsx", tmp_path / "lo")
    ours, theirs = openpyxl.load_workbook(masked), openpyxl.load_workbook(back)
    assert theirs.sheetnames == ours.sheetnames == list(SHEETS)
    for ws in ours.worksheets:
        lo = theirs[ws.title]
        assert _values(lo) == _values(ws), ws.title
        assert ws.freeze_panes == "A4"
        assert lo.page_setup.orientation == "landscape" and lo.print_title_rows == "$1:$3"
        if ws.col_breaks.brk:
            assert [b.id for b in lo.col_breaks.brk] == [b.id for b in ws.col_breaks.brk]
        else:
            assert lo.sheet_properties.pageSetUpPr.fitToPage and lo.page_setup.fitToHeight == 0
            assert lo.page_setup.fitToWidth in (1, None)
    assert any(isinstance(c.value, dt.date) for c in theirs["在册辍学名单"]["H"][3:])   # 发现日期
    with zipfile.ZipFile(back) as z:
        assert len([n for n in z.namelist() if n.startswith("xl/charts/chart")]) == 2


def test_cell_formats(reports):
    _, masked, _ = reports
    wb = openpyxl.load_workbook(masked)
    ws = wb["报送情况"]
    head = ws["A3"]
    assert head.font.b and head.fill.fgColor.rgb.endswith("DDEBF7") and head.alignment.wrap_text
    assert head.border.left.style == head.border.bottom.style == "thin"
    assert ws["A1"].font.sz == 14 and ws["A1"].font.b
    assert [ws.column_dimensions[c].width for c in "ABCL"] == [10, 12, 22, 34]
    assert abs(ws.row_dimensions[3].height - 32) < 0.5
    missing = next(r for r in ws.iter_rows(min_row=4) if r[5].value == "未报送")[5]
    assert missing.font.b and missing.font.color.rgb.endswith("C00000") and missing.border.top.style == "thin"
    total = next(r for r in ws.iter_rows(min_row=4) if r[0].value == "合计")[0]
    assert total.font.b and total.fill.fgColor.rgb.endswith("FFF2CC")
    errors = [r[9] for r in wb["问题清单"].iter_rows(min_row=4) if r[9].value == "错误"]
    assert errors and all(c.font.color.rgb.endswith("C00000") for c in errors)
    found = [c for c in wb["在册辍学名单"]["H"][3:] if c.value is not None]
    assert found and all(isinstance(c.value, dt.datetime) and c.number_format == "yyyy-mm-dd" for c in found)
    assert ws.auto_filter.ref.startswith("A3:L") and wb["问题清单"].auto_filter.ref.startswith("A3:L")
