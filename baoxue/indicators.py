"""Monthly indicators (SPEC §5): schools' figures from their SchoolBooks, and sums for townships and the county.

``batch_indicators(books, policy)`` computes many schools' figures in one pass over the concatenated frames (the
roll-up shares the validators' batch); ``school_indicators(book, policy)`` is a batch of one — there is one
implementation of the definitions.

``INDICATORS`` is the ordered list of (JSON key, 月报汇总 label); the template's live formulas, ``update``'s 程序计算值
column, the roll-up's JSON and the monthly report all follow it. The §5 rates are month-end stocks (月末在册辍学率:
every open case, suspected ones included, over this month's enrolment + open cases).

``SCHOOL_YEAR_INDICATORS`` are the school-year figures of SPEC §5.1 (学年辍学率 = 学年辍学人数 ÷ 学年初在校生数, the rate
the policy's annual targets speak of). They need the history store, so the roll-up computes them
(``baoxue.rollup.school_year``); a single workbook's 月报汇总 does not carry them. ``FIGURES`` is the order every table of
a roll-up's figures shows both sets in (the month-end rates next to the school-year ones).

Rule-dependent counts (劝返逾期未升级 = C003 rows, 休学逾期未复学 = C005, 缓学到期未入学 = C006, 送教达标人数) call the same
functions the rules use (``baoxue.cases``), so a figure and a warning can never disagree.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter, methodcaller
from typing import Any, Iterable

import numpy as np

from . import cases, model
from .batch import AS_OF, BOOK_KEY, MONTH, Batch
from .book import SchoolBook
from .indicator_definitions import (  # noqa: F401  (the definitions, importable from here too)
    ALL_RATES, COUNT_KEYS, FIGURES, INDICATORS, KEYS, LABELS, NOT_SUMMED, RATES, SCHOOL_YEAR_INDICATORS, SCHOOL_YEAR_KEYS,
    SCHOOLS_COUNTED, YEAR_RATES, ZERO_REPORT_SCHOOLS)
from .months import month_end, month_start
from .policy import Policy



def percent(numerator: int | float, denominator: int | float) -> float | None:
    """numerator / denominator × 100 with two decimals (rounded half up, as Excel's ROUND); None when the denominator
    is 0."""
    if not denominator:
        return None
    value = Decimal(numerator) * 100 / Decimal(denominator)
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def rate(numerator: int | float, enrolled: int | float) -> float | None:
    """The month-end rate (月末在册辍学率): open / (enrolled + open) × 100, two decimals; None when 0/0."""
    return percent(numerator, enrolled + numerator)


def year_rate(year_dropout: int | float, enrolled_start: int | float) -> float | None:
    """The school-year rate (学年辍学率, SPEC §5.1): year_dropout / enrolled_start × 100, two decimals; None when the
    start enrolment is 0."""
    return percent(year_dropout, enrolled_start)


# The columns the figures read, per sheet. A book whose non-empty sheet lacks one raises KeyError (a malformed book the
# roll-up lists without figures), whether it is computed alone or in a batch (where concatenation would fill it in).
_USED_COLUMNS: dict[str, frozenset[str]] = {
    model.DROPOUT.name: frozenset(("类型", "发现日期", "状态", "年级", "复学日期", "销号日期", "限期复学通知日期", "行政处罚日期")),
    model.LEAVE.name: frozenset(("状态", "休学起始日期", "预计复学日期")),
    model.DEFER.name: frozenset(("状态", "缓学截止日期")),
    model.HOME.name: frozenset(("状态", "身份证号")),
    model.VISITS.name: frozenset(("送教日期", "身份证号", "课时")),
}


def school_indicators(book: SchoolBook, policy: Policy) -> dict[str, Any]:
    """SPEC §5 figures of one school for its report month (counts of rows; rates in percent, None when 0/0): a batch
    of one (``batch_indicators``). Raises ValueError when the cover has no valid report month."""
    if not book.month:
        raise ValueError("封面的“报送月份”为空或格式不对，无法计算月报指标。")
    return batch_indicators([book], policy)[0]


def batch_indicators(books: Iterable[SchoolBook], policy: Policy, batch: Batch | None = None
                     ) -> list[dict[str, Any] | None]:
    """SPEC §5 figures of many schools at once, in the order of ``books`` (None for a book without a valid report
    month). One vectorised pass over the concatenated frames of a ``baoxue.batch.Batch`` (each book's rows
    counted by its ``_book`` key): pass the batch validation used (``validate_books(..., batch=)``) to share its frames
    and typed columns; it must be over the same books. Each book's figures are the same whether it is computed alone
    or with others (only its own rows and IDs count)."""
    books = list(books)
    if batch is None:
        batch = Batch(books, policy)
    else:
        if len(batch.books) != len(books) or any(a is not b for a, b in zip(batch.books, books)):
            raise ValueError("batch_indicators: the batch is over other books")
        policy = batch.policy   # the batch carries the policy it was made with
    n = len(books)
    if not n:
        return []
    has_rows = dict.fromkeys(_USED_COLUMNS, False)   # a sheet no book has rows on is not concatenated (all zero)
    for book in books:
        for sheet, used in _USED_COLUMNS.items():
            lists = book.columns(sheet)   # the reader's lists hold every model column
            if lists is not None:
                has_rows[sheet] = has_rows[sheet] or bool(lists["_row"])
                continue
            df = book.sheets.get(sheet)
            if df is not None and len(df):
                has_rows[sheet] = True
                if not used.issubset(df.columns):
                    raise KeyError(f"{sheet}: {sorted(used.difference(df.columns))}")
    months = [b.month for b in books]
    nat = np.datetime64("NaT", "ns")
    starts = np.array([np.datetime64(month_start(m), "ns") if m else nat for m in months], dtype="datetime64[ns]")
    ends = np.array([np.datetime64(month_end(m), "ns") if m else nat for m in months], dtype="datetime64[ns]")
    zeros = np.zeros(n, dtype=np.int64)

    def counts(df, mask) -> np.ndarray:
        """Rows per book where ``mask`` (bool per row of ``df``) holds."""
        mask = np.asarray(mask, dtype=bool)
        return np.bincount(df[BOOK_KEY].to_numpy()[mask], minlength=n)

    def in_month(sheet: str, df, column: str) -> np.ndarray:
        """Bool per row: ``column`` is dated within the row's book's report month (SPEC §5 "in M")."""
        day = batch.dates(sheet, column).to_numpy()
        key = df[BOOK_KEY].to_numpy()
        return (day >= starts[key]) & (day <= ends[key])

    def is_(df, column: str, *values: str) -> np.ndarray:
        return df[column].isin(values).to_numpy()

    out: dict[str, Any] = {}
    out["enrolled_primary"] = [sum(b.enrolment(g) for g in model.PRIMARY_GRADES) for b in books]
    out["enrolled_junior"] = [sum(b.enrolment(g) for g in model.JUNIOR_GRADES) for b in books]

    sheet = model.DROPOUT.name
    drop = batch.frame(sheet) if has_rows[sheet] else None
    if drop is not None:
        found = in_month(sheet, drop, "发现日期")
        is_open = cases.open_mask(sheet, drop).to_numpy()
        out["new_suspected"] = counts(drop, is_(drop, "类型", "疑似辍学") & found)
        out["new_dropout"] = counts(drop, is_(drop, "类型", "辍学") & found)
        out["returned"] = counts(drop, is_(drop, "状态", "已复学") & in_month(sheet, drop, "复学日期"))
        out["closed"] = counts(drop, in_month(sheet, drop, "销号日期"))
        out["open_cases"] = counts(drop, is_open)
        out["open_primary"] = counts(drop, is_open & is_(drop, "年级", *model.PRIMARY_GRADES))
        out["open_junior"] = counts(drop, is_open & is_(drop, "年级", *model.JUNIOR_GRADES))
        out["open_unknown"] = counts(drop, is_(drop, "状态", "去向不明"))
        out["escalation_overdue"] = counts(drop, cases.escalation_overdue(drop, drop[AS_OF], policy))
    else:
        for key in ("new_suspected", "new_dropout", "returned", "closed", "open_cases", "open_primary", "open_junior",
                    "open_unknown", "escalation_overdue"):
            out[key] = zeros

    sheet = model.LEAVE.name
    leave = batch.frame(sheet) if has_rows[sheet] else None
    if leave is not None:
        out["on_leave"] = counts(leave, cases.open_mask(sheet, leave))
        out["new_leave"] = counts(leave, in_month(sheet, leave, "休学起始日期"))
        out["leave_overdue"] = counts(leave, cases.leave_overdue(leave, leave[AS_OF]))
    else:
        out["on_leave"] = out["new_leave"] = out["leave_overdue"] = zeros

    sheet = model.DEFER.name
    defer = batch.frame(sheet) if has_rows[sheet] else None
    if defer is not None:
        out["deferred"] = counts(defer, cases.open_mask(sheet, defer))
        out["deferred_expired"] = counts(defer, cases.deferral_expired(defer, defer[AS_OF]))
    else:
        out["deferred"] = out["deferred_expired"] = zeros

    home = batch.frame(model.HOME.name) if has_rows[model.HOME.name] else None
    teaching = cases.open_mask(model.HOME.name, home).to_numpy() if home is not None else None
    out["home_taught"] = counts(home, teaching) if home is not None else zeros
    home_visits, home_hours, meeting = [0] * n, [0] * n, zeros
    if has_rows[model.VISITS.name]:
        visits = batch.frame(model.VISITS.name)
        # visits in M of roster IDs (any 送教上门 row of the same book), per (book, ID) as visit_counts sums them; the
        # hours are added per book in the same order (by ID) a book alone adds them, so the floats are the same
        roster = set() if home is None else set(zip(home[BOOK_KEY].tolist(),
                                                    batch.texts(model.HOME.name, "身份证号").tolist()))
        per_id = cases.visit_counts(visits, visits[MONTH])
        for (b, pid), v, h in zip(per_id.index.tolist(), per_id["visits"].tolist(), per_id["hours"].tolist()):
            if (b, pid) in roster:
                home_visits[b] += v
                home_hours[b] += h
        if home is not None:
            # 送教达标: 送教中 rows whose ID (text) has the policy's number of qualifying visits this month; only books
            # with a visit log count (a book without one has no figures from it, whatever the policy minimum)
            need = int(policy.home_teaching.visits_per_month)
            got = cases.roster_qualifying(home, visits, visits[MONTH], policy).to_numpy()
            text_id = np.fromiter((isinstance(v, str) for v in home["身份证号"].tolist()), dtype=bool, count=len(home))
            logged = np.bincount(visits[BOOK_KEY].to_numpy(), minlength=n) > 0
            meeting = counts(home, teaching & text_id & (got >= need) & logged[home[BOOK_KEY].to_numpy()])
    out["home_visits"] = home_visits
    out["home_hours"] = [int(h) if float(h).is_integer() else round(float(h), 2) for h in home_hours]
    out["home_meeting_min"] = meeting
    out["zero_report"] = [z if z in model.CODE_LISTS["是否"] else None for z in (b.cover.get("零报告") for b in books)]

    columns = {key: (values.tolist() if isinstance(values, np.ndarray) else values) for key, values in out.items()}
    figures: list[dict[str, Any] | None] = []
    for i, month in enumerate(months):
        if not month:
            figures.append(None)
            continue
        one = {key: columns[key][i] for key in columns}
        for key, (num, enrolled) in RATES.items():
            one[key] = rate(one[num], one[enrolled])
        figures.append({key: one[key] for key in KEYS})
    return figures


def _columns(sets: list[dict[str, Any]], keys: list[str]) -> list[tuple | list]:
    """Per key, its values in the figure sets (None where a set lacks it): one look-up of all keys per set."""
    if len(keys) > 1 and sets:
        try:
            return list(zip(*map(itemgetter(*keys), sets)))
        except KeyError:
            pass
    return [list(map(methodcaller("get", key), sets)) for key in keys]


def aggregate(figures: Iterable[dict[str, Any] | None], school_year: bool | None = None) -> dict[str, Any]:
    """Township / county figures: counts summed over the schools' figure sets (None = not submitted, skipped), rates
    recomputed from the sums (never averaged). ``zero_report`` is not summed: ``zero_report_schools`` counts the
    schools that declared 零报告 = 是; ``schools_counted`` says how many figure sets went into the sums. The school-year
    figures (§5.1) are summed and their rates recomputed alike when ``school_year`` (default: when every set carries
    them)."""
    sets = [f for f in figures if f]
    year = school_year if school_year is not None else (
        bool(sets) and all(k in f for f in sets for k in SCHOOL_YEAR_KEYS))
    keys = (*KEYS, *SCHOOL_YEAR_KEYS) if year else KEYS
    rates = {**RATES, **YEAR_RATES} if year else RATES
    out: dict[str, Any] = {}
    summed = [key for key in keys if key not in rates and key not in NOT_SUMMED]
    for key, values in zip(summed, _columns(sets, summed)):
        total = sum(filter(None, values))   # (f.get(key) or 0) summed in the sets' order, at C speed
        out[key] = int(total) if float(total).is_integer() else round(float(total), 2)
    for key, (num, enrolled) in RATES.items():
        out[key] = rate(out[num], out[enrolled])
    if year:
        for key, (num, start) in YEAR_RATES.items():
            out[key] = year_rate(out[num], out[start])
    out[ZERO_REPORT_SCHOOLS] = sum(1 for f in sets if f.get("zero_report") == "是")
    out[SCHOOLS_COUNTED] = len(sets)
    ordered = {key: out[key] for key in keys if key in out}
    ordered[ZERO_REPORT_SCHOOLS] = out[ZERO_REPORT_SCHOOLS]
    ordered[SCHOOLS_COUNTED] = out[SCHOOLS_COUNTED]
    return ordered
