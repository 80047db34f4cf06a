"""The reader keeps what it worked out for one book where the next book has the same bytes or the same text (inflated
members, sheet scans, the parts' prologs, header rows, typed texts): what a book reads as never depends on the books read
before it in the same process, and a refusal is never remembered as a pass."""
from __future__ import annotations

import datetime as dt
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest

from baoxue import model
from baoxue.book import UnreadableWorkbook
from baoxue.reader import load_grid, read_list, read_workbook

from reader_helpers import make_book

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "workbooks" / "示例_学校月报_正常.xlsx"


def _book(path: Path, dropouts: list[dict], extra_header: str | None = None, code: str = "4401010001") -> Path:
    """A standard workbook as another tool saves it: the cover, every data sheet with its header in row 1."""
    return make_book(path, dropouts, header_row=1, cover={"学校标识码": code, "学校名称": "城关小学"},
                     extra_columns=[extra_header] if extra_header else ())


def _dump(book) -> tuple:
    """Everything a SchoolBook holds, with each value's type (1, 1.0 and True are different readings)."""
    def typed(v):
        return type(v).__name__, repr(v)
    sheets = {name: {c: [typed(v) for v in values] for c, values in book.sheets[name].items()} for name in book.sheets}
    extras = {name: {c: [typed(v) for v in df[c]] for c in df.columns} for name, df in book.extras.items()}
    return (sorted((k, typed(v)) for k, v in book.cover.items()), book.cover_rows, sheets, extras, book.header_rows,
            book.header_columns, book.missing_columns, book.missing_sheets, book.untypable, book.properties,
            book.stamp_sheet, book.other_sheets, [repr(a) for a in book.active])


def test_what_a_book_reads_as_does_not_depend_on_the_books_read_before(tmp_path):
    # the same raw values typed by columns of different kinds, True beside 1 (equal as dict keys), one or several
    # rows, an extra column under the same header, a value that types as Invalid
    books = [
        _book(tmp_path / "a.xlsx", [{"姓名": "张三", "班级": 1, "备注": True, "出生日期": "2013-02-30", "序号": 1}]),
        _book(tmp_path / "b.xlsx", [{"姓名": "李四", "备注": 1, "出生日期": "2013-02-03", "序号": True}]),
        _book(tmp_path / "c.xlsx", [{"姓名": "王五", "班级": 1, "备注": True, "序号": 1.0},
                                    {"姓名": "1", "备注": dt.date(2013, 2, 3), "序号": 2}], extra_header="家访记录"),
        _book(tmp_path / "d.xlsx", [{"姓名": True, "备注": "张三", "出生日期": dt.date(2013, 2, 3)}],
              extra_header="家访记录", code="4401010002"),
        _book(tmp_path / "e.xlsx", []),
    ]
    forward = {p: _dump(read_workbook(p, pipelined=False)) for p in books}
    backward = {p: _dump(read_workbook(p, pipelined=False)) for p in reversed(books)}
    assert forward == backward
    again = {p: _dump(read_workbook(p, pipelined=False)) for p in books}
    assert again == forward
    a, b, c = (read_workbook(p).sheets["辍学"] for p in books[:3])
    # True and 1 (one key to a dict), in one book and across books: each typed as itself
    assert list(a["班级"]) == ["1"] and list(a["备注"]) == ["是"] and list(b["备注"]) == ["1"]
    assert list(c["班级"]) == ["1", None] and list(c["备注"]) == ["是", "2013-02-03"]
    assert list(a["序号"]) != list(b["序号"])
    assert read_workbook(books[2]).extras["辍学"].columns.tolist() == ["家访记录", "_row"]


def _declared(src: Path, dst: Path, member: str, crc: int | None = None, size: int | None = None) -> Path:
    """``src`` byte for byte, but ``member``'s CRC and/or uncompressed size declared otherwise in both its headers."""
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo(member)
    fields = struct.unpack_from("<II", data, info.header_offset + 14 + 4)   # (compressed size, size) after the CRC
    struct.pack_into("<I", data, info.header_offset + 14, info.CRC if crc is None else crc)
    struct.pack_into("<I", data, info.header_offset + 22, fields[1] if size is None else size)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        n = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46:central + 46 + n] == member.encode():
            struct.pack_into("<I", data, central + 16, info.CRC if crc is None else crc)
            struct.pack_into("<I", data, central + 24, info.file_size if size is None else size)
        central = data.find(b"PK\x01\x02", central + 4)
    dst.write_bytes(bytes(data))
    return dst


@pytest.mark.parametrize("member", ["xl/styles.xml", "xl/worksheets/sheet2.xml", "xl/theme/theme1.xml"])
def test_a_member_declared_otherwise_is_refused_though_its_bytes_were_read_before(tmp_path, member):
    with zipfile.ZipFile(SAMPLE) as zf:
        info = zf.getinfo(member)
    read_workbook(SAMPLE)   # its members (the same compressed bytes as below) read and checked
    wrong_crc = _declared(SAMPLE, tmp_path / "crc.xlsx", member, crc=info.CRC ^ 0x5A5A5A5A)
    wrong_size = _declared(SAMPLE, tmp_path / "size.xlsx", member, size=info.file_size - 1)
    for path in (wrong_crc, wrong_size, wrong_crc):
        with pytest.raises(UnreadableWorkbook, match="压缩炸弹"):
            read_workbook(path)
    read_workbook(SAMPLE)


def test_a_sheet_refused_under_one_limit_is_refused_again_and_read_under_a_larger_one(tmp_path):
    """The same sheet bytes: too long for a school's sheet (load_grid's limit), within a county list's."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "户籍名单"
    ws.append([c.name for c in model.HOUSEHOLD_LIST.columns])
    ws.append(["张三", "男", "430102201401011234", None, "城关镇", "河口村", "一组", "张大", "张大", "13800000000"])
    ws.cell(300_000, 1, "x")   # one stray cell far down: 300,000 rows × 11 columns
    path = tmp_path / "户籍.xlsx"
    wb.save(path)
    for _ in range(2):
        with pytest.raises(UnreadableWorkbook, match="300000 行"):
            load_grid(path, pipelined=False, every_sheet=True)
        book, name = read_list(path, model.HOUSEHOLD_LIST)
        assert name == "户籍名单" and list(book.sheets["户籍名单"]["姓名"])[:1] == ["张三"]
