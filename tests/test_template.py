"""The standard template equals the model, the checked-in templates equal a fresh generation, and a second spreadsheet
client (headless LibreOffice) opens it with its sheets, names, validations and formulas intact."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

from baoxue import model, template
from baoxue.indicators import INDICATORS
from baoxue.reader import read_workbook

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"


@pytest.fixture(scope="module")
def school_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "school.xlsx"
    template.build_school_workbook().save(path)
    return path


@pytest.fixture(scope="module")
def wb(school_path):
    return load_workbook(school_path)


def validations_at(ws, coordinate: str):
    return [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]


def covers(dv, row: int, col: int) -> bool:
    for rng in str(dv.sqref).split():
        c1, r1, c2, r2 = range_boundaries(rng)
        if c1 <= col <= c2 and r1 <= row <= r2:
            return True
    return False


def defined_range_values(wb, name: str) -> list:
    dn = wb.defined_names[name]
    (sheet, ref), = list(dn.destinations)
    ws = wb[sheet]
    return [c.value for row in ws[ref.replace("$", "")] for c in row]


# ============================================================================================== model conformance
def test_sheet_order_and_visibility(wb):
    assert wb.sheetnames == list(model.ALL_SHEETS)
    assert wb[model.CODES_SHEET].sheet_state == "hidden"
    assert all(wb[n].sheet_state == "visible" for n in model.ALL_SHEETS if n != model.CODES_SHEET)


@pytest.mark.parametrize("sheet", model.DATA_SHEETS, ids=lambda s: s.name)
def test_data_sheet_layout(wb, sheet):
    ws = wb[sheet.name]
    assert ws.cell(template.TITLE_ROW, 1).value == sheet.title
    note = ws.cell(template.NOTE_ROW, 1).value
    assert sheet.note in note and all(c.note in note for c in sheet.columns if c.note)
    assert [ws.cell(template.HEADER_ROW, j + 1).value for j in range(len(sheet.columns))] == sheet.column_names
    assert ws.cell(template.HEADER_ROW, len(sheet.columns) + 1).value is None
    assert ws.freeze_panes == "A4"
    assert ws.print_title_rows.replace("$", "") == "1:3"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)   # A4 for every sheet: most schools have no A3 printer
    bands = template.print_bands([c.width for c in sheet.columns], sheet.column_names.index("姓名") + 1
                                 if "姓名" in sheet.column_names else 0)
    if bands:    # wide (辍学, 31 columns): page bands at a fixed scale, the columns up to 姓名 repeated on each
        assert [b.id for b in ws.col_breaks.brk] == bands and int(ws.page_setup.scale) == template.BAND_SCALE
        assert ws.print_title_cols.replace("$", "") == "A:" + get_column_letter(sheet.column_names.index("姓名") + 1)
        assert not ws.sheet_properties.pageSetUpPr.fitToPage
    else:
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text and ws.oddHeader.center.text == "&A"


@pytest.mark.parametrize("sheet", model.DATA_SHEETS, ids=lambda s: s.name)
def test_columns_formats_and_validations(wb, sheet):
    ws = wb[sheet.name]
    for j, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(j)
        dim = ws.column_dimensions[letter]
        assert dim.width == column.width, column.name
        assert dim.protection.locked is False, f"{sheet.name}.{column.name}: input column must be unlocked"
        found = [dv for dv in ws.data_validations.dataValidation
                 if covers(dv, template.FIRST_INPUT_ROW, j) and covers(dv, template.LAST_INPUT_ROW, j)]
        if column.codes:
            assert len(found) == 1 and found[0].type == "list", column.name
            assert found[0].formula1 == template.code_name(column.codes)      # a defined name, not an inline list
            assert not found[0].formula1.startswith('"')
        elif column.kind == "date":
            assert len(found) == 1 and found[0].type == "date", column.name
            assert dim.number_format == template.DATE_FORMAT
        else:
            assert found == [], column.name
        if column.is_text_format:
            assert dim.number_format == "@"
            for r in range(template.FIRST_INPUT_ROW, template.FIRST_INPUT_ROW + 500):
                cell = ws.cell(r, j)
                assert cell.number_format == "@" and cell.protection.locked is False, (column.name, r)


def test_id_like_columns_are_text(wb):
    text_columns = {(s.name, c.name) for s in model.DATA_SHEETS for c in s.columns if c.is_text_format}
    assert ("辍学", "身份证号") in text_columns and ("送教上门", "残疾证号") in text_columns
    assert ("辍学", "学籍号") in text_columns and ("缓学", "监护人电话") in text_columns


@pytest.mark.parametrize("sheet", model.DATA_SHEETS + (model.REGISTER,), ids=lambda s: s.name)
def test_protection_without_password(wb, sheet, register_wb):
    ws = (register_wb if sheet is model.REGISTER else wb)[sheet.name]
    p = ws.protection
    assert p.sheet and not p.password
    # clerks may still format, insert/delete rows, sort and filter
    assert p.formatCells is False and p.insertRows is False and p.deleteRows is False
    assert p.sort is False and p.autoFilter is False
    for j in range(1, len(sheet.columns) + 1):
        for r in (template.TITLE_ROW, template.NOTE_ROW, template.HEADER_ROW):
            assert ws.cell(r, j).protection.locked is True


def test_code_lists_behind_defined_names(wb):
    for list_name in model.WORKBOOK_CODE_LISTS:
        values = model.CODE_LISTS[list_name]
        name = template.code_name(list_name)
        assert name in wb.defined_names, name
        assert defined_range_values(wb, name) == list(values)


def test_computed_columns_greyed(wb):
    ws = wb[model.HOME.name]
    for c in model.HOME.columns:
        if c.computed:
            j = model.HOME.column_names.index(c.name) + 1
            assert ws.column_dimensions[get_column_letter(j)].fill.fgColor.rgb == template.COMPUTED_FILL.fgColor.rgb


def test_cover(wb, school_path):
    ws = wb[model.COVER_SHEET]
    labels = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value}
    for field in model.COVER_FIELDS:
        r = labels[field.label]
        assert r == template.cover_row(field.label)
        assert ws.cell(r, 2).protection.locked is False
        assert ws.cell(r, 1).protection.locked is True
        dvs = validations_at(ws, f"B{r}")
        if field.codes:
            assert [dv.formula1 for dv in dvs] == [template.code_name(field.codes)], field.label
    assert ws.cell(labels["模板版本"], 2).value == model.TEMPLATE_VERSION
    assert ws.cell(labels["报送月份"], 2).number_format == "@"
    assert ws.cell(labels["学校标识码"], 2).number_format == "@"
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props["模板版本"] == model.TEMPLATE_VERSION
    assert ws.protection.sheet


def test_summary_sheet_has_a_formula_per_indicator(wb):
    ws = wb[model.SUMMARY_SHEET]
    assert [ws.cell(template.HEADER_ROW, j).value for j in (1, 2, 3)] == list(template.SUMMARY_HEADER)
    rows = {ws.cell(r, 2).value: r for r in range(template.FIRST_INPUT_ROW, ws.max_row + 1) if ws.cell(r, 2).value}
    assert list(rows) == [k for k, _ in INDICATORS]
    assert ws.column_dimensions["B"].hidden                    # the JSON keys are not shown to clerks
    note = ws.cell(max(rows.values()) + 2, 1)                  # the note under the table, wrapped across it
    assert note.value.startswith("说明：") and note.alignment.wrap_text
    assert not any(ws.cell(r, c).value for r in range(1, template.HEADER_ROW + 1) for c in range(4, 10))
    for key, label in INDICATORS:
        r = rows[key]
        assert ws.cell(r, 1).value == label
        formula = ws.cell(r, 3).value
        assert isinstance(formula, str) and formula.startswith("="), key
    # as-of comes from the cover's 报送月份
    assert template.cover_cell("报送月份").replace("'", "") in ws["B2"].value.replace("'", "")


def test_findings_sheet_header(wb):
    ws = wb[model.FINDINGS_SHEET]
    assert tuple(ws.cell(template.HEADER_ROW, j + 1).value for j in range(len(model.FINDINGS_COLUMNS))) \
        == model.FINDINGS_COLUMNS


def test_prefilled_cover_and_reader_sees_a_complete_blank_book(tmp_path):
    path = tmp_path / "b.xlsx"
    template.build_school_workbook(school_code="3601234567", month="2026-10").save(path)
    book = read_workbook(path)
    assert book.missing_sheets == [] and all(v == [] for v in book.missing_columns.values())
    assert book.school_code == "3601234567" and book.month == "2026-10"
    assert book.cover["模板版本"] == model.TEMPLATE_VERSION
    assert book.properties.get("模板版本") == model.TEMPLATE_VERSION
    assert all(len(df) == 0 for df in book.sheets.values())


def test_ensure_functions_restore_deleted_sheets(tmp_path):
    wb = template.build_school_workbook()
    for name in (model.SUMMARY_SHEET, model.FINDINGS_SHEET, model.CODES_SHEET):
        del wb[name]
    for name in list(wb.defined_names):
        del wb.defined_names[name]
    template.ensure_summary_sheet(wb)
    template.ensure_findings_sheet(wb)
    template.ensure_codes_sheet(wb)
    assert wb.sheetnames == list(model.ALL_SHEETS)
    path = tmp_path / "restored.xlsx"
    wb.save(path)
    again = load_workbook(path)
    fresh = load_workbook(_fresh(tmp_path))
    for name in (model.SUMMARY_SHEET, model.FINDINGS_SHEET, model.CODES_SHEET):
        assert _values(again[name]) == _values(fresh[name]), name
    assert set(again.defined_names) == set(fresh.defined_names)
    # idempotent: calling again changes nothing
    template.ensure_codes_sheet(again)
    assert _values(again[model.CODES_SHEET]) == _values(fresh[model.CODES_SHEET])


def _fresh(tmp_path) -> Path:
    p = tmp_path / "fresh.xlsx"
    template.build_school_workbook().save(p)
    return p


def _values(ws) -> list:
    return [[c.value for c in row] for row in ws.iter_rows()]


# ============================================================================================== register template
@pytest.fixture(scope="module")
def register_wb(tmp_path_factory):
    path = tmp_path_factory.mktemp("reg") / "reg.xlsx"
    template.build_register_workbook().save(path)
    return load_workbook(path)


def test_register_template(register_wb):
    ws = register_wb[model.REGISTER.name]
    assert [ws.cell(template.HEADER_ROW, j + 1).value for j in range(len(model.REGISTER.columns))] \
        == model.REGISTER.column_names
    for list_name in ("学校类型", "城乡类别"):
        j = model.REGISTER.column_names.index(list_name) + 1
        dvs = [dv for dv in ws.data_validations.dataValidation if covers(dv, template.FIRST_INPUT_ROW, j)]
        assert [dv.formula1 for dv in dvs] == [template.code_name(list_name)]
        assert defined_range_values(register_wb, template.code_name(list_name)) == list(model.CODE_LISTS[list_name])


# ============================================================================================== checked-in = fresh
def signature(path: Path) -> dict:
    """Everything a clerk or a spreadsheet client sees: values, number formats, fonts/fills, protection, merged cells,
    widths, validations, defined names, sheet states, freeze panes, print setup, custom properties."""
    wb = load_workbook(path)
    sig: dict = {"sheets": wb.sheetnames,
                 "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items()),
                 "props": sorted((p.name, p.value) for p in wb.custom_doc_props.props)}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if c.has_style or c.value is not None:
                    cells[c.coordinate] = (c.value, c.number_format, c.protection.locked, c.font.b,
                                           c.fill.fgColor.rgb if c.fill.fill_type else None)
        sig[ws.title] = {
            "cells": cells,
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "dims": sorted((k, d.width, d.number_format, d.protection.locked) for k, d in ws.column_dimensions.items()),
            "validations": sorted((dv.type, dv.formula1, dv.formula2, str(dv.sqref), dv.errorStyle)
                                  for dv in ws.data_validations.dataValidation),
            "protection": (ws.protection.sheet, ws.protection.password, ws.protection.formatCells,
                           ws.protection.insertRows, ws.protection.deleteRows),
            "state": ws.sheet_state, "freeze": ws.freeze_panes, "titles": ws.print_title_rows,
            "orientation": ws.page_setup.orientation,
        }
    return sig


@pytest.mark.parametrize("name,build", [(template.SCHOOL_TEMPLATE_NAME, template.build_school_workbook),
                                        (template.REGISTER_TEMPLATE_NAME, template.build_register_workbook)])
def test_checked_in_templates_equal_fresh_generation(tmp_path, name, build):
    checked_in = TEMPLATES / name
    assert checked_in.exists(), f"{checked_in} missing: run `baoxue template` / template.save_templates('templates')"
    fresh = tmp_path / name
    build().save(fresh)
    a, b = signature(checked_in), signature(fresh)
    for key in b:
        assert a[key] == b[key], f"{name}: {key} differs from a fresh generation — regenerate the template"


def test_save_templates_writes_both(tmp_path):
    written = template.save_templates(tmp_path)
    assert sorted(p.name for p in written) == sorted([template.SCHOOL_TEMPLATE_NAME, template.REGISTER_TEMPLATE_NAME])
    assert signature(written[0]) == signature(TEMPLATES / template.SCHOOL_TEMPLATE_NAME)


# ============================================================================================== command line
def baoxue(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "baoxue", *args], capture_output=True, text=True, timeout=120)


def test_cli_template(tmp_path):
    out = tmp_path / "新表.xlsx"
    r = baoxue("template", str(out), "--school-code", "3600100001", "--month", "2026-09")
    assert r.returncode == 0, r.stderr
    book = read_workbook(out)
    assert book.school_code == "3600100001" and book.month == "2026-09"
    reg = tmp_path / "名录.xlsx"
    r = baoxue("template", str(reg), "--register")
    assert r.returncode == 0, r.stderr
    assert load_workbook(reg).sheetnames[0] == model.REGISTER.name


@pytest.mark.parametrize("args,needle", [(("--month", "2026-13"), "报送月份"), (("--school-code", "12ab"), "学校标识码")])
def test_cli_template_rejects_bad_values(tmp_path, args, needle):
    r = baoxue("template", str(tmp_path / "x.xlsx"), *args)
    assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_cli_template_unwritable_folder(tmp_path):
    r = baoxue("template", str(tmp_path / "no" / "such" / "x.xlsx"))
    assert r.returncode == 2 and "无法写入" in r.stderr and "Traceback" not in r.stderr


# ============================================================================================== LibreOffice
def test_template_opens_in_libreoffice(school_path, lo_convert):
    converted = lo_convert(school_path, "xlsx")
    wb = load_workbook(converted)
    assert wb.sheetnames == list(model.ALL_SHEETS)
    assert wb[model.CODES_SHEET].sheet_state == "hidden"
    for list_name in model.WORKBOOK_CODE_LISTS:
        assert defined_range_values(wb, template.code_name(list_name)) == list(model.CODE_LISTS[list_name])
    ws = wb[model.DROPOUT.name]
    j = model.DROPOUT.column_names.index("状态") + 1
    assert any(dv.type == "list" and covers(dv, 10, j) and "代码_辍学状态" in (dv.formula1 or "")
               for dv in ws.data_validations.dataValidation)
    assert [ws.cell(template.HEADER_ROW, k + 1).value for k in range(len(model.DROPOUT.columns))] \
        == model.DROPOUT.column_names
    assert ws.protection.sheet and ws.cell(template.HEADER_ROW, 1).protection.locked
    for j, column in enumerate(model.DROPOUT.columns, start=1):   # the text format survives as the column style
        if column.is_text_format:
            assert ws.column_dimensions[get_column_letter(j)].number_format == "@", column.name
    # the blank book's figures, computed by LibreOffice: counts 0, rates empty (no denominator)
    values = load_workbook(converted, data_only=True)[model.SUMMARY_SHEET]
    got = {values.cell(r, 2).value: values.cell(r, 3).value for r in range(template.FIRST_INPUT_ROW, values.max_row + 1)}
    assert got["open_cases"] == 0 and got["home_visits"] == 0
    assert got["dropout_rate_primary"] in (None, "")
    # and the reader still reads LibreOffice's re-save as a complete book
    book = read_workbook(converted)
    assert book.missing_sheets == []
