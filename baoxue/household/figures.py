"""The household line's indicators (SPEC §8.2) for each village, township and the county: counts of distinct children
by 台账状态 (the eight add up to ``school_age``), key-group children at risk, 入学率, and the registered students who
are in no 户籍名单 (county and the school's township only)."""
from __future__ import annotations

from typing import Any

import pandas as pd

from .result import INDICATOR_KEYS, STATUS_KEYS

UNKNOWN_TOWNSHIP = "（未填乡镇）"
UNKNOWN_VILLAGE = "（未填村）"


def rate(counts: dict[str, int]) -> float | None:
    """入学率 = (在校 + 休学 + 送教上门 + 县外就读) / (适龄 − 不计入 − 缓学) × 100, two decimals; None when 0."""
    base = counts["school_age"] - counts["excluded"] - counts["deferred"]
    if base <= 0:
        return None
    return round((counts["in_school"] + counts["on_leave"] + counts["home_taught"] + counts["elsewhere"]) * 100 / base, 2)


def _figures(part: pd.DataFrame, not_in_household: int | None) -> dict[str, Any]:
    counts = part["台账状态"].value_counts()
    out: dict[str, Any] = {"school_age": int(len(part))}
    for status, key in STATUS_KEYS.items():
        out[key] = int(counts.get(status, 0))
    at_risk = part["重点人群"].notna() & part["台账状态"].isin(("待核查", "失学辍学"))
    out["key_group_to_verify"] = int(at_risk.sum())
    out["enrolment_rate"] = rate(out)
    out["xueji_not_in_household"] = not_in_household
    return {k: out[k] for k in INDICATOR_KEYS}


def areas(ledger: pd.DataFrame, outside: pd.Series) -> tuple[dict, list[dict], list[dict]]:
    """(county, townships, villages). ``ledger``: one row per child with 户籍乡镇, 户籍村(社区), 台账状态, 重点人群;
    ``outside``: per registered student in no 户籍名单, the township of the school."""
    df = ledger.assign(**{"户籍乡镇": ledger["户籍乡镇"].fillna(UNKNOWN_TOWNSHIP),
                          "户籍村(社区)": ledger["户籍村(社区)"].fillna(UNKNOWN_VILLAGE)})
    outside_by_township = outside.value_counts().to_dict()
    county = {"name": "全县", **_figures(df, int(len(outside)))}
    townships, villages = [], []
    names = list(dict.fromkeys(df["户籍乡镇"].tolist()))
    names += [t for t in outside_by_township if t not in set(names)]
    groups = dict(tuple(df.groupby("户籍乡镇", sort=False)))
    for name in names:
        part = groups.get(name, df.iloc[0:0])
        townships.append({"name": name, **_figures(part, int(outside_by_township.get(name, 0)))})
        for village, vpart in part.groupby("户籍村(社区)", sort=False):
            villages.append({"township": name, "name": village, **_figures(vpart, None)})
    return county, townships, villages
