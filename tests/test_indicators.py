"""Indicator definitions (SPEC §5): the key list matches the SPEC, rates are rounded like Excel, and township/county
figures sum the counts and recompute the rates (never an average of rates)."""
from __future__ import annotations

import pytest

from baoxue.book import SchoolBook
from baoxue.indicators import (COUNT_KEYS, INDICATORS, KEYS, SCHOOLS_COUNTED, ZERO_REPORT_SCHOOLS, aggregate, rate,
                               school_indicators)
from baoxue.policy import DEFAULT

# SPEC §5's JSON keys, in the SPEC's table order (the SPEC lives outside this repository, in ../shared/SPEC.md)
SPEC_KEYS = """enrolled_primary enrolled_junior new_suspected new_dropout returned closed open_cases open_primary
open_junior open_unknown dropout_rate_primary dropout_rate_junior escalation_overdue on_leave new_leave leave_overdue
deferred deferred_expired home_taught home_visits home_hours home_meeting_min zero_report""".split()


def test_keys_are_spec_section_5_in_order():
    assert list(KEYS) == SPEC_KEYS
    assert len({label for _k, label in INDICATORS}) == len(INDICATORS)


@pytest.mark.parametrize("num,enrolled,expected", [
    (0, 0, None), (0, 100, 0.0), (1, 99, 1.0), (1, 799, 0.13),   # 0.125 rounds half up (Excel ROUND), not to even
    (2, 1, 66.67), (3, 0, 100.0)])
def test_rate(num, enrolled, expected):
    assert rate(num, enrolled) == expected


def figures(**counts) -> dict:
    out = {k: 0 for k in COUNT_KEYS}
    out.update(counts)
    out["dropout_rate_primary"] = rate(out["open_primary"], out["enrolled_primary"])
    out["dropout_rate_junior"] = rate(out["open_junior"], out["enrolled_junior"])
    out.setdefault("zero_report", "否")
    return out


def test_aggregate_sums_counts_and_recomputes_rates():
    small = figures(enrolled_junior=10, open_junior=1, open_cases=1, home_hours=2.5, zero_report="否")
    large = figures(enrolled_junior=990, open_junior=0, enrolled_primary=500, home_hours=4, zero_report="是")
    total = aggregate([small, large, None])          # None: a school that sent nothing is skipped
    assert total["enrolled_junior"] == 1000 and total["open_junior"] == 1 and total["open_cases"] == 1
    assert total["home_hours"] == 6.5
    # recomputed from the sums: 1 / (1000 + 1); an average of the two schools' rates would be about 4.55
    assert total["dropout_rate_junior"] == rate(1, 1000) == 0.1
    assert total["dropout_rate_primary"] == 0.0
    assert total[ZERO_REPORT_SCHOOLS] == 1 and total[SCHOOLS_COUNTED] == 2
    assert "zero_report" not in total
    assert all(k in total for k in COUNT_KEYS)


def test_aggregate_of_nothing():
    total = aggregate([None, None])
    assert total["open_cases"] == 0 and total["dropout_rate_primary"] is None and total[SCHOOLS_COUNTED] == 0


def test_school_indicators_need_a_report_month():
    with pytest.raises(ValueError, match="报送月份"):
        school_indicators(SchoolBook(cover={"报送月份": None}), DEFAULT)


# ---------------------------------------------------------------------------------------------- batches of books
# batch_indicators is the one implementation (school_indicators is a batch of one): a book's figures must be the same
# alone and among others — each counted over its own rows, IDs and report month only — and match figures counted here.

def _school_books(tmp_path_factory):
    import copy

    from rules_helpers import D, DROP_ID, HOME_ID, clean, write

    from baoxue.reader import read_workbook

    tmp = tmp_path_factory.mktemp("batch-indicators")
    cover, rows = clean()
    rows["辍学"] += [
        {**rows["辍学"][0], "序号": 2, "类型": "辍学", "发现日期": D(2026, 9, 12), "状态": "去向不明", "年级": "三年级",
         "劝返动员日期": D(2026, 9, 13), "限期复学通知日期": D(2026, 9, 15)},          # open, C003 by 09-30
        {**rows["辍学"][0], "序号": 3, "类型": "辍学", "发现日期": D(2026, 8, 20), "状态": "已复学", "年级": "九年级",
         "复学日期": D(2026, 9, 18), "销号日期": D(2026, 9, 18)},                   # returned and closed in 9月
    ]
    rows["休学"].append({**rows["休学"][0], "序号": 2, "休学起始日期": D(2026, 3, 1), "预计复学日期": D(2026, 9, 20)})
    rows["缓学"].append({**rows["缓学"][0], "序号": 2, "缓学截止日期": D(2026, 9, 10)})
    visit = rows["送教记录"][0]
    rows["送教记录"] += [
        {**visit, "序号": 3, "送教日期": D(2026, 9, 25), "课时": 1.5},              # in 9月, not qualifying
        {**visit, "序号": 4, "送教日期": D(2026, 8, 28)},                         # August: not counted
        {**visit, "序号": 5, "身份证号": DROP_ID, "姓名": "张小明", "送教日期": D(2026, 9, 10)},  # not on the roster
    ]
    full = (cover, rows)

    def variant(name, cover_changes=None, edit=None, keep=None):
        c, r = copy.deepcopy(full)
        c.update(cover_changes or {})
        if keep is not None:
            r = {sheet: r[sheet] for sheet in keep}
        if edit:
            edit(r)
        return read_workbook(write(tmp, c, r, f"{name}.xlsx"))

    def invalid_dates(r):
        r["辍学"][0]["发现日期"] = "不详"
        r["辍学"][1]["限期复学通知日期"] = "九月十五"
        r["辍学"][2]["复学日期"] = "2026-13-01"
        r["休学"][1]["预计复学日期"] = "待定"
        r["送教记录"][0]["送教日期"] = "九月五日"

    return {
        "A": variant("A"),
        "empty": variant("empty", {"零报告": "是"}, keep=()),
        "no_month": variant("no_month", {"报送月份": None}),
        "october": variant("october", {"报送月份": "2026-10"}),   # the same rows, a month later
        "visits_only": variant("visits_only", keep=("送教记录",)),  # A's roster ID, but no roster in this book
        "invalid": variant("invalid", edit=invalid_dates),
    }, HOME_ID


@pytest.fixture(scope="module")
def school_books(tmp_path_factory):
    return _school_books(tmp_path_factory)[0]


def _expected_a() -> dict:
    out = figures(enrolled_primary=240, enrolled_junior=120, new_suspected=1, new_dropout=1, returned=1, closed=1,
                  open_cases=2, open_primary=1, open_junior=1, open_unknown=1, escalation_overdue=1, on_leave=2,
                  new_leave=1, leave_overdue=1, deferred=2, deferred_expired=1, home_taught=1, home_visits=3,
                  home_hours=5.5, home_meeting_min=1, zero_report="否")
    return {k: out[k] for k in KEYS}


def _same(a, b) -> bool:
    """Equal figures with the same value types (int stays int, a rate float, None None)."""
    if a is None or b is None:
        return a is b
    return list(a) == list(b) == list(KEYS) and all(a[k] == b[k] and type(a[k]) is type(b[k]) for k in KEYS)


def test_batch_indicators_count_each_book_alone(school_books):
    from baoxue.indicators import batch_indicators
    from baoxue.normalize import Invalid

    names = list(school_books)
    books = [school_books[n] for n in names]
    assert isinstance(school_books["invalid"].frame("辍学")["发现日期"].iloc[0], Invalid)
    together = batch_indicators(books, DEFAULT)
    alone = [batch_indicators([b], DEFAULT)[0] for b in books]
    assert all(_same(t, a) for t, a in zip(together, alone)), (together, alone)
    # the same books in another order and with repeats: still each its own figures
    shuffled = batch_indicators(books[::-1] + books[:2], DEFAULT)
    assert all(_same(s, a) for s, a in zip(shuffled, alone[::-1] + alone[:2]))
    got = dict(zip(names, together))

    assert _same(got["A"], _expected_a())
    assert got["no_month"] is None
    empty = figures(enrolled_primary=240, enrolled_junior=120, zero_report="是")   # every sheet without rows
    assert _same(got["empty"], {k: empty[k] for k in KEYS})
    october = _expected_a() | dict(new_suspected=0, new_dropout=0, returned=0, closed=0, new_leave=0, home_visits=0,
                                    home_hours=0, home_meeting_min=0)
    assert _same(got["october"], october)
    visits_only = {k: figures(enrolled_primary=240, enrolled_junior=120)[k] for k in KEYS}
    assert _same(got["visits_only"], visits_only)            # A's ID visited, but not on this book's roster
    invalid = _expected_a() | dict(new_suspected=0, escalation_overdue=0, returned=0, leave_overdue=0, home_visits=2,
                                   home_hours=3.5, home_meeting_min=0)   # an Invalid date counts as no date
    assert _same(got["invalid"], invalid)


def test_school_indicators_is_a_batch_of_one(school_books):
    from baoxue.indicators import batch_indicators
    for name, book in school_books.items():
        if name == "no_month":
            with pytest.raises(ValueError, match="报送月份"):
                school_indicators(book, DEFAULT)
        else:
            assert _same(school_indicators(book, DEFAULT), batch_indicators([book], DEFAULT)[0])
    assert batch_indicators([], DEFAULT) == []


def test_batch_indicators_share_the_validation_batch(school_books):
    from baoxue.indicators import batch_indicators
    from baoxue.policy import DEFAULT
    from baoxue.validators import validate_books
    from baoxue.batch import Batch

    books = list(school_books.values())
    batch = Batch(books, DEFAULT)
    assert validate_books(books, DEFAULT, batch=batch) == validate_books(books, DEFAULT)
    shared = batch_indicators(books, DEFAULT, batch=batch)
    assert all(_same(s, a) for s, a in zip(shared, batch_indicators(books, DEFAULT)))
    with pytest.raises(ValueError):
        batch_indicators(books[:2], DEFAULT, batch=batch)       # a batch over other books


def test_rollup_keeps_the_figures_of_the_other_books_when_one_is_odd(school_books):
    """A book the batch cannot take (a sheet without a column the figures read) costs only its own figures."""
    import copy

    from baoxue.indicators import batch_indicators
    from baoxue.policy import DEFAULT
    from baoxue.rollup import worker

    odd = copy.copy(school_books["A"])
    odd.sheets = {**odd.sheets, "辍学": odd.sheets["辍学"].drop(columns=["类型"])}
    with pytest.raises(KeyError):
        school_indicators(odd, DEFAULT)
    books = [school_books["A"], odd, school_books["october"], school_books["no_month"]]
    with pytest.raises(KeyError):
        batch_indicators(books, DEFAULT)
    got = worker._indicators_safely(books, DEFAULT)
    assert _same(got[0], _expected_a()) and got[1] is None and got[3] is None
    assert _same(got[2], school_indicators(school_books["october"], DEFAULT))
