"""P rules: the persuasion log (劝返记录) against the case ledger (辍学)."""
from __future__ import annotations

import pandas as pd

from baoxue import model

from .hits import RuleBatch
from .catalogue import rule
from .rules_home import keys, log_rows_without_a_person

LOG, DROP = model.PERSUASION.name, model.DROPOUT.name


@rule("P001")
def not_a_case(batch: RuleBatch):
    return log_rows_without_a_person(batch, "P001", LOG, DROP)


@rule("P002")
def before_discovery(batch: RuleBatch):
    df = batch.frame(LOG)
    drop = batch.frame(DROP)
    if len(df) == 0 or len(drop) == 0:
        return []
    found = pd.Series(batch.dates(DROP, "发现日期").to_numpy(), index=keys(batch, DROP).to_numpy())
    found = found[found.notna() & found.index.notna()]
    earliest = found.groupby(level=0).min()
    when = pd.Series(earliest.reindex(keys(batch, LOG).to_numpy()).to_numpy(), index=df.index).astype("datetime64[ns]")
    bad = (batch.dates(LOG, "劝返日期") < when).fillna(False).astype(bool)
    return batch.hits("P002", LOG, bad, "劝返日期", found=when[bad])
