"""The 月报表 as it prints: LibreOffice exports it to PDF (A4 landscape) and the PDF text is checked — every header of
every sheet present, no long text cut at a column edge (wrapped, rows tall enough), rates with two decimals, 报送情况
on one page with other months' files counted (the list on its own sheet), and each trend chart whole on one page."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from baoxue.rollup import run_rollup, write_report
from baoxue.rollup.report import SHEETS
from notebook_helpers import build_county

MONTHS = ("2026-09", "2026-10", "2026-11")
WRAPPED = {"报送情况": ("学校名称", "文件"), "收到的文件": ("文件", "处理结果", "说明"),
           "在册辍学名单": ("去向说明",), "逾期预警": ("类别", "说明"), "问题清单": ("文件", "说明")}


@pytest.fixture(scope="module")
def printed(tmp_path_factory, lo_profile):
    """The 2026-11 report of a county whose inbox keeps all three months, and LibreOffice's PDF of it."""
    root = tmp_path_factory.mktemp("print")
    county = build_county(root, months=MONTHS)
    store = root / "store"
    for month in MONTHS:
        result = run_rollup(county.inbox, month, county.register, store_dir=store, workers=1)
    report = write_report(result, root / "月报表_2026-11.xlsx")
    subprocess.run(["soffice", lo_profile, "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(root),
                    str(report)], check=True, capture_output=True, timeout=300)
    pages = [p.extract_text() or "" for p in PdfReader(root / "月报表_2026-11.pdf").pages]
    return result, openpyxl.load_workbook(report), pages


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def sheet_pages(wb, pages: list[str], sheet: str) -> list[str]:
    """The printed pages of one sheet: those carrying its title (row 1, repeated on every page)."""
    title = _flat(wb[sheet].cell(1, 1).value)
    return [p for p in pages if title in _flat(p)]


def test_every_sheet_prints_with_every_header(printed):
    """Every column has a header and every header is printed (on each page of a sheet one page wide; on some page of a
    sheet printed in bands, whose pages all repeat its first column's header)."""
    _, wb, pages = printed
    assert wb.sheetnames == list(SHEETS)
    for sheet in SHEETS:
        ws, on_paper = wb[sheet], sheet_pages(wb, pages, sheet)
        assert on_paper, sheet
        header = [c.value for c in ws[3] if c.value]
        assert len(header) == max(c.column for c in ws[3] if c.value), f"{sheet}: a column without a header"
        banded = bool(ws.col_breaks.brk)
        for name in header:
            if banded:
                assert any(_flat(name) in _flat(page) for page in on_paper), (sheet, name)
            else:
                assert all(_flat(name) in _flat(page) for page in on_paper), (sheet, name)
        assert all(_flat(header[0]) in _flat(page) for page in on_paper), sheet
    assert any(wb[s].col_breaks.brk for s in SHEETS)          # the wide 学校明细 is printed in bands


def test_long_text_is_wrapped_not_cut(printed):
    """A long text's end is on the page (a cut cell loses its end); at least some texts are wider than their column,
    so the check is not empty."""
    _, wb, pages = printed
    wide = 0
    for sheet, columns in WRAPPED.items():
        ws = wb[sheet]
        text = _flat("".join(sheet_pages(wb, pages, sheet)))
        head = {c.value: c.column for c in ws[3] if c.value}
        for name in columns:
            letter = openpyxl.utils.get_column_letter(head[name])
            width = ws.column_dimensions[letter].width
            for r in range(4, ws.max_row + 1):
                value = ws.cell(r, head[name]).value
                if not isinstance(value, str) or not value.strip():
                    continue
                too_wide = len(value.encode("gbk", "replace")) > width      # GBK: a CJK character is two bytes
                wide += too_wide
                assert _flat(value)[-4:] in text, (sheet, name, r, value)
                assert ws.cell(r, head[name]).alignment.wrap_text, (sheet, name, r)
                if too_wide:                                                  # the row grew for the extra lines
                    assert (ws.row_dimensions[r].height or 15) > 15, (sheet, name, r, value)
    assert wide >= 3


def test_rates_show_two_decimals(printed):
    result, wb, pages = printed
    ws = wb["乡镇汇总"]
    rate_cols = [c.column for c in ws[3] if c.value and "率" in c.value]
    assert rate_cols
    for r in range(4, ws.max_row + 1):
        for j in rate_cols:
            if isinstance(ws.cell(r, j).value, (int, float)):
                assert ws.cell(r, j).number_format == "0.00"
    county = _flat("".join(sheet_pages(wb, pages, "乡镇汇总")))
    assert f"{result.county['dropout_rate_junior']:.2f}" in county


def test_submissions_fit_one_page_and_count_other_months(printed):
    """Two earlier months' files in the inbox are one line each on 报送情况; the files are listed on 收到的文件."""
    result, wb, pages = printed
    (page,) = sheet_pages(wb, pages, "报送情况")
    assert "其他月份（2026-09），未计入" in page and "上月（2026-10）报送" in page
    assert "2026-09/" not in page                                    # no file rows of other months here
    listed = _flat("".join(sheet_pages(wb, pages, "收到的文件")))
    assert all(_flat(f["file"]) in listed for f in result.files)


def test_each_trend_chart_is_whole_on_one_page(printed):
    """The bar and the line chart: title, axis title, every month and every legend entry on the same page, each on a
    page of its own."""
    _, wb, pages = printed
    trend = sheet_pages(wb, pages, "趋势")
    charts = {"在册未销号与本月变化": ("人数", "月末在册未销号", "本月销号"), "学年辍学率（%）": ("小学学年辍学率",)}
    where = {}
    for title, parts in charts.items():
        (i,) = [k for k, p in enumerate(trend) if _flat(title) in _flat(p)]
        where[title] = i
        text = _flat(trend[i])
        for part in (*parts, "月份", *MONTHS):
            assert _flat(part) in text, (title, part)
    assert len(set(where.values())) == 2 and len(trend) == 3            # the table, then one chart per page
