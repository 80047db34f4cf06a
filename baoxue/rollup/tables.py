"""Tables as the history store keeps them (Parquet: one type per column): the roll-up's month (``engine.save_result``)
and the household line's ledger (``household.match.save_ledger``) are written through these."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ..findings import Finding


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings as the store keeps them: one row each (``Finding.to_dict(rollup=True)``), values as text."""
    rows = []
    for f in findings:
        d = f.to_dict(rollup=True)
        d["value"] = None if d["value"] is None else str(d["value"])
        rows.append(d)
    df = pd.DataFrame(rows, columns=["rule", "severity", "sheet", "row", "column", "value", "message", "school", "file",
                                     "cell"])
    df["row"] = df["row"].astype("Int64")
    return df


def stringify(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding mixed types become text (Parquet needs one type per column); dates stay dates; a list of
    months (the county's ``ytd_months``) becomes “2026-09,2026-10”."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            types = set(map(type, out[c].tolist()))   # the types present, found at C speed (a ledger is long)
            if any(issubclass(t, (list, tuple)) for t in types):
                out[c] = [",".join(map(str, v)) if isinstance(v, (list, tuple)) else v for v in out[c]]
                types = set(map(type, out[c].tolist()))
            kinds = {t for t in types if t is not type(None) and not issubclass(t, float)}
            if any(issubclass(t, float) for t in types):   # NaN stands for empty
                kinds |= {type(v) for v in out[c] if isinstance(v, float) and v == v}
            if len(kinds) > 1 or (kinds and not kinds <= {str, dt.date, bool}):
                out[c] = [None if v is None or (isinstance(v, float) and v != v) else
                          (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else str(v)) for v in out[c]]
    return out
