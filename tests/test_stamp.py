"""Submission stamps on real files: submit refuses errors and names the copy right; the stamp survives a LibreOffice
re-save and breaks on any data edit; verify's exit codes; the data hash ignores row positions and empty rows."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from baoxue import cli, model, stamp
from baoxue.book import SchoolBook
from baoxue.grid import ActiveContent
from baoxue.normalize import Invalid
from baoxue.policy import load_policy
from baoxue.reader import read_workbook
from baoxue.submit import submit_files
from test_update import CASE_OPEN, MONTH, SCHOOL, school_book, school_data, write_book

POLICY = load_policy()


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def submitted(tmp_path_factory) -> tuple[Path, Path]:
    """(original, stamped copy) of a clean book."""
    d = tmp_path_factory.mktemp("submit")
    original = school_book(d / "我校十月.xlsx")
    [result] = submit_files([original], d / "out", POLICY)
    assert result.exit_code == 0, result.message
    return original, result.out_path


def test_submit_writes_the_stamped_copy_with_the_standard_name(submitted, tmp_path):
    original, copy = submitted
    assert copy.name == f"{SCHOOL}_{MONTH}.xlsx"
    book = read_workbook(copy)
    check = stamp.verify(book)
    assert check.ok, check.reason_zh
    assert check.stamp.school_code == SCHOOL and check.stamp.month == MONTH
    assert check.stamp.policy_fingerprint == POLICY.fingerprint
    assert check.stamp.template_version == model.TEMPLATE_VERSION
    assert check.stamp.data_hash == stamp.data_hash(read_workbook(original))
    # stored twice: as custom document properties and in the hidden sheet
    wb = openpyxl.load_workbook(copy)
    assert wb[model.STAMP_SHEET].sheet_state == "hidden"
    assert book.properties and book.stamp_sheet
    # the original is untouched and has no stamp
    assert not stamp.verify(read_workbook(original)).ok


def test_submit_leaves_the_original_byte_for_byte(tmp_path):
    original = school_book(tmp_path / "a.xlsx")
    digest = sha(original)
    [result] = submit_files([original], tmp_path / "out", POLICY)
    assert result.exit_code == 0
    assert sha(original) == digest


def test_submit_refuses_a_book_with_errors(tmp_path, capsys):
    cover, rows = school_data()
    rows["辍学"][0]["发现日期"] = "下周一"          # F003 error
    bad = write_book(tmp_path / "bad.xlsx", cover, rows)
    good = school_book(tmp_path / "good.xlsx")
    out = tmp_path / "out"
    assert cli.main(["submit", str(bad), "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "不能报送" in printed and "F003" in printed and "发现日期" in printed
    assert not out.exists() or not any(out.iterdir())
    # several books at once: the good one is stamped, the run still fails
    assert cli.main(["submit", str(good), str(bad), "--out", str(out)]) == 1
    assert [p.name for p in out.iterdir()] == [f"{SCHOOL}_{MONTH}.xlsx"]


def test_stamp_survives_a_libreoffice_resave(submitted, lo_convert, tmp_path):
    _original, copy = submitted
    resaved = lo_convert(copy, "xlsx", tmp_path / "lo")
    assert sha(resaved) != sha(copy)                     # a different file …
    check = stamp.verify(read_workbook(resaved))
    assert check.ok, check.reason_zh                     # … with the same data: the stamp holds


@pytest.mark.parametrize("sheet, column, new", [
    ("辍学", "状态", "已复学"),
    ("送教记录", "课时", 1),
    ("劝返记录", "劝返日期", dt.date(2026, 10, 16)),
    ("封面", None, 99),
])
def test_any_data_edit_breaks_the_stamp(submitted, tmp_path, sheet, column, new):
    _original, copy = submitted
    edited = tmp_path / copy.name
    shutil.copy(copy, edited)
    book = read_workbook(edited)
    wb = openpyxl.load_workbook(edited)
    if sheet == "封面":
        wb[sheet].cell(book.cover_rows["七年级在校生数"], 2).value = new
    else:
        wb[sheet].cell(int(book.frame(sheet)["_row"].iloc[0]), book.header_columns[sheet][column]).value = new
    wb.save(edited)
    check = stamp.verify(read_workbook(edited))
    assert not check.ok
    assert "修改" in check.reason_zh


def test_hash_ignores_row_positions_and_empty_rows_but_not_content(tmp_path):
    cover, rows = school_data()
    a = write_book(tmp_path / "a.xlsx", cover, rows)
    shuffled = {k: list(reversed(v)) for k, v in rows.items()}
    b = write_book(tmp_path / "b.xlsx", cover, shuffled)
    wb = openpyxl.load_workbook(b)
    wb["辍学"].insert_rows(5, 3)                       # blank rows in the middle of the ledger
    wb.save(b)
    assert stamp.data_hash(read_workbook(a)) == stamp.data_hash(read_workbook(b))
    rows["辍学"][0]["备注"] = "家长已签字"
    c = write_book(tmp_path / "c.xlsx", cover, rows)
    assert stamp.data_hash(read_workbook(a)) != stamp.data_hash(read_workbook(c))


def test_a_column_the_clerk_added_is_covered_by_the_stamp(tmp_path):
    cover, rows = school_data()
    path = write_book(tmp_path / "extra.xlsx", cover, rows)
    wb = openpyxl.load_workbook(path)
    ws = wb["辍学"]
    book = read_workbook(path)
    col = max(book.header_columns["辍学"].values()) + 1
    ws.cell(book.header_rows["辍学"], col).value = "联系干部"
    first = int(book.frame("辍学")["_row"].iloc[0])
    ws.cell(first, col).value = "李书记"
    wb.save(path)
    before = stamp.data_hash(read_workbook(path))
    ws.cell(first, col).value = "王书记"
    wb.save(path)
    assert stamp.data_hash(read_workbook(path)) != before
    ws.cell(first, col).value = "李书记"
    wb.save(path)
    assert stamp.data_hash(read_workbook(path)) == before


def test_verify_exit_codes_and_messages(submitted, tmp_path, capsys):
    original, copy = submitted
    assert cli.main(["verify", str(copy)]) == 0
    assert "戳记有效" in capsys.readouterr().out
    assert cli.main(["verify", str(copy), str(original)]) == 1
    assert "未找到报送戳记" in capsys.readouterr().out
    # a malformed stamp: the hash in the hidden sheet replaced
    broken = tmp_path / "broken.xlsx"
    shutil.copy(copy, broken)
    wb = openpyxl.load_workbook(broken)
    ws = wb[model.STAMP_SHEET]
    for row in ws.iter_rows():
        if row[0].value == stamp.STAMP_KEYS["data_hash"][0]:
            row[1].value = "abc"
    wb.save(broken)
    assert cli.main(["verify", str(broken)]) == 1
    assert "格式不对" in capsys.readouterr().out
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"")
    assert cli.main(["verify", str(junk)]) == 1
    assert "空的" in capsys.readouterr().out


def test_verify_shows_the_stamp_time_in_beijing_time(tmp_path, capsys):
    """A stamp made at 2026-10-30 16:30 UTC is read out as 2026-10-31 00:30（北京时间）, never as UTC."""
    original = school_book(tmp_path / "我校.xlsx")
    [result] = submit_files([original], tmp_path / "out", POLICY,
                            now=dt.datetime(2026, 10, 30, 16, 30, tzinfo=dt.timezone.utc))
    assert cli.main(["verify", str(result.out_path)]) == 0
    out = capsys.readouterr().out
    assert "盖戳于 2026-10-31 00:30（北京时间）" in out and "UTC" not in out


def test_the_copy_is_the_clerks_file_plus_the_stamp(submitted):
    """Every part of the original package is carried unchanged (formats, cached formula values, anything a clerk or
    another program put there); only the package index, the sheet list and the properties gain the stamp."""
    import zipfile
    original, copy = submitted
    with zipfile.ZipFile(original) as a, zipfile.ZipFile(copy) as b:
        before = {n: a.read(n) for n in a.namelist()}
        after = {n: b.read(n) for n in b.namelist()}
    index_parts = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "_rels/.rels",
                   "docProps/custom.xml"}
    assert set(before) <= set(after)
    assert {n for n in before if before[n] != after[n]} <= index_parts
    assert len(set(after) - set(before)) == 1      # the hidden 报送戳记 sheet


def test_resubmitting_replaces_the_stamp_and_a_macro_workbook_falls_back(tmp_path):
    import zipfile
    path = school_book(tmp_path / "a.xlsx")
    [first] = submit_files([path], tmp_path / "out1", POLICY)
    [again] = submit_files([first.out_path], tmp_path / "out2", POLICY)   # a stamped copy submitted again
    assert again.exit_code == 0 and stamp.verify(read_workbook(again.out_path)).ok
    assert openpyxl.load_workbook(again.out_path).sheetnames.count(model.STAMP_SHEET) == 1
    [replaced] = submit_files([path], tmp_path / "out1", POLICY)          # the school re-submits into the same inbox
    assert replaced.exit_code == 0 and "已替换" in replaced.message
    assert len([p for p in (tmp_path / "out1").iterdir() if "备份" in p.name]) == 1
    # a macro-enabled package (.xlsm) cannot be copied as .xlsx part by part: saved through openpyxl instead
    xlsm = tmp_path / "m.xlsm"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(xlsm, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
            zout.writestr(name, data)
    [macro] = submit_files([xlsm], tmp_path / "out3", POLICY)
    assert macro.exit_code == 0, macro.message
    assert macro.out_path.suffix == ".xlsx"
    assert b"macroEnabled" not in zipfile.ZipFile(macro.out_path).read("[Content_Types].xml")
    assert stamp.verify(read_workbook(macro.out_path)).ok


OLD_STAMPS = sorted((Path(__file__).parent / "data").glob("盖戳_0.1.0_*.xlsx"))


@pytest.mark.parametrize("path", OLD_STAMPS, ids=lambda p: p.stem)
def test_books_stamped_by_an_earlier_release_still_verify(path):
    """Stamps already out in the county stay valid: the clean and the mistaken sample and a book saved by another tool
    (XlsxWriter, no pre-formatted rows), stamped by baoxue 0.1.0 (tests/data). The hash is the same whether it is taken
    from the reader's column lists or from the sheets' DataFrames."""
    book = read_workbook(path)
    check = stamp.verify(book)
    assert check.ok, check.reason_zh
    for sheet in list(book.sheets):
        assert book.sheets[sheet] is not None   # build every frame: the hash now reads the DataFrames
        assert book.columns(sheet) is None
    assert stamp.data_hash(book) == check.stamp.data_hash


def test_old_stamp_fixtures_are_there():
    assert len(OLD_STAMPS) == 3


@pytest.mark.parametrize("text", ["2026-10-28T08:00:00Z", "2026-02-29T08:00:00Z", "2026-13-01T00:00:00Z",
                                  "2026-10-28T24:00:00Z", "2026-10-28T23:59:60Z", "2026-1-2T3:4:5Z", "2026-10-28 08:00:00",
                                  "2026-10-28T08:00:00", "２０２６-10-28T08:00:00Z", "", "0099-01-01T00:00:00Z"])
def test_stamp_time_reads_what_strptime_reads(text):
    """The stamp's time read without strptime gives exactly strptime's datetime, or the same ValueError."""
    from baoxue.stamp import stamp_time
    try:
        expected = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        with pytest.raises(ValueError):
            stamp_time(text)
    else:
        assert stamp_time(text) == expected and stamp_time(text).tzinfo is dt.timezone.utc


def _reference_hash(book) -> str:
    """The data hash as first written (one ``json.dumps`` per row, every column): the stamps made with it must stay
    valid, so ``stamp.data_hash``'s quicker way of writing the same text is pinned against it."""
    def dumps(v):
        return json.dumps(v, ensure_ascii=False)

    def row(names, values):
        return dumps([[c, t] for c, t in zip(names, map(stamp._canonical, values)) if t is not None])

    h = hashlib.sha256()
    h.update(f"baoxue-data-hash-1|{model.TEMPLATE_VERSION}\n".encode())
    h.update(dumps([[f.label, stamp._canonical(book.cover.get(f.label))] for f in model.COVER_FIELDS]).encode())
    for sheet in model.DATA_SHEETS:
        df = book.frame(sheet.name)
        rows = sorted(r for r in (row(sheet.column_names, values) for values in
                                  zip(*(df[c].tolist() for c in sheet.column_names))) if r != "[]")
        h.update(f"\n#{sheet.name}:{len(rows)}\n".encode())
        h.update("\n".join(rows).encode())
    for name, extra in sorted(book.extras.items()):
        names = [c for c in extra.columns if c != "_row"]
        rows = sorted(row(names, values) for values in zip(*(extra[c].tolist() for c in names)))
        h.update(f"\n#+{name}:{dumps(names)}\n".encode())
        h.update("\n".join(r for r in rows if r != "[]").encode())
    if book.active:
        items = sorted(dumps([a.kind, a.sheet, a.row, a.col, a.text]) for a in book.active)
        h.update(f"\n#!active:{len(items)}\n".encode())
        h.update("\n".join(items).encode())
    return h.hexdigest()


ODD_VALUES = ["张三", "", None, 'say "hi"', "back\\slash", "tab\there", "new\nline", "\x01\x1f", "\u2028",
              "emoji 😀", 7, 0, -3, True, False, 1.0, 2.5, float("nan"), -0.0, dt.date(2026, 9, 1),
              dt.datetime(2026, 9, 1), dt.datetime(2026, 9, 1, 8, 30), Invalid("45000x", "date"), Invalid("=A1", "formula")]


@pytest.mark.parametrize("as_frames", [False, True])
def test_the_data_hash_is_the_one_first_written(as_frames):
    """Over odd values in every column kind, empty sheets, empty columns and rows, added columns and active content:
    the reader's column lists (and the frames built from them) hash as the first way of writing the hash did."""
    book = SchoolBook(cover={f.label: ODD_VALUES[i % len(ODD_VALUES)] for i, f in enumerate(model.COVER_FIELDS)})
    for k, sheet in enumerate(model.DATA_SHEETS):
        n = 0 if k == 1 else len(ODD_VALUES) + 1   # one sheet without rows; the others with an empty last row
        columns = {c: [ODD_VALUES[(i + j * 7) % len(ODD_VALUES)] for i in range(n - 1)] + [None]
                   for j, c in enumerate(sheet.column_names) if n and j % 3}   # every third column absent
        columns["_row"] = list(range(4, 4 + n))
        book.sheets.set_columns(sheet.name, columns)
    book.extras["辍学"] = pd.DataFrame({"联系干部": ["李书记", None, ""], "备注2": [None, None, 3], "_row": [4, 5, 6]})
    book.active = [ActiveContent("formula", "其他", 3, 2, '=SUM("a")'), ActiveContent("web_link", None, None, None, "x")]
    if as_frames:
        for sheet in model.DATA_SHEETS:
            book.frame(sheet.name)
    assert stamp.data_hash(book) == _reference_hash(book)
    assert stamp._dumps([["名称", 'x"y'], ["空", None]]) == json.dumps([["名称", 'x"y'], ["空", None]], ensure_ascii=False)
