"""Anything a clerk can type ends as findings, never an exception: every cell of every sheet filled with odd values."""
from __future__ import annotations

import datetime as dt
import random

from baoxue import model
from baoxue.reader import read_workbook
from baoxue.validators import validate_books
from baoxue.policy import DEFAULT
from rules_helpers import clean, write

ARABIC_INDIC_ID = "١١٠١٠١٢٠١٠٠١٠١١٢٣٤"   # digits to Python's \d, not to an ID number

ODD = [True, False, -1, 0, 3.7, 1e20, 46000, " ", "=1+1", "+86 138", "😀" * 30, "张" * 40, dt.date(1900, 1, 1),
       dt.datetime(2026, 9, 3, 10, 5), "2026-09-03", "2026-02-30", "abc", "N/A", "是", "否", "X", "0" * 18,
       "G" + "1" * 18, "L" + "A" * 18, "初三", "13", None,
       ARABIC_INDIC_ID, "G" + ARABIC_INDIC_ID, "١٣٩١٢٣٤٥٦٧٨", "١٢٣٤٥٦٧٨٩٠"]


def odd_rows(rng: random.Random, sheet: model.Sheet, n: int) -> list[dict]:
    return [{c.name: rng.choice(ODD) for c in sheet.columns} for _ in range(n)]


def test_odd_values_everywhere_never_crash(tmp_path):
    rng = random.Random(20260903)
    paths = []
    for k in range(3):
        cover, rows = clean()
        for sheet in model.DATA_SHEETS:
            rows[sheet.name] = rows[sheet.name] + odd_rows(rng, sheet, 15)
        for label in list(cover)[: 6 + 4 * k]:
            cover[label] = rng.choice(ODD)
        paths.append(write(tmp_path, cover, rows, f"odd{k}.xlsx"))
    books = [read_workbook(p) for p in paths]
    results = validate_books(books, DEFAULT)
    assert len(results) == 3
    for findings in results:
        assert any(f.is_error for f in findings)
        for f in findings:
            assert f.severity in ("error", "warning")
            assert f.message and "{" not in f.message and "Invalid(" not in f.message
            assert f.sheet is None or f.sheet in model.ALL_SHEETS
            if f.sheet in model.SHEETS and f.row is not None:
                assert f.row >= 4 and (f.column is None or f.column in model.SHEETS[f.sheet].column_names)
            assert f.value is None or isinstance(f.value, str)


def test_empty_workbook_is_a_zero_report(tmp_path):
    """The blank template with only a cover filled: structurally fine, a zero report needs 零报告 = 是."""
    cover, _ = clean()
    cover["零报告"] = "是"
    book = read_workbook(write(tmp_path, cover, {}, "blank.xlsx"))
    assert validate_books([book], DEFAULT) == [[]]


def test_missing_cover_sheets_and_headers_never_crash(tmp_path):
    from rules_helpers import rework

    def damage(wb):
        del wb["封面"]
        del wb["送教上门"]
        ws = wb["辍学"]
        for cell in ws[3]:
            if cell.value in ("状态", "发现日期", "身份证号"):
                cell.value = None
        for cell in wb["劝返记录"][3]:
            cell.value = None
    cover, rows = clean()
    path = rework(write(tmp_path, cover, rows, "damaged.xlsx"), damage)
    book = read_workbook(path)
    findings = validate_books([book], DEFAULT)[0]
    s001 = {f.sheet for f in findings if f.rule == "S001"}
    assert s001 == {"封面", "送教上门"}
    s002 = {(f.sheet, f.column) for f in findings if f.rule == "S002"}
    assert {("辍学", "状态"), ("辍学", "发现日期"), ("辍学", "身份证号"), ("劝返记录", "身份证号")} <= s002
    # no row-level finding on a column whose header is missing, no T005 without the roster
    assert not [f for f in findings if f.row and (f.sheet, f.column) in s002]
    assert not [f for f in findings if f.rule in ("T001", "T005")]


def test_libreoffice_resave_gives_the_same_findings(tmp_path, lo_convert):
    """A second spreadsheet client (LibreOffice) re-saving the books changes no finding: clean stays clean, and a
    book with problems keeps exactly its findings (same rule, sheet, row, column, value)."""
    from baoxue.validators import validate_file

    c, r = clean()
    clean_path = write(tmp_path, c, r, "clean.xlsx")
    c, r = clean()
    r["辍学"][0].update(性别="女", 发现日期="2026-13-01", 状态="已复学")
    r["送教记录"][1].update(课时=1, 有男教师="否")
    c["零报告"] = "是"
    bad_path = write(tmp_path, c, r, "bad.xlsx")
    for path in (clean_path, bad_path):
        resaved = lo_convert(path, "xlsx", tmp_path / ("lo-" + path.stem))
        _, before = validate_file(path, DEFAULT)
        _, after = validate_file(resaved, DEFAULT)
        key = [(f.rule, f.sheet, f.row, f.column, f.value) for f in before]
        assert key == [(f.rule, f.sheet, f.row, f.column, f.value) for f in after]
    assert validate_file(clean_path, DEFAULT)[1] == []


def test_missing_visit_log_is_one_s001_not_a_t001_per_child(tmp_path):
    from rules_helpers import rework
    cover, rows = clean()
    path = rework(write(tmp_path, cover, rows, "nolog.xlsx"), lambda wb: wb.remove(wb["送教记录"]))
    findings = validate_books([read_workbook(path)], DEFAULT)[0]
    assert [(f.rule, f.sheet) for f in findings] == [("S001", "送教记录")]


def test_digits_of_other_scripts_are_malformed_not_a_crash(tmp_path):
    cover, rows = clean()
    rows["辍学"][0]["身份证号"] = ARABIC_INDIC_ID
    rows["辍学"][0]["学籍号"] = "G" + ARABIC_INDIC_ID
    rows["辍学"][0]["监护人电话"] = "١٣٩١٢٣٤٥٦٧٨"
    findings = validate_books([read_workbook(write(tmp_path, cover, rows))], DEFAULT)[0]
    got = {(f.rule, f.column) for f in findings if f.sheet == "辍学" and f.row == 4}
    assert {("F004", "身份证号"), ("F009", "学籍号"), ("F010", "监护人电话")} <= got
    assert not [f for f in findings if f.rule == "S005"]
