"""Roll-up of a month's school workbooks into township and county figures, the monthly report and the history store.

    from baoxue.rollup import run_rollup, RollupResult, write_report, Store
    result = run_rollup(inbox, month, register, store_dir=None, policy=None, progress=None, workers=None, dask=None)
    write_report(result, "月报表.xlsx")             # masked by default
    Store("baoxue-store").trend()                   # county indicators per month
"""
from .engine import RollupError, RollupResult, data_months, run_rollup
from .register import RegisterError, RegisteredSchool, read_register
from .report import write_report
from .store import Store, StoreError, StoreLocked

__all__ = ["run_rollup", "data_months", "RollupResult", "RollupError", "write_report", "Store", "StoreError", "StoreLocked",
           "read_register", "RegisterError", "RegisteredSchool"]
