"""The reader on real .xlsx files: header detection, aliases, SPEC §2.9 forms, and every unreadable kind (→ S005)."""
from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from baoxue import idcard, model
from baoxue.book import Invalid, UnreadableWorkbook
from baoxue.reader import read_workbook

ID_A = idcard.make("440101", dt.date(2012, 5, 6), 3, True)
ID_B = idcard.make("440101", dt.date(2013, 7, 1), 4, False)


def make_book(path: Path, dropout_rows: list[dict], *, header_row: int = 3, reverse: bool = False,
              header_text=lambda n: n, cover: dict | None = None, extra_sheets=(), suffix_rows=()) -> Path:
    """A minimal standard workbook written with openpyxl: every sheet, header at ``header_row``."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("封面")
    cover = {"学校标识码": "4401010001", "报送月份": "2026-09", **(cover or {})}
    for i, f in enumerate(model.COVER_FIELDS, 1):
        ws.cell(i, 1, f.label)
        if f.label in cover:
            ws.cell(i, 2, cover[f.label])
    for sheet in model.DATA_SHEETS:
        ws = wb.create_sheet(sheet.name)
        ws.cell(1, 1, sheet.title)
        cols = list(reversed(sheet.column_names)) if reverse else sheet.column_names
        for j, name in enumerate(cols, 1):
            ws.cell(header_row, j, header_text(name))
        if sheet.name == "辍学":
            r = header_row + 1
            for row in dropout_rows:
                if row is None:  # a blank row in the middle
                    r += 1
                    continue
                for j, name in enumerate(cols, 1):
                    if name in row:
                        ws.cell(r, j, row[name])
                r += 1
    for name in extra_sheets:
        wb.create_sheet(name)
    wb.save(path)
    return path


def test_header_found_below_title_rows_in_any_order_with_aliases_and_spaces(tmp_path):
    rows = [{"姓名": "张三", "身份证号": ID_A}, None, {"姓名": "李四", "身份证号": ID_B}]
    aliases = {"身份证号": "公民身份号码", "学籍号": "全国学籍号", "户籍村(社区)": "户籍村（社区）"}
    path = make_book(tmp_path / "a.xlsx", rows, header_row=6, reverse=True,
                     header_text=lambda n: "　" + aliases.get(n, n) + " ")
    book = read_workbook(path)
    df = book.sheets["辍学"]
    assert book.header_rows["辍学"] == 6
    assert book.missing_columns["辍学"] == []
    assert list(df["姓名"]) == ["张三", "李四"]
    assert list(df["身份证号"]) == [ID_A, ID_B]
    assert list(df["_row"]) == [7, 9]  # the blank row 8 is skipped, Excel row numbers kept


def test_missing_header_column_and_missing_sheet_are_reported(tmp_path):
    path = make_book(tmp_path / "b.xlsx", [{"姓名": "张三"}], header_text=lambda n: "XX" if n == "状态" else n)
    wb = openpyxl.load_workbook(path)
    del wb["缓学"]
    wb.save(path)
    book = read_workbook(path)
    assert "状态" in book.missing_columns["辍学"]
    assert book.missing_sheets == ["缓学"]
    assert list(book.extras["辍学"].columns) == ["XX", "_row"]


@pytest.mark.parametrize("typed, expected", [
    ("2026-09-03", dt.date(2026, 9, 3)), ("2026/9/3", dt.date(2026, 9, 3)), ("2026.9.3", dt.date(2026, 9, 3)),
    ("2026年9月3日", dt.date(2026, 9, 3)), ("20260903", dt.date(2026, 9, 3)), (20260903, dt.date(2026, 9, 3)),
    (46268, dt.date(2026, 9, 3)), (dt.date(2026, 9, 3), dt.date(2026, 9, 3)),
    ("２０２６－０９－０３", dt.date(2026, 9, 3)), (" 2026-9-3 ", dt.date(2026, 9, 3)),
])
def test_every_date_form_is_accepted(tmp_path, typed, expected):
    book = read_workbook(make_book(tmp_path / "d.xlsx", [{"姓名": "张三", "发现日期": typed}]))
    assert book.sheets["辍学"]["发现日期"].iloc[0] == expected


@pytest.mark.parametrize("typed", ["2026-02-30", "明天", "2026-13-01", "9月3日"])
def test_impossible_or_unparseable_dates_become_invalid_not_coerced(tmp_path, typed):
    book = read_workbook(make_book(tmp_path / "d.xlsx", [{"姓名": "张三", "发现日期": typed}]))
    value = book.sheets["辍学"]["发现日期"].iloc[0]
    assert isinstance(value, Invalid) and value.reason == "date" and value.raw == typed


def test_clerk_typing_is_normalised(tmp_path):
    full_width_id = ID_B[:-1].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}) + ID_B[-1]
    rows = [{"姓名": " 张三 ", "身份证号": ID_A[:6] + " " + ID_A[6:].lower(), "年级": "初二", "残疾": "√",
             "监护人电话": "138 0013 8000", "学籍号": "g" + ID_A},
            {"姓名": "李四", "身份证号": full_width_id, "年级": 3, "残疾": "N", "学籍号": "00123"}]
    df = read_workbook(make_book(tmp_path / "n.xlsx", rows)).sheets["辍学"]
    assert list(df["姓名"]) == ["张三", "李四"]
    assert list(df["身份证号"]) == [ID_A.upper(), ID_B]
    assert list(df["年级"]) == ["八年级", "三年级"]
    assert list(df["残疾"]) == ["是", "否"]
    assert df["监护人电话"].iloc[0] == "13800138000"
    assert list(df["学籍号"]) == ["G" + ID_A, "00123"]  # leading zeros never lost


def test_id_stored_as_number_is_kept_as_a_fact_not_repaired(tmp_path):
    number = int(ID_A[:17] + "0") if ID_A[-1] == "X" else int(ID_A)
    df = read_workbook(make_book(tmp_path / "i.xlsx", [{"姓名": "张三", "身份证号": number}])).sheets["辍学"]
    value = df["身份证号"].iloc[0]
    assert isinstance(value, Invalid) and value.reason == "id_number"


def test_unrecognisable_grade_is_invalid(tmp_path):
    df = read_workbook(make_book(tmp_path / "g.xlsx", [{"姓名": "张三", "年级": "十年级"}])).sheets["辍学"]
    assert df["年级"].iloc[0] == Invalid("十年级", "grade")


def test_formula_cells_are_marked_and_text_starting_with_equals_is_text(tmp_path):
    path = make_book(tmp_path / "f.xlsx", [{"姓名": "张三"}, {"姓名": "李四"}])
    wb = openpyxl.load_workbook(path)
    ws = wb["辍学"]
    note = ws.cell(4, model.DROPOUT.column_names.index("备注") + 1)
    note.value = '=HYPERLINK("http://x")'
    note.data_type = "s"  # text that merely starts with '=', as a clerk types it
    ws.cell(5, 1).value = "=1+1"  # a real formula in 序号
    wb.save(path)
    df = read_workbook(path).sheets["辍学"]
    assert df["备注"].iloc[0] == '=HYPERLINK("http://x")'
    assert df["序号"].iloc[0] is None
    assert isinstance(df["序号"].iloc[1], Invalid) and df["序号"].iloc[1].reason == "formula"


def test_cover_month_forms_and_as_of(tmp_path):
    for typed in ("2026-09", "2026/9", "2026年9月", dt.date(2026, 9, 1), "202609"):
        book = read_workbook(make_book(tmp_path / "c.xlsx", [], cover={"报送月份": typed}))
        assert book.month == "2026-09" and book.as_of == dt.date(2026, 9, 30)


def test_xlsm_is_read_like_xlsx(tmp_path):
    path = make_book(tmp_path / "a.xlsx", [{"姓名": "张三"}])
    xlsm = tmp_path / "a.xlsm"
    shutil.copy(path, xlsm)
    assert read_workbook(xlsm).sheets["辍学"]["姓名"].iloc[0] == "张三"


# ---------------------------------------------------------------------------------------------- unreadable input
def _unreadable(path: Path) -> str:
    with pytest.raises(UnreadableWorkbook) as info:
        read_workbook(path)
    return info.value.message


def test_empty_file(tmp_path):
    (tmp_path / "e.xlsx").write_bytes(b"")
    assert "空的" in _unreadable(tmp_path / "e.xlsx")


def test_missing_file(tmp_path):
    assert "找不到" in _unreadable(tmp_path / "nope.xlsx")


def test_truncated_zip(tmp_path):
    good = make_book(tmp_path / "g.xlsx", [{"姓名": "张三"}]).read_bytes()
    (tmp_path / "t.xlsx").write_bytes(good[: len(good) // 2])
    assert "损坏" in _unreadable(tmp_path / "t.xlsx")


def test_corrupt_sheet_xml(tmp_path):
    src = make_book(tmp_path / "g.xlsx", [{"姓名": "张三"}])
    out = tmp_path / "c.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                data = data[: len(data) // 2]
            zout.writestr(item, data)
    assert "损坏" in _unreadable(out)


def test_html_saved_as_xls(tmp_path):
    (tmp_path / "h.xls").write_text("<html><body><table><tr><td>姓名</td></tr></table></body></html>", encoding="utf-8")
    assert "HTML" in _unreadable(tmp_path / "h.xls")


def test_not_a_spreadsheet(tmp_path):
    (tmp_path / "x.xlsx").write_text("姓名,身份证号\n张三,1\n", encoding="utf-8")
    assert "不是 Excel" in _unreadable(tmp_path / "x.xlsx")


def test_word_document_renamed(tmp_path):
    with zipfile.ZipFile(tmp_path / "w.xlsx", "w") as z:
        z.writestr("word/document.xml", "<w/>")
    assert "Word" in _unreadable(tmp_path / "w.xlsx")


def test_encrypted_workbook(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile  # a dev dependency
    plain = make_book(tmp_path / "p.xlsx", [{"姓名": "张三"}])
    with open(plain, "rb") as fh:
        out = io.BytesIO()
        OOXMLFile(fh).encrypt("secret", out)
    (tmp_path / "enc.xlsx").write_bytes(out.getvalue())
    assert "密码" in _unreadable(tmp_path / "enc.xlsx")


def test_zip_bomb_is_refused_before_parsing(tmp_path):
    src = make_book(tmp_path / "g.xlsx", [{"姓名": "张三"}])
    out = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        zout.writestr("xl/media/padding.bin", b"\0" * (64 * 1024 * 1024))
    assert out.stat().st_size < 1024 * 1024
    assert "压缩" in _unreadable(out)


def test_oversized_sheet(tmp_path):
    path = make_book(tmp_path / "big.xlsx", [{"姓名": "张三"}])
    wb = openpyxl.load_workbook(path)
    wb["辍学"].cell(250_000, 1, "x")
    wb.save(path)
    assert "行列数过多" in _unreadable(path)


@pytest.fixture(scope="module")
def legacy_xls(tmp_path_factory, lo_convert):
    tmp = tmp_path_factory.mktemp("xls")
    return lo_convert(make_book(tmp / "src.xlsx", [{"姓名": "张三"}]), "xls")


def test_legacy_xls_made_by_libreoffice(legacy_xls):
    assert ".xls" in _unreadable(legacy_xls)


def test_wps_et(legacy_xls, tmp_path):
    et = tmp_path / "学校.et"
    shutil.copy(legacy_xls, et)
    assert "WPS" in _unreadable(et)


def test_reading_a_libreoffice_resaved_workbook(tmp_path, lo_convert):
    src = make_book(tmp_path / "src.xlsx", [{"姓名": "张三", "身份证号": ID_A, "发现日期": dt.date(2026, 9, 3)}])
    df = read_workbook(lo_convert(src, "xlsx", tmp_path / "lo")).sheets["辍学"]
    assert (df["姓名"].iloc[0], df["身份证号"].iloc[0], df["发现日期"].iloc[0]) == ("张三", ID_A, dt.date(2026, 9, 3))
