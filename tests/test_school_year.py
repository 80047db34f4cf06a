"""School-year figures (SPEC §5.1) on a generated county across the school-year boundary (August, September, October),
with the history store: every figure equals one computed here, independently, from the generator's ground truth
(DemoCounty covers and rows as written), at school, township and county level. Planted cases, one per situation of
the issue, are edited into the ground truth the way a clerk's months would go; R006 on the 学年辍学率."""
from __future__ import annotations

import copy
import datetime as dt
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest

from rollup_helpers import child_id, dropout, stamp, write_book

from baoxue import model
from baoxue.demo import generate_county
from baoxue.policy import DEFAULT
from baoxue.rollup import Store, run_rollup, write_report

AUG, SEP, OCT = "2026-08", "2026-09", "2026-10"
MONTHS = (AUG, SEP, OCT)
OPEN = ("核查中", "劝返中", "去向不明")
YEAR_KEYS = ("enrolled_start_primary", "enrolled_start_junior", "year_dropout_primary", "year_dropout_junior",
             "year_dropout_rate_primary", "year_dropout_rate_junior", "cumulative_dropout_primary",
             "cumulative_dropout_junior")
JUNIOR = tuple(model.GRADES[6:])


# ---------------------------------------------------------------------------------------------- expected figures
def pct(num: int, den: int):
    if not den:
        return None
    return float((Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def stage(grade) -> str | None:
    return "primary" if grade in model.GRADES[:6] else "junior" if grade in JUNIOR else None


def confirmed_open(book) -> dict[str, str | None]:
    """ID -> 学段 of the confirmed dropouts open at the book's month end (the ground-truth rows)."""
    return {r["身份证号"]: stage(r["年级"]) for r in book.rows.get("辍学", [])
            if r["类型"] == "辍学" and r["状态"] in OPEN}


def enrolment(cover) -> tuple[int, int]:
    return (sum(cover.get(f"{g}在校生数") or 0 for g in model.GRADES[:6]),
            sum(cover.get(f"{g}在校生数") or 0 for g in JUNIOR))


def expected(books: dict[str, object], month: str) -> dict:
    """§5.1 of one school for ``month``: ``books`` = month -> the school's ground-truth book of every month counted
    (the months of the school year the store holds for it, and ``month``)."""
    months = sorted(books)
    assert months[-1] == month
    start = enrolment(books[months[0]].cover)
    now = Counter(confirmed_open(books[month]).values())
    latest: dict[str, str | None] = {}
    for m in months:
        latest.update(confirmed_open(books[m]))
    ever = Counter(latest.values())
    e = {"enrolled_start_primary": start[0], "enrolled_start_junior": start[1],
         "year_dropout_primary": now["primary"], "year_dropout_junior": now["junior"],
         "cumulative_dropout_primary": ever["primary"], "cumulative_dropout_junior": ever["junior"]}
    e["year_dropout_rate_primary"] = pct(e["year_dropout_primary"], e["enrolled_start_primary"])
    e["year_dropout_rate_junior"] = pct(e["year_dropout_junior"], e["enrolled_start_junior"])
    return e


def summed(figures: list[dict]) -> dict:
    out = {k: sum(f[k] for f in figures) for k in YEAR_KEYS if "rate" not in k}
    out["year_dropout_rate_primary"] = pct(out["year_dropout_primary"], out["enrolled_start_primary"])
    out["year_dropout_rate_junior"] = pct(out["year_dropout_junior"], out["enrolled_start_junior"])
    return out


def month_end_rate(book, which: str):
    """The §5 month-end rate from the ground truth: open (suspected included) / (enrolled + open)."""
    grades = model.GRADES[:6] if which == "primary" else JUNIOR
    n = sum(r["状态"] in OPEN and r["年级"] in grades for r in book.rows.get("辍学", []))
    return pct(n, enrolment(book.cover)[0 if which == "primary" else 1] + n)


def r006_expected(county, figures: dict[str, dict], rate_of) -> set:
    """(school or None, rate) of every R006 the default targets give, the rates taken by ``rate_of(code, which)``."""
    targets = {"primary": DEFAULT.targets.primary, "junior_urban": DEFAULT.targets.junior_urban,
               "junior_rural": DEFAULT.targets.junior_rural}
    out = set()
    for s in county.schools:
        if s.code not in figures:
            continue
        rural = s.urban in model.RURAL
        for which, target in (("primary", targets["primary"]),
                              ("junior", targets["junior_rural" if rural else "junior_urban"])):
            rate = rate_of(s.code, which)
            if rate is not None and rate > target:
                out.add((s.code, rate))
    return out


# ---------------------------------------------------------------------------------------------- the county
def row(pid, name, grade, found, status="劝返中", kind="辍学", **kw):
    return dropout(pid, name, grade, found, status=status, 类型=kind, **kw)


def add(book, *rows):
    drop = book.rows.setdefault("辍学", [])
    for r in rows:
        drop.append({**r, "序号": len(drop) + 1})
    book.cover["零报告"] = "否"


class Plan:
    """Who is where: the planted children and the schools that carry them (``used``: their codes)."""
    used: set


def plant(county) -> Plan:
    """Edit the ground truth: one planted situation per school (none in a zero-report school)."""
    p = Plan()
    p.used = set()
    busy = [s for s in county.schools if not s.zero_report]
    primary = [s for s in busy if s.kind == "小学"]
    junior = [s for s in busy if 7 in s.grades]
    rural_junior = [s for s in junior if s.urban in model.RURAL]
    assert len(primary) >= 4 and len(junior) >= 4 and len(rural_junior) >= 2
    seq = iter(range(100, 200))

    def child(grade, month):
        return child_id(next(seq), grade, month)

    # 1. confirmed and closed within October: counts in neither figure
    p.within_school = primary[0]
    p.within = child("四年级", OCT)
    add(county.book(p.within_school.code, OCT),
        row(p.within, "赵小一", "四年级", dt.date(2026, 10, 5), "已复学", 复学日期=dt.date(2026, 10, 16),
            销号日期=dt.date(2026, 10, 16)))
    # 2. confirmed in August, still open in September and October; and one open in August that came back on
    #    4 September (August belongs to the other school year: not in September's cumulative)
    p.august_school = junior[0]
    p.august = child("八年级", AUG)
    p.boundary = child("七年级", AUG)
    found = dt.date(2026, 8, 12)
    for m in MONTHS:
        add(county.book(p.august_school.code, m), row(p.august, "钱小二", "八年级", found))
    add(county.book(p.august_school.code, AUG), row(p.boundary, "孙小三", "七年级", dt.date(2026, 8, 3)))
    add(county.book(p.august_school.code, SEP),
        row(p.boundary, "孙小三", "七年级", dt.date(2026, 8, 3), "已复学", 复学日期=dt.date(2026, 9, 4),
            销号日期=dt.date(2026, 9, 4)))
    # 3. suspected in September, confirmed in October
    p.later_school = primary[1]
    p.later = child("五年级", SEP)
    add(county.book(p.later_school.code, SEP), row(p.later, "李小四", "五年级", dt.date(2026, 9, 10), kind="疑似辍学"))
    add(county.book(p.later_school.code, OCT), row(p.later, "李小四", "五年级", dt.date(2026, 9, 10)))
    # 4. confirmed in September, returned in October: in cumulative_dropout, not in year_dropout
    p.returned_school = primary[2]
    p.returned = child("六年级", SEP)
    add(county.book(p.returned_school.code, SEP), row(p.returned, "周小五", "六年级", dt.date(2026, 9, 15)))
    add(county.book(p.returned_school.code, OCT),
        row(p.returned, "周小五", "六年级", dt.date(2026, 9, 15), "已复学", 复学日期=dt.date(2026, 10, 9),
            销号日期=dt.date(2026, 10, 9)))
    # 5 + 7. enrolment grows after September (30 a junior grade → 300): the start figure stays September's, so the
    #    学年辍学率 (3 ÷ 90) is over the 3 % target while the month-end rate (on 900 pupils) is far under it
    p.grown = rural_junior[0]
    p.grown_children = [child("九年级", SEP) for _ in range(3)]
    for m, per_grade in ((SEP, 30), (OCT, 300)):
        book = county.book(p.grown.code, m)
        for g in JUNIOR:
            book.cover[f"{g}在校生数"] = per_grade
        add(book, *[row(pid, f"吴小{n}", "九年级", dt.date(2026, 9, 20)) for pid, n in zip(p.grown_children, "甲乙丙")])
    # 7. many suspected cases: the month-end rate is over the 3 % target, the 学年辍学率 (confirmed only) is not
    p.suspected = rural_junior[1]
    for m in (SEP, OCT):
        book = county.book(p.suspected.code, m)
        for g in JUNIOR:
            book.cover[f"{g}在校生数"] = 40
    n_confirmed = sum(1 for st in confirmed_open(county.book(p.suspected.code, OCT)).values() if st == "junior")
    assert n_confirmed <= 3, "pick another seed: the school already has many confirmed dropouts (over 3 of 120)"
    add(county.book(p.suspected.code, OCT),
        *[row(child("八年级", OCT), f"郑小{n}", "八年级", dt.date(2026, 10, 20), "核查中", kind="疑似辍学")
          for n in "甲乙丙丁戊己庚辛"])
    # 6. re-run of September: W was entered as a confirmed dropout in September and came back in October; after
    #    October the school corrects September (W was only suspected; 一年级 had 10 more pupils) and September is rolled
    #    up again, then October
    p.rerun_school = primary[3]
    p.w = child("三年级", SEP)
    add(county.book(p.rerun_school.code, SEP), row(p.w, "王小六", "三年级", dt.date(2026, 9, 8)))
    add(county.book(p.rerun_school.code, OCT),
        row(p.w, "王小六", "三年级", dt.date(2026, 9, 8), "已复学", 复学日期=dt.date(2026, 10, 6),
            销号日期=dt.date(2026, 10, 6)))
    p.used = {s.code for s in (p.within_school, p.august_school, p.later_school, p.returned_school, p.grown,
                               p.suspected, p.rerun_school)}
    assert len(p.used) == 7
    return p


def write_and_stamp(book):
    write_book(book.path, book.cover, book.rows)
    stamp(book.path, dt.datetime(int(book.month[:4]), int(book.month[5:]), 25, 3, tzinfo=dt.timezone.utc))


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    root = tmp_path_factory.mktemp("school-year")
    county = generate_county(root / "demo", townships=3, schools_per_township=5, months=MONTHS, seed=23,
                             mistakes=False, workers=2)
    plan = plant(county)
    # one school sends nothing in September: its first counted book of the school year is October's
    plan.late_starter = next(s for s in county.schools if not s.zero_report and s.code not in plan.used)
    for book in county.books.values():
        write_and_stamp(book)
    county.book(plan.late_starter.code, SEP).path.unlink()
    store = root / "store"
    results = {m: run_rollup(root / "demo" / m, m, county.register_path, store_dir=store, workers=1) for m in MONTHS}
    before = {m: copy.deepcopy(county.book(plan.rerun_school.code, m)) for m in (SEP, OCT)}
    # the re-run: September corrected, rolled up again after October, then October again
    sept = county.book(plan.rerun_school.code, SEP)
    for r in sept.rows["辍学"]:
        if r["身份证号"] == plan.w:
            r["类型"] = "疑似辍学"
    sept.cover["一年级在校生数"] += 10
    write_and_stamp(sept)
    results["rerun-" + SEP] = run_rollup(root / "demo" / SEP, SEP, county.register_path, store_dir=store, workers=1)
    results["rerun-" + OCT] = run_rollup(root / "demo" / OCT, OCT, county.register_path, store_dir=store, workers=1)
    return county, plan, results, before, root


def counted_books(county, code, month, absent=()):
    """The school's ground-truth books of the months counted for ``month`` (its school year, up to ``month``)."""
    months = [m for m in MONTHS if m <= month and (m >= SEP) == (month >= SEP) and (code, m) not in absent]
    return {m: county.book(code, m) for m in months}


def absent_of(plan):
    return {(plan.late_starter.code, SEP)}


def books_seen(county, code, run):
    """The books a run counted for a school: the first runs saw the re-run school's September before its correction."""
    c, plan, _, before, _ = county
    books = counted_books(c, code, run[-7:], absent_of(plan))
    if code == plan.rerun_school.code and not run.startswith("rerun-"):
        books = {m: before.get(m, b) for m, b in books.items()}
    return books


def share(county, run, code, pid) -> dict:
    """What child ``pid`` adds to the school's rolled-up §5.1 counts in ``run``: the rolled figures minus the figures
    expected from the school's books without the child's rows (only the counts it changes)."""
    c, _, results, _, _ = county
    month = run[-7:]
    books = {}
    for m, b in books_seen(county, code, run).items():
        b = copy.deepcopy(b)
        b.rows["辍学"] = [r for r in b.rows.get("辍学", []) if r["身份证号"] != pid]
        books[m] = b
    rest, got = expected(books, month), school(results[run], code)
    return {k: got[k] - rest[k] for k in YEAR_KEYS if "rate" not in k and got[k] != rest[k]}


def school(result, code):
    return next(s for s in result.schools if s["code"] == code)


# ---------------------------------------------------------------------------------------------- tests
def test_months_counted_respect_the_school_year(county):
    _, _, results, _, _ = county
    assert results[AUG].county["ytd_months"] == [AUG]            # the 2025—2026 school year: no earlier month stored
    assert results[AUG].county["ytd_missing"] == [f"2025-{m:02d}" for m in range(9, 13)] + \
        [f"2026-{m:02d}" for m in range(1, 8)]
    assert results[SEP].county["ytd_months"] == [SEP]            # August is in the store but of another school year
    assert results[SEP].county["ytd_missing"] == []
    assert results[OCT].county["ytd_months"] == [SEP, OCT]
    assert results["rerun-" + SEP].county["ytd_months"] == [SEP]   # October, stored meanwhile, is later: not counted
    assert results["rerun-" + OCT].county["ytd_months"] == [SEP, OCT]


@pytest.mark.parametrize("run", [*MONTHS, "rerun-" + SEP, "rerun-" + OCT])
def test_school_township_and_county_figures(county, run):
    c, plan, results, before, _ = county
    result, month = results[run], run[-7:]
    absent = absent_of(plan)
    truth = {}
    for s in c.schools:
        got = school(result, s.code)
        if (s.code, month) in absent:
            assert got["counted"] is False and all(got[k] is None for k in YEAR_KEYS)
            continue
        truth[s.code] = expected(books_seen(county, s.code, run), month)
        assert {k: got[k] for k in YEAR_KEYS} == truth[s.code], (s.code, run)
    assert len(truth) == len(c.schools) - (month == SEP)
    for t in result.townships:
        members = [truth[s.code] for s in c.schools if s.township == t["name"] and s.code in truth]
        assert {k: t[k] for k in YEAR_KEYS} == summed(members), t["name"]
    assert {k: result.county[k] for k in YEAR_KEYS} == summed(list(truth.values()))


def test_the_planted_situations(county):
    c, plan, results, _, _ = county
    one = lambda stage: {f"year_dropout_{stage}": 1, f"cumulative_dropout_{stage}": 1}   # noqa: E731
    # a confirmed case opened and closed within October: §5 counts it as new, §5.1 not at all
    assert school(results[OCT], plan.within_school.code)["new_dropout"] >= 1
    assert share(county, OCT, plan.within_school.code, plan.within) == {}
    # confirmed in August and still open in September (and October): counts in August's school year and in this one
    for run in (AUG, SEP, OCT):
        assert share(county, run, plan.august_school.code, plan.august) == one("junior"), run
    # open at the end of August, back on 4 September: August is another school year, so not in September's figures
    assert share(county, AUG, plan.august_school.code, plan.boundary) == one("junior")
    assert share(county, SEP, plan.august_school.code, plan.boundary) == {}
    # suspected in September, confirmed in October
    assert share(county, SEP, plan.later_school.code, plan.later) == {}
    assert share(county, OCT, plan.later_school.code, plan.later) == one("primary")
    # confirmed in September, returned in October: still in cumulative_dropout, no longer in year_dropout
    assert share(county, SEP, plan.returned_school.code, plan.returned) == one("primary")
    assert share(county, OCT, plan.returned_school.code, plan.returned) == {"cumulative_dropout_primary": 1}
    # enrolment grown after September: the start figure stays September's, the §5 enrolment is October's
    g = school(results[OCT], plan.grown.code)
    assert g["enrolled_start_junior"] == 90 and g["enrolled_junior"] == 900
    assert g["year_dropout_rate_junior"] == pct(g["year_dropout_junior"], 90) > 3 > g["dropout_rate_junior"]
    assert share(county, OCT, plan.grown.code, plan.grown_children[0]) == one("junior")
    # the school that sent nothing in September starts the school year with October's own cover
    late = school(results[OCT], plan.late_starter.code)
    assert (late["enrolled_start_primary"], late["enrolled_start_junior"]) == enrolment(
        c.book(plan.late_starter.code, OCT).cover)


def test_rerun_of_september_replaces_its_contribution(county):
    c, plan, results, before, _ = county
    code = plan.rerun_school.code
    first_sep, rerun_sep = school(results[SEP], code), school(results["rerun-" + SEP], code)
    first_oct, rerun_oct = school(results[OCT], code), school(results["rerun-" + OCT], code)
    # September rolled up again: its own corrected books, October (in the store by then) not counted
    assert {k: rerun_sep[k] for k in YEAR_KEYS} == expected({SEP: c.book(code, SEP)}, SEP)
    assert rerun_sep["year_dropout_primary"] == first_sep["year_dropout_primary"] - 1
    assert rerun_sep["enrolled_start_primary"] + rerun_sep["enrolled_start_junior"] == \
        first_sep["enrolled_start_primary"] + first_sep["enrolled_start_junior"] + 10
    # October again: the corrected September replaces the first one (W counted once before, not at all now)
    assert rerun_oct["cumulative_dropout_primary"] == first_oct["cumulative_dropout_primary"] - 1
    assert {k: rerun_oct[k] for k in YEAR_KEYS} == expected({SEP: c.book(code, SEP), OCT: c.book(code, OCT)}, OCT)
    assert (rerun_oct["enrolled_start_primary"], rerun_oct["enrolled_start_junior"]) == enrolment(c.book(code, SEP).cover)
    assert enrolment(c.book(code, SEP).cover) != enrolment(before[SEP].cover)


def test_r006_on_the_school_year_rate_not_the_month_end_rate(county):
    c, plan, results, _, _ = county
    result = results["rerun-" + OCT]
    figures = {s["code"]: s for s in result.schools if s["counted"]}
    got = {(f.school, f.value) for f in result.findings if f.rule == "R006" and f.school}
    want = r006_expected(c, figures, lambda code, which: figures[code][f"year_dropout_rate_{which}"])
    month_end = r006_expected(c, figures, lambda code, which: month_end_rate(c.book(code, OCT), which))
    assert got == want
    assert got != month_end                                   # the fixture makes the two rates disagree …
    assert plan.grown.code in {s for s, _ in want} - {s for s, _ in month_end}        # … both ways
    assert plan.suspected.code in {s for s, _ in month_end} - {s for s, _ in want}
    message = next(f.message for f in result.findings if f.rule == "R006" and f.school == plan.grown.code)
    rate = figures[plan.grown.code]["year_dropout_rate_junior"]
    assert f"农村初中学年辍学率为{rate:.2f}%，高于年度目标3%" in message
    assert "计入月份：2026-09、2026-10（2个月）" in message
    # the county's groups: rates recomputed from the summed counts
    got_county = sorted((f.column, f.value) for f in result.findings if f.rule == "R006" and f.school is None)
    counted = [s for s in c.schools if s.code in figures]
    groups = (("primary", 1.0, counted), ("junior", 1.0, [s for s in counted if s.urban not in model.RURAL]),
              ("junior", 3.0, [s for s in counted if s.urban in model.RURAL]))
    want_county = []
    for key, target, members in groups:
        rate = pct(sum(figures[s.code][f"year_dropout_{key}"] for s in members),
                   sum(figures[s.code][f"enrolled_start_{key}"] for s in members))
        if rate is not None and rate > target:
            want_county.append((f"{'小学' if key == 'primary' else '初中'}学年辍学率", rate))
    assert got_county == sorted(want_county)


def test_json_carries_the_keys_at_every_level(county):
    _, _, results, _, _ = county
    doc = results[OCT].to_json()
    for s in doc["schools"]:
        assert set(YEAR_KEYS) <= set(s)
    for area in (*doc["townships"], doc["county"]):
        assert set(YEAR_KEYS) <= set(area)
    assert doc["county"]["ytd_months"] == [SEP, OCT] and doc["county"]["ytd_missing"] == []


def test_missing_earlier_months_still_work_and_are_listed(county, tmp_path):
    """October rolled up with a store that holds no September: it counts October alone, says so in the JSON and in the
    report, and takes each school's start enrolment from October's own cover."""
    c, plan, _, _, root = county
    result = run_rollup(root / "demo" / OCT, OCT, c.register_path, store_dir=tmp_path / "new-store", workers=1)
    assert result.county["ytd_months"] == [OCT] and result.county["ytd_missing"] == [SEP]
    assert result.to_json()["county"]["ytd_missing"] == [SEP]
    for s in c.schools:
        assert {k: school(result, s.code)[k] for k in YEAR_KEYS} == expected({OCT: c.book(s.code, OCT)}, OCT)
    wb = openpyxl.load_workbook(write_report(result, tmp_path / "r.xlsx"))
    for sheet in ("乡镇汇总", "学校明细", "趋势"):
        note = wb[sheet]["A2"].value
        assert "计入月份：2026-10（1个月）；历史库缺少2026-09，未计入" in note, sheet


def test_report_shows_both_rates_cumulative_counts_and_the_year_trend(county, tmp_path):
    import zipfile
    c, _, results, _, _ = county
    result = results["rerun-" + OCT]
    out = write_report(result, tmp_path / "r.xlsx", store=Store(result.store_dir))
    wb = openpyxl.load_workbook(out)
    for sheet, first in (("乡镇汇总", None), ("学校明细", None)):
        ws = wb[sheet]
        header = [cell.value for cell in ws[3]]
        for label in ("小学月末在册辍学率(%)", "初中月末在册辍学率(%)", "小学学年辍学率(%)", "初中学年辍学率(%)",
                      "小学本学年累计辍学人数", "初中本学年累计辍学人数", "小学学年初在校生数", "初中学年初在校生数"):
            assert label in header, (sheet, label)
        assert "小学辍学率(%)" not in header and "初中辍学率(%)" not in header
        assert "计入月份：2026-09、2026-10（2个月）" in ws["A2"].value
    towns = wb["乡镇汇总"]
    header = [cell.value for cell in towns[3]]
    total = next(r for r in towns.iter_rows(min_row=4, values_only=True) if r[0] == "全县合计")
    assert total[header.index("初中学年辍学率(%)")] == result.county["year_dropout_rate_junior"]
    assert total[header.index("初中本学年累计辍学人数")] == result.county["cumulative_dropout_junior"]
    detail = wb["学校明细"]
    header = [cell.value for cell in detail[3]]
    for r in detail.iter_rows(min_row=4, values_only=True):
        s = school(result, r[1])
        assert r[header.index("小学学年辍学率(%)")] == s["year_dropout_rate_primary"]
        assert r[header.index("初中月末在册辍学率(%)")] == s["dropout_rate_junior"]
    # 趋势: one row per stored month, the 学年辍学率 of each month as that month's roll-up computed it
    trend = wb["趋势"]
    header = [cell.value for cell in trend[3]]
    rows = {r[0]: r for r in trend.iter_rows(min_row=4, values_only=True) if r[0]}
    assert list(rows) == list(MONTHS)
    for m, key in ((AUG, AUG), (SEP, "rerun-" + SEP), (OCT, "rerun-" + OCT)):
        for which in ("primary", "junior"):
            label = f"{'小学' if which == 'primary' else '初中'}学年辍学率(%)"
            assert rows[m][header.index(label)] == results[key].county[f"year_dropout_rate_{which}"], (m, which)
    # the line chart plots the two 学年辍学率 columns
    cols = [openpyxl.utils.get_column_letter(header.index(f"{w}学年辍学率(%)") + 1) for w in ("小学", "初中")]
    with zipfile.ZipFile(out) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    line = next(x for x in charts if "<c:lineChart>" in x or "<lineChart>" in x)
    assert "学年辍学率" in line
    for col in cols:
        assert f"${col}$4" in line


def test_school_year_months():
    from baoxue.rollup.school_year import school_year_label, school_year_months
    assert school_year_months("2026-09") == ["2026-09"]
    assert school_year_months("2027-01") == ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01"]
    assert school_year_months("2027-08")[0] == "2026-09" and len(school_year_months("2027-08")) == 12
    assert school_year_label("2027-08") == school_year_label("2026-09") == "2026—2027学年"


def test_rows_without_an_id_count_on_their_own():
    """A confirmed open row with an empty 身份证号 cannot be matched across months: it counts once, alone."""
    import pandas as pd
    from baoxue.rollup.school_year import compute
    pid = child_id(1, "七年级", SEP)
    cases = pd.DataFrame({"school": ["a"] * 4, "file": ["a.xlsx"] * 4, "类型": ["辍学", "辍学", "辍学", "疑似辍学"],
                          "状态": ["劝返中"] * 4, "年级": ["七年级", "八年级", "九年级", "七年级"],
                          "身份证号": [pid, None, "", child_id(2, "七年级", SEP)], "row": [4, 5, 6, 7]})
    got = compute(SEP, {"a": (0, 100)}, cases).schools["a"]
    assert got["year_dropout_junior"] == got["cumulative_dropout_junior"] == 3 and got["year_dropout_rate_junior"] == 3.0
