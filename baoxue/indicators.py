"""Monthly indicators (SPEC §5): one school's figures from its SchoolBook, and sums for townships and the county.

``INDICATORS`` is the ordered list of (JSON key, 月报汇总 label); the template's live formulas, ``update``'s 程序计算值
column, the roll-up's JSON and the monthly report all follow it.

Rule-dependent counts (劝返逾期未升级 = C003 rows, 休学逾期未复学 = C005, 缓学到期未入学 = C006, 送教达标人数) call the same
functions the rules use (``baoxue.cases``), so a figure and a warning can never disagree.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable

from . import model
from .book import SchoolBook, month_end, month_start

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
    ("dropout_rate_primary", "小学辍学率"),
    ("dropout_rate_junior", "初中辍学率"),
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
NOT_SUMMED = ("zero_report",)
COUNT_KEYS: tuple[str, ...] = tuple(k for k in KEYS if k not in RATES and k not in NOT_SUMMED)
ZERO_REPORT_SCHOOLS = "zero_report_schools"    # aggregate(): how many schools declared 零报告 = 是
SCHOOLS_COUNTED = "schools_counted"            # aggregate(): how many school figure sets were summed


def rate(numerator: int | float, enrolled: int | float) -> float | None:
    """open / (enrolled + open) × 100 with two decimals (rounded half up, as Excel's ROUND); None when the
    denominator is 0."""
    denominator = enrolled + numerator
    if not denominator:
        return None
    value = Decimal(numerator) * 100 / Decimal(denominator)
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _in(day: Any, start: dt.date, end: dt.date) -> bool:
    return isinstance(day, dt.date) and start <= day <= end


def _count(mask) -> int:
    return int(sum(bool(v) for v in mask))


def school_indicators(book: SchoolBook, policy=None) -> dict[str, Any]:
    """SPEC §5 figures of one school for its report month (counts of rows; rates in percent, None when 0/0)."""
    from . import cases
    from .policy import DEFAULT

    policy = policy or DEFAULT
    if not book.month:
        raise ValueError("封面的“报送月份”为空或格式不对，无法计算月报指标。")
    start, as_of = month_start(book.month), month_end(book.month)
    out: dict[str, Any] = {}
    out["enrolled_primary"] = sum(book.enrolment(g) for g in model.PRIMARY_GRADES)
    out["enrolled_junior"] = sum(book.enrolment(g) for g in model.JUNIOR_GRADES)

    drop = book.frame(model.DROPOUT.name)
    kinds, found = drop["类型"].tolist(), drop["发现日期"].tolist()
    statuses, grades = drop["状态"].tolist(), drop["年级"].tolist()
    out["new_suspected"] = _count(k == "疑似辍学" and _in(d, start, as_of) for k, d in zip(kinds, found))
    out["new_dropout"] = _count(k == "辍学" and _in(d, start, as_of) for k, d in zip(kinds, found))
    out["returned"] = _count(s == "已复学" and _in(d, start, as_of)
                             for s, d in zip(statuses, drop["复学日期"].tolist()))
    out["closed"] = _count(_in(d, start, as_of) for d in drop["销号日期"].tolist())
    is_open = cases.open_mask(model.DROPOUT.name, drop).tolist()
    out["open_cases"] = _count(is_open)
    out["open_primary"] = _count(o and g in model.PRIMARY_GRADES for o, g in zip(is_open, grades))
    out["open_junior"] = _count(o and g in model.JUNIOR_GRADES for o, g in zip(is_open, grades))
    out["open_unknown"] = _count(s == "去向不明" for s in statuses)
    for key, (num, enrolled) in RATES.items():
        out[key] = rate(out[num], out[enrolled])
    out["escalation_overdue"] = _count(cases.escalation_overdue(drop, as_of, policy)) if len(drop) else 0

    leave = book.frame(model.LEAVE.name)
    out["on_leave"] = _count(cases.open_mask(model.LEAVE.name, leave))
    out["new_leave"] = _count(_in(d, start, as_of) for d in leave["休学起始日期"].tolist())
    out["leave_overdue"] = _count(cases.leave_overdue(leave, as_of)) if len(leave) else 0

    defer = book.frame(model.DEFER.name)
    out["deferred"] = _count(cases.open_mask(model.DEFER.name, defer))
    out["deferred_expired"] = _count(cases.deferral_expired(defer, as_of)) if len(defer) else 0

    home = book.frame(model.HOME.name)
    visits = book.frame(model.VISITS.name)
    roster_ids = {v for v in home["身份证号"].tolist() if isinstance(v, str) and v}
    teaching_ids = [v for v, o in zip(home["身份证号"].tolist(), cases.open_mask(model.HOME.name, home).tolist()) if o]
    out["home_taught"] = len(teaching_ids)
    out["home_visits"], out["home_hours"], out["home_meeting_min"] = 0, 0, 0
    if len(visits):  # the pandas work below is the bulk of this function: skip it for schools with no visit log
        counts = cases.visit_counts(visits, book.month)
        on_roster = counts[counts.index.isin(list(roster_ids))]
        out["home_visits"] = int(on_roster["visits"].sum())
        hours = float(sum(on_roster["hours"].tolist()))
        out["home_hours"] = int(hours) if hours.is_integer() else round(hours, 2)
        qualifying = cases.qualifying_counts(visits, book.month, policy)
        need = int(policy["home_teaching.visits_per_month"])
        out["home_meeting_min"] = sum(1 for pid in teaching_ids
                                      if isinstance(pid, str) and qualifying.get(pid, 0) >= need)

    zero = book.cover.get("零报告")
    out["zero_report"] = zero if zero in model.CODE_LISTS["是否"] else None
    return {key: out[key] for key in KEYS}


def aggregate(figures: Iterable[dict[str, Any] | None]) -> dict[str, Any]:
    """Township / county figures: counts summed over the schools' figure sets (None = not submitted, skipped), rates
    recomputed from the sums (never averaged). ``zero_report`` is not summed: ``zero_report_schools`` counts the
    schools that declared 零报告 = 是; ``schools_counted`` says how many figure sets went into the sums."""
    sets = [f for f in figures if f]
    out: dict[str, Any] = {}
    for key in KEYS:
        if key in RATES or key in NOT_SUMMED:
            continue
        total = sum((f.get(key) or 0) for f in sets)
        out[key] = int(total) if float(total).is_integer() else round(float(total), 2)
    for key, (num, enrolled) in RATES.items():
        out[key] = rate(out[num], out[enrolled])
    out[ZERO_REPORT_SCHOOLS] = sum(1 for f in sets if f.get("zero_report") == "是")
    out[SCHOOLS_COUNTED] = len(sets)
    ordered = {key: out[key] for key in KEYS if key in out}
    ordered[ZERO_REPORT_SCHOOLS] = out[ZERO_REPORT_SCHOOLS]
    ordered[SCHOOLS_COUNTED] = out[SCHOOLS_COUNTED]
    return ordered
