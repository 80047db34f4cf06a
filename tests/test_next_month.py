"""`baoxue next-month` on real files: the right rows carried, the school-year cut in September, a clean book stays
clean, an existing target is backed up, exit codes."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from baoxue import cli, model
from baoxue.carry import carry_forward, next_month_workbook
from baoxue.policy import load_policy
from baoxue.reader import read_workbook
from baoxue.validators import validate
from baoxue.policy import DEFAULT
from test_update import (CASE_CLOSED, CASE_OPEN, CASE_UNKNOWN, DEFER_ON, HOME_LEFT, HOME_ON, LEAVE_BACK, LEAVE_ON,
                         school_data, write_book)

D = dt.date
POLICY = load_policy()


def ids(book, sheet):
    return sorted(v for v in book.frame(sheet)["身份证号"] if v)


@pytest.fixture(scope="module")
def carried(tmp_path_factory):
    d = tmp_path_factory.mktemp("carry")
    src = write_book(d / "十月.xlsx", *school_data())
    out = d / "十一月.xlsx"
    assert cli.main(["next-month", str(src), "--out", str(out)]) == 0
    return read_workbook(src), read_workbook(out), out


def test_month_advanced_cover_copied_and_declarations_reset(carried):
    old, new, _ = carried
    assert new.month == "2026-11"
    for label in ("学校标识码", "学校名称", "所属乡镇", "学校类型", "城乡类别", *model.ENROLMENT_LABELS, "填报人", "审核人"):
        assert new.cover[label] == old.cover[label], label
    assert new.cover["零报告"] is None and new.cover["填报日期"] is None
    assert new.cover["模板版本"] == model.TEMPLATE_VERSION


def test_open_cases_and_current_rosters_carried_closed_ones_dropped(carried):
    old, new, _ = carried
    assert ids(new, "辍学") == sorted([CASE_OPEN, CASE_UNKNOWN])
    assert CASE_CLOSED in ids(old, "辍学")
    assert ids(new, "休学") == [LEAVE_ON] and LEAVE_BACK in ids(old, "休学")
    assert ids(new, "缓学") == [DEFER_ON]
    assert ids(new, "送教上门") == [HOME_ON] and HOME_LEFT in ids(old, "送教上门")
    assert list(new.frame("送教上门")["本月送教次数"]) == [None]
    assert list(new.frame("送教上门")["本月送教课时"]) == [None]
    # carried rows keep every value the clerk typed
    for sheet in ("辍学", "休学", "缓学"):
        before = old.frame(sheet).set_index("身份证号")
        after = new.frame(sheet).set_index("身份证号")
        cols = [c for c in model.SHEETS[sheet].column_names if c != "身份证号"]
        for pid in after.index:
            assert list(after.loc[pid, cols]) == list(before.loc[pid, cols]), (sheet, pid)


def test_logs_kept_for_the_school_year_without_rows_of_children_no_longer_carried(carried):
    old, new, _ = carried
    visits = new.frame("送教记录")
    assert sorted(visits["送教日期"]) == sorted(d for pid, d in zip(old.frame("送教记录")["身份证号"],
                                                                   old.frame("送教记录")["送教日期"]) if pid == HOME_ON)
    persuasion = new.frame("劝返记录")
    assert set(persuasion["身份证号"]) == {CASE_OPEN, CASE_UNKNOWN}
    assert len(persuasion) == sum(pid != CASE_CLOSED for pid in old.frame("劝返记录")["身份证号"])


def test_a_clean_book_stays_clean(carried):
    old, new, path = carried
    assert not [f for f in validate(old, POLICY) if f.is_error]
    errors = [f for f in validate(new, POLICY) if f.is_error]
    # only this month's declarations are left for the clerk
    assert errors and {f.column for f in errors} <= {"零报告", "填报日期"}
    wb = openpyxl.load_workbook(path)
    ws = wb[model.COVER_SHEET]
    ws.cell(new.cover_rows["零报告"], 2).value = "否"
    ws.cell(new.cover_rows["填报日期"], 2).value = D(2026, 11, 30)
    wb.save(path)
    assert not [f for f in validate(read_workbook(path), POLICY) if f.is_error]


def test_crossing_into_september_drops_last_school_years_logs(tmp_path):
    cover, rows = school_data()
    cover.update(报送月份="2026-08", 填报日期=D(2026, 8, 31))
    shift = lambda d: d.replace(year=2026, month=(d.month - 3), day=min(d.day, 28))  # Sep/Oct → Jun/Jul
    for v in rows["送教记录"]:
        v["送教日期"] = shift(v["送教日期"])
    rows["送教记录"].append({**rows["送教记录"][0], "送教日期": D(2026, 8, 20)})
    src = write_book(tmp_path / "八月.xlsx", cover, rows)
    new = carry_forward(read_workbook(src))
    assert new.month == "2026-09"
    assert new.rows["送教记录"] == []          # every visit was in the 2025–26 school year
    oct_src = write_book(tmp_path / "十月.xlsx", *school_data())
    assert len(carry_forward(read_workbook(oct_src)).rows["送教记录"]) == 4   # Oct → Nov: the school year goes on


def test_existing_target_is_backed_up_and_source_never_overwritten(tmp_path, capsys):
    src = write_book(tmp_path / "十月.xlsx", *school_data())
    out = tmp_path / "十一月.xlsx"
    next_month_workbook(src, out, policy=DEFAULT)
    first = out.read_bytes()
    next_month_workbook(src, out, policy=DEFAULT)
    backups = [p for p in tmp_path.iterdir() if "备份" in p.name]
    assert len(backups) == 1 and backups[0].read_bytes() == first
    assert cli.main(["next-month", str(src), "--out", str(src)]) == 2
    assert "不能覆盖" in capsys.readouterr().err
    junk = tmp_path / "junk.xlsx"
    junk.write_text("<html></html>")
    assert cli.main(["next-month", str(junk), "--out", str(tmp_path / "x.xlsx")]) == 2


def test_uncorrected_mistakes_are_carried_as_found_not_repaired(tmp_path):
    cover, rows = school_data()
    leave = rows["休学"][0]
    leave["身份证号"] = int(LEAVE_ON[:15] + "000")      # an ID Excel stored as a number: digits already lost
    leave["批准日期"] = "八月底"                          # not a date
    src = write_book(tmp_path / "十月.xlsx", cover, rows)
    out = tmp_path / "十一月.xlsx"
    next_month_workbook(src, out, policy=DEFAULT)
    errors = lambda path: {(f.rule, f.sheet, f.column) for f in validate(read_workbook(path), POLICY)
                           if f.is_error and f.sheet != model.COVER_SHEET}
    assert {("F004", "休学", "身份证号"), ("F003", "休学", "批准日期")} <= errors(src)
    assert errors(out) == errors(src)
