"""Indicator definitions (SPEC §5): the key list matches the SPEC, rates are rounded like Excel, and township/county
figures sum the counts and recompute the rates (never an average of rates)."""
from __future__ import annotations

import pytest

from baoxue.book import SchoolBook
from baoxue.indicators import (COUNT_KEYS, INDICATORS, KEYS, SCHOOLS_COUNTED, ZERO_REPORT_SCHOOLS, aggregate, rate,
                               school_indicators)

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
        school_indicators(SchoolBook(cover={"报送月份": None}))
