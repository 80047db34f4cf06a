"""The demo county: deterministic, realistic (valid IDs fitting the grades, dates in order, cases that evolve month to
month, cumulative logs, zero reports), written as real workbooks the reader reads back exactly, with the planted
mistakes where the county says they are — and the validators agree."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from baoxue import idcard, model, normalize
from baoxue.months import month_end, month_start, next_month
from baoxue.normalize import Invalid
from baoxue.demo import (MISTAKE_KINDS, SURNAMES, generate_county, generate_school_rows, plan_county,
                         write_large_workbook)
from baoxue.indicators import school_indicators
from baoxue.reader import load_grid, read_workbook
from baoxue.policy import DEFAULT

MONTHS = ("2026-09", "2026-10", "2026-11")


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    return generate_county(tmp_path_factory.mktemp("demo"), townships=3, schools_per_township=4, months=MONTHS,
                           seed=2026, mistakes=True)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The same county plan without mistakes (planning only: nothing written)."""
    return plan_county(3, 4, MONTHS, seed=2026, mistakes=False)


def planted_cells(county) -> set[tuple]:
    return {(m.school, m.month, m.sheet, m.row) for m in county.mistakes}


def clean_rows(county):
    """(school, month, sheet, excel row, row dict) of every row no mistake touched."""
    touched = planted_cells(county)
    for (code, month), book in county.books.items():
        for sheet, rows in book.rows.items():
            for i, row in enumerate(rows):
                if (code, month, sheet, 4 + i) not in touched:
                    yield code, month, sheet, 4 + i, row


# ============================================================================================== determinism and layout
def test_deterministic_by_seed(clean):
    again = plan_county(3, 4, MONTHS, seed=2026, mistakes=False)
    assert {k: (b.cover, b.rows) for k, b in again.books.items()} == {k: (b.cover, b.rows) for k, b in clean.books.items()}
    other = plan_county(3, 4, MONTHS, seed=7, mistakes=False)
    assert {k: b.rows for k, b in other.books.items()} != {k: b.rows for k, b in clean.books.items()}


def test_files_laid_out_by_month_and_township(county):
    assert len(county.files()) == len(county.schools) * len(MONTHS)
    for (code, month), book in county.books.items():
        school = book.school
        assert book.path == county.out_dir / month / school.township / f"{code}_{school.name}.xlsx"
        assert book.path.exists()
    assert county.register_path == county.out_dir / "学校名录.xlsx"
    reg = read_register(county.register_path)
    assert reg == [s.register_row() for s in county.schools]


def read_register(path: Path) -> list[dict]:
    from python_calamine import CalamineWorkbook
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(model.REGISTER.name).to_python()
    header = rows[2]
    assert header[:len(model.REGISTER.column_names)] == model.REGISTER.column_names
    return [dict(zip(model.REGISTER.column_names, (str(v) for v in r))) for r in rows[3:] if any(r)]


def test_schools_and_townships_are_realistic(county):
    assert len(county.townships) == 3 and len(county.schools) == 12
    codes = [s.code for s in county.schools]
    assert len(set(codes)) == len(codes) and all(len(c) == 10 and c.isdigit() for c in codes)
    assert len({s.name for s in county.schools}) == len(county.schools)
    assert {s.kind for s in county.schools} <= set(model.CODE_LISTS["学校类型"])
    assert {s.urban for s in county.schools} == set(model.CODE_LISTS["城乡类别"])
    for s in county.schools:
        assert s.township.endswith(("镇", "乡")) and s.name.endswith(("学", "校", "点", "）"))


# ============================================================================================== realistic content
def test_ids_valid_and_consistent(clean):
    seen_in_sheet: dict[tuple, set] = {}
    for (code, month), book in clean.books.items():
        for sheet in model.PERSON_SHEETS:
            for row in book.rows[sheet.name]:
                pid = row["身份证号"]
                assert idcard.format_ok(pid) and idcard.checksum_ok(pid), pid
                assert idcard.sex(pid) == row["性别"]
                if row.get("出生日期") is not None:
                    assert row["出生日期"] == idcard.birth_date(pid)
                if "学籍号" in row:
                    assert row["学籍号"] == "G" + pid
                if "年级" in row:   # age on 31 August ≈ grade + 5
                    birth = idcard.birth_date(pid)
                    y = int(month[:4]) if int(month[5:]) >= 9 else int(month[:4]) - 1
                    aug31 = dt.date(y, 8, 31)
                    age = aug31.year - birth.year - ((aug31.month, aug31.day) < (birth.month, birth.day))
                    assert 0 <= age - (model.grade_number(row["年级"]) + 5) <= 2, (row["年级"], age)
                key = (code, month, sheet.name)
                assert pid not in seen_in_sheet.setdefault(key, set()), "one row per child per sheet"
                seen_in_sheet[key].add(pid)
                assert 2 <= len(row["姓名"]) <= 3 and row["姓名"][0] in SURNAMES


def test_case_dates_in_order_and_never_after_month_end(clean):
    steps = ("劝返动员日期", "限期复学通知日期", "行政处罚日期", "司法程序日期")
    for (code, month), book in clean.books.items():
        end = month_end(month)
        for row in book.rows[model.DROPOUT.name]:
            dated = [row[c] for c in steps if row.get(c)]
            assert dated == sorted(dated)
            for c in steps[1:]:     # a later step only with the earlier ones dated (C007)
                if row.get(c):
                    assert all(row.get(p) for p in steps[:steps.index(c)])
            assert row["发现日期"] <= row["上报日期"] <= end
            for c in ("劝返动员日期",) + steps[1:] + ("复学日期", "销号日期"):
                if row.get(c):
                    assert row[c] <= end, (c, row[c], end)
            if row.get("复学日期"):
                assert row["发现日期"] <= row["复学日期"] <= row["销号日期"]
            status = row["状态"]
            assert status in model.CODE_LISTS["辍学状态"]
            assert (status in model.DROPOUT_CLOSING_STATUSES) == bool(row.get("销号日期"))
            assert (status == "已复学") == bool(row.get("复学日期"))
            if status in model.NEEDS_WHEREABOUTS:
                assert row.get("去向说明")
        for row in book.rows[model.LEAVE.name]:
            assert row["申请日期"] <= row["批准日期"] <= row["休学起始日期"] <= end
            assert row["休学起始日期"] <= row["预计复学日期"]
            assert (row["状态"] == "已复学") == bool(row.get("实际复学日期"))
        for row in book.rows[model.DEFER.name]:
            assert row["申请日期"] <= row["批准日期"] <= row["缓学起始日期"] <= row["缓学截止日期"]
            assert (row["状态"] == "已入学") == bool(row.get("入学日期"))


def test_cases_evolve_month_to_month(clean):
    carried = closed_later = new_later = 0
    for school in clean.schools:
        for month in MONTHS[:-1]:
            this = {r["身份证号"]: r for r in clean.book(school.code, month).rows[model.DROPOUT.name]}
            nxt = {r["身份证号"]: r for r in clean.book(school.code, next_month(month)).rows[model.DROPOUT.name]}
            for pid, row in this.items():
                if row["状态"] in model.DROPOUT_OPEN_STATUSES:
                    assert pid in nxt, "an open case is never lost"           # R005 would flag it
                    carried += 1
                    if nxt[pid]["状态"] in model.DROPOUT_CLOSING_STATUSES:
                        closed_later += 1
                else:
                    assert pid not in nxt, "a case closed this month leaves the next month's book"
            new_later += len(set(nxt) - set(this))
    assert carried and closed_later and new_later


def test_logs_cumulative_and_linked(clean):
    for school in clean.schools:
        for month in MONTHS:
            rows = clean.book(school.code, month).rows
            case_ids = {r["身份证号"]: r for r in rows[model.DROPOUT.name]}
            for r in rows[model.PERSUASION.name]:
                assert r["身份证号"] in case_ids                                   # P001
                assert r["劝返日期"] >= case_ids[r["身份证号"]]["发现日期"]          # P002
                assert r["劝返日期"] <= month_end(month)
            roster = {r["身份证号"] for r in rows[model.HOME.name]}
            assert {r["身份证号"] for r in rows[model.VISITS.name]} <= roster      # T005
            for r in rows[model.VISITS.name]:
                assert dt.date(2026, 9, 1) <= r["送教日期"] <= month_end(month)
        for month in MONTHS[1:]:   # the visit log of a month contains every earlier visit of the school year
            before = clean.book(school.code, model_prev(month)).rows[model.VISITS.name]
            now = clean.book(school.code, month).rows[model.VISITS.name]
            assert [v for v in now if v["送教日期"] < month_start(month)] == before


def model_prev(month: str) -> str:
    from baoxue.months import prev_month
    return prev_month(month)


def test_home_visits_mostly_meet_the_standard(clean):
    visits = [v for b in clean.books.values() if b.month == MONTHS[-1] for v in b.rows[model.VISITS.name]]
    assert len(visits) > 20
    good = [v for v in visits if v["课时"] >= 2 and v["同行人数"] >= 2 and v["有男教师"] == "是"]
    assert 0.6 * len(visits) <= len(good) < len(visits), "mostly to standard, sometimes not"
    assert all(v["家长签字"] == "是" for v in visits)


def test_zero_report_declared_exactly_when_no_cases(clean):
    zero_schools = 0
    for (code, month), book in clean.books.items():
        start, end = month_start(month), month_end(month)
        has = any(r["状态"] in model.DROPOUT_OPEN_STATUSES or start <= r["发现日期"] <= end
                  for r in book.rows[model.DROPOUT.name])
        assert book.cover["零报告"] == ("否" if has else "是")
    for school in clean.schools:
        if all(not clean.book(school.code, m).rows[model.DROPOUT.name] for m in MONTHS):
            zero_schools += 1
    assert 1 <= zero_schools < len(clean.schools)


def test_cover_complete(clean):
    for (code, month), book in clean.books.items():
        cover = book.cover
        for field in model.COVER_FIELDS:
            if field.required:
                assert cover.get(field.label) not in (None, ""), field.label
        assert cover["报送月份"] == month and cover["学校标识码"] == code
        grades = book.school.grades
        assert all(cover.get(f"{model.GRADES[g - 1]}在校生数", 0) > 0 for g in grades)
        assert cover["填报日期"] <= month_end(month) and cover["填报日期"].weekday() < 5


# ============================================================================================== files read back
def expected_value(column: model.Column, value):
    return normalize.cell(column, value)


def test_reader_round_trips_the_ground_truth(county):
    touched = planted_cells(county)
    checked = 0
    for (code, month), truth in county.books.items():
        book = read_workbook(truth.path)
        assert book.missing_sheets == []
        for label, value in truth.cover.items():
            got = book.cover[label]
            assert got == (value if not isinstance(value, str) else normalize.cover_value(model.COVER[label], value))
        for sheet, rows in truth.rows.items():
            df = book.frame(sheet)
            assert len(df) == len(rows) and df["_row"].tolist() == list(range(4, 4 + len(rows)))
            spec = model.SHEETS[sheet]
            for i, row in enumerate(rows):
                if (code, month, sheet, 4 + i) in touched:
                    continue
                for column in spec.columns:
                    assert df.iloc[i][column.name] == expected_value(column, row.get(column.name)), \
                        (sheet, 4 + i, column.name)
                checked += 1
    assert checked > 200


def test_no_formulas_in_clerk_data(county):
    for path in county.files():
        grid = load_grid(path)
        assert all(not cells for sheet, cells in grid.formulas.items() if sheet in model.SHEETS), path


def test_planted_mistakes_are_where_recorded(county):
    kinds = {m.kind for m in county.mistakes}
    assert kinds == set(MISTAKE_KINDS)
    for m in county.mistakes:
        book = read_workbook(county.book(m.school, m.month).path)
        df = book.frame(m.sheet)
        value = df.loc[df["_row"] == m.row, m.column].iloc[0]
        if m.kind == "wrong_check_digit":
            assert idcard.format_ok(value) and not idcard.checksum_ok(value)
        elif m.kind == "id_as_number":
            assert isinstance(value, Invalid) and value.reason == "id_number"
        elif m.kind == "missing_required":
            assert value is None and model.SHEETS[m.sheet].col(m.column).required
        elif m.kind == "odd_date":
            assert isinstance(value, dt.date) and isinstance(m.value, str) and "-" not in m.value
        elif m.kind == "full_width":
            assert any(ord(ch) > 0xFF00 for ch in m.value)
            assert value == normalize.halfwidth(m.value) and (m.column != "身份证号" or idcard.checksum_ok(value))


def test_validators_agree_with_the_plan(county):
    """Clean school-months have no errors; each planted error is found at its cell; accepted forms give none there."""
    from baoxue.validators import validate_file
    for (code, month), truth in county.books.items():
        _book, findings = validate_file(truth.path, DEFAULT)
        errors = [f for f in findings if f.severity == "error"]
        planted = county.mistakes_in(code, month)
        expected = {(m.rule, m.sheet, m.row, m.column) for m in planted if m.rule}
        got = {(f.rule, f.sheet, f.row, f.column) for f in errors}
        assert expected <= got, f"{code} {month}: planted {expected - got} not found"
        accepted = {(m.sheet, m.row, m.column) for m in planted if m.rule is None}
        assert not [f for f in errors if (f.sheet, f.row, f.column) in accepted], "messy-but-valid input is no error"
        planted_rows = {(m.sheet, m.row) for m in planted}
        stray = [f for f in errors if (f.sheet, f.row) not in planted_rows]
        assert not stray, f"{code} {month}: unexpected errors {[(f.rule, f.sheet, f.row, f.column) for f in stray]}"


def test_indicators_from_ground_truth(clean, county):
    """school_indicators on the files equals figures counted here from the plan's rows (mistake-free school-months)."""
    touched_books = {(m.school, m.month) for m in county.mistakes}
    for (code, month), truth in county.books.items():
        if (code, month) in touched_books:
            continue
        got = school_indicators(read_workbook(truth.path), DEFAULT)
        rows = truth.rows
        start, end = month_start(month), month_end(month)
        drop = rows[model.DROPOUT.name]
        is_open = [r for r in drop if r["状态"] in model.DROPOUT_OPEN_STATUSES]
        assert got["open_cases"] == len(is_open)
        assert got["open_junior"] == sum(1 for r in is_open if model.grade_number(r["年级"]) >= 7)
        assert got["new_suspected"] + got["new_dropout"] == sum(1 for r in drop if start <= r["发现日期"] <= end)
        assert got["closed"] == sum(1 for r in drop if r.get("销号日期") and start <= r["销号日期"] <= end)
        assert got["enrolled_primary"] == sum(n for g, n in truth.school.enrolment.items() if g <= 6)
        assert got["home_taught"] == len(rows[model.HOME.name])
        assert got["home_visits"] == sum(1 for v in rows[model.VISITS.name] if start <= v["送教日期"] <= end)
        assert got["on_leave"] == sum(1 for r in rows[model.LEAVE.name] if r["状态"] == "休学中")
        assert got["zero_report"] == truth.cover["零报告"]


# ============================================================================================== benchmarks' helpers, CLI
def test_large_workbook_helper(tmp_path):
    cover, rows = generate_school_rows(400, seed=3)
    assert sum(len(r) for r in rows.values()) >= 400
    path = write_large_workbook(tmp_path / "big.xlsx", n_rows=400, seed=3)
    book = read_workbook(path)
    assert sum(len(df) for df in book.sheets.values()) == sum(len(r) for r in rows.values())


def test_parallel_writing_gives_the_same_files(tmp_path):
    a = generate_county(tmp_path / "a", 1, 3, ("2026-09",), seed=5, mistakes=False, workers=1)
    b = generate_county(tmp_path / "b", 1, 3, ("2026-09",), seed=5, mistakes=False, workers=2)
    for pa, pb in zip(a.files(), b.files()):
        ra, rb = read_workbook(pa), read_workbook(pb)
        assert ra.cover == rb.cover
        assert all(ra.frame(s).equals(rb.frame(s)) for s in model.SHEETS)


def test_cli_demo(tmp_path):
    out = tmp_path / "demo"
    r = subprocess.run([sys.executable, "-m", "baoxue", "demo", "--out", str(out), "--townships", "1", "--schools", "2",
                        "--months", "2026-09,2026-10", "--generate-only"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "2 所学校" in r.stdout and "2 个月" in r.stdout and str(out.resolve()) in r.stdout
    assert len(list(out.rglob("*.xlsx"))) == 2 * 2 + 1  # school-months and the register; nothing else
    bad = subprocess.run([sys.executable, "-m", "baoxue", "demo", "--out", str(out), "--months", "2026-9x"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "月份" in bad.stderr and "Traceback" not in bad.stderr


# ============================================================================================== checked-in samples
def test_checked_in_samples_equal_a_fresh_generation(tmp_path):
    from baoxue.demo import SAMPLE_NAMES, write_samples
    fresh = write_samples(tmp_path)
    kept = Path(__file__).resolve().parents[1] / "workbooks"
    for kind, path in fresh.items():
        old = kept / SAMPLE_NAMES[kind]
        assert old.exists(), f"{old} missing: regenerate with baoxue.demo.write_samples('workbooks')"
        if kind == "register":
            assert read_register(old) == read_register(path)
            continue
        a, b = read_workbook(old), read_workbook(path)
        assert a.cover == b.cover
        for sheet in model.SHEETS:
            assert a.frame(sheet).astype(str).equals(b.frame(sheet).astype(str)), (kind, sheet)


def test_samples_validate_as_described():
    from baoxue.demo import SAMPLE_NAMES, sample_books
    from baoxue.validators import validate_file
    kept = Path(__file__).resolve().parents[1] / "workbooks"
    _county, books, planted = sample_books()
    for kind in ("clean", "zero"):
        _b, findings = validate_file(kept / SAMPLE_NAMES[kind], DEFAULT)
        assert [f for f in findings if f.severity == "error"] == [], kind
    _b, findings = validate_file(kept / SAMPLE_NAMES["mistakes"], DEFAULT)
    errors = {(f.rule, f.sheet, f.row, f.column) for f in findings if f.severity == "error"}
    assert errors == {(m.rule, m.sheet, m.row, m.column) for m in planted if m.rule}
    assert {m.kind for m in planted} == set(MISTAKE_KINDS)
    assert books["zero"].cover["零报告"] == "是"


# ============================================================================================== fast bulk writer
def test_template_copier_files_read_like_filled_ones(tmp_path):
    """The bulk path (template saved once, sheets regenerated) gives the same SchoolBook as fill.write_school_workbook,
    including planted mistakes (an ID stored as a number, text dates, full-width digits, = at the start of text)."""
    from openpyxl import load_workbook
    from baoxue.fill import TemplateCopier, write_school_workbook
    plan = plan_county(2, 4, ("2026-10",), seed=9, mistakes=True)
    copier = TemplateCopier()
    books = list(plan.books.values())
    books[0].rows[model.DROPOUT.name].append({"姓名": "测试", "备注": "=HYPERLINK(\"x\")", "身份证号": "+123"})
    for i, book in enumerate(books):
        slow = write_school_workbook(tmp_path / f"slow{i}.xlsx", book.cover, book.rows)
        fast = copier.write(tmp_path / f"fast{i}.xlsx", book.cover, book.rows)
        a, b = read_workbook(slow), read_workbook(fast)
        assert a.cover == b.cover and a.properties == b.properties
        for sheet in model.SHEETS:
            assert a.frame(sheet).astype(str).equals(b.frame(sheet).astype(str)), (i, sheet)
        for written in (slow, fast):    # text starting with = or + stays text, never a formula (F013)
            assert not any(load_grid(written).formulas.get(s) for s in model.SHEETS)
    assert read_workbook(tmp_path / "slow0.xlsx").frame(model.DROPOUT.name)["备注"].tolist()[-1] == '=HYPERLINK("x")'
    wb = load_workbook(tmp_path / "fast0.xlsx")           # a valid package for openpyxl too
    assert wb.sheetnames == list(model.ALL_SHEETS)
    assert wb[model.DROPOUT.name].cell(4, 5).number_format == "@"
    assert plan.mistakes, "the comparison above covered planted mistakes"


def test_generate_many_schools(tmp_path):
    from baoxue.demo import generate_many_schools
    county = generate_many_schools(tmp_path, n_schools=60, month="2026-09")
    files = county.files()
    assert len(files) == 60 == len(county.schools)
    assert len(read_register(county.register_path)) == 60
    sample = read_workbook(files[7])
    truth = county.book(sample.school_code, "2026-09")
    assert len(sample.frame(model.DROPOUT.name)) == len(truth.rows[model.DROPOUT.name])
