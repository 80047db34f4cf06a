"""D rules: dates against the as-of date (report month end), against each other, and against policy periods."""
from __future__ import annotations

import numpy as np
import pandas as pd

from baoxue import model
from baoxue.batch import AS_OF

from .hits import RuleBatch
from .catalogue import rule


@rule("D001")
def after_as_of(batch: RuleBatch):
    """Every event date (not a planned one) must fall on or before the report month's last day."""
    out = []
    for sheet in model.DATA_SHEETS:
        df = batch.frame(sheet.name)
        if len(df) == 0:
            continue
        cols, matrix = batch.date_matrix(sheet.name)
        late = matrix > df[AS_OF].to_numpy()[:, None]          # NaT compares False
        for j in np.flatnonzero(late.any(axis=0)):
            if sheet.col(cols[j]).planned:
                continue
            mask = pd.Series(late[:, j], index=df.index)
            out += batch.hits("D001", sheet.name, mask, cols[j], as_of=df[AS_OF])
    return out


# Date chains (SPEC §4 D002): each date must not be earlier than any filled date before it in its chain.
ORDER_CHAINS: dict[str, tuple[tuple[str, ...], ...]] = {
    model.DROPOUT.name: (("发现日期", "上报日期"), ("发现日期", "复学日期", "销号日期"),
                         ("劝返动员日期", "限期复学通知日期", "行政处罚日期", "司法程序日期")),
    model.LEAVE.name: (("申请日期", "批准日期", "休学起始日期", "预计复学日期"), ("休学起始日期", "实际复学日期")),
    model.DEFER.name: (("申请日期", "批准日期", "缓学起始日期", "缓学截止日期"),),
}


@rule("D002")
def out_of_order(batch: RuleBatch):
    out = []
    for sheet_name, chains in ORDER_CHAINS.items():
        df = batch.frame(sheet_name)
        if len(df) == 0:
            continue
        cols, matrix = batch.date_matrix(sheet_name)
        for chain in chains:
            order = " ≤ ".join(chain)
            latest = matrix[:, cols.index(chain[0])].copy()        # latest filled date so far
            latest_col = np.full(len(df), chain[0], dtype=object)
            for col in chain[1:]:
                d = matrix[:, cols.index(col)]
                bad = d < latest                                   # NaT on either side compares False
                if bad.any():
                    out += batch.hits("D002", sheet_name, pd.Series(bad, index=df.index), col,
                                      earlier=pd.Series(latest_col, index=df.index),
                                      earlier_value=pd.Series(latest, index=df.index), order=order)
                newer = ~np.isnat(d) & (np.isnat(latest) | (d > latest))
                latest = np.where(newer, d, latest)
                latest_col = np.where(newer, col, latest_col)
    return out


@rule("D003")
def not_same_day(batch: RuleBatch):
    df = batch.frame(model.DROPOUT.name)
    if len(df) == 0:
        return []
    tolerance = int(batch.policy.deadlines.report_tolerance_days)
    found, reported = batch.dates(model.DROPOUT.name, "发现日期"), batch.dates(model.DROPOUT.name, "上报日期")
    gap = (reported - found).dt.days
    bad = (gap > tolerance).fillna(False).astype(bool)
    return batch.hits("D003", model.DROPOUT.name, bad, "上报日期", found=found[bad], days=gap[bad].astype(int),
                      tolerance=tolerance)


def _too_long(batch: RuleBatch, rule_id: str, sheet: str, start_col: str, end_col: str, months: int):
    df = batch.frame(sheet)
    if len(df) == 0:
        return []
    start, end = batch.dates(sheet, start_col), batch.dates(sheet, end_col)
    limit = start + pd.DateOffset(months=months)
    bad = (end > limit).fillna(False).astype(bool)
    return batch.hits(rule_id, sheet, bad, end_col, start=start[bad], months=months)


@rule("D004")
def leave_too_long(batch: RuleBatch):
    return _too_long(batch, "D004", model.LEAVE.name, "休学起始日期", "预计复学日期", batch.policy.deadlines.leave_max_months)


@rule("D005")
def deferral_too_long(batch: RuleBatch):
    return _too_long(batch, "D005", model.DEFER.name, "缓学起始日期", "缓学截止日期", batch.policy.deadlines.deferral_max_months)
