"""Roll-up of a month's school workbooks into township and county figures, the monthly report and the history store.

    from baoxue.rollup import run_rollup, RollupResult, write_report, Store
    result = run_rollup(inbox, month, register, store_dir=None, policy=None, progress=None, workers=None, dask=None)
    write_report(result, "月报表.xlsx")             # masked by default
    Store("baoxue-store").trend()                   # county indicators per month

The names are imported when first used (PEP 562): a module of this package that needs only the standard library
(``replay``, ``store_lock``, ``locations``) is imported without pandas, DuckDB or the reader.
"""
from __future__ import annotations

import importlib

_HOME = {
    "run_rollup": "engine", "data_months": "engine", "RollupResult": "engine", "RollupError": "engine",
    "read_register": "register", "RegisterError": "register", "RegisteredSchool": "register",
    "write_report": "report", "report_name": "locations",
    "Store": "store", "StoreError": "store_lock", "StoreLocked": "store_lock",
}
__all__ = list(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
