"""`baoxue template OUT.xlsx --kind household|xueji|elsewhere|key-groups`: blank input lists of the household line,
built from the model's declarations, opened by headless LibreOffice and read back by the reader."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from baoxue import model, template
from baoxue.list_template import LIST_KINDS, build_list_workbook, code_lists_of

KINDS = tuple(LIST_KINDS)


def baoxue(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "baoxue", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    """Every kind written by the command line, as a township would get it."""
    folder = tmp_path_factory.mktemp("lists")
    out = {}
    for kind in KINDS:
        path = folder / f"{kind}.xlsx"
        r = baoxue("template", str(path), "--kind", kind)
        assert r.returncode == 0, r.stderr
        assert LIST_KINDS[kind].name in r.stdout
        out[kind] = path
    return out


def _list_dv(ws, column: int):
    for dv in ws.data_validations.dataValidation:
        if any(rng.min_col <= column <= rng.max_col and rng.min_row <= template.FIRST_INPUT_ROW <= rng.max_row
               for rng in dv.sqref.ranges):
            return dv
    return None


def _defined_values(wb, name: str) -> list:
    sheet_name, ref = wb.defined_names[name].attr_text.split("!")
    ws = wb[sheet_name.strip("'")]
    return [c.value for row in ws[ref.replace("$", "")] for c in row]


@pytest.mark.parametrize("kind", KINDS)
def test_layout_comes_from_the_declaration(written, kind):
    sheet = LIST_KINDS[kind]
    wb = load_workbook(written[kind])
    assert wb.sheetnames[0] == sheet.name
    ws = wb[sheet.name]
    assert ws.cell(template.TITLE_ROW, 1).value == sheet.title
    assert [ws.cell(template.HEADER_ROW, j).value for j in range(1, len(sheet.columns) + 1)] == sheet.column_names
    assert ws.cell(template.HEADER_ROW, len(sheet.columns) + 1).value is None
    assert ws.protection.sheet and ws.cell(template.HEADER_ROW, 1).protection.locked
    assert ws.freeze_panes == f"A{template.FIRST_INPUT_ROW}"
    for j, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(j)
        if column.is_text_format:   # 18-digit IDs, 学籍号, 学校标识码 stay text wherever typed or pasted
            assert ws.column_dimensions[letter].number_format == "@", column.name
            assert ws.cell(template.FIRST_INPUT_ROW + 10, j).number_format == "@", column.name
        assert ws.column_dimensions[letter].protection.locked is False, column.name   # input columns unlocked
        dv = _list_dv(ws, j)
        if column.codes:
            assert dv is not None and dv.type == "list" and template.code_name(column.codes) in dv.formula1
        elif column.kind == "date":
            assert dv is not None and dv.type == "date"
        else:
            assert dv is None, column.name


@pytest.mark.parametrize("kind", KINDS)
def test_hidden_code_sheet_holds_only_the_lists_used(written, kind):
    sheet = LIST_KINDS[kind]
    wb = load_workbook(written[kind])
    used = code_lists_of(sheet)
    assert used == tuple(dict.fromkeys(c.codes for c in sheet.columns if c.codes))
    if not used:
        assert model.CODES_SHEET not in wb.sheetnames
        return
    codes = wb[model.CODES_SHEET]
    assert codes.sheet_state == "hidden"
    assert [codes.cell(1, j).value for j in range(1, len(used) + 1)] == list(used)
    for name in used:
        assert _defined_values(wb, template.code_name(name)) == list(model.CODE_LISTS[name])


def test_key_group_dropdown_offers_the_categories(written):
    wb = load_workbook(written["key-groups"])
    assert _defined_values(wb, template.code_name("重点人群类别")) == list(model.CODE_LISTS["重点人群类别"])


def test_fresh_builds_are_identical(tmp_path):
    """Nothing time-dependent: two builds of a kind give the same cells and validations."""
    for kind in KINDS:
        a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
        build_list_workbook(kind).save(a)
        build_list_workbook(kind).save(b)
        wa, wb_ = load_workbook(a), load_workbook(b)
        for name in wa.sheetnames:
            va = [[c.value for c in r] for r in wa[name].iter_rows()]
            vb = [[c.value for c in r] for r in wb_[name].iter_rows()]
            assert va == vb


@pytest.mark.parametrize("kind", KINDS)
def test_opens_in_libreoffice_with_dropdowns_and_text_ids(written, kind, lo_convert):
    sheet = LIST_KINDS[kind]
    converted = lo_convert(written[kind], "xlsx")
    wb = load_workbook(converted)
    ws = wb[sheet.name]
    assert [ws.cell(template.HEADER_ROW, j).value for j in range(1, len(sheet.columns) + 1)] == sheet.column_names
    for j, column in enumerate(sheet.columns, start=1):
        if column.is_text_format:   # the text format survives as the column style
            assert ws.column_dimensions[get_column_letter(j)].number_format == "@", column.name
        if column.codes:
            dv = _list_dv(ws, j)
            assert dv is not None and dv.type == "list", column.name
            assert _defined_values(wb, template.code_name(column.codes)) == list(model.CODE_LISTS[column.codes])
    if code_lists_of(sheet):
        assert wb[model.CODES_SHEET].sheet_state == "hidden"


def test_cli_kind_refuses_school_options(tmp_path):
    r = baoxue("template", str(tmp_path / "x.xlsx"), "--kind", "household", "--month", "2026-09")
    assert r.returncode == 2 and "--kind" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.xlsx").exists()
    r = baoxue("template", str(tmp_path / "x.xlsx"), "--kind", "nonsense")
    assert r.returncode == 2 and not (tmp_path / "x.xlsx").exists()


def test_cli_kind_keeps_a_backup_of_an_existing_file(tmp_path):
    path = tmp_path / "户籍名单.xlsx"
    path.write_bytes(b"old content")
    r = baoxue("template", str(path), "--kind", "household")
    assert r.returncode == 0, r.stderr
    backups = [p for p in tmp_path.iterdir() if p != path]
    assert len(backups) == 1 and backups[0].read_bytes() == b"old content"
    assert load_workbook(path).sheetnames[0] == model.HOUSEHOLD_LIST.name


# ============================================================================================== read back by the reader
def _typed_rows(kind: str) -> list[dict]:
    """What a township (or the 学籍 office …) types into the blank list: two rows with every column filled."""
    import datetime as dt
    from baoxue import idcard
    sheet = LIST_KINDS[kind]
    ids = [idcard.make("360721", dt.date(2015, 3, 4), 11, True), idcard.make("360721", dt.date(2016, 9, 1), 12, False)]
    rows = []
    for i, pid in enumerate(ids):
        row = {}
        for c in sheet.columns:
            if c.kind == "id":
                row[c.name] = pid
            elif c.codes:
                row[c.name] = model.CODE_LISTS[c.codes][i]
            elif c.kind == "date":
                row[c.name] = dt.date(2026, 9, 1 + i)
            elif c.kind == "grade":
                row[c.name] = model.GRADES[i]
            elif c.kind == "schoolcode":
                row[c.name] = f"360010000{i}"
            elif c.kind == "xjh":
                row[c.name] = "G" + pid
            elif c.kind == "phone":
                row[c.name] = f"1390000000{i}"
            else:
                row[c.name] = f"{c.name}{i + 1}"
        rows.append(row)
    return rows


@pytest.mark.parametrize("kind", KINDS)
def test_a_filled_list_is_read_back_by_the_reader_also_after_libreoffice(kind, tmp_path, lo_convert):
    from baoxue.fill import fill_rows
    from baoxue.reader import read_list
    sheet = LIST_KINDS[kind]
    build_list_workbook(kind).save(tmp_path / "blank.xlsx")
    blank, _ = read_list(tmp_path / "blank.xlsx", sheet)
    assert blank.missing_columns.get(sheet.name, []) == [] and len(blank.sheets[sheet.name]) == 0
    wb = build_list_workbook(kind)
    rows = _typed_rows(kind)
    fill_rows(wb[sheet.name], sheet, rows)
    path = tmp_path / f"{kind}.xlsx"
    wb.save(path)
    for source in (path, lo_convert(path, "xlsx")):
        book, found_on = read_list(source, sheet)
        assert found_on == sheet.name and book.missing_columns.get(sheet.name, []) == []
        df = book.sheets[sheet.name]
        assert len(df) == len(rows)
        for i, row in enumerate(rows):
            for name, value in row.items():
                got = df.iloc[i][name]
                got = got.date() if hasattr(got, "date") and not isinstance(got, str) else got
                assert got == value, (source.name, name, got, value)
