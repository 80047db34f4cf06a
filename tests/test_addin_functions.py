"""Worksheet functions: plain calls, and the same functions through xlwings' custom-function call path
(``custom_functions_call``, as xlwings Lite / Server run them, arguments as the Office.js client sends them).

Test-only: ``XLWINGS_LICENSE_KEY=noncommercial`` (xlwings' own key for noncommercial use) — see test_addin_payload.py.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from test_addin_payload import planted, write_book  # noqa: I001  (sets the server runtime first)

import xlwings as xw  # noqa: E402
from xlwings.server import custom_functions_call, custom_functions_meta  # noqa: E402

from baoxue import edits, idcard, model  # noqa: E402
from baoxue.months import month_end  # noqa: E402
from baoxue.grid import Grid  # noqa: E402
from baoxue.normalize import EXCEL_EPOCH  # noqa: E402
from baoxue.reader import parse_grid, read_workbook  # noqa: E402
from baoxue.validators import rules_age, validate  # noqa: E402
from baoxue.validators.catalogue import RULES  # noqa: E402

from baoxue.addin import functions as F  # noqa: E402
from baoxue.policy import DEFAULT  # noqa: E402

D = dt.date
ROOT = Path(__file__).resolve().parents[1]
PID = idcard.make("440101", D(2013, 3, 15), 11, True)
GIRL_X = next(p for p in (idcard.make("440101", D(2015, 6, 1), n, False) for n in range(1, 500)) if p.endswith("X"))


def serial(d: dt.date) -> int:
    return (d - EXCEL_EPOCH).days


def call(name: str, *args):
    """A custom-function call as the Office.js client sends it: every argument a 2-D array."""
    data = {"func_name": name, "args": [a if isinstance(a, list) else [[a]] for a in args],
            "version": xw.__version__, "client": "Office.js", "caller_address": "辍学!AH5",
            "culture_info_name": "zh-CN", "date_format": "yyyy/m/d", "runtime": "1.4"}
    return asyncio.run(custom_functions_call(data, F))


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    path = write_book(tmp_path_factory.mktemp("f") / "messy.xlsx", planted)
    return path, read_workbook(path)


# ============================================================================================== plain calls
def validator_id_messages(values: list, month: str = "2026-10") -> list[str]:
    """Per ID cell, the F004/F005/F006 messages `baoxue validate` gives for it in a 辍学 row (one per line)."""
    header = list(model.DROPOUT.column_names)
    j = header.index("身份证号")
    rows = [header] + [[None] * j + [v] + [None] * (len(header) - j - 1) for v in values]
    grid = Grid(sheets={model.COVER_SHEET: [["报送月份", month]], "辍学": rows}, sheet_names=[model.COVER_SHEET, "辍学"])
    per_row: dict[int, list[str]] = {}
    for f in validate(parse_grid(grid), DEFAULT):
        if f.sheet == "辍学" and f.rule in ("F004", "F005", "F006"):
            per_row.setdefault(f.row, []).append(f.message)
    return ["\n".join(per_row.get(i + 2, [])) for i in range(len(values))]


def _with_birth(pid: str, digits: str) -> str:
    first17 = pid[:6] + digits + pid[14:17]
    return first17 + idcard.check_digit(first17)


IMPOSSIBLE = _with_birth(PID, "20131315")                       # 13th month
IMPOSSIBLE_AND_WRONG_CHECK = IMPOSSIBLE[:17] + ("0" if IMPOSSIBLE[17] != "0" else "1")   # F005 and F006 together
AFTER_MONTH_END = idcard.make("440101", D(2026, 11, 2), 7, False)      # born after the report month's end


def test_id_check_says_exactly_what_validate_says(messy):
    _, book = messy
    f005 = next(f for f in validate(book, DEFAULT) if f.rule == "F005")
    assert F.BX_ID_CHECK(f005.value, "2026-10") == f005.message
    cells = [PID, GIRL_X, PID[:17], PID[:17] + "0" if PID[17] != "0" else PID[:17] + "1", IMPOSSIBLE,
             IMPOSSIBLE_AND_WRONG_CHECK, AFTER_MONTH_END, float(PID[:17] + "0"), "ABC", PID + "1"]
    expected = validator_id_messages(cells, "2026-10")
    assert sum(bool(e) for e in expected) == 8 and "\n" in expected[5]      # both F005 and F006 for that one
    assert [F.BX_ID_CHECK(v, "2026-10") for v in cells] == expected                  # the report month
    assert [F.BX_ID_CHECK(v, D(2026, 10, 31)) for v in cells] == expected            # its last day, as a date
    assert [F.BX_ID_CHECK(v, serial(D(2026, 10, 31))) for v in cells] == expected    # as an Excel serial
    # a month earlier: the November birth is still later than that month's end, the validator agrees again
    assert F.BX_ID_CHECK(AFTER_MONTH_END, "2026-09") == validator_id_messages([AFTER_MONTH_END], "2026-09")[0]
    assert F.BX_ID_CHECK(AFTER_MONTH_END, "2026-11") == "" == validator_id_messages([AFTER_MONTH_END], "2026-11")[0]


def test_id_check_without_as_of_measures_against_today():
    assert F.BX_ID_CHECK(PID) == "" and F.BX_ID_CHECK("") == "" and F.BX_ID_CHECK(None) == ""
    assert F.BX_ID_CHECK(" " + GIRL_X[:-1].replace("1", "１") + "x ") == ""   # full-width, lowercase x, spaces
    assert "15位有效数字" in F.BX_ID_CHECK(float(PID[:17] + "0"))            # stored as a number
    assert "当前为17位" in F.BX_ID_CHECK(PID[:17])
    assert "不是真实存在的日期" in F.BX_ID_CHECK(IMPOSSIBLE)
    today = dt.date.today()
    future = idcard.make("440101", today + dt.timedelta(days=40), 1, True)   # after this month's end too
    month = f"{today:%Y-%m}"
    with_month = validator_id_messages([future], month)[0]
    # the only difference from the validator: “晚于今天 <today>” instead of “晚于报送月末 <month end>”
    assert F.BX_ID_CHECK(future) == with_month.replace(f"晚于报送月末 {month_end(month).isoformat()}",
                                                       f"晚于今天 {today.isoformat()}")
    assert f"晚于今天 {today.isoformat()}" in F.BX_ID_CHECK(future)
    assert "不是有效日期" in F.BX_ID_CHECK(PID, "下个月")


def test_birthdate_sex_age():
    assert F.BX_ID_BIRTHDATE(PID) == dt.datetime(2013, 3, 15)
    assert F.BX_ID_BIRTHDATE(PID[:17] + "0") == ""  # wrong check digit: no guess
    assert F.BX_ID_BIRTHDATE(IMPOSSIBLE) == "" and F.BX_AGE(IMPOSSIBLE) == ""
    assert F.BX_ID_SEX(PID) == "男" and F.BX_ID_SEX(GIRL_X) == "女" and F.BX_ID_SEX("abc") == ""
    assert F.BX_AGE(PID, D(2026, 3, 14)) == 12 and F.BX_AGE(PID, D(2026, 3, 15)) == 13
    assert F.BX_AGE(PID, serial(D(2026, 3, 15))) == 13                 # an Excel date serial
    assert F.BX_AGE(PID, "2026年3月14日") == 12                         # a typed date
    assert F.BX_AGE(PID, "下周") == "日期无法识别"


def test_school_year_cutoff_is_the_validators():
    for day in (D(2026, 8, 31), D(2026, 9, 1), D(2027, 1, 15), D(2026, 12, 31)):
        assert F.school_year_cutoff(day) == rules_age.cutoff(day).date()
    assert F.school_year_cutoff(D(2026, 8, 31)) == D(2025, 8, 31) and F.school_year_cutoff(D(2026, 9, 1)) == D(2026, 8, 31)
    cutoff = F.school_year_cutoff(dt.date.today())
    assert F.BX_AGE(PID) == idcard.age_on(D(2013, 3, 15), cutoff)


def test_default_age_is_the_age_the_a_rules_use(tmp_path):
    """BX_AGE without a date = the age A002 states for the same child (born on either side of 31 August)."""
    for born, grade in ((D(2014, 8, 31), "二年级"), (D(2014, 9, 1), "二年级")):
        pid = idcard.make("440101", born, 3, True)

        def edit(cover, rows, pid=pid, grade=grade):
            rows["辍学"][0].update(身份证号=pid, 学籍号="G" + pid, 出生日期=born, 年级=grade, 性别="男")
        book = read_workbook(write_book(tmp_path / f"{born}.xlsx", edit))
        a002 = next(f for f in validate(book, DEFAULT) if f.rule == "A002")
        cutoff = rules_age.cutoff(book.as_of).date()
        assert f"{cutoff}时{idcard.age_on(born, cutoff)}周岁" in a002.message


def _sheet_values(path, name: str) -> list[list]:
    ws = openpyxl.load_workbook(path, data_only=True)[name]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_validate_range_gives_the_sheets_own_findings(messy):
    path, book = messy
    whole = validate(book, DEFAULT)
    for sheet in ("辍学", "休学", "送教记录"):
        table = F.BX_VALIDATE(_sheet_values(path, sheet), sheet, "2026-10")
        assert table[0] == list(model.FINDINGS_COLUMNS)
        expected = [f for f in whole if f.sheet == sheet and f.rule not in F.cross_sheet_rules()]
        assert expected, sheet
        assert table[1:] == [list(r) for r in edits.findings_rows(expected)]


def test_validate_range_with_an_offset_and_bad_arguments(messy):
    path, book = messy
    values = _sheet_values(path, "辍学")
    shifted = F.BX_VALIDATE(values[2:], "辍学", "2026-10", 3)     # selection starts at the header row (row 3)
    assert shifted == F.BX_VALIDATE(values, "辍学", "2026-10")
    assert "数据表名称" in F.BX_VALIDATE(values, "封面")[0][0]
    clean = F.BX_VALIDATE([list(model.DROPOUT.column_names)], "辍学", "2026-10")
    assert clean[1][0].startswith("未发现问题")


def test_cross_sheet_rules_come_from_the_catalogue_and_the_guide_names_them(messy):
    cross = F.cross_sheet_rules()
    assert cross == {i for i, r in RULES.items() if r.cross_sheet}
    assert {"C004", "P001", "T001", "X003", "S001"} <= cross and not {"C003", "F005", "X001", "T002"} & cross
    path, book = messy
    whole = validate(book, DEFAULT)
    rules = {r[4] for r in F.BX_VALIDATE(_sheet_values(path, "辍学"), "辍学", "2026-10")[1:]}
    assert {f.rule for f in whole if f.sheet == "辍学"} - cross == rules       # X003 (cover) left to the button
    assert "X003" in {f.rule for f in whole} and "X003" not in rules                # planted: 零报告 with open cases
    guide = (ROOT / "docs" / "addin-guide.md").read_text(encoding="utf-8")
    paragraph = next(p for p in guide.split("\n\n") if p.startswith("`BX_VALIDATE` 只看得到"))
    assert set(re.findall(r"[A-Z]\d{3}", paragraph)) == cross


# ============================================================================================== xlwings' call path
def test_registered_functions_and_their_metadata():
    meta = custom_functions_meta(F)
    names = {f["name"] for f in meta["functions"]}
    assert names == {"BX_ID_CHECK", "BX_ID_BIRTHDATE", "BX_ID_SEX", "BX_AGE", "BX_NEXT_STEP", "BX_VALIDATE"}
    age = next(f for f in meta["functions"] if f["name"] == "BX_AGE")
    assert [p["name"] for p in age["parameters"]] == ["id_number", "on_date"] and age["parameters"][1]["optional"]
    check = next(f for f in meta["functions"] if f["name"] == "BX_ID_CHECK")
    assert [p["name"] for p in check["parameters"]] == ["id_number", "as_of"] and check["parameters"][1]["optional"]


def test_functions_through_custom_functions_call(messy):
    assert call("BX_ID_CHECK", PID) == [[""]]
    bad = PID[:17] + ("0" if PID[17] != "0" else "1")
    assert call("BX_ID_CHECK", bad) == [[F.BX_ID_CHECK(bad)]]
    assert call("BX_ID_SEX", GIRL_X) == [["女"]]
    assert call("BX_AGE", PID, serial(D(2026, 3, 15))) == [[13]]
    born = call("BX_ID_BIRTHDATE", PID)[0][0]
    assert born["type"] == "FormattedNumber" and born["basicValue"] == serial(D(2013, 3, 15))
    assert call("BX_ID_CHECK", AFTER_MONTH_END, "2026-10") == [[F.BX_ID_CHECK(AFTER_MONTH_END, "2026-10")]]
    assert "晚于报送月末 2026-10-31" in call("BX_ID_CHECK", AFTER_MONTH_END, serial(D(2026, 10, 31)))[0][0]


def test_validate_range_through_the_call_path(messy):
    """Office.js hands a range's dates to a custom function as serial numbers: same findings all the same."""
    path, book = messy
    values = [[serial(v.date() if isinstance(v, dt.datetime) else v) if isinstance(v, (dt.date, dt.datetime))
               else ("" if v is None else v) for v in r] for r in _sheet_values(path, "辍学")]
    width = max(len(r) for r in values)
    values = [r + [""] * (width - len(r)) for r in values]
    table = call("BX_VALIDATE", values, "辍学", "2026-10")
    expected = [f for f in validate(book, DEFAULT) if f.sheet == "辍学" and f.rule not in F.cross_sheet_rules()]
    got = [tuple(r[:5]) for r in table[1:]]
    assert got == [tuple(r[:5]) for r in edits.findings_rows(expected)]
    assert len(got) == len(expected) > 0
