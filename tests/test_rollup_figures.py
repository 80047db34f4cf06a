"""Figures on a generated county equal figures computed here, independently, from the generator's ground truth
(DemoCounty covers and rows as written) — at school, township and county level — and every planted mistake is among
the roll-up's findings with its school and file."""
from __future__ import annotations

import datetime as dt
import shutil
from decimal import ROUND_HALF_UP, Decimal

import pytest

from rollup_helpers import checksums, child_id, leave, stamp, write_book

from baoxue import model
from baoxue.months import month_end, month_start
from baoxue.demo import generate_county
from baoxue.rollup import Store, run_rollup
from baoxue.rollup.store import SHEET_TABLES

MONTHS = ("2026-09", "2026-10")
OPEN = ("核查中", "劝返中", "去向不明")


def grade(g):
    return g if g in model.GRADES else model.CODE_ALIASES["年级"].get(str(g))


def pct(num, enrolled):
    den = num + enrolled
    if not den:
        return None
    return float((Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def expected(book) -> dict:
    """SPEC §5 from the ground-truth dicts (policy defaults: 7 days, 2 visits of ≥ 2 class hours)."""
    cov, rows = book.cover, book.rows
    start, end = month_start(book.month), month_end(book.month)
    inm = lambda d: isinstance(d, dt.date) and start <= d <= end
    drop, leave, defer = rows.get("辍学", []), rows.get("休学", []), rows.get("缓学", [])
    home, visits = rows.get("送教上门", []), rows.get("送教记录", [])
    e = {"enrolled_primary": sum(cov.get(f"{g}在校生数") or 0 for g in model.GRADES[:6]),
         "enrolled_junior": sum(cov.get(f"{g}在校生数") or 0 for g in model.GRADES[6:])}
    e["new_suspected"] = sum(r["类型"] == "疑似辍学" and inm(r["发现日期"]) for r in drop)
    e["new_dropout"] = sum(r["类型"] == "辍学" and inm(r["发现日期"]) for r in drop)
    e["returned"] = sum(r["状态"] == "已复学" and inm(r.get("复学日期")) for r in drop)
    e["closed"] = sum(inm(r.get("销号日期")) for r in drop)
    open_rows = [r for r in drop if r["状态"] in OPEN]
    e["open_cases"] = len(open_rows)
    e["open_primary"] = sum(grade(r["年级"]) in model.GRADES[:6] for r in open_rows)
    e["open_junior"] = sum(grade(r["年级"]) in model.GRADES[6:] for r in open_rows)
    e["open_unknown"] = sum(r["状态"] == "去向不明" for r in drop)
    e["dropout_rate_primary"] = pct(e["open_primary"], e["enrolled_primary"])
    e["dropout_rate_junior"] = pct(e["open_junior"], e["enrolled_junior"])
    e["escalation_overdue"] = sum(isinstance(r.get("限期复学通知日期"), dt.date) and not r.get("行政处罚日期")
                                  and (end - r["限期复学通知日期"]).days > 7 for r in open_rows)
    e["on_leave"] = sum(r["状态"] == "休学中" for r in leave)
    e["new_leave"] = sum(inm(r["休学起始日期"]) for r in leave)
    e["leave_overdue"] = sum(r["状态"] == "休学中" and r["预计复学日期"] < end for r in leave)
    e["deferred"] = sum(r["状态"] == "缓学中" for r in defer)
    e["deferred_expired"] = sum(r["状态"] == "缓学中" and r["缓学截止日期"] < end for r in defer)
    roster = {r["身份证号"] for r in home}
    teaching = [r["身份证号"] for r in home if r["状态"] == "送教中"]
    month_visits = [v for v in visits if v["身份证号"] in roster and inm(v["送教日期"])]
    e["home_taught"] = len(teaching)
    e["home_visits"] = len(month_visits)
    e["home_hours"] = sum(v["课时"] for v in month_visits)
    e["home_meeting_min"] = sum(sum(v["身份证号"] == pid and v["课时"] >= 2 for v in month_visits) >= 2 for pid in teaching)
    e["zero_report"] = cov.get("零报告")
    return e


def summed(figures: list[dict]) -> dict:
    keys = [k for k in figures[0] if k not in ("dropout_rate_primary", "dropout_rate_junior", "zero_report")] if figures else []
    out = {k: sum(f[k] for f in figures) for k in keys}
    out["dropout_rate_primary"] = pct(out.get("open_primary", 0), out.get("enrolled_primary", 0))
    out["dropout_rate_junior"] = pct(out.get("open_junior", 0), out.get("enrolled_junior", 0))
    return out


def exercise_rare_figures(county, absent: str) -> None:
    """The generator's first months rarely give a new 休学, an expired 缓学 or a home-taught child short of visits.
    Edit the ground truth the way a clerk's month would go, and rewrite those workbooks: a new 休学 starting in October
    (townships 1 and 3), a 缓学 approved only until 15 October and not entered (townships 1 and 2), and one home-taught
    child of a school with two whose October visits all but one are shorter than 2 class hours (township 3), plus a
    school whose only home-taught child had one short visit (township 2)."""
    octo, sept = MONTHS[1], MONTHS[0]
    towns = county.townships
    edited = set()

    def school_in(town, test):
        return next(s for s in county.schools if s.township == town and s.code != absent and test(s))

    for n, town in enumerate((towns[0], towns[2])):
        s = school_in(town, lambda s: True)
        g = model.GRADES[s.grades[-1] - 1]
        rows = county.book(s.code, octo).rows["休学"]
        rows.append({**leave(child_id(40 + n, g, octo), f"孙小{'甲乙'[n]}", g, dt.date(2026, 10, 12)),
                     "序号": len(rows) + 1})
        edited.add((s.code, octo))

    for town in (towns[0], towns[1]):
        s = school_in(town, lambda s: any(r["状态"] == "缓学中" for r in county.book(s.code, octo).rows["缓学"]))
        pid = next(r["身份证号"] for r in county.book(s.code, octo).rows["缓学"] if r["状态"] == "缓学中")
        for m in (sept, octo):
            for r in county.book(s.code, m).rows["缓学"]:
                if r["身份证号"] == pid:
                    r["缓学截止日期"] = dt.date(2026, 10, 15)
            edited.add((s.code, m))

    def shorten(code, pid, keep: int):
        rows = county.book(code, octo).rows["送教记录"]
        kept = 0
        for i, v in enumerate(rows):
            if v["身份证号"] == pid and v["送教日期"] >= dt.date(2026, 10, 1):
                if kept >= keep:
                    rows[i] = {**v, "课时": 1}
                kept += 1
        edited.add((code, octo))

    two = school_in(towns[2], lambda s: len(county.book(s.code, octo).rows["送教上门"]) >= 2)
    shorten(two.code, county.book(two.code, octo).rows["送教上门"][0]["身份证号"], keep=1)
    one = school_in(towns[1], lambda s: len(county.book(s.code, octo).rows["送教上门"]) == 1)
    shorten(one.code, county.book(one.code, octo).rows["送教上门"][0]["身份证号"], keep=1)

    for code, m in edited:
        book = county.book(code, m)
        write_book(book.path, book.cover, book.rows)


@pytest.fixture(scope="module")
def rolled(tmp_path_factory):
    root = tmp_path_factory.mktemp("figures")
    county = generate_county(root / "demo", townships=3, schools_per_township=4, months=MONTHS, seed=11,
                             mistakes=False, workers=2)
    absent = county.schools[1].code                         # sends nothing in October → R001, out of the sums
    exercise_rare_figures(county, absent)
    inbox = root / "inbox"
    shutil.copytree(root / "demo", inbox, ignore=shutil.ignore_patterns("学校名录.xlsx"))
    for (code, month), book in county.books.items():
        path = inbox / book.path.relative_to(root / "demo")
        if code == absent and month == "2026-10":
            path.unlink()
            continue
        stamp(path, dt.datetime(int(month[:4]), int(month[5:]), 25, 3, tzinfo=dt.timezone.utc))
    before = checksums(inbox)
    store = root / "store"
    run_rollup(inbox / "2026-09", "2026-09", county.register_path, store_dir=store, workers=2)
    result = run_rollup(inbox, "2026-10", county.register_path, store_dir=store, workers=2)
    return county, result, absent, Store(store), before, checksums(inbox)


def test_inputs_unmodified(rolled):
    *_, before, after = rolled
    assert before == after


COUNTS = ("new_suspected", "new_dropout", "returned", "closed", "open_cases", "open_primary", "open_junior",
          "open_unknown", "escalation_overdue", "on_leave", "new_leave", "leave_overdue", "deferred",
          "deferred_expired", "home_taught", "home_visits", "home_hours", "home_meeting_min")


def test_fixture_exercises_every_figure(rolled):
    """Guard against a fixture that silently stops checking a figure: every count is non-zero for the county, and the
    rarely produced ones (new_leave, deferred_expired, home_meeting_min strictly between 0 and home_taught) at school,
    township and county level — in the ground truth and in the roll-up alike."""
    county, result, absent, *_ = rolled
    truth = {s.code: expected(county.book(s.code, "2026-10")) for s in county.schools if s.code != absent}
    by_town: dict[str, list[dict]] = {}
    for s in county.schools:
        if s.code != absent:
            by_town.setdefault(s.township, []).append(truth[s.code])
    levels = {"school": list(truth.values()), "township": [summed(m) for m in by_town.values()],
              "county": [summed(list(truth.values()))]}
    rolled_levels = {"school": [s for s in result.schools if s["counted"]], "township": result.townships,
                     "county": [result.county]}
    for level in levels:
        for figures in (levels[level], rolled_levels[level]):
            assert any(f["new_leave"] > 0 for f in figures), level
            assert any(f["deferred_expired"] > 0 for f in figures), level
            assert any(0 < f["home_meeting_min"] < f["home_taught"] for f in figures), level
    zero = [k for k in COUNTS if not result.county[k]]
    assert zero == [], f"county figures the fixture does not exercise: {zero}"


def test_school_figures(rolled):
    county, result, absent, *_ = rolled
    checked = 0
    for s in result.schools:
        if s["code"] == absent:
            assert s["submitted"] is False and s["open_cases"] is None
            continue
        assert s["counted"], s
        want = expected(county.book(s["code"], "2026-10"))
        assert {k: s[k] for k in want} == want, s["code"]
        checked += 1
    assert checked == len(county.schools) - 1


def test_township_and_county_figures(rolled):
    county, result, absent, *_ = rolled
    by_town: dict[str, list[dict]] = {}
    for s in county.schools:
        if s.code != absent:
            by_town.setdefault(s.township, []).append(expected(county.book(s.code, "2026-10")))
    assert [t["name"] for t in result.townships] == county.townships
    for t in result.townships:
        members = by_town.get(t["name"], [])
        want = summed(members)
        assert {k: t[k] for k in want} == want, t["name"]
        assert t["schools_expected"] == sum(s.township == t["name"] for s in county.schools)
        assert t["schools_submitted"] == len(members)
    everyone = [m for ms in by_town.values() for m in ms]
    want = summed(everyone)
    assert {k: result.county[k] for k in want} == want
    assert result.county["schools_submitted"] == len(county.schools) - 1
    assert result.county["zero_report_schools"] == sum(m["zero_report"] == "是" for m in everyone)


def test_mistakes_reported_with_school_and_file(tmp_path):
    """Each workbook's own findings reach the roll-up, with 学校标识码 and file."""
    county = generate_county(tmp_path / "demo", townships=2, schools_per_township=3, months=("2026-10",), seed=5,
                             mistakes=True)
    planted = [m for m in county.mistakes if m.rule is not None]
    assert planted
    for path in county.files():
        stamp(path, dt.datetime(2026, 10, 25, tzinfo=dt.timezone.utc))
    result = run_rollup(tmp_path / "demo", "2026-10", county.register_path, store_dir=False, workers=1)
    for m in planted:
        hits = [f for f in result.findings if f.school == m.school and f.rule == m.rule and f.sheet == m.sheet
                and f.row == m.row]
        assert hits and all(f.file == county.book(m.school, m.month).path.relative_to(tmp_path / "demo").as_posix()
                            for f in hits), m


def test_continuity_from_store_without_lost_cases(rolled):
    _, result, *_ = rolled
    assert result.previous_source == "历史库"
    assert [f for f in result.findings if f.rule == "R005"] == []
    assert [f.school for f in result.findings if f.rule == "R001"] == [rolled[2]]


def test_open_cases_list_matches_ground_truth(rolled):
    county, result, absent, *_ = rolled
    want = sorted((code, r["身份证号"]) for (code, m), b in county.books.items() if m == "2026-10" and code != absent
                  for r in b.rows.get("辍学", []) if r["状态"] in OPEN)
    got = sorted(zip(result.open_cases["学校标识码"], result.open_cases["身份证号"]))
    assert got == want


def day(value) -> dt.date:
    """A stored date as DuckDB hands it back (a Timestamp) → date."""
    return value.date() if isinstance(value, dt.datetime) else value


def test_store_keeps_the_rows_of_every_clerk_sheet(rolled):
    """The stored month holds each counted school's validated rows of all seven clerk sheets (IDs unmasked: the store
    stays in the county), equal to the ground truth, with school, file and Excel row."""
    county, result, absent, store, *_ = rolled
    data = store.load_month("2026-10")
    counted = sorted(s["code"] for s in result.schools if s["counted"])
    assert set(SHEET_TABLES) == set(model.CLERK_SHEETS)
    covers = data[SHEET_TABLES[model.COVER_SHEET]]
    assert sorted(covers["school"]) == counted
    for code, row in zip(covers["school"], covers.to_dict("records")):
        truth = county.book(code, "2026-10").cover
        assert row["学校名称"] == truth["学校名称"] and row["报送月份"] == "2026-10"
        assert [row[f"{g}在校生数"] for g in model.GRADES] == [truth.get(f"{g}在校生数") for g in model.GRADES]
        assert day(row["填报日期"]) == truth["填报日期"]
    for sheet in model.CLERK_SHEETS[1:]:
        stored = data[SHEET_TABLES[sheet]]
        want = sorted((code, r["身份证号"]) for code in counted for r in county.book(code, "2026-10").rows.get(sheet, []))
        assert want, f"the fixture has no {sheet} rows"
        assert sorted(zip(stored["school"], stored["身份证号"])) == want, sheet
        assert stored["row"].notna().all() and (stored["row"] >= 4).all()
        assert set(stored["file"]) <= {f["file"] for f in result.files}
        assert set(stored["month"]) == {"2026-10"}
    visits = data[SHEET_TABLES["送教记录"]]
    truth_visits = [v for code in counted for v in county.book(code, "2026-10").rows["送教记录"]]
    assert float(visits["课时"].sum()) == float(sum(v["课时"] for v in truth_visits))
    assert sorted(map(day, visits["送教日期"])) == sorted(v["送教日期"] for v in truth_visits)
    persuasion = data[SHEET_TABLES["劝返记录"]]
    assert sorted(persuasion["劝返方式"]) == sorted(r["劝返方式"] for code in counted
                                                 for r in county.book(code, "2026-10").rows["劝返记录"])
    # every month of the store, one sheet at a time
    both = store.sheet_rows("休学")
    assert set(both["month"]) == {"2026-09", "2026-10"}
