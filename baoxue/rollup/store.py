"""The history store: one immutable folder of Parquet files per month, queried with DuckDB.

Layout (default ``baoxue-store/`` beside the inbox)::

    baoxue-store/
      .lock                           present while a roll-up writes (created with O_EXCL)
      months/2026-09.current          text: the name of the month's current version folder
      months/2026-09.<token>/         schools, townships, county, cases, open_rows, findings (.parquet) + meta.json

Re-running a month writes a new version folder completely, then atomically replaces the ``.current`` pointer
(``os.replace``) and only then removes the old folder: a reader sees the old month or the new one, never half of one.
A second concurrent writer finds the lock and gets ``StoreLocked`` (Chinese message); a lock left by a crashed process
on this machine is recognised and taken over.

The store stays inside the county: it keeps ID numbers as they are (continuity needs them). Reports mask.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

TABLES = ("schools", "townships", "county", "cases", "open_rows", "findings")
MONTH_RE = re.compile(r"^\d{4}-\d{2}$")


class StoreError(Exception):
    """The store cannot be used; the message is Chinese."""


class StoreLocked(StoreError):
    """Another roll-up is writing to the store right now."""


@dataclass
class MonthData:
    month: str
    meta: dict
    tables: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    def __init__(self, directory: str | Path):
        self.dir = Path(directory)
        self.months_dir = self.dir / "months"
        self.lock_path = self.dir / ".lock"

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

    def _version_dir(self, month: str) -> Path | None:
        pointer = self.months_dir / f"{month}.current"
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        d = self.months_dir / name
        return d if name and d.is_dir() else None

    def has_month(self, month: str) -> bool:
        return self._version_dir(month) is not None

    def _query(self, sql: str, files: list[str]) -> pd.DataFrame:
        con = duckdb.connect()
        try:
            return con.execute(sql, [files]).df()
        finally:
            con.close()

    def load_month(self, month: str) -> MonthData | None:
        """Everything stored for a month (None when the month is not in the store)."""
        d = self._version_dir(month)
        if d is None:
            return None
        meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
        tables = {t: self._query("SELECT * FROM read_parquet(?)", [str(d / f"{t}.parquet")]) for t in TABLES}
        return MonthData(month, meta, tables)

    def table(self, name: str, months: list[str] | None = None) -> pd.DataFrame:
        """One table over several months (all by default), with a ``month`` column, oldest first."""
        if name not in TABLES:
            raise KeyError(name)
        months = self.months() if months is None else [m for m in months if self.has_month(m)]
        files = [str(self._version_dir(m) / f"{name}.parquet") for m in months]
        if not files:
            return pd.DataFrame()
        return self._query("SELECT * FROM read_parquet(?, union_by_name = true) ORDER BY month", files)

    def trend(self, level: str = "county") -> pd.DataFrame:
        """Indicators per month: ``level`` = "county" (one row per month) or "township" (month × township)."""
        return self.table("county" if level == "county" else "townships")

    def open_cases(self, month: str) -> pd.DataFrame | None:
        """The open 辍学 cases stored for a month (None when the month is not stored)."""
        data = self.load_month(month)
        if data is None:
            return None
        rows = data["open_rows"]
        if "sheet" not in rows.columns or "身份证号" not in rows.columns:
            return rows.iloc[0:0]
        return rows[rows["sheet"] == "辍学"].reset_index(drop=True)

    # ------------------------------------------------------------------------------------------ writing
    @contextmanager
    def lock(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")}
        for attempt in (1, 2):
            try:
                fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                break
            except FileExistsError:
                held = self._lock_holder()
                if attempt == 1 and held and held.get("host") == info["host"] and not _pid_alive(int(held.get("pid", 0))):
                    self.lock_path.unlink(missing_ok=True)  # left by a crashed roll-up on this machine
                    continue
                who = f"进程 {held.get('pid')}（{held.get('host')}，开始于 {held.get('started')}）" if held else "另一个进程"
                raise StoreLocked(f"历史库“{self.dir}”正被{who}写入。请等该汇总结束后再运行；"
                                  f"如确认没有其他汇总在运行，可删除锁文件“{self.lock_path}”后重试。") from None
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(info, fh, ensure_ascii=False)
        try:
            yield self
        finally:
            self.lock_path.unlink(missing_ok=True)

    def check_unlocked(self) -> None:
        """Fail fast (``StoreLocked``) when another live roll-up holds the store, before spending time on the files."""
        held = self._lock_holder() if self.lock_path.exists() else None
        if held is None:
            return
        if held.get("host") == socket.gethostname() and not _pid_alive(int(held.get("pid", 0))):
            return  # stale: ``lock()`` takes it over
        raise StoreLocked(f"历史库“{self.dir}”正被进程 {held.get('pid')}（{held.get('host')}，开始于 {held.get('started')}）"
                          f"写入。请等该汇总结束后再运行；如确认没有其他汇总在运行，可删除锁文件“{self.lock_path}”后重试。")

    def _lock_holder(self) -> dict | None:
        try:
            return json.loads(self.lock_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save_month(self, month: str, tables: dict[str, pd.DataFrame], meta: dict) -> Path:
        """Write (or replace) a month atomically. Raises ``StoreLocked`` while another writer holds the store."""
        if not MONTH_RE.match(month):
            raise StoreError(f"月份格式不对：{month}")
        with self.lock():
            self.months_dir.mkdir(parents=True, exist_ok=True)
            token = dt.datetime.now().strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(4)
            tmp = self.months_dir / f".tmp-{month}.{token}"
            final = self.months_dir / f"{month}.{token}"
            tmp.mkdir()
            try:
                for name in TABLES:
                    df = tables.get(name, pd.DataFrame()).copy()
                    if "month" not in df.columns:
                        df.insert(0, "month", month)
                    df.to_parquet(tmp / f"{name}.parquet", index=False)
                (tmp / "meta.json").write_text(json.dumps({**meta, "month": month}, ensure_ascii=False, indent=1,
                                                          default=str), encoding="utf-8")
                os.replace(tmp, final)
                old = self._version_dir(month)
                pointer_tmp = self.months_dir / f".tmp-{month}.{token}.current"
                pointer_tmp.write_text(final.name, encoding="utf-8")
                os.replace(pointer_tmp, self.months_dir / f"{month}.current")
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            if old is not None and old != final:
                shutil.rmtree(old, ignore_errors=True)
            self._sweep(month, keep=final)
        return final

    def _sweep(self, month: str, keep: Path) -> None:
        """Remove version folders of ``month`` that no pointer names (left by an interrupted run)."""
        for p in self.months_dir.glob(f"{month}.*"):
            if p.is_dir() and p != keep:
                shutil.rmtree(p, ignore_errors=True)
        for p in self.months_dir.glob(f".tmp-{month}.*"):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
