"""Figures on a generated county equal figures computed here, independently, from the generator's ground truth
(DemoCounty covers and rows as written) — at school, township and county level — and every planted mistake is among
the roll-up's findings with its school and file."""
from __future__ import annotations

import datetime as dt
import shutil
from decimal import ROUND_HALF_UP, Decimal

import pytest

from rollup_helpers import checksums, stamp

from baoxue import model
from baoxue.book import month_end, month_start
from baoxue.demo import generate_county
from baoxue.rollup import run_rollup

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


@pytest.fixture(scope="module")
def rolled(tmp_path_factory):
    root = tmp_path_factory.mktemp("figures")
    county = generate_county(root / "demo", townships=3, schools_per_township=4, months=MONTHS, seed=11,
                             mistakes=False, workers=2)
    inbox = root / "inbox"
    shutil.copytree(root / "demo", inbox, ignore=shutil.ignore_patterns("学校名录.xlsx"))
    absent = county.schools[1].code                         # sends nothing in October → R001, out of the sums
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
    return county, result, absent, before, checksums(inbox)


def test_inputs_unmodified(rolled):
    *_, before, after = rolled
    assert before == after


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
