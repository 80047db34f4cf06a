"""The demo county's household line: lists consistent with the books (checked here against the books' ground truth, not
through the match), the planted children where the plan says, and `make demo`'s household step end to end: the ledger
gives every child its planned 台账状态, a township's return lowers 待核查, the generated lists stay untouched."""
from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from baoxue import idcard, model
from baoxue.demo import generate_county, plan_county, run_end_to_end
from baoxue.demo_household import (OUTPUT_DIR, RETURNS_DIR, plan_household, run_household_line, township_findings)

MONTHS = ("2026-09", "2026-10")


@pytest.fixture(scope="module")
def plan():
    county = plan_county(2, 3, MONTHS, seed=11, mistakes=False)
    return county, plan_household(county)


def _registered(row) -> bool:
    return row["学籍状态"] in ("", *model.XUEJI_REGISTERED)


# ============================================================================================== the plan (no files)
def test_every_child_on_the_books_is_in_the_lists(plan):
    county, demo = plan
    xueji = {r["身份证号"]: r for r in demo.xueji}
    household = {r["身份证号"] for rows in demo.household.values() for r in rows}
    for school in county.schools:
        rows = county.book(school.code, demo.month).rows
        for r in rows[model.DROPOUT.name]:
            assert r["身份证号"] in household
            if r["状态"] in model.DROPOUT_OPEN_STATUSES:
                assert _registered(xueji[r["身份证号"]]) and xueji[r["身份证号"]]["学校标识码"] == school.code
                assert demo.status[r["身份证号"]] == "失学辍学"
        for r in rows[model.LEAVE.name]:
            if r["状态"] == "休学中":
                assert xueji[r["身份证号"]]["学籍状态"] == "休学" and demo.status[r["身份证号"]] == "休学"
        for r in rows[model.HOME.name]:
            assert _registered(xueji[r["身份证号"]]) and demo.status[r["身份证号"]] == "送教上门"
        for r in rows[model.DEFER.name]:
            if r["状态"] == "缓学中":
                assert r["身份证号"] not in xueji and demo.status[r["身份证号"]] == "缓学"


def test_registered_counts_agree_with_the_covers_except_the_planted_mismatch(plan):
    """H008's two sides from the ground truth: 有籍 per school and grade = 在校生数 + 休学中 + open 辍学."""
    county, demo = plan
    registered = Counter((r["学校标识码"], r["年级"]) for r in demo.xueji if _registered(r))
    differences = {}
    for school in county.schools:
        book = county.book(school.code, demo.month)
        for grade in model.GRADES:
            counted = int(book.cover.get(f"{grade}在校生数") or 0)
            counted += sum(1 for r in book.rows[model.LEAVE.name] if r["状态"] == "休学中" and r["年级"] == grade)
            counted += sum(1 for r in book.rows[model.DROPOUT.name]
                           if r["状态"] in model.DROPOUT_OPEN_STATUSES and r["年级"] == grade)
            if registered[(school.code, grade)] != counted:
                differences[(school.code, grade)] = registered[(school.code, grade)] - counted
    code, grade, diff = demo.count_mismatch
    assert differences == {(code, grade): diff}


def test_planted_children(plan):
    county, demo = plan
    everywhere_else = {r["身份证号"] for r in demo.xueji} | {r["身份证号"] for r in demo.elsewhere}
    everywhere_else |= {r["身份证号"] for b in county.books.values() for rows in b.rows.values() for r in rows}
    assert len(demo.hidden) == 2 * len(county.townships) + 2
    for pid in demo.hidden:
        assert pid not in everywhere_else and demo.status[pid] == "待核查"
    assert demo.key_group_child in demo.hidden and demo.key_group_of[demo.key_group_child]
    rows = [r["身份证号"] for rs in demo.household.values() for r in rs]
    assert Counter(rows)[demo.duplicate] == 2 and sum(1 for v in Counter(rows).values() if v > 1) == 1
    assert not idcard.checksum_ok(demo.bad_id) and idcard.checksum_ok(demo.bad_id_true)
    names = {r["身份证号"]: r["姓名"] for rs in demo.household.values() for r in rs}
    mismatched = [r for r in demo.xueji if names.get(r["身份证号"]) not in (None, r["姓名"])]
    assert [r["身份证号"] for r in mismatched] == [demo.name_mismatch]
    assert all(pid not in names for pid in demo.not_in_household)
    assert demo.not_school_age and all(pid not in demo.status for pid in demo.not_school_age)


def test_deterministic(plan):
    county, demo = plan
    again = plan_household(county)
    assert (again.household, again.xueji, again.status) == (demo.household, demo.xueji, demo.status)


def test_the_township_return_covers_all_but_one_listed_child(plan):
    county, demo = plan
    town = demo.township_of[demo.key_group_child]
    listed = [p for p, s in demo.status.items() if s == "待核查" and demo.township_of[p] == town]
    found = township_findings(demo, town)
    assert len(found) == len(listed) - 1 and found[demo.key_group_child].result == "失学辍学"
    assert {v.result for v in found.values()} <= set(model.CODE_LISTS["核查结果"])


# ============================================================================================== end to end
@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo-hh")
    county = generate_county(out, townships=2, schools_per_township=3, months=MONTHS, seed=11, mistakes=False)
    run_end_to_end(county, out)
    return county, run_household_line(county, out), out


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_ledger_gives_every_child_the_planned_status(run):
    _county, hh, _out = run
    demo, first = hh.demo, hh.first
    got = dict(zip(first.ledger["身份证号"], first.ledger["台账状态"]))
    assert got == demo.status
    assert first.county["school_age"] == len(demo.status)
    for status, key in (("在校", "in_school"), ("失学辍学", "out_of_school"), ("待核查", "to_verify"),
                        ("缓学", "deferred"), ("县外就读", "elsewhere")):
        assert first.county[key] == demo.counts()[status]
    for t in first.townships:
        assert t["to_verify"] == demo.counts(t["name"])["待核查"]


def test_planted_findings(run):
    _county, hh, _out = run
    demo, first = hh.demo, hh.first
    rules = Counter(f.rule for f in first.findings)
    assert rules["H001"] == 1 and rules["H002"] >= 1 and rules["H008"] == 1
    h008 = next(f for f in first.findings if f.rule == "H008")
    assert h008.school == demo.count_mismatch[0]
    assert any(f.rule == "H006" for f in first.findings)
    assert any(f.rule == "F005" and f.sheet == model.HOUSEHOLD_LIST.name for f in first.findings)
    listed = first.to_verify   # the key-group child comes first in its village's rows of the 核查清单
    village = listed[(listed["户籍乡镇"] == hh.township) & (listed["户籍村(社区)"] == demo.village_of[demo.key_group_child])]
    assert village.iloc[0]["身份证号"] == demo.key_group_child


def test_a_township_return_lowers_to_verify_and_leaves_the_generated_list_alone(run):
    _county, hh, _out = run
    generated = hh.first_files["checklists"][hh.township]
    assert hh.returned != generated and RETURNS_DIR in hh.returned.parts
    assert _sha(hh.returned) != _sha(generated)
    before = hh.first.to_verify_by_township().get(hh.township, 0)
    after = hh.second.to_verify_by_township().get(hh.township, 0)
    assert after == before - len(township_findings(hh.demo, hh.township)) == 1   # one child not visited yet
    assert hh.second.county["to_verify"] < hh.first.county["to_verify"]
    status = dict(zip(hh.second.ledger["身份证号"], hh.second.ledger["台账状态"]))
    assert status[hh.demo.key_group_child] == "失学辍学"
    assert any(f.rule == "H005" for f in hh.second.findings)
    assert (hh.folder / OUTPUT_DIR / "交回后").is_dir()
    # the child the township found at the door, in no list: one H010 at the row it typed, not in the ledger
    door = hh.demo.found_at_door
    [h010] = [f for f in hh.second.findings if f.rule == "H010"]
    assert h010.file.endswith(hh.returned.name) and h010.row == door.row and h010.value == door.pid
    assert door.pid not in status and not [f for f in hh.first.findings if f.rule == "H010"]


def test_demo_command_prints_to_verify_going_down(tmp_path, capsys):
    from baoxue.cli import main
    assert main(["demo", "--out", str(tmp_path), "--townships", "2", "--schools", "2", "--months", "2026-11"]) == 0
    printed = capsys.readouterr().out
    assert "户籍线" in printed and "交回" in printed and "对不上户籍名单中的儿童（H010）" in printed
    line = next(l for l in printed.splitlines() if l.startswith("待核查：全县"))
    before, after = (int(x) for x in line.split("全县 ")[1].split(" 人")[0].split(" → "))
    assert after < before
    assert (tmp_path / "月报表_2026-11.xlsx").exists()
