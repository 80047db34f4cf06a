"""The history store: one immutable folder of Parquet files per month, queried with DuckDB.

Layout (default ``baoxue-store/`` beside the inbox)::

    baoxue-store/
      .lock                           present while a roll-up runs (held from its start to its end)
      months/2026-09.current          text: the name of the month's current version folder
      months/2026-09.<token>/         one Parquet file per table (``TABLES``) + meta.json
      ledgers/2026-09.current         the household line's 适龄儿童台账 of the month (``LEDGER_TABLES``, `baoxue match`),
      ledgers/2026-09.<token>/        written and replaced the same way, under the same writer lock

A month holds its figures (schools, townships, county), its findings, and the validated rows of every clerk sheet of
the counted schools: ``covers`` (封面, one row per school), ``cases`` (辍学), ``leaves`` (休学), ``deferrals`` (缓学),
``home_roster`` (送教上门), ``home_visits`` (送教记录), ``persuasion`` (劝返记录) — each row with its school, file and
Excel row — plus ``open_rows`` (the open rows of the four person sheets, for continuity checks).

Re-running a month writes a new version folder completely (files fsynced), then atomically replaces the ``.current``
pointer (``os.replace``, pointer and folder fsynced) and only then removes the old folder: a reader sees the old month
or the new one, never half of one.

The writer lock (``Store.lock()``, ``store_lock.WriterLock``) is held for a whole roll-up, from before the first file
is read to after the month is saved; a second roll-up of the same store fails at once with ``StoreLocked`` (a Chinese
message naming the holder).

The store stays inside the county: it keeps ID numbers and names as they are (continuity needs them). Reports mask.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import model
from .store_lock import StoreError, StoreLocked, WriterLock, _fsync_dir, _fsync_file, _write_durable

__all__ = ["Store", "StoreError", "StoreLocked", "MonthData", "SHEET_TABLES", "TABLES", "LEDGER_TABLES"]

# sheet tables: the validated rows of each clerk sheet (counted schools)
SHEET_TABLES = {
    model.COVER_SHEET: "covers",
    model.DROPOUT.name: "cases",
    model.LEAVE.name: "leaves",
    model.DEFER.name: "deferrals",
    model.HOME.name: "home_roster",
    model.VISITS.name: "home_visits",
    model.PERSUASION.name: "persuasion",
}
TABLES = ("schools", "townships", "county", *SHEET_TABLES.values(), "open_rows", "findings")
LEDGER_TABLES = ("county", "townships", "villages", "ledger", "findings")   # the household ledger (SPEC §8.5)
MONTH_RE = re.compile(r"^\d{4}-\d{2}$")
# a store query reads a few small parquet files: a bounded engine (DuckDB otherwise sizes itself to the machine, and
# reserves more address space than a memory-limited run allows)
DUCKDB_CONFIG = {"threads": 1, "memory_limit": "256MB"}


@dataclass
class MonthData:
    month: str
    meta: dict
    tables: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def _write_tables(folder: Path, month: str, names: tuple[str, ...], tables: dict[str, pd.DataFrame]) -> None:
    """Each of ``names`` as ``<name>.parquet`` in ``folder`` (an absent table: empty), the month as its first column
    unless it has one, each file fsynced — on a second thread, while the next table is converted (the disk is waited
    for outside the interpreter lock); all are synced when this returns. Written as ``DataFrame.to_parquet`` writes
    them (``Table.from_pandas`` without the index, Snappy), without its file handling."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="baoxue-fsync") as syncer:
        synced = []
        for name in names:
            df = tables.get(name, pd.DataFrame())
            if "month" not in df.columns:
                df = df.copy(deep=False)   # (copy-on-write: the caller's frame keeps its columns)
                df.insert(0, "month", month)
            path = folder / f"{name}.parquet"
            pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, compression="snappy")
            synced.append(syncer.submit(_fsync_file, path))
        for done in synced:
            done.result()


class Store(WriterLock):
    def __init__(self, directory: str | Path):
        super().__init__(directory)
        self.months_dir = self.dir / "months"
        self.ledgers_dir = self.dir / "ledgers"

    def __repr__(self) -> str:
        return f"Store({str(self.dir)!r})"

    # ------------------------------------------------------------------------------------------ reading
    def months(self) -> list[str]:
        """Months held, oldest first."""
        if not self.months_dir.is_dir():
            return []
        out = []
        for p in self.months_dir.glob("*.current"):
            m = p.name[: -len(".current")]
            if MONTH_RE.match(m) and self._version_dir(m) is not None:
                out.append(m)
        return sorted(out)

    def _version_dir(self, month: str, base: Path | None = None) -> Path | None:
        base = self.months_dir if base is None else base
        pointer = base / f"{month}.current"
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        d = base / name
        return d if name and d.is_dir() else None

    def has_month(self, month: str) -> bool:
        return self._version_dir(month) is not None

    def _query(self, sql: str, files: list[str]) -> pd.DataFrame:
        import duckdb   # imported by the first query: a month's roll-up on a store without earlier months needs none
        con = duckdb.connect(config=DUCKDB_CONFIG)
        try:
            return con.execute(sql, [files]).df()
        finally:
            con.close()

    def load_month(self, month: str) -> MonthData | None:
        """Everything stored for a month (None when the month is not in the store). A table a month was stored without
        (a store written by an older version) comes back empty."""
        d = self._version_dir(month)
        if d is None:
            return None
        meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
        return MonthData(month, meta, {t: self._stored_table(d, t) for t in TABLES})

    def _stored_table(self, version: Path, name: str) -> pd.DataFrame:
        """One table of a month's version folder (empty when the month was stored without it)."""
        path = version / f"{name}.parquet"
        return self._query("SELECT * FROM read_parquet(?)", [str(path)]) if path.exists() else pd.DataFrame()

    def table(self, name: str, months: list[str] | None = None, columns: list[str] | None = None,
              where: dict[str, tuple] | None = None) -> pd.DataFrame:
        """One table over several months (all by default), with a ``month`` column, oldest first.

        ``columns``: only these columns (besides ``month``); ``where``: only the rows whose column holds one of the
        values given (``{"类型": ("辍学",)}``), filtered while reading. A column no stored month has yields an empty
        frame (a store written before the column existed)."""
        if name not in TABLES:
            raise KeyError(name)
        months = self.months() if months is None else [m for m in months if self.has_month(m)]
        files = [str(self._version_dir(m) / f"{name}.parquet") for m in months]
        files = [f for f in files if os.path.exists(f)]
        if not files:
            return pd.DataFrame()
        if columns is None and not where:
            return self._query("SELECT * FROM read_parquet(?, union_by_name = true) ORDER BY month", files)
        name_of = lambda c: '"' + c.replace('"', '""') + '"'        # noqa: E731
        text = lambda v: "'" + str(v).replace("'", "''") + "'"     # noqa: E731
        select = "*" if columns is None else ", ".join(name_of(c) for c in dict.fromkeys(["month", *columns]))
        conditions = [f"{name_of(c)} IN ({', '.join(text(v) for v in values)})" for c, values in (where or {}).items()]
        sql = (f"SELECT {select} FROM read_parquet(?, union_by_name = true)"
               + (f" WHERE {' AND '.join(conditions)}" if conditions else "") + " ORDER BY month")
        import duckdb
        try:
            return self._query(sql, files)
        except duckdb.BinderException:
            return pd.DataFrame(columns=["month", *(columns or ())])

    def sheet_rows(self, sheet: str, months: list[str] | None = None) -> pd.DataFrame:
        """The stored rows of one clerk sheet (``封面``, ``辍学`` … ``劝返记录``) over months (all by default)."""
        if sheet not in SHEET_TABLES:
            raise KeyError(sheet)
        return self.table(SHEET_TABLES[sheet], months)

    def trend(self, level: str = "county", until: str | None = None) -> pd.DataFrame:
        """Indicators per month: ``level`` = "county" (one row per month) or "township" (month × township); with
        ``until`` (YYYY-MM) only the months up to and including it (a month's report never shows later months)."""
        months = None if until is None else [m for m in self.months() if m <= until]
        return self.table("county" if level == "county" else "townships", months)

    def open_cases(self, month: str) -> pd.DataFrame | None:
        """The open 辍学 cases stored for a month (None when the month is not stored); only its ``open_rows`` are read."""
        d = self._version_dir(month)
        if d is None:
            return None
        rows = self._stored_table(d, "open_rows")
        if "sheet" not in rows.columns or "身份证号" not in rows.columns:
            return rows.iloc[0:0]
        return rows[rows["sheet"] == "辍学"].reset_index(drop=True)

    # ------------------------------------------------------------------------------------------ writing
    def save_month(self, month: str, tables: dict[str, pd.DataFrame], meta: dict) -> Path:
        """Write (or replace) a month atomically. Takes the writer lock unless this object already holds it (then it
        first checks that the lock is still its own); raises ``StoreLocked`` while another writer holds the store."""
        return self._save_version(self.months_dir, month, TABLES, tables, meta)

    # ------------------------------------------------------------------------------------------ the household ledger
    # ``ledgers/2026-09.current`` + ``ledgers/2026-09.<token>/``: the month's 适龄儿童台账 (SPEC §8.5), beside the
    # roll-up's month, written the same way (a new version folder, then the pointer) under the same writer lock.
    def save_ledger(self, month: str, tables: dict[str, pd.DataFrame], meta: dict) -> Path:
        """Write (or replace) a month's household ledger (``LEDGER_TABLES``) atomically, as ``save_month`` does."""
        return self._save_version(self.ledgers_dir, month, LEDGER_TABLES, tables, meta)

    def ledger_months(self) -> list[str]:
        """Months with a stored ledger, oldest first."""
        if not self.ledgers_dir.is_dir():
            return []
        return sorted(p.name[: -len(".current")] for p in self.ledgers_dir.glob("*.current")
                      if MONTH_RE.match(p.name[: -len(".current")]) and self._version_dir(p.name[: -len(".current")],
                                                                                          self.ledgers_dir))

    def ledger_table(self, name: str, months: list[str] | None = None) -> pd.DataFrame:
        """One ledger table (``LEDGER_TABLES``: ``county``, ``townships``, ``villages``, ``ledger``, ``findings``)
        over months (all by default), with a ``month`` column, oldest first."""
        if name not in LEDGER_TABLES:
            raise KeyError(name)
        months = self.ledger_months() if months is None else months
        dirs = [self._version_dir(m, self.ledgers_dir) for m in months]
        files = [str(d / f"{name}.parquet") for d in dirs if d is not None and (d / f"{name}.parquet").exists()]
        if not files:
            return pd.DataFrame()
        return self._query("SELECT * FROM read_parquet(?, union_by_name = true) ORDER BY month", files)

    def _save_version(self, base: Path, month: str, names: tuple[str, ...], tables: dict[str, pd.DataFrame],
                      meta: dict) -> Path:
        if not MONTH_RE.match(month):
            raise StoreError(f"月份格式不对：{month}")
        with self.lock():
            base.mkdir(parents=True, exist_ok=True)
            token = dt.datetime.now().strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(4)
            tmp = base / f".tmp-{month}.{token}"
            final = base / f"{month}.{token}"
            tmp.mkdir()
            try:
                _write_tables(tmp, month, names, tables)
                _write_durable(tmp / "meta.json", json.dumps({**meta, "month": month}, ensure_ascii=False, indent=1,
                                                             default=str))
                _fsync_dir(tmp)
                if not self.holds_lock():
                    raise StoreLocked(self._locked_message(self._lock_holder())
                                      + "（本次汇总的锁已被其他进程取代，结果未写入历史库。）")
                os.replace(tmp, final)
                _fsync_dir(base)
                old = self._version_dir(month, base)
                pointer_tmp = base / f".tmp-{month}.{token}.current"
                _write_durable(pointer_tmp, final.name)
                os.replace(pointer_tmp, base / f"{month}.current")
                _fsync_dir(base)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            if old is not None and old != final:
                shutil.rmtree(old, ignore_errors=True)
            self._sweep(month, keep=final, base=base)
        return final

    def _sweep(self, month: str, keep: Path, base: Path | None = None) -> None:
        """Remove version folders of ``month`` that no pointer names (left by an interrupted run)."""
        base = self.months_dir if base is None else base
        for p in base.glob(f"{month}.*"):
            if p.is_dir() and p != keep:
                shutil.rmtree(p, ignore_errors=True)
        for p in base.glob(f".tmp-{month}.*"):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
