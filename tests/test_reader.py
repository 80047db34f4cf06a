"""The reader on real .xlsx files: header detection, aliases, SPEC §2.9 forms, and every unreadable kind (→ S005)."""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from baoxue import idcard, model
from baoxue.book import UnreadableWorkbook
from baoxue.normalize import Invalid
from baoxue.reader import read_workbook
from baoxue.policy import DEFAULT

from reader_helpers import make_book

ID_A = idcard.make("440101", dt.date(2012, 5, 6), 3, True)
ID_B = idcard.make("440101", dt.date(2013, 7, 1), 4, False)
ID_X = next(i for i in (idcard.make("440101", dt.date(2012, 5, 6), seq, True) for seq in range(1, 500)) if i[-1] == "X")


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
    typed_id = ID_X[:6] + " " + ID_X[6:].lower()
    assert typed_id.endswith("x") and idcard.checksum_ok(ID_X)  # a lower-case check digit, as clerks type it
    rows = [{"姓名": " 张三 ", "身份证号": typed_id, "年级": "初二", "残疾": "√",
             "监护人电话": "138 0013 8000", "学籍号": "g" + ID_A},
            {"姓名": "李四", "身份证号": full_width_id, "年级": 3, "残疾": "N", "学籍号": "00123"}]
    df = read_workbook(make_book(tmp_path / "n.xlsx", rows)).sheets["辍学"]
    assert list(df["姓名"]) == ["张三", "李四"]
    assert list(df["身份证号"]) == [ID_X, ID_B]
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


def test_damaged_register_is_not_sent_back_to_a_school(tmp_path):
    """The county keeps the 学校名录: the advice for a damaged one is to re-save it, not to ask a school."""
    from baoxue.rollup.register import RegisterError, read_register
    good = make_book(tmp_path / "g.xlsx", [{"姓名": "张三"}]).read_bytes()
    (tmp_path / "名录.xlsx").write_bytes(good[: len(good) // 2])
    with pytest.raises(RegisterError) as info:
        read_register(tmp_path / "名录.xlsx")
    message = str(info.value)
    assert "损坏" in message and "打开学校名录后重新保存" in message and "请让学校" not in message


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


def _zip(members, comment=b"", zip64=False, **kwargs) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", **kwargs) as z:
        z.comment = comment
        for name, data, *extra in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED if len(data) > 4 else zipfile.ZIP_STORED
            if extra:
                info.extra = extra[0]
            with z.open(info, "w", force_zip64=zip64) as fh:
                fh.write(data)
    return out.getvalue()


def _ascii_names_flag_cleared(data: bytes) -> bytes:
    """The zip with the UTF-8 name flag cleared in every header: its names read as cp437 (mojibake, but a zip)."""
    out = bytearray(data)
    for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        for m in re.finditer(re.escape(sig), data):
            flags = int.from_bytes(out[m.start() + at:m.start() + at + 2], "little") & ~0x800
            out[m.start() + at:m.start() + at + 2] = flags.to_bytes(2, "little")
    return bytes(out)


ZIP_FIELDS = ("filename", "orig_filename", "flag_bits", "compress_type", "CRC", "compress_size", "file_size",
              "header_offset")


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_the_plain_central_directory_reads_as_zipfile_reads_it(tmp_path):
    """``zipcheck.plain_members`` (the reader's lean read of a book's zip) lists every member as zipfile does, field for
    field, and leaves every zip in another form to zipfile (None): a comment, an extra field, a Zip64 end record, data
    before the zip, a truncated or damaged directory."""
    from baoxue import zipcheck
    members = [("[Content_Types].xml", b"<Types/>" * 40), ("xl/workbook.xml", b"<workbook/>"), ("a", b"x"),
               ("xl/worksheets/sheet1.xml", b"<c/>" * 900), ("xl/worksheets/sheet1.xml", b"<d/>"),   # twice
               ("xl/表一.xml", "<报/>".encode() * 30), ("folder/", b"")]
    plain = {
        "openpyxl": make_book(tmp_path / "g.xlsx", [{"姓名": "张三"}]).read_bytes(),
        "template": (Path(__file__).parents[1] / "templates" / "控辍保学月报模板.xlsx").read_bytes(),
        "stamped": next((Path(__file__).parent / "data").glob("盖戳_*.xlsx")).read_bytes(),
        "odd names": _zip(members),
        "cp437 names": _ascii_names_flag_cleared(_zip(members)),
        "zip64 local headers": _zip(members, zip64=True),   # the central directory needs no Zip64 field here
        "empty": _zip([]),
    }
    other = {
        "comment": _zip(members, comment=b"hi"),
        "extra field": _zip(members[:2] + [("b", b"yy", b"\x55\x54\x05\x00\x01\x00\x00\x00\x00")]),
        "zip64 end record": (lambda d: d[:-22] + b"PK\x06\x07" + bytes(16) + d[-22:])(_zip(members)),
        "data before": b"MZ" + b"\0" * 100 + _zip(members),
        "truncated directory": (lambda d: d[:d.rfind(b"PK\x01\x02") + 20] + d[d.rfind(b"PK\x05\x06"):])(_zip(members)),
        "damaged directory": _zip(members).replace(b"PK\x01\x02", b"PK\x01\x03", 1),
    }
    for what, data in plain.items():
        listed = zipcheck.plain_members(data)
        assert listed is not None, what
        expected = zipfile.ZipFile(io.BytesIO(data)).infolist()
        assert [[getattr(m, f) for f in ZIP_FIELDS] for m in listed] == \
               [[getattr(i, f) for f in ZIP_FIELDS] for i in expected], what
    for what, data in other.items():
        assert zipcheck.plain_members(data) is None, what


def test_oversized_sheet(tmp_path):
    path = make_book(tmp_path / "big.xlsx", [{"姓名": "张三"}])
    wb = openpyxl.load_workbook(path)
    wb["辍学"].cell(250_000, 1, "x")
    wb.save(path)
    assert "过大" in _unreadable(path)


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


# ---------------------------------------------------------------------------------------------- formulas, as Excel stores them
def _rewrite_member(path: Path, member: str, fn) -> Path:
    """Rewrite one zip member of a workbook in place (``fn(bytes) -> bytes``): XML only Excel itself would write."""
    with zipfile.ZipFile(path) as zin:
        items = [(i, zin.read(i.filename)) for i in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            zout.writestr(info, fn(data) if info.filename == member else data)
    return path


def _sheet_member(path: Path, sheet: str) -> str:
    from baoxue.reader import _sheet_paths
    with zipfile.ZipFile(path) as zf:
        return _sheet_paths(zf.read)[sheet]


def test_formula_is_attributed_to_its_own_column_next_to_empty_formatted_cells(tmp_path):
    """The template's 500 empty formatted cells in 身份证号 (<c r="E4" s="10" t="n" />) sit right before 学籍号."""
    from rules_helpers import ROW1, clean, header_col, rework, write
    from baoxue.validators import validate_file
    cover, rows = clean()
    del rows["辍学"][0]["身份证号"]
    path = write(tmp_path, cover, rows)
    rework(path, lambda wb: setattr(wb["辍学"].cell(ROW1, header_col(wb["辍学"], "学籍号")), "value", '="G"&"123"'))
    with zipfile.ZipFile(path) as zf:
        xml = zf.read(_sheet_member(path, "辍学")).decode()
    id_col, xjh_col = model.DROPOUT.column_names.index("身份证号"), model.DROPOUT.column_names.index("学籍号")
    assert xjh_col == id_col + 1
    id_ref, xjh_ref = f"{chr(65 + id_col)}{ROW1}", f"{chr(65 + xjh_col)}{ROW1}"
    assert re.search(rf'<c r="{id_ref}"[^>]*/><c r="{xjh_ref}"[^>]*><f>', xml)  # the case that went wrong
    df = read_workbook(path).sheets["辍学"]
    assert df["身份证号"].iloc[0] is None
    assert df["学籍号"].iloc[0] == Invalid("(公式)", "formula")
    _, findings = validate_file(path, DEFAULT)
    assert [(f.sheet, f.row, f.column) for f in findings if f.rule == "F013"] == [("辍学", ROW1, "学籍号")]


def test_shared_formulas_with_cached_values_are_formulas_in_their_own_cells(tmp_path):
    """Excel's shared formula: the anchor <f t="shared" ref=… si="0">…</f>, the others <f t="shared" si="0"/>."""
    from baoxue.fill import write_school_workbook
    from rules_helpers import ROW1, clean
    cover, rows = clean()
    base = dict(rows["辍学"][0])
    rows["辍学"] = [dict(base, 序号=k + 1, 身份证号=None, 学籍号=None) for k in range(3)]
    path = write_school_workbook(tmp_path / "s.xlsx", cover, rows, backup=False)
    col = model.DROPOUT.column_names.index("学籍号")
    letter = chr(65 + col)
    cells = {ROW1: f'<c t="str" s="10" r="{letter}{ROW1}"><f t="shared" ref="{letter}{ROW1}:{letter}{ROW1 + 1}" si="0">'
                   f'"G"&amp;A{ROW1}</f><v>G1</v></c>',
             ROW1 + 1: f'<c s="10" r="{letter}{ROW1 + 1}" t="str"><f t="shared" si="0"/><v>G2</v></c>'}

    def inject(xml: bytes) -> bytes:
        for r, cell in cells.items():
            xml, n = re.subn(rf'<c r="{letter}{r}"[^>]*?(/>|>.*?</c>)'.encode(), cell.encode(), xml, count=1)
            assert n == 1
        return xml
    _rewrite_member(path, _sheet_member(path, "辍学"), inject)
    df = read_workbook(path).sheets["辍学"]
    assert list(df["学籍号"]) == [Invalid("G1", "formula"), Invalid("G2", "formula"), None]
    assert list(df["身份证号"]) == [None, None, None]
    assert all(not isinstance(v, Invalid) for c in df.columns if c != "学籍号" for v in df[c])


@pytest.mark.parametrize("xml, expected", [
    # empty formatted cells (self-closing) right before the formula cell, attributes in any order
    (b'<sheetData><row r="5"><c r="E5" s="10" t="n" /><c s="10" r="F5"><f>"G"&amp;"1"</f><v>G1</v></c></row>'
     b'</sheetData>', {(5, 6)}),
    # shared formulas: the anchor and a dependent <f t="shared" si="0"/>; an array formula
    (b'<sheetData><row r="2"><c r="B2"><f t="shared" ref="B2:B3" si="0">A2*2</f><v>2</v></c></row><row r="3">'
     b'<c r="A3"/><c r="B3"><f t="shared" si="0"/><v>4</v></c><c r="AB3" t="array"><f t="array" ref="AB3">1</f>'
     b'</c></row></sheetData>', {(2, 2), (3, 2), (3, 28)}),
    # rich-text inline strings (<color/>, <family/>, <charset/>) are not cells or formulas; <formula1> and the
    # x14 <xm:f> of data validations after sheetData are not cells' formulas
    (b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><r><rPr><color rgb="FF0000"/><family val="2"/><charset '
     b'val="134"/></rPr><t>x</t></r></is></c><c r="B1"/><c r="C1"><f>1+1</f></c></row></sheetData><dataValidations>'
     b'<dataValidation sqref="D4"><formula1>$A$1:$A$3</formula1></dataValidation></dataValidations><extLst><ext>'
     b'<x14:dataValidations><x14:dataValidation><x14:formula1><xm:f>Codes!$A$1</xm:f></x14:formula1>'
     b'</x14:dataValidation></x14:dataValidations></ext></extLst>', {(1, 3)}),
    # a namespace prefix, and cells without r (then they follow the previous cell)
    (b'<x:sheetData><x:row r="7"><x:c r="B7"/><x:c><x:v>1</x:v></x:c><x:c><x:f>A7</x:f></x:c></x:row>'
     b'</x:sheetData>', {(7, 4)}),
    (b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>', set()),
    (b'<sheetData/>', set()),
    # what an XML parser sees, not what the bytes look like: a comment before the formula, a formula in a comment or
    # CDATA (text, not a formula), a prefix bound to the main namespace, a row whose r comes by character reference
    (b'<sheetData><row r="4"><c r="B4" t="str"><!-- <c r="ZZ9"> --><f>HYPERLINK("http://evil.example/")</f><v>x</v>'
     b'</c></row></sheetData>', {(4, 2)}),
    (b'<sheetData><row r="4"><c r="B4" t="inlineStr"><is><t><![CDATA[<f>1+1</f>]]></t></is><!-- <f>2</f> --></c>'
     b'</row></sheetData>', set()),
    (b'<sheetData><row r="4"><c r="C4" t="str"><y:f xmlns:y="http://schemas.openxmlformats.org/spreadsheetml/2006/'
     b'main">WEBSERVICE("http://e/")</y:f></c></row></sheetData>', {(4, 3)}),
    (b'<sheetData><row r="&#57;"><c><f>1</f></c></row></sheetData>', {(9, 1)}),
])
def test_formula_cells_of_sheet_xml(xml, expected):
    from baoxue.xlsx_scan import sheet_formulas
    main = b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    head = (b'<worksheet xmlns=' + main + b' xmlns:x=' + main + b' xmlns:xm="http://schemas.microsoft.com/office/excel/'
            b'2006/main" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
            b'<dimension ref="A1:B2"/>')
    assert set(sheet_formulas(head + xml + b"</worksheet>", "xl/worksheets/sheet1.xml")[0]) == expected


def _cover_formula(path: Path, label: str, formula: str, cached: str | None) -> Path:
    from baoxue import template
    ref = template.cover_cell(label).split("!")[-1].replace("$", "")
    value = f'<v>{cached}</v>' if cached is not None else ""
    cell = f'<c r="{ref}" s="6" t="str"><f>{formula}</f>{value}</c>'

    def inject(xml: bytes) -> bytes:
        xml, n = re.subn(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)'.encode(), cell.encode(), xml, count=1)
        assert n == 1
        return xml
    return _rewrite_member(path, _sheet_member(path, model.COVER_SHEET), inject)


@pytest.mark.parametrize("cached", [None, "示例县第一小学"])
def test_a_formula_on_the_cover_is_f013_at_its_cell(tmp_path, cached):
    """=HYPERLINK(…) as 学校名称: without a cached value it used to be a blank S004, with one it passed silently."""
    from rules_helpers import cover_row, write
    from baoxue.validators import validate_file
    path = _cover_formula(write(tmp_path), "学校名称", 'HYPERLINK("http://x.cn","示例县第一小学")', cached)
    book = read_workbook(path)
    assert book.cover["学校名称"] == Invalid(cached or "(公式)", "formula")
    assert book.cover["学校标识码"] == "5301230001"  # the cells around it are read as before
    _, findings = validate_file(path, DEFAULT)
    assert [(f.rule, f.sheet, f.row, f.column) for f in findings] == [
        ("F013", model.COVER_SHEET, cover_row(path, "学校名称"), "学校名称")]
    assert "公式" in findings[0].message


# ---------------------------------------------------------------------------------------------- the file system
def test_a_directory_passed_as_a_file(tmp_path):
    folder = tmp_path / "月报.xlsx"
    folder.mkdir()
    assert "文件夹" in _unreadable(folder)


def test_a_file_without_read_permission(tmp_path, monkeypatch):
    from baoxue import paths
    path = make_book(tmp_path / "locked.xlsx", [{"姓名": "张三"}])
    if os.geteuid() == 0:  # root reads a chmod 000 file anyway: simulate the refusal (the reader opens via baoxue.paths)
        real_open = os.open

        def denied(name, *args, **kwargs):
            if Path(name) == path:
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(name, *args, **kwargs)
        monkeypatch.setattr(paths.os, "open", denied)
    else:
        path.chmod(0)
    try:
        message = _unreadable(path)
    finally:
        path.chmod(0o644)
    assert "权限" in message and "占用" in message


def test_any_other_os_error_is_unreadable_with_advice(tmp_path, monkeypatch):
    from baoxue import paths
    path = make_book(tmp_path / "net.xlsx", [{"姓名": "张三"}])
    real_open = os.open

    def broken(name, *args, **kwargs):
        if Path(name) == path:
            raise OSError(5, "Input/output error")
        return real_open(name, *args, **kwargs)
    monkeypatch.setattr(paths.os, "open", broken)
    message = _unreadable(path)
    assert "Input/output error" in message and "复制到本机" in message


@pytest.mark.parametrize("error", [RuntimeError("boom"), ValueError("bad"), KeyError("x")])
def test_an_unexpected_python_calamine_error_is_unreadable(tmp_path, monkeypatch, error):
    import python_calamine
    path = make_book(tmp_path / "c.xlsx", [{"姓名": "张三"}])

    def fail(*args, **kwargs):
        raise error
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", fail)
    assert "损坏" in _unreadable(path)


def test_unreadable_file_is_one_s005_finding(tmp_path):
    from baoxue.validators import validate_file
    folder = tmp_path / "d.xlsx"
    folder.mkdir()
    book, findings = validate_file(folder, DEFAULT)
    assert book is None and [f.rule for f in findings] == ["S005"] and "文件夹" in findings[0].message


# ---------------------------------------------------------------------------------------------- oversized sheets
def test_one_stray_value_far_away_is_refused_before_loading(tmp_path):
    """Row 199,999 × column 999 is within the row and column caps, but 200 million cells in all."""
    from baoxue.validators import validate_file
    path = make_book(tmp_path / "stray.xlsx", [{"姓名": "张三"}])
    wb = openpyxl.load_workbook(path)
    wb["辍学"].cell(199_999, 999, " ")
    wb.save(path)
    book, findings = validate_file(path, DEFAULT)
    assert book is None and [f.rule for f in findings] == ["S005"]
    assert "过大" in findings[0].message and "删除" in findings[0].message and "199999 行 × 999 列" in findings[0].message


def test_a_stray_formatted_empty_cell_far_away_does_not_refuse_the_book(tmp_path):
    """Formatting alone (a common leftover) holds no value: python-calamine does not store it, the book is read."""
    from openpyxl.styles import PatternFill
    path = make_book(tmp_path / "fmt.xlsx", [{"姓名": "张三"}])
    wb = openpyxl.load_workbook(path)
    wb["辍学"].cell(199_999, 999).fill = PatternFill("solid", fgColor="FFFF00")
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        assert b'<dimension ref="A1:ALK199999"' in zf.read(_sheet_member(path, "辍学"))
    assert list(read_workbook(path).sheets["辍学"]["姓名"]) == ["张三"]


@pytest.mark.parametrize("dimension", [b'<dimension ref="A1:B2"/>', b""])
def test_a_wrong_or_missing_dimension_is_not_trusted(tmp_path, monkeypatch, dimension):
    from baoxue import reader
    monkeypatch.setattr(reader, "MAX_CELLS", 50_000)  # a small budget keeps the test light
    path = make_book(tmp_path / "dim.xlsx", [{"姓名": "张三"}])
    wb = openpyxl.load_workbook(path)
    wb["辍学"].cell(2_000, 60, "x")
    wb.save(path)
    _rewrite_member(path, _sheet_member(path, "辍学"),
                    lambda xml: re.sub(rb"<dimension [^>]*/>", dimension, xml, count=1))
    assert "2000 行 × 60 列" in _unreadable(path)


def _list_without_dimension(path: Path, stray: bytes = b"") -> Path:
    """A 户籍名单 as a streaming writer leaves it (no <dimension>), with ``stray`` XML rows appended."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("户籍名单")
    ws.append([c.name for c in model.HOUSEHOLD_LIST.columns])
    ws.append(["张三", "男", "430102201401011234", None, "城关镇", "河口村", "一组", "张大", "张大", "13800000000"])
    wb.save(path)
    member = _sheet_member(path, "户籍名单")
    with zipfile.ZipFile(path) as zf:
        assert b"<dimension" not in zf.read(member)
    return _rewrite_member(path, member, lambda xml: xml.replace(b"</sheetData>", stray + b"</sheetData>"))


@pytest.mark.parametrize("row, col, refused", [("200000", "J", False), ("999999", "K", True), ("1000000", "K", True)])
def test_a_long_list_without_dimension_is_sized_by_its_references(tmp_path, row, col, refused):
    """A county's list has no <dimension> when a streaming writer made it: its size comes from the cells' own
    references (up to 999,999 rows when no reference has seven digits), and a stray far cell is still refused
    before python-calamine would allocate the range (at most 10 million cells)."""
    from baoxue.reader import read_list
    stray = f'<row r="{row}"><c r="{col}{row}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()
    path = _list_without_dimension(tmp_path / "户籍.xlsx", stray)
    if refused:
        with pytest.raises(UnreadableWorkbook, match=f"{row} 行 × 11 列"):
            read_list(path, model.HOUSEHOLD_LIST)
    else:
        book, _ = read_list(path, model.HOUSEHOLD_LIST)
        assert list(book.sheets["户籍名单"]["姓名"])[:1] == ["张三"]


def test_the_size_is_checked_again_after_loading(tmp_path, monkeypatch):
    from baoxue import reader
    monkeypatch.setattr(reader, "MAX_CELLS", 50_000)
    monkeypatch.setattr(reader, "_check_extent", lambda *args: None)  # as if the XML check had been fooled
    path = make_book(tmp_path / "late.xlsx", [{"姓名": "张三"}])
    wb = openpyxl.load_workbook(path)
    wb["辍学"].cell(2_000, 60, "x")
    wb.save(path)
    assert "2000 行 × 60 列" in _unreadable(path)


# ---------------------------------------------------------------------------------------------- the content decides
@pytest.mark.parametrize("name", ["月报.xls", "月报.XLSX", "月报", "月报.xlsx.download"])
def test_a_real_xlsx_under_another_extension_is_read(tmp_path, name):
    src = make_book(tmp_path / "src.xlsx", [{"姓名": "张三", "身份证号": ID_A}])
    renamed = tmp_path / name
    shutil.copy(src, renamed)
    df = read_workbook(renamed).sheets["辍学"]
    assert (df["姓名"].iloc[0], df["身份证号"].iloc[0]) == ("张三", ID_A)


@pytest.mark.parametrize("name", ["old.xls", "old.xlsx"])
def test_a_legacy_ole_file_is_unreadable_with_the_save_as_advice(tmp_path, name):
    (tmp_path / name).write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000)
    message = _unreadable(tmp_path / name)
    assert "97-2003" in message and "另存为" in message and ".xlsx" in message


# ---------------------------------------------------------------------------------------------- typing and loading paths
def test_true_and_1_in_one_column_are_typed_apart(tmp_path):
    """True == 1 as a dict key: a boolean cell must not take the typed value of a 1 (or the other way round)."""
    rows = [{"姓名": "张三", "班级": 1, "备注": 1}, {"姓名": "李四", "班级": True, "备注": "x"}, {"姓名": "王五", "备注": True}]
    df = read_workbook(make_book(tmp_path / "b.xlsx", rows)).sheets["辍学"]
    assert list(df["班级"]) == ["1", "是", None]
    assert list(df["备注"]) == ["1", "x", "是"]


def test_reading_where_no_thread_can_be_started(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor
    path = make_book(tmp_path / "t.xlsx", [{"姓名": "张三", "身份证号": ID_A}])
    threaded = read_workbook(path)

    def no_thread(*args, **kwargs):
        raise RuntimeError("can't start new thread")
    monkeypatch.setattr(ThreadPoolExecutor, "submit", no_thread)
    inline = read_workbook(path)
    assert inline.sheets["辍学"].equals(threaded.sheets["辍学"]) and inline.cover == threaded.cover


def test_reader_lists_the_columns_holding_untypable_values_and_the_rules_agree_without_the_list(tmp_path):
    import dataclasses

    from rules_helpers import clean, write

    from baoxue.validators import validate
    cover, rows = clean()
    rows["休学"][0]["申请日期"] = "2026年13月1日"                      # not a date
    rows["送教记录"][0]["课时"] = "两节"                               # not a number
    path = write(tmp_path, cover, rows)
    wb = openpyxl.load_workbook(path)
    book = read_workbook(path)
    ws = wb["劝返记录"]
    ws.cell(int(book.frame("劝返记录")["_row"].iloc[0]), book.header_columns["劝返记录"]["劝返人员"]).value = '="赵"&"老师"'
    wb.save(path)
    book = read_workbook(path)
    assert book.untypable["休学"] == {"申请日期"}
    assert book.untypable["送教记录"] == {"课时"}
    assert book.untypable["劝返记录"] == {"劝返人员"}
    assert book.untypable["辍学"] == frozenset()
    for sheet, df in book.sheets.items():   # the list is exactly the columns with an Invalid value
        assert book.untypable[sheet] == {c for c in model.SHEETS[sheet].column_names
                                         if any(isinstance(v, Invalid) for v in df[c])}
    unknown = dataclasses.replace(book, untypable={})
    found = sorted((f.rule, f.sheet, f.row, f.column) for f in validate(book, DEFAULT))
    assert {"F003", "F014", "F013"} <= {r for r, *_ in found}
    assert found == sorted((f.rule, f.sheet, f.row, f.column) for f in validate(unknown, DEFAULT))


def test_loading_in_one_thread_gives_the_same_book(tmp_path):
    from rules_helpers import clean, write

    from baoxue.reader import load_grid
    path = write(tmp_path, *clean())
    threaded, inline = load_grid(path), load_grid(path, pipelined=False)
    assert inline.sheets == threaded.sheets and inline.formulas == threaded.formulas
    assert inline.sheet_names == threaded.sheet_names and inline.hidden == threaded.hidden


def test_batch_frames_from_the_readers_lists_equal_concatenated_book_frames():
    """A roll-up batch builds each sheet's frame from the books' column lists at once; it must equal the frame made by
    concatenating each book's own DataFrame (what the rules saw before), value for value and dtype for dtype."""
    from baoxue.policy import DEFAULT
    from baoxue.batch import Batch
    paths = sorted(Path(__file__).parent.parent.glob("workbooks/示例_学校月报_*.xlsx"))
    paths += sorted((Path(__file__).parent / "data").glob("*.xlsx"))
    lists = [read_workbook(p) for p in paths]
    frames = [read_workbook(p) for p in paths]
    for book in frames:
        for sheet in list(book.sheets):
            book.sheets[sheet]
    assert all(b.columns(model.DROPOUT.name) is not None for b in lists)
    a, b = Batch(lists, DEFAULT), Batch(frames, DEFAULT)
    for sheet in model.DATA_SHEETS:
        pd.testing.assert_frame_equal(a.frame(sheet.name), b.frame(sheet.name), check_index_type=True,
                                      check_column_type=True)
    assert len(a.frame(model.DROPOUT.name)) > 5
