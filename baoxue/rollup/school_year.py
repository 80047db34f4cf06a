"""School-year figures (SPEC §5.1) of each counted school, from the month's own books and the months of the same school
year that the history store holds.

- The school year of month M runs from 1 September to 31 August (``school_year_months``).
- Months counted (``ytd_months``): the school year's months before M that the store holds, then M itself. M always
  counts with this roll-up's own books (never with a stored version of M), and the store keeps one version of each
  month, so a month rolled up again replaces its own contribution. Months of the school year the store lacks are
  listed (``ytd_missing``) and not counted; the figures still come out, from the months there are.
- 学年初在校生数 ``enrolled_start_x``: the enrolment (SPEC §5 ``enrolled_x``, from the cover) of the school's first counted
  book of the school year — normally September's; M's own cover when the store holds none.
- 学年辍学人数 ``year_dropout_x``: the confirmed dropouts (类型 辍学, not 疑似辍学) with an open status at the end of M, by
  the row's 年级.
- 学年辍学率 ``year_dropout_rate_x`` = year_dropout_x ÷ enrolled_start_x × 100 (``indicators.year_rate``).
- 本学年累计辍学人数 ``cumulative_dropout_x``: the distinct IDs that were a confirmed dropout with an open status at the end
  of any month counted, 学段 from the latest such month. A child who has returned since still counts here. A row without
  an ID counts on its own (it cannot be matched across months).

Township and county figures are sums of the school figures with the rates recomputed (``indicators.aggregate``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import model
from ..months import next_month, school_year_of, school_year_start
from ..indicators import SCHOOL_YEAR_KEYS, YEAR_RATES, year_rate

STAGES = {"primary": model.PRIMARY_GRADES, "junior": model.JUNIOR_GRADES}


def school_year_months(month: str) -> list[str]:
    """The months of ``month``'s school year from September up to ``month`` itself, oldest first."""
    out, m = [], school_year_start(month).strftime("%Y-%m")
    while m <= month:
        out.append(m)
        m = next_month(m)
    return out


def school_year_label(month: str) -> str:
    start = school_year_of(month)
    return f"{start}—{start + 1}学年"


def months_text(months: list[str], missing: list[str] | None = None) -> str:
    """The months counted, for messages and report notes: “2026-09、2026-10（2个月）”, plus the missing ones."""
    text = f"{'、'.join(months)}（{len(months)}个月）" if months else "（无）"
    if missing:
        text += f"；历史库缺少{'、'.join(missing)}，未计入"
    return text


RATES_EXPLAINED = ("学年辍学率 = 学年辍学人数（月末未销号的已确认辍学）÷ 学年初在校生数 × 100，与年度目标比较（R006）；"
                   "月末在册辍学率 = 月末在册未销号（含疑似）÷ (本月在校生 + 月末在册未销号) × 100，为月末监测指标。")


def rates_note(month: str, county: dict) -> str:
    """The two rates explained and the months the school-year figures count (and miss), from a roll-up's county
    figures (``ytd_months`` / ``ytd_missing``) — the note the 月报表 and the notebook show with the figures."""
    counted = county.get("ytd_months") or [month]
    return f"{RATES_EXPLAINED}{school_year_label(month)}计入月份：{months_text(counted, county.get('ytd_missing'))}。"


@dataclass
class SchoolYear:
    """The school-year figures of one roll-up: the months counted and missing, and each counted school's §5.1 keys."""
    month: str
    months: list[str]
    missing: list[str]
    schools: dict[str, dict[str, Any]] = field(default_factory=dict)
    start_month: dict[str, str] = field(default_factory=dict)   # school -> the month its enrolled_start comes from

    @property
    def label(self) -> str:
        return school_year_label(self.month)

    def county_keys(self) -> dict[str, Any]:
        """What the county figures carry besides the sums: the months counted and the months missing."""
        return {"ytd_months": list(self.months), "ytd_missing": list(self.missing)}

    def text(self) -> str:
        return months_text(self.months, self.missing)


def _stage(grades: pd.Series) -> np.ndarray:
    out = np.full(len(grades), None, dtype=object)
    for stage, values in STAGES.items():
        out[grades.isin(values).to_numpy()] = stage
    return out


CASE_COLUMNS = ["school", "file", "身份证号", "类型", "状态", "年级", "row"]   # what the figures read of the 辍学 rows
CONFIRMED_OPEN = {"类型": ("辍学",), "状态": model.DROPOUT_OPEN_STATUSES}


def confirmed_open(cases: pd.DataFrame | None) -> pd.DataFrame:
    """The 辍学 rows that are confirmed dropouts with an open status at their month's end: columns month, school,
    stage ("primary" / "junior" / None for an unrecognised 年级) and person (the ID as text — an ID typed as a number
    still matches its stored text — or, for a row without one, the row itself)."""
    columns = ["month", "school", "stage", "person"]
    if cases is None or not len(cases) or not {"month", "school", "类型", "状态"} <= set(cases.columns):
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    rows = cases[cases["类型"].isin(CONFIRMED_OPEN["类型"]) & cases["状态"].isin(CONFIRMED_OPEN["状态"])]
    blank = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    grades = rows["年级"] if "年级" in rows.columns else blank
    ids = (rows["身份证号"] if "身份证号" in rows.columns else blank).astype(object)
    ids = ids.where(ids.notna(), "").astype(str).str.strip()
    files = rows["file"] if "file" in rows.columns else rows["school"]
    where = rows["row"] if "row" in rows.columns else pd.Series(range(len(rows)), index=rows.index)
    alone = "#" + rows["month"].astype(str) + "#" + files.astype(str) + "#" + where.astype(str)
    person = ids.where(ids != "", alone)
    return pd.DataFrame({"month": rows["month"].to_numpy(), "school": rows["school"].to_numpy(),
                         "stage": _stage(grades), "person": person.to_numpy()})


def _per_school(rows: pd.DataFrame) -> dict[tuple[str, str], int]:
    """(school, stage) -> number of rows."""
    if not len(rows):
        return {}
    counts = rows[rows["stage"].notna()].groupby(["school", "stage"]).size()
    return {key: int(n) for key, n in counts.items()}


def _stored_enrolment(store, months: list[str]) -> dict[str, tuple[str, int, int]]:
    """school -> (month, enrolled_primary, enrolled_junior) of its first counted book among the stored ``months``."""
    if not months:
        return {}
    schools = store.table("schools", months, columns=["code", "counted", "enrolled_primary", "enrolled_junior"])
    if not len(schools):
        return {}
    counted = schools["counted"].fillna(False).astype(bool)
    rows = schools[counted & schools["enrolled_primary"].notna() & schools["enrolled_junior"].notna()]
    rows = rows.sort_values("month", kind="stable").drop_duplicates("code", keep="first")
    return {str(c): (m, int(p), int(j)) for c, m, p, j in
            zip(rows["code"], rows["month"], rows["enrolled_primary"], rows["enrolled_junior"])}


@dataclass
class StoredYear:
    """What the history store holds of a month's school year before the month itself (``stored_year``)."""
    months: list[str]                        # the school year's earlier months the store holds
    missing: list[str]                       # … and those it lacks
    confirmed: pd.DataFrame                  # ``confirmed_open`` of those months' 辍学 rows
    start: dict[str, tuple[str, int, int]]   # ``_stored_enrolment`` of those months


def stored_year(month: str, store=None) -> StoredYear:
    """The store's part of month ``month``'s school-year figures (nothing without a store): read apart from the
    month's own books, so that the roll-up can read it while the books are being read."""
    year_months = school_year_months(month)
    earlier = [m for m in year_months[:-1] if store is not None and store.has_month(m)]
    missing = [m for m in year_months[:-1] if m not in earlier]
    confirmed = confirmed_open(store.table("cases", earlier, columns=CASE_COLUMNS, where=CONFIRMED_OPEN) if earlier
                               else None)
    return StoredYear(earlier, missing, confirmed, _stored_enrolment(store, earlier) if earlier else {})


def compute(month: str, enrolment: dict[str, tuple[int, int] | None], cases: pd.DataFrame | None,
            store=None, stored: StoredYear | None = None) -> SchoolYear:
    """The school-year figures of month ``month`` for the schools in ``enrolment`` (school code -> this month's
    (enrolled_primary, enrolled_junior), or None for a counted book without figures, which gets None).

    ``cases``: this month's 辍学 rows of the counted schools (columns school, 身份证号, 类型, 状态, 年级, row — the
    roll-up's ``cases`` frame). ``store``: the history store (or None: only this month counts); ``stored``: its part
    already read (``stored_year``), instead of reading the store."""
    stored = stored if stored is not None else stored_year(month, store)
    out = SchoolYear(month, [*stored.months, month], list(stored.missing))

    current = cases.assign(month=month) if cases is not None and len(cases) else None
    now = confirmed_open(current)
    year_dropout = _per_school(now)
    ever = pd.concat([stored.confirmed, now], ignore_index=True) if len(stored.confirmed) else now
    ever = ever.sort_values("month", kind="stable").drop_duplicates(["school", "person"], keep="last")
    cumulative = _per_school(ever)
    start = stored.start

    for code, own in enrolment.items():
        if own is None:
            out.schools[code] = None
            continue
        first_month, *first = start.get(code) or (month, *own)
        figures = {"enrolled_start_primary": first[0], "enrolled_start_junior": first[1]}
        for stage in STAGES:
            figures[f"year_dropout_{stage}"] = year_dropout.get((code, stage), 0)
            figures[f"cumulative_dropout_{stage}"] = cumulative.get((code, stage), 0)
        for key, (num, den) in YEAR_RATES.items():
            figures[key] = year_rate(figures[num], figures[den])
        out.schools[code] = {key: figures[key] for key in SCHOOL_YEAR_KEYS}
        out.start_month[code] = first_month
    return out
