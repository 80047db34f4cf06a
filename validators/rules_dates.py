"""D rules: dates against the as-of date (report month end), against each other, and against policy periods."""
from __future__ import annotations

import pandas as pd

from baoxue import model

from .batch import AS_OF, Batch
from .catalogue import rule


@rule("D001")
def after_as_of(batch: Batch):
    """Every event date (not a planned one) must fall on or before the report month's last day."""
    out = []
    for sheet in model.DATA_SHEETS:
        df = batch.frame(sheet.name)
        if len(df) == 0:
            continue
        for col in sheet.columns:
            if col.kind != "date" or col.planned:
                continue
            late = (batch.dates(sheet.name, col.name) > df[AS_OF]).fillna(False).astype(bool)
            out += batch.hits("D001", sheet.name, late, col.name, as_of=df.loc[late, AS_OF])
    return out


# Date chains (SPEC §4 D002): each date must not be earlier than any filled date before it in its chain.
ORDER_CHAINS: dict[str, tuple[tuple[str, ...], ...]] = {
    model.DROPOUT.name: (("发现日期", "上报日期"), ("发现日期", "复学日期", "销号日期"),
                         ("劝返动员日期", "限期复学通知日期", "行政处罚日期", "司法程序日期")),
    model.LEAVE.name: (("申请日期", "批准日期", "休学起始日期", "预计复学日期"), ("休学起始日期", "实际复学日期")),
    model.DEFER.name: (("申请日期", "批准日期", "缓学起始日期", "缓学截止日期"),),
}


@rule("D002")
def out_of_order(batch: Batch):
    out = []
    for sheet_name, chains in ORDER_CHAINS.items():
        df = batch.frame(sheet_name)
        if len(df) == 0:
            continue
        parsed = {c: batch.dates(sheet_name, c) for chain in chains for c in chain}
        for chain in chains:
            order = " ≤ ".join(chain)
            latest = parsed[chain[0]].copy()          # latest filled date so far
            latest_col = pd.Series(chain[0], index=df.index, dtype=object)
            for col in chain[1:]:
                d = parsed[col]
                bad = (d < latest).fillna(False).astype(bool)
                out += batch.hits("D002", sheet_name, bad, col, earlier=latest_col[bad],
                                  earlier_value=latest[bad], order=order)
                newer = d.notna() & (latest.isna() | (d > latest))
                latest = latest.where(~newer, d)
                latest_col = latest_col.where(~newer, col)
    return out


@rule("D003")
def not_same_day(batch: Batch):
    df = batch.frame(model.DROPOUT.name)
    if len(df) == 0:
        return []
    tolerance = int(batch.policy["deadlines.report_tolerance_days"])
    found, reported = batch.dates(model.DROPOUT.name, "发现日期"), batch.dates(model.DROPOUT.name, "上报日期")
    gap = (reported - found).dt.days
    bad = (gap > tolerance).fillna(False).astype(bool)
    return batch.hits("D003", model.DROPOUT.name, bad, "上报日期", found=found[bad], days=gap[bad].astype(int),
                      tolerance=tolerance)


def _too_long(batch: Batch, rule_id: str, sheet: str, start_col: str, end_col: str, months_key: str):
    df = batch.frame(sheet)
    if len(df) == 0:
        return []
    months = int(batch.policy[months_key])
    start, end = batch.dates(sheet, start_col), batch.dates(sheet, end_col)
    limit = start + pd.DateOffset(months=months)
    bad = (end > limit).fillna(False).astype(bool)
    return batch.hits(rule_id, sheet, bad, end_col, start=start[bad], months=months)


@rule("D004")
def leave_too_long(batch: Batch):
    return _too_long(batch, "D004", model.LEAVE.name, "休学起始日期", "预计复学日期", "deadlines.leave_max_months")


@rule("D005")
def deferral_too_long(batch: Batch):
    return _too_long(batch, "D005", model.DEFER.name, "缓学起始日期", "缓学截止日期", "deadlines.deferral_max_months")
