"""The school workbook as it prints: LibreOffice exports the blank template and a filled, updated book to PDF and the
PDF is checked — every page A4 with the school, the sheet, the report month and 第 N 页 / 共 M 页; 月报汇总 full size
(its note under the table, no JSON keys); the 31-column 辍学 on A4 landscape in page bands, every header printed, 姓名
on every band, text still readable."""
from __future__ import annotations

import re
import statistics
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from baoxue import model, template
from baoxue.indicators import INDICATORS
from baoxue.update import update_workbook
from test_update import POLICY, school_data, write_book

A4 = (595, 842)


def _pages(path: Path) -> list[dict]:
    out = []
    for page in PdfReader(path).pages:
        sizes: list[float] = []

        def visit(text, cm, tm, font, size):
            if text.strip():
                sizes.append(size * abs(tm[0]) * abs(cm[0]))
        text = page.extract_text(visitor_text=visit) or ""
        box = sorted((round(float(page.mediabox.width)), round(float(page.mediabox.height))))
        out.append({"text": text, "flat": re.sub(r"\s+", "", text), "box": tuple(box), "sizes": sizes,
                    "landscape": float(page.mediabox.width) > float(page.mediabox.height)})
    return out


@pytest.fixture(scope="module")
def printed(tmp_path_factory, lo_profile):
    root = tmp_path_factory.mktemp("tpl-print")
    blank = root / "blank.xlsx"
    template.build_school_workbook().save(blank)
    cover, rows = school_data()
    book = write_book(root / "book.xlsx", cover, rows)
    update_workbook(book, POLICY)
    subprocess.run(["soffice", lo_profile, "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(root),
                    str(blank), str(book)], check=True, capture_output=True, timeout=300)
    return {"blank": _pages(root / "blank.pdf"), "book": _pages(root / "book.pdf"), "cover": cover}


def _of(pages, title: str) -> list[dict]:
    return [p for p in pages if re.sub(r"\s+", "", title) in p["flat"]]


def test_every_page_is_a4_with_school_sheet_month_and_page_numbers(printed):
    for kind in ("blank", "book"):
        pages = printed[kind]
        total = len(pages)
        for n, page in enumerate(pages, start=1):
            assert page["box"] == A4, (kind, n)
            assert f"第{n}页/共{total}页" in page["flat"], (kind, n)
            assert "学校：" in page["text"] and "报送月份：" in page["text"], (kind, n)
    cover = printed["cover"]
    for page in printed["book"]:   # after update the header names the school and the month
        assert f"学校：{cover['学校名称']}" in page["text"] and f"报送月份：{cover['报送月份']}" in page["text"]
    sheets = {model.COVER_SHEET, *(s.name for s in model.DATA_SHEETS), model.SUMMARY_SHEET, model.FINDINGS_SHEET}
    heads = ["\n".join(p["text"].splitlines()[:4]) for p in printed["book"]]   # the page header's lines
    for sheet in sheets:
        assert any(re.search(rf"(^|\s){sheet}(\s|$)", h) for h in heads), sheet


def test_summary_prints_full_size_without_keys(printed):
    for kind in ("blank", "book"):
        (page,) = _of(printed[kind], "月报汇总（自动计算，请勿填写）")
        for key, label in INDICATORS:
            assert label in page["text"], (kind, label)
            assert key not in page["text"], (kind, key)                # the hidden 键 column does not print
        assert "“程序计算值”为准" in page["flat"].replace("\n", "")    # the note, whole, under the table
        assert min(page["sizes"]) >= 8, (kind, min(page["sizes"]))      # not shrunk to a third of the page


def test_dropout_sheet_prints_on_a4_in_bands(printed):
    pages = _of(printed["book"], model.DROPOUT.title[:6])
    bands = template.print_bands([c.width for c in model.DROPOUT.columns], model.DROPOUT.column_names.index("姓名") + 1)
    assert len(pages) == len(bands) + 1 >= 2
    text = "".join(p["flat"] for p in pages)
    for name in model.DROPOUT.column_names:                             # every header printed on some band
        assert re.sub(r"\s+", "", name) in text, name
    for page in pages:
        assert page["landscape"] and "姓名" in page["text"] and "张小明" in page["text"]   # rows told apart per band
        assert statistics.median(page["sizes"]) >= 7.5, page["sizes"]   # 70 % of 11 pt: still readable
