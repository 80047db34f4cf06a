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


def _figures(counts: dict[str, int], at_risk: int, not_in_household: int | None) -> dict[str, Any]:
    """The §8.2 keys of one area from its children's count per 台账状态 and its key-group children at risk."""
    out: dict[str, Any] = {"school_age": int(sum(counts.values()))}
    for status, key in STATUS_KEYS.items():
        out[key] = int(counts.get(status, 0))
    out["key_group_to_verify"] = int(at_risk)
    out["enrolment_rate"] = rate(out)
    out["xueji_not_in_household"] = not_in_household
    return {k: out[k] for k in INDICATOR_KEYS}


def areas(ledger: pd.DataFrame, outside: pd.Series) -> tuple[dict, list[dict], list[dict]]:
    """(county, townships, villages). ``ledger``: one row per child with 户籍乡镇, 户籍村(社区), 台账状态, 重点人群;
    ``outside``: per registered student in no 户籍名单, the township of the school. Townships and their villages in
    the order they first appear; counted by one grouping of the whole ledger (village × status)."""
    status = ledger["台账状态"]
    df = pd.DataFrame({"t": ledger["户籍乡镇"].fillna(UNKNOWN_TOWNSHIP).to_numpy(dtype=object),
                       "v": ledger["户籍村(社区)"].fillna(UNKNOWN_VILLAGE).to_numpy(dtype=object),
                       "s": status.to_numpy(dtype=object),
                       "r": (ledger["重点人群"].notna() & status.isin(("待核查", "失学辍学"))).to_numpy()})
    counts: dict[tuple, dict[str, int]] = {}
    for (t, v, st), n in df.groupby(["t", "v", "s"], sort=False).size().items():
        counts.setdefault((t, v), {})[st] = int(n)
    risk = df.groupby(["t", "v"], sort=False)["r"].sum().to_dict()
    outside_by_township = outside.value_counts().to_dict()

    def total(parts: list[dict[str, int]]) -> dict[str, int]:
        out: dict[str, int] = {}
        for part in parts:
            for st, n in part.items():
                out[st] = out.get(st, 0) + n
        return out

    by_township: dict[str, list] = {}
    for (t, v), c in counts.items():   # first appearance of each (township, village)
        by_township.setdefault(t, []).append((v, c))
    county = {"name": "全县", **_figures(total(list(counts.values())), sum(risk.values()), int(len(outside)))}
    townships, villages = [], []
    names = list(by_township) + [t for t in outside_by_township if t not in by_township]
    for name in names:
        parts = by_township.get(name, [])
        townships.append({"name": name, **_figures(total([c for _, c in parts]), sum(risk[(name, v)] for v, _ in parts),
                                                   int(outside_by_township.get(name, 0)))})
        for village, c in parts:
            villages.append({"township": name, "name": village, **_figures(c, risk[(name, village)], None)})
    return county, townships, villages
