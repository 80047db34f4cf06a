"""The trend of a roll-up's figures over the months of the history store (the 月报表's 趋势 sheet, the notebook's chart):
the months up to and including the result's own, with the result's month (re)placed by its own figures. Read from
``RollupResult.history`` (the store is read once per run, by the engine); months rolled up later are never shown.
"""
from __future__ import annotations

import pandas as pd

from .engine import RollupResult

LEDGER_TREND = ("to_verify", "enrolment_rate")   # from the household ledgers in the store (`baoxue match`, SPEC §8)


def trend_frame(result: RollupResult, township: str | None = None, history: dict | None = None) -> pd.DataFrame:
    """Figures per month, oldest first: the county's, or one township's (by name). ``history``: the store's figures
    to use instead of the run's ``result.history``."""
    level = "county" if township is None else "township"
    hist = (result.history if history is None else history).get(level)
    rows = []
    if hist is not None and len(hist):
        if township is not None:
            hist = hist[hist["name"] == township] if "name" in hist.columns else hist.iloc[0:0]
        rows = [r for r in hist.to_dict("records") if r.get("month") != result.month]
    if township is None:
        rows.append({"month": result.month, **result.county})
    else:
        rows += [{"month": result.month, **t} for t in result.townships if t.get("name") == township]
    return pd.DataFrame(rows).sort_values("month").reset_index(drop=True) if rows else pd.DataFrame()


def with_ledger(trend: pd.DataFrame | None, result: RollupResult, township: str | None = None) -> pd.DataFrame | None:
    """``trend`` with ``LEDGER_TREND`` (待核查, 入学率) of the months whose household ledger the store held at the run
    (``result.history``: the county's, or one township's); ``trend`` unchanged when there were none."""
    ledger = result.history.get("ledger_county" if township is None else "ledger_township")
    if ledger is None or ledger.empty or "month" not in ledger.columns:
        return trend
    if township is not None:
        ledger = ledger[ledger["name"] == township] if "name" in ledger.columns else ledger.iloc[0:0]
    keep = ["month", *[k for k in LEDGER_TREND if k in ledger.columns]]
    ledger = ledger[keep].drop_duplicates("month", keep="last")
    if trend is None or trend.empty or "month" not in trend.columns:
        return ledger
    return trend.merge(ledger, on="month", how="outer").sort_values("month")


def trend_with_ledger(result: RollupResult, township: str | None = None) -> pd.DataFrame | None:
    """``trend_frame`` with the household ledgers' figures beside the roll-up's (the notebook's 趋势 chart)."""
    return with_ledger(trend_frame(result, township), result, township)
