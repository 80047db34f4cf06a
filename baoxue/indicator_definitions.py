"""The monthly figures as data (SPEC §5, §5.1): their JSON keys, 月报汇总 labels, which are rates of what, and the order
tables show them in. The computations are ``baoxue.indicators`` (a book's figures) and ``baoxue.rollup.school_year``;
the template's live formulas (``layout``), the reader's formula check, the roll-up's JSON and the 月报表 read the keys
from here, so none of them needs the computations.
"""
from __future__ import annotations

INDICATORS: tuple[tuple[str, str], ...] = (
    ("enrolled_primary", "小学在校生数"),
    ("enrolled_junior", "初中在校生数"),
    ("new_suspected", "本月新增疑似辍学"),
    ("new_dropout", "本月新增辍学"),
    ("returned", "本月劝返复学"),
    ("closed", "本月销号"),
    ("open_cases", "月末在册未销号"),
    ("open_primary", "其中小学"),
    ("open_junior", "其中初中"),
    ("open_unknown", "其中去向不明"),
    ("dropout_rate_primary", "小学月末在册辍学率"),
    ("dropout_rate_junior", "初中月末在册辍学率"),
    ("escalation_overdue", "劝返逾期未升级"),
    ("on_leave", "在休学"),
    ("new_leave", "本月新增休学"),
    ("leave_overdue", "休学逾期未复学"),
    ("deferred", "缓学中"),
    ("deferred_expired", "缓学到期未入学"),
    ("home_taught", "送教上门人数"),
    ("home_visits", "本月送教次数"),
    ("home_hours", "本月送教课时"),
    ("home_meeting_min", "送教达标人数"),
    ("zero_report", "零报告"),
)
LABELS: dict[str, str] = dict(INDICATORS)
KEYS: tuple[str, ...] = tuple(k for k, _ in INDICATORS)

# rate key -> (numerator key, enrolment key): rate = open / (enrolled + open) × 100
RATES: dict[str, tuple[str, str]] = {
    "dropout_rate_primary": ("open_primary", "enrolled_primary"),
    "dropout_rate_junior": ("open_junior", "enrolled_junior"),
}
SCHOOL_YEAR_INDICATORS: tuple[tuple[str, str], ...] = (
    ("enrolled_start_primary", "小学学年初在校生数"),
    ("enrolled_start_junior", "初中学年初在校生数"),
    ("year_dropout_primary", "小学学年辍学人数"),
    ("year_dropout_junior", "初中学年辍学人数"),
    ("year_dropout_rate_primary", "小学学年辍学率"),
    ("year_dropout_rate_junior", "初中学年辍学率"),
    ("cumulative_dropout_primary", "小学本学年累计辍学人数"),
    ("cumulative_dropout_junior", "初中本学年累计辍学人数"),
)
SCHOOL_YEAR_KEYS: tuple[str, ...] = tuple(k for k, _ in SCHOOL_YEAR_INDICATORS)
# rate key -> (numerator key, denominator key): rate = year_dropout / enrolled_start × 100
YEAR_RATES: dict[str, tuple[str, str]] = {
    "year_dropout_rate_primary": ("year_dropout_primary", "enrolled_start_primary"),
    "year_dropout_rate_junior": ("year_dropout_junior", "enrolled_start_junior"),
}
ALL_RATES: tuple[str, ...] = (*RATES, *YEAR_RATES)
_AFTER = "dropout_rate_junior"   # the school-year figures follow the month-end rates in tables
FIGURES: tuple[tuple[str, str], ...] = tuple(
    pair for key, label in INDICATORS
    for pair in (((key, label), *SCHOOL_YEAR_INDICATORS) if key == _AFTER else ((key, label),)))
NOT_SUMMED = ("zero_report",)
COUNT_KEYS: tuple[str, ...] = tuple(k for k in KEYS if k not in RATES and k not in NOT_SUMMED)
ZERO_REPORT_SCHOOLS = "zero_report_schools"    # aggregate(): how many schools declared 零报告 = 是
SCHOOLS_COUNTED = "schools_counted"            # aggregate(): how many school figure sets were summed
