"""Case logic shared by the validation rules (C003–C006, T001, X001/X002), the monthly indicators (SPEC §4, §5) and the
add-in's worksheet function BX_NEXT_STEP (``next_step``: one 辍学 row's next legal step and its due date).

Every function takes SchoolBook frames (typed values: ``datetime.date``, ``str``, numbers, ``None`` or ``Invalid``);
an ``Invalid`` value is treated as missing, never as a crash. Functions return pandas objects aligned with the frame's
index, so the validators can run them over a *batch*: the concatenation of many books' frames. In a batch the frames
carry a ``_book`` column (the book's position), and ``as_of`` / ``month`` may be a Series aligned with the frame (each
row its own book's as-of date or month) instead of a single value.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping, NamedTuple

import numpy as np
import pandas as pd

from . import model
from .batch import BOOK_KEY, column_values, dates, numbers, present, texts
from .months import month_end, month_start
from .policy import Policy

# The four-step method (四步法, SPEC §1): the 辍学 columns dating each step, in the order the steps must be taken (C007).
FOUR_STEPS = ("劝返动员日期", "限期复学通知日期", "行政处罚日期", "司法程序日期")
# Policy deadlines (SPEC §3) of the steps: 发现 → 第一次劝返 (C004); 限期复学通知 → 行政处罚 (C003):
# ``policy.deadlines.first_persuasion_days`` and ``policy.deadlines.notice_to_next_step_days``.

# ---------------------------------------------------------------------------------------------- typed-value helpers
def is_open_dropout(status: Any) -> bool:
    """核查中 / 劝返中 / 去向不明 (a case not yet closed)."""
    return isinstance(status, str) and status in model.DROPOUT_OPEN_STATUSES


def open_mask(sheet: str, df: pd.DataFrame) -> pd.Series:
    """Bool per row: the row is open on ``sheet`` (辍学 open statuses; 休学中; 缓学中; 送教中)."""
    statuses = model.SHEETS[sheet].open_statuses if sheet in model.SHEETS else ()
    if not statuses or "状态" not in df.columns:
        return pd.Series(False, index=df.index)
    return df["状态"].isin(statuses)


def _aligned(df: pd.DataFrame, value: Any, convert) -> pd.Series:
    if isinstance(value, pd.Series):
        return convert(value.reindex(df.index))
    return convert(pd.Series([value] * len(df), index=df.index, dtype=object))


def as_of_series(df: pd.DataFrame, as_of: Any) -> pd.Series:
    """The as-of date per row as datetime64 (a date, or a Series aligned with ``df``)."""
    if isinstance(as_of, pd.Series) and pd.api.types.is_datetime64_any_dtype(as_of):
        return as_of.reindex(df.index).astype("datetime64[ns]")
    return _aligned(df, as_of, dates)


def month_bounds(df: pd.DataFrame, month: Any) -> tuple[pd.Series, pd.Series]:
    """(first day, last day) of the report month per row; NaT where the month is unknown."""
    def convert(s: pd.Series) -> tuple[pd.Series, pd.Series]:
        # a batch has a handful of months: type each once, then index (the last slot is NaT, for code -1)
        codes, months = pd.factorize(column_values(s), use_na_sentinel=True)
        ok = [isinstance(m, str) and bool(m) for m in months]
        starts = np.array([month_start(m) if k else None for m, k in zip(months, ok)] + [None], dtype="datetime64[ns]")
        ends = np.array([month_end(m) if k else None for m, k in zip(months, ok)] + [None], dtype="datetime64[ns]")
        return pd.Series(starts[codes], index=s.index), pd.Series(ends[codes], index=s.index)
    if isinstance(month, pd.Series):
        return convert(month.reindex(df.index))
    if not isinstance(month, str) or not month:
        nat = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
        return nat, nat
    return (pd.Series(pd.Timestamp(month_start(month)), index=df.index, dtype="datetime64[ns]"),
            pd.Series(pd.Timestamp(month_end(month)), index=df.index, dtype="datetime64[ns]"))


# ---------------------------------------------------------------------------------------------- case rules
def escalation_overdue(dropout_df: pd.DataFrame, as_of: Any, policy: Policy) -> pd.Series:
    """C003: open case whose 限期复学通知 is more than the policy's days before the as-of date, with no 行政处罚日期."""
    notice = dates(dropout_df["限期复学通知日期"])
    penalty_missing = ~present(dropout_df["行政处罚日期"])
    limit = as_of_series(dropout_df, as_of) - pd.Timedelta(days=policy.deadlines.notice_to_next_step_days)
    return (open_mask(model.DROPOUT.name, dropout_df) & penalty_missing & (notice < limit)).fillna(False).astype(bool)


def person_keys(df: pd.DataFrame, column: str = "身份证号") -> pd.Series:
    """Per row, the key that identifies a child: the ID, or "book␟ID" in a batch (IDs compare within one book only);
    None where the ID is missing or untypable."""
    ids = texts(df[column]) if len(df) else pd.Series([], dtype=object)
    if BOOK_KEY not in df.columns:
        return ids
    keys = [None if i is None else f"{b}\x1f{i}" for b, i in zip(df[BOOK_KEY].tolist(), ids.tolist())]
    return pd.Series(keys, index=df.index, dtype=object)


def persuaded_ids(persuasion_df: pd.DataFrame) -> set:
    """Keys (see ``person_keys``) of the children with a dated persuasion-log row."""
    keys = person_keys(persuasion_df)
    keep = keys.notna() & present(persuasion_df["劝返日期"])
    return set(keys[keep].tolist())


def _keys(df: pd.DataFrame, column: str = "身份证号") -> pd.Series:
    return person_keys(df, column)


def no_persuasion_overdue(dropout_df: pd.DataFrame, persuasion_df: pd.DataFrame, as_of: Any,
                          policy: Policy) -> pd.Series:
    """C004: open case with no 劝返动员日期 and no 劝返记录 row, more than the policy's days after 发现日期."""
    found = dates(dropout_df["发现日期"])
    limit = as_of_series(dropout_df, as_of) - pd.Timedelta(days=policy.deadlines.first_persuasion_days)
    logged = _keys(dropout_df).isin(persuaded_ids(persuasion_df))
    no_step1 = ~present(dropout_df["劝返动员日期"])
    return (open_mask(model.DROPOUT.name, dropout_df) & no_step1 & ~logged & (found < limit)).fillna(False).astype(bool)


class NextStep(NamedTuple):
    """What BX_NEXT_STEP shows for one 辍学 row: ``advice`` (Chinese), its ``due`` date (None: no legal deadline), and
    ``problem`` — True when the row must be corrected first. A problem a validator rule names carries that ``rule``
    and its message ``fields`` (the advice is then empty: the add-in renders the rule's own words from the catalogue)."""
    advice: str
    due: dt.date | None = None
    problem: bool = False
    rule: str | None = None
    fields: Mapping[str, str] | None = None


def _problem(rule: str, **fields: str) -> NextStep:
    return NextStep("", problem=True, rule=rule, fields=fields)


# What to do next at each point of the four-step method (``next_step``), and for an overdue case (the roll-up's
# 个案跟踪 list, C003–C006). ``{days}``: the policy deadline; ``{date}``: the date the deadline runs from.
STEP_ADVICE = {
    "closed": "已销号（{status}）：无需下一步",
    "judicial": "已进入司法程序：跟进判决或强制执行，孩子复学后销号",
    "penalty": "第四步 司法程序：仍不送学的，依法提起诉讼或申请人民法院强制执行",
    "notice": "第三步 行政处罚：接到限期复学通知书后{days}日内仍不送学的，由乡镇政府下达行政处罚决定书",
    "persuasion": "第二步 责令改正：劝返无效的，由乡镇政府下达限期复学通知书",
    "found": "第一步 劝返动员：发现后{days}日内入户走访劝返，并在“劝返记录”中逐次登记",
    "nothing": "请先填写发现日期（必填）",
}
OVERDUE_ADVICE = {
    "C003": "限期复学通知于 {date} 下达，已超过 {days} 天仍未复学，应由乡镇政府下达行政处罚决定书（四步法第三步）。",
    "C004": "{date} 发现，超过 {days} 天仍无劝返记录，请包保责任人立即入户劝返并记录。",
    "C005": "预计复学日期 {date} 已过仍在休学，请按疑似辍学核查。",
    "C006": "缓学截止日期 {date} 已过仍未入学，请核实并督促入学。",
}


def next_step(row: Mapping[str, Any], policy: Policy) -> NextStep:
    """The next legal step of the four-step method for one 辍学 row, and its due date.

    ``row`` maps 辍学 column names (发现日期, the ``FOUR_STEPS`` columns, 状态) to typed values as the reader makes them
    (``datetime.date``, code text, None, ``Invalid``); a missing key is an empty cell, and an empty 状态 counts as an
    open case (a row just found). The due dates are the ones C004 and C003 measure overdue cases by: 发现日期 +
    ``policy.deadlines.first_persuasion_days`` for step 1, 限期复学通知日期 + ``notice_to_next_step_days`` for step 3
    (C003 fires once the as-of date is past it). A row the validator would reject for these columns gets that rule and
    its fields instead of advice: 状态 not in the code list (F002), a date that cannot be read (F003), a skipped step
    (C007)."""
    status = row.get("状态")
    statuses = model.CODE_LISTS["辍学状态"]
    if status not in (None, "") and status not in statuses:
        return _problem("F002", column="状态", value=str(status), codes="辍学状态", allowed="、".join(statuses))
    if status in model.DROPOUT_CLOSING_STATUSES:
        return NextStep(STEP_ADVICE["closed"].format(status=status))
    for column in ("发现日期", *FOUR_STEPS):
        v = row.get(column)
        if v is not None and not isinstance(v, dt.date):
            return _problem("F003", column=column, value=str(v))
    dated = [row.get(c) is not None for c in FOUR_STEPS]
    for k in range(len(FOUR_STEPS) - 1):
        later = next((j for j in range(k + 1, len(FOUR_STEPS)) if dated[j]), None)
        if not dated[k] and later is not None:
            return _problem("C007", column=FOUR_STEPS[k], later=FOUR_STEPS[later],
                            later_value=_iso(row[FOUR_STEPS[later]]))
    persuasion, notice, penalty, judicial = (row.get(c) for c in FOUR_STEPS)
    found = row.get("发现日期")
    if judicial is not None:
        return NextStep(STEP_ADVICE["judicial"])
    if penalty is not None:
        return NextStep(STEP_ADVICE["penalty"])
    if notice is not None:
        days = policy.deadlines.notice_to_next_step_days
        return NextStep(STEP_ADVICE["notice"].format(days=days), _as_date(notice) + dt.timedelta(days=days))
    if persuasion is not None:
        return NextStep(STEP_ADVICE["persuasion"])
    if found is not None:
        days = policy.deadlines.first_persuasion_days
        return NextStep(STEP_ADVICE["found"].format(days=days), _as_date(found) + dt.timedelta(days=days))
    return NextStep(STEP_ADVICE["nothing"], problem=True)


def _as_date(v: dt.date) -> dt.date:
    return v.date() if isinstance(v, dt.datetime) else v


def _iso(v: dt.date) -> str:
    return _as_date(v).isoformat()


def leave_overdue(leave_df: pd.DataFrame, as_of: Any) -> pd.Series:
    """C005: 休学中 with 预计复学日期 before the as-of date (check the child as a suspected dropout)."""
    due = dates(leave_df["预计复学日期"])
    return (open_mask(model.LEAVE.name, leave_df) & (due < as_of_series(leave_df, as_of))).fillna(False).astype(bool)


def deferral_expired(defer_df: pd.DataFrame, as_of: Any) -> pd.Series:
    """C006: 缓学中 with 缓学截止日期 before the as-of date."""
    end = dates(defer_df["缓学截止日期"])
    return (open_mask(model.DEFER.name, defer_df) & (end < as_of_series(defer_df, as_of))).fillna(False).astype(bool)


# ---------------------------------------------------------------------------------------------- home teaching
def visits_in_month(visits_df: pd.DataFrame, month: Any) -> pd.Series:
    """Bool per 送教记录 row: dated within the report month."""
    start, end = month_bounds(visits_df, month)
    day = dates(visits_df["送教日期"])
    return ((day >= start) & (day <= end)).fillna(False).astype(bool)


def qualifying_visits(visits_df: pd.DataFrame, month: Any, policy: Policy) -> pd.Series:
    """Bool per 送教记录 row (SPEC §4): dated in the report month with 课时 ≥ the policy's class hours per visit."""
    hours = numbers(visits_df["课时"])
    return (visits_in_month(visits_df, month) & (hours >= float(policy.home_teaching.hours_per_visit))).astype(bool)


def visit_counts(visits_df: pd.DataFrame, month: Any) -> pd.DataFrame:
    """Per ID (per (book, ID) in a batch): ``visits`` (rows dated in the month) and ``hours`` (their 课时 summed).

    Used by T001's neighbours, by ``update`` to fill 本月送教次数 / 本月送教课时, and by the indicators."""
    in_month = visits_in_month(visits_df, month)
    ids = texts(visits_df["身份证号"])
    keep = in_month & ids.notna()
    by = [ids[keep].rename("身份证号")]
    if BOOK_KEY in visits_df.columns:
        by = [visits_df.loc[keep, BOOK_KEY]] + by
    hours = numbers(visits_df.loc[keep, "课时"]).fillna(0.0)
    out = pd.DataFrame({"visits": 1, "hours": hours}, index=hours.index).groupby(by).sum()
    out["visits"] = out["visits"].astype(int)
    out["hours"] = out["hours"].map(lambda h: int(h) if float(h).is_integer() else round(float(h), 2)).astype(object)
    return out


def qualifying_counts(visits_df: pd.DataFrame, month: Any, policy: Policy) -> pd.Series:
    """Per key (ID, or "book␟ID" in a batch — see ``person_keys``): the number of qualifying visits in the month."""
    ok = qualifying_visits(visits_df, month, policy)
    keys = person_keys(visits_df)
    keep = ok & keys.notna()
    return keys[keep].value_counts().astype(int)


def roster_qualifying(home_df: pd.DataFrame, visits_df: pd.DataFrame, month: Any,
                      policy: Policy) -> pd.Series:
    """Int per roster row: the student's qualifying visits this month. In a batch, ``month`` is a Series aligned with
    ``visits_df`` (each visit row its book's month)."""
    counts = qualifying_counts(visits_df, month, policy)
    got = counts.reindex(_keys(home_df)).fillna(0).astype(int).to_numpy() if len(home_df) else []
    return pd.Series(got, index=home_df.index, dtype="int64")


def below_visit_minimum(home_df: pd.DataFrame, visits_df: pd.DataFrame, month: Any,
                        policy: Policy) -> pd.Series:
    """T001: bool per roster row — 送教中 with fewer qualifying visits this month than the policy minimum.
    In a batch, ``month`` is a Series aligned with ``visits_df`` (each visit row its book's month)."""
    got = roster_qualifying(home_df, visits_df, month, policy)
    return (open_mask(model.HOME.name, home_df) & (got < int(policy.home_teaching.visits_per_month))).astype(bool)
