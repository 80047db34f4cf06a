"""Worksheet functions: plain calls, and the same functions through xlwings' custom-function call path
(``custom_functions_call``, as xlwings Lite / Server run them, arguments as the Office.js client sends them).

Test-only: ``XLWINGS_LICENSE_KEY=noncommercial`` (xlwings' own key for noncommercial use) — see test_addin_payload.py.
"""
from __future__ import annotations

import asyncio
import datetime as dt

import openpyxl
import pytest

from test_addin_payload import planted, write_book  # noqa: I001  (sets the server runtime first)

import xlwings as xw  # noqa: E402
from xlwings.server import custom_functions_call, custom_functions_meta  # noqa: E402

from baoxue import edits, idcard, model  # noqa: E402
from baoxue.normalize import EXCEL_EPOCH  # noqa: E402
from baoxue.reader import read_workbook  # noqa: E402
from baoxue.validators import validate  # noqa: E402

from baoxue.addin import functions as F  # noqa: E402

D = dt.date
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
def test_id_check_says_what_validate_says(messy):
    _, book = messy
    f005 = next(f for f in validate(book) if f.rule == "F005")
    assert F.BX_ID_CHECK(f005.value) == f005.message
    assert F.BX_ID_CHECK(PID) == ""
    assert F.BX_ID_CHECK("") == "" and F.BX_ID_CHECK(None) == ""
    assert F.BX_ID_CHECK(" " + GIRL_X[:-1].replace("1", "１") + "x ") == ""   # full-width, lowercase x, spaces
    assert "15位有效数字" in F.BX_ID_CHECK(float(PID[:17] + "0"))            # stored as a number
    assert "当前为17位" in F.BX_ID_CHECK(PID[:17])
    assert "不是真实存在的日期" in F.BX_ID_CHECK(idcard.check_digit("44010120131315001") and
                                               "44010120131315001" + idcard.check_digit("44010120131315001"))
    future = idcard.make("440101", dt.date.today() + dt.timedelta(days=30), 1, True)
    assert "晚于今天" in F.BX_ID_CHECK(future)


def test_birthdate_sex_age():
    assert F.BX_ID_BIRTHDATE(PID) == dt.datetime(2013, 3, 15)
    assert F.BX_ID_BIRTHDATE(PID[:17] + "0") == ""  # wrong check digit: no guess
    assert F.BX_ID_SEX(PID) == "男" and F.BX_ID_SEX(GIRL_X) == "女" and F.BX_ID_SEX("abc") == ""
    assert F.BX_AGE(PID, D(2026, 3, 14)) == 12 and F.BX_AGE(PID, D(2026, 3, 15)) == 13
    assert F.BX_AGE(PID, serial(D(2026, 3, 15))) == 13                 # an Excel date serial
    assert F.BX_AGE(PID, "2026年3月14日") == 12                         # a typed date
    assert F.BX_AGE(PID, "下周") == "日期无法识别"
    cutoff = F.school_year_cutoff(dt.date.today())
    assert cutoff.month == 8 and cutoff.day == 31 and cutoff <= dt.date.today()
    assert F.BX_AGE(PID) == F.age_on(D(2013, 3, 15), cutoff)


def test_next_step_follows_the_four_steps(monkeypatch, tmp_path):
    found = D(2026, 10, 8)
    step, due = F.BX_NEXT_STEP(found)[0]
    assert step.startswith("第一步") and due == dt.datetime(2026, 10, 15)
    step, due = F.BX_NEXT_STEP(found, D(2026, 10, 9))[0]
    assert step.startswith("第二步") and due == ""
    step, due = F.BX_NEXT_STEP(found, D(2026, 10, 9), serial(D(2026, 10, 20)))[0]
    assert step.startswith("第三步") and due == dt.datetime(2026, 10, 27)
    assert F.BX_NEXT_STEP(found, D(2026, 10, 9), D(2026, 10, 20), D(2026, 10, 28))[0][0].startswith("第四步")
    assert F.BX_NEXT_STEP(found, None, None, None, None, "已复学")[0] == ["已销号：无需下一步", ""]
    assert F.BX_NEXT_STEP(None)[0][0] == "请先填写发现日期"
    # a county policy with a 10-day deadline (BAOXUE_POLICY, as the desktop route sets it)
    policy = tmp_path / "county.toml"
    policy.write_text("[deadlines]\nnotice_to_next_step_days = 10\n", encoding="utf-8")
    monkeypatch.setenv("BAOXUE_POLICY", str(policy))
    assert F.BX_NEXT_STEP(found, D(2026, 10, 9), D(2026, 10, 20))[0][1] == dt.datetime(2026, 10, 30)


def _sheet_values(path, name: str) -> list[list]:
    ws = openpyxl.load_workbook(path, data_only=True)[name]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_validate_range_gives_the_sheets_own_findings(messy):
    path, book = messy
    whole = validate(book)
    for sheet in ("辍学", "休学", "送教记录"):
        table = F.BX_VALIDATE(_sheet_values(path, sheet), sheet, "2026-10")
        assert table[0] == list(model.FINDINGS_COLUMNS)
        expected = [f for f in whole if f.sheet == sheet and f.rule not in F.CROSS_SHEET_RULES]
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


# ============================================================================================== xlwings' call path
def test_registered_functions_and_their_metadata():
    meta = custom_functions_meta(F)
    names = {f["name"] for f in meta["functions"]}
    assert names == {"BX_ID_CHECK", "BX_ID_BIRTHDATE", "BX_ID_SEX", "BX_AGE", "BX_NEXT_STEP", "BX_VALIDATE"}
    age = next(f for f in meta["functions"] if f["name"] == "BX_AGE")
    assert [p["name"] for p in age["parameters"]] == ["id_number", "on_date"] and age["parameters"][1]["optional"]


def test_functions_through_custom_functions_call(messy):
    assert call("BX_ID_CHECK", PID) == [[""]]
    bad = PID[:17] + ("0" if PID[17] != "0" else "1")
    assert call("BX_ID_CHECK", bad) == [[F.BX_ID_CHECK(bad)]]
    assert call("BX_ID_SEX", GIRL_X) == [["女"]]
    assert call("BX_AGE", PID, serial(D(2026, 3, 15))) == [[13]]
    born = call("BX_ID_BIRTHDATE", PID)[0][0]
    assert born["type"] == "FormattedNumber" and born["basicValue"] == serial(D(2013, 3, 15))
    step, due = call("BX_NEXT_STEP", serial(D(2026, 10, 8)), serial(D(2026, 10, 9)), serial(D(2026, 10, 20)),
                     "", "", "劝返中")[0]
    assert step.startswith("第三步") and due["basicValue"] == serial(D(2026, 10, 27))


def test_validate_range_through_the_call_path(messy):
    """Office.js hands a range's dates to a custom function as serial numbers: same findings all the same."""
    path, book = messy
    values = [[serial(v.date() if isinstance(v, dt.datetime) else v) if isinstance(v, (dt.date, dt.datetime))
               else ("" if v is None else v) for v in r] for r in _sheet_values(path, "辍学")]
    width = max(len(r) for r in values)
    values = [r + [""] * (width - len(r)) for r in values]
    table = call("BX_VALIDATE", values, "辍学", "2026-10")
    expected = [f for f in validate(book) if f.sheet == "辍学" and f.rule not in F.CROSS_SHEET_RULES]
    got = [tuple(r[:5]) for r in table[1:]]
    assert got == [tuple(r[:5]) for r in edits.findings_rows(expected)]
    assert len(got) == len(expected) > 0
