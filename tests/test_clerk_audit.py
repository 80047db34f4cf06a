"""Files and paths a real clerk produces, through the real commands in a subprocess: books saved by LibreOffice after
edits (a sheet renamed, cells merged across data rows), output paths that cannot be written as asked (an existing
folder, a name too long for the file system). Each ends with a Chinese message naming the file, the right exit code, the
input byte-identical and no partial output; never a traceback nor baoxue's last-resort 内部出错."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from test_hostile_input import SAMPLE

ROOT = Path(__file__).resolve().parents[1]


def baoxue(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "baoxue", *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", timeout=180, cwd=cwd)


def assert_clean(p: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in p.stderr and "内部出错" not in p.stderr, (p.stdout, p.stderr)


def edited(tmp_path: Path, edit, lo_convert, name: str = "book.xlsx") -> Path:
    """The sample edited with openpyxl (``edit(wb)``), then opened and saved by LibreOffice."""
    wb = openpyxl.load_workbook(SAMPLE)
    edit(wb)
    raw = tmp_path / "raw"
    raw.mkdir()
    wb.save(raw / name)
    return lo_convert(raw / name, "xlsx", tmp_path / "lo")


def rules_of(path: Path) -> set[tuple[str, str | None]]:
    from baoxue.policy import DEFAULT
    from baoxue.validators import validate_file
    _, found = validate_file(path, DEFAULT)
    return {(f.rule, f.sheet) for f in found}


# ---------------------------------------------------------------------------------------------- output paths
def test_next_month_into_an_existing_folder_is_refused_with_a_message(tmp_path):
    book = tmp_path / "book.xlsx"
    book.write_bytes(SAMPLE.read_bytes())
    (tmp_path / "下月").mkdir()
    p = baoxue("next-month", book, "--out", tmp_path / "下月")
    assert_clean(p)
    assert p.returncode == 2 and "下月" in p.stderr and "文件夹" in p.stderr, p.stderr
    assert list((tmp_path / "下月").iterdir()) == [] and book.read_bytes() == SAMPLE.read_bytes()


def test_submit_onto_a_folder_named_as_the_copy_is_refused_with_a_message(tmp_path):
    book = tmp_path / "book.xlsx"
    book.write_bytes(SAMPLE.read_bytes())
    from baoxue.reader import read_workbook
    sample = read_workbook(SAMPLE)
    (tmp_path / "报送" / f"{sample.school_code}_{sample.month}.xlsx").mkdir(parents=True)
    p = baoxue("submit", book, "--out", tmp_path / "报送")
    assert_clean(p)
    assert p.returncode == 2 and "文件夹" in p.stderr and "另存为" not in p.stderr, p.stderr


def test_submit_into_an_out_that_is_a_file_says_so(tmp_path):
    book = tmp_path / "book.xlsx"
    book.write_bytes(SAMPLE.read_bytes())
    (tmp_path / "报送").write_text("")
    p = baoxue("submit", book, "--out", tmp_path / "报送")
    assert_clean(p)
    assert p.returncode == 2 and "报送" in p.stderr and "是一个文件" in p.stderr, p.stderr
    assert (tmp_path / "报送").read_text() == ""


def test_update_of_a_book_with_a_long_name_keeps_a_backup(tmp_path):
    """245 bytes of name (80 Chinese characters): the book itself fits the 255-byte limit, ``name.备份-<time>.xlsx``
    does not; the backup gets a shorter name, the update is done."""
    book = tmp_path / ("学" * 80 + ".xlsx")
    book.write_bytes(SAMPLE.read_bytes())
    p = baoxue("update", book)
    assert_clean(p)
    assert p.returncode in (0, 1), p.stderr
    backups = [q for q in tmp_path.iterdir() if "备份" in q.name]
    assert len(backups) == 1 and backups[0].read_bytes() == SAMPLE.read_bytes()
    assert backups[0].name.startswith("学" * 10)


def test_next_month_to_a_name_too_long_is_refused_with_a_message(tmp_path):
    book = tmp_path / "book.xlsx"
    book.write_bytes(SAMPLE.read_bytes())
    p = baoxue("next-month", book, "--out", tmp_path / ("校" * 85 + ".xlsx"))
    assert_clean(p)
    assert p.returncode == 2 and "文件名过长" in p.stderr, p.stderr
    assert sorted(q.name for q in tmp_path.iterdir()) == ["book.xlsx"]


# ---------------------------------------------------------------------------------------------- LibreOffice-saved edits
@pytest.mark.parametrize("merged", ["B4:B5", "J4:K5"], ids=["rows", "rows-and-columns"])
def test_update_of_cells_merged_across_data_rows(tmp_path, lo_convert, merged):
    """The clerk merged 姓名 (or 户籍乡镇:户籍村) of two cases: the second row reads as empty (F001), and update marks the
    cell the finding names."""
    book = edited(tmp_path, lambda wb: wb["辍学"].merge_cells(merged), lo_convert)
    before = book.read_bytes()
    p = baoxue("update", book)
    assert_clean(p)
    assert p.returncode == 1 and "F001" in p.stdout, (p.stdout, p.stderr)
    backup = next(q for q in book.parent.iterdir() if "备份" in q.name)
    assert backup.read_bytes() == before
    ws = openpyxl.load_workbook(book)["辍学"]
    first = merged.split(":")[0]
    assert ws[first].value is not None                                   # the clerk's value stays where it was
    assert ws["B5" if merged == "B4:B5" else "J5"].comment is not None   # the mark is on the cell the finding names


@pytest.mark.parametrize("renamed", ["辍学 ", "　封面　"], ids=["trailing-space", "ideographic-spaces"])
def test_a_sheet_renamed_with_spaces_keeps_the_templates_formulas(tmp_path, lo_convert, renamed):
    """The reader takes "辍学 " for 辍学; LibreOffice rewrites the 月报汇总 formulas to the new name: they are still the
    template's formulas, not F013 (which would block the submission and tell the clerk to type numbers over them)."""
    canonical = renamed.strip(" 　")

    def rename(wb):   # as Excel or LibreOffice rename a sheet: every formula naming it follows
        wb[canonical].title = renamed
        for row in wb["月报汇总"].iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.value = cell.value.replace(f"'{canonical}'!", f"'{renamed}'!").replace(
                        f"{canonical}!", f"'{renamed}'!")
    book = edited(tmp_path, rename, lo_convert)
    found = rules_of(book)
    assert ("F013", "月报汇总") not in found and not any(r == "S001" for r, _ in found), found
    p = baoxue("submit", book, "--out", tmp_path / "报送")
    assert_clean(p)
    assert p.returncode == 0, (p.stdout, p.stderr)


# ---------------------------------------------------------------------------------------------- values
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"   # pasted from web pages and chat apps; invisible in every client


def test_zero_width_characters_in_an_id_are_removed_like_spaces(tmp_path, lo_convert):
    """An ID pasted with a zero-width space reads as the 18 characters the clerk sees, not as F004 "当前为20位"."""
    def paste(wb):
        ws = wb["辍学"]
        pid = ws["E4"].value
        ws["E4"] = pid[:6] + "\u200b" + pid[6:14] + "\u2060" + pid[14:] + "\ufeff"
        ws["M4"] = "\u200b139" + "\u200c1234" + "5678\u200d"
    book = edited(tmp_path, paste, lo_convert)
    from baoxue.reader import read_workbook
    row = read_workbook(book).sheets["辍学"].iloc[0]
    sample = read_workbook(SAMPLE).sheets["辍学"].iloc[0]
    assert row["身份证号"] == sample["身份证号"] and row["监护人电话"] == "13912345678"
    found = rules_of(book)
    assert not {("F004", "辍学"), ("F009", "辍学"), ("F010", "辍学")} & found, found


@pytest.mark.parametrize("kind", ["id", "xjh", "phone", "cert", "schoolcode"])
def test_the_whole_column_shortcut_agrees_on_zero_width_characters(kind):
    from baoxue import normalize
    values = ["1391234" + ch + "5678" for ch in ZERO_WIDTH]
    assert normalize.unchanged_strings(kind, values) == []
    assert all(normalize.BY_KIND[kind](v) == "13912345678" for v in values)


# ---------------------------------------------------------------------------------------------- file names
@pytest.mark.parametrize("suffix", [".xls", ".et", ""], ids=["xls", "et", "none"])
def test_update_of_a_real_xlsx_under_another_extension(tmp_path, suffix):
    """The reader goes by the content (a clerk renames 我校.xlsx to 我校.xls "for Excel"): validate, submit and
    next-month read it, and update rewrites it too, keeping its name, instead of openpyxl's InvalidFileException."""
    book = tmp_path / f"我校{suffix}"
    book.write_bytes(SAMPLE.read_bytes())
    p = baoxue("update", book)
    assert_clean(p)
    assert p.returncode in (0, 1) and "已更新" in p.stdout and "Exception" not in p.stdout + p.stderr, (p.stdout, p.stderr)
    backup = next(q for q in tmp_path.iterdir() if "备份" in q.name)
    assert backup.read_bytes() == SAMPLE.read_bytes() and backup.name.startswith("我校.备份-")
    assert backup.name.endswith(suffix)
    assert baoxue("validate", book).returncode in (0, 1)


def test_submit_of_a_book_open_in_excel_says_what_was_stamped(tmp_path):
    """Excel's owner file beside the book: the copy holds what was last saved, not what is on the clerk's screen."""
    book = tmp_path / "我校.xlsx"
    book.write_bytes(SAMPLE.read_bytes())
    (tmp_path / "~$我校.xlsx").write_bytes(b"\x08clerk   " + b"\x00" * 150)
    p = baoxue("submit", book, "--out", tmp_path / "报送")
    assert_clean(p)
    assert p.returncode == 0 and "正在被" in p.stdout and "最后一次保存" in p.stdout, (p.stdout, p.stderr)
    assert book.read_bytes() == SAMPLE.read_bytes()


def test_a_file_name_in_gbk_bytes_is_shown_as_chinese(tmp_path):
    """A book unzipped from a Windows zip keeps its name's GBK bytes: every command's message shows 河口小学, never
    surrogate escapes (\\udcba…)."""
    import os
    raw = os.fsdecode("河口小学".encode("gbk") + b".xlsx")
    book = tmp_path / raw
    book.write_bytes(SAMPLE.read_bytes())
    for args in (["update", book], ["submit", book, "--out", tmp_path / "报送"], ["verify", book],
                 ["next-month", book, "--out", tmp_path / (raw[:-5] + "_下月.xlsx")], ["validate", book]):
        p = subprocess.run([sys.executable, "-m", "baoxue", *map(os.fsdecode, args)], capture_output=True, text=True,
                           encoding="utf-8", timeout=180)
        assert_clean(p)
        text = p.stdout + p.stderr
        assert "河口小学" in text and "\\udc" not in text, (args[0], text)


def test_update_of_a_macro_free_xlsm_adds_no_macro(tmp_path, lo_convert):
    """LibreOffice's "Excel 2007-365 (macro-enabled)" without any macro: update keeps it macro-enabled for Excel (the
    name says .xlsm) but must not point it at a vbaProject.bin it does not have (S006, which the clerk cannot remove)."""
    import zipfile
    book = lo_convert(SAMPLE, "xlsm:Calc MS Excel 2007 VBA XML", tmp_path / "lo")
    assert not any(f[0] == "S006" for f in rules_of(book))
    p = baoxue("update", book)
    assert_clean(p)
    assert p.returncode in (0, 1), (p.stdout, p.stderr)
    assert not any(f[0] == "S006" for f in rules_of(book))
    with zipfile.ZipFile(book) as zf:
        assert "vbaProject" not in zf.read("xl/_rels/workbook.xml.rels").decode()
        assert "macroEnabled" in zf.read("[Content_Types].xml").decode()


def test_rows_numbered_in_advance_are_empty_rows(tmp_path, lo_convert):
    """A clerk numbers 序号 down the sheet before there is anything to enter (1, 2, … 40): those rows hold no data and
    are skipped like blank rows, not 600 F001 findings (性别为必填项 …) on rows that look empty."""
    def number(wb):
        ws = wb["辍学"]
        for r in range(4, 44):
            ws.cell(r, 1).value = r - 3
    book = edited(tmp_path, number, lo_convert)
    from baoxue.reader import read_workbook
    assert read_workbook(book).sheets["辍学"]["_row"].tolist() == read_workbook(SAMPLE).sheets["辍学"]["_row"].tolist()
    assert not any(rule == "F001" for rule, _ in rules_of(book))
    p = baoxue("submit", book, "--out", tmp_path / "报送")
    assert_clean(p)
    assert p.returncode == 0, (p.stdout, p.stderr)


def test_error_values_pasted_as_values_are_read_as_the_clerk_sees_them(tmp_path):
    """A formula's result pasted as values can leave an error value in a cell (#N/A, #REF!: type "e", no formula), as
    Excel saves it. python-calamine reads it as empty: the ID was reported "为空" while the clerk sees #N/A, and an
    optional column was stamped as empty. The reader keeps the error's text, so the rules name it and the stamp
    certifies what the cell shows."""
    wb = openpyxl.load_workbook(SAMPLE)
    ws = wb["辍学"]
    for ref, error in (("E4", "#N/A"), ("O4", "#VALUE!"), ("AE4", "#REF!")):
        ws[ref] = error
        ws[ref].data_type = "e"
    book = tmp_path / "book.xlsx"
    wb.save(book)
    from baoxue.policy import DEFAULT
    from baoxue.reader import read_workbook
    from baoxue.validators import validate_file
    row = read_workbook(book).sheets["辍学"].iloc[0]
    assert row["备注"] == "#REF!"
    _, found = validate_file(book, DEFAULT)
    at = {(f.rule, f.column): f.message for f in found if f.sheet == "辍学" and f.row == 4}
    assert "“#N" in at[("F004", "身份证号")] and ("F001", "身份证号") not in at   # an ID is shown masked
    assert "#VALUE!" in at[("F003", "发现日期")]
    p = baoxue("submit", book, "--out", tmp_path / "报送")
    assert_clean(p)
    assert p.returncode != 0 and "身份证号" in p.stdout + p.stderr


def test_error_cells_are_only_the_error_values_written_as_values():
    from baoxue.xlsx_scan import error_cells
    xml = (b'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/'
           b'spreadsheetml/2006/main"><x:sheetData><x:row r="2"><x:c r="B2" t=\'e\'><x:v>#N/A</x:v></x:c>'
           b'<x:c r="C2" t="e"><x:f>1/0</x:f><x:v>#DIV/0!</x:v></x:c><x:c r="D2" t="s"><x:v>0</x:v></x:c>'
           b'</x:row></x:sheetData><!-- <x:c r="E2" t="e"><x:v>#REF!</x:v></x:c> --></x:worksheet>')
    assert error_cells(xml, "xl/worksheets/sheet1.xml") == {(2, 2): "#N/A"}   # a formula's error is F013's
    assert error_cells(xml.replace(b"'e'", b"'s'").replace(b'"e"', b'"n"'), "xl/worksheets/sheet1.xml") == {}
