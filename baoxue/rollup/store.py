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

The writer lock (``Store.lock()``) is held for a whole roll-up, from before the first file is read to after the month
is saved; a second roll-up of the same store fails at once with ``StoreLocked`` (a Chinese message naming the holder).
The lock file is created atomically with its content (hard link of a complete file; ``O_EXCL`` where links are not
supported). A lock left by a crashed process on this machine is taken over safely: takers exclude each other with a
guard file, read the lock again inside it, and replace it only if it is still the very lock judged stale, by an atomic
``os.replace`` of a complete fresh lock file (the lock never disappears meanwhile). A holder checks that the lock is
still its own (a random token) before it commits a month, and removes only its own lock when it releases.

The store stays inside the county: it keeps ID numbers and names as they are (continuity needs them). Reports mask.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
import socket
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from .. import model
from ..beijing import beijing

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
    if pid <= 0:
        return True  # unknown: never take over
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process on Windows
        import ctypes
        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.GetLastError() == 5  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    return True


def _fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (POSIX; a no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _write_durable(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


class Store:
    def __init__(self, directory: str | Path):
        self.dir = Path(directory)
        self.months_dir = self.dir / "months"
        self.ledgers_dir = self.dir / "ledgers"
        self.lock_path = self.dir / ".lock"
        self._held: tuple[int, str, int] | None = None   # (pid, token, depth) while this object holds the lock

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

    # ------------------------------------------------------------------------------------------ the writer lock
    def holds_lock(self) -> bool:
        """True while this object (in this process) holds the store's writer lock and the lock file is still its own."""
        return self._held is not None and self._held[0] == os.getpid() and self._lock_token() == self._held[1]

    @contextmanager
    def lock(self):
        """Hold the store's writer lock for the ``with`` block. Raises ``StoreLocked`` at once while another process
        (or another ``Store`` object) holds it. Re-entrant for the object that holds it (a roll-up holds the lock for the
        whole run; saving the month and the result cache inside it just use it)."""
        if self._held is not None and self._held[0] == os.getpid():
            pid, token, depth = self._held
            self._held = (pid, token, depth + 1)
            try:
                yield self
            finally:
                self._held = (pid, token, self._held[2] - 1)
            return
        token = self._acquire()
        self._held = (os.getpid(), token, 1)
        try:
            yield self
        finally:
            self._held = None
            self._release(token)

    def _acquire(self) -> str:
        self.dir.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(8)
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": beijing(dt.datetime.now(dt.timezone.utc), seconds=True), "token": token}
        held = None
        for _attempt in range(3):
            if self._create_lock(info):
                return token
            held = self._lock_holder()
            if held is not None and self._is_stale(held) and self._take_over(held, info):
                return token
            if self.lock_path.exists():
                break
            # released meanwhile: try again
        raise StoreLocked(self._locked_message(self._lock_holder() or held))

    def _fresh_lock_file(self, info: dict) -> Path:
        tmp = self.dir / f".lock.new-{info['token']}"
        _write_durable(tmp, json.dumps(info, ensure_ascii=False))
        return tmp

    def _create_lock(self, info: dict) -> bool:
        """Create the lock file with its content in one atomic step. False when a lock file exists."""
        tmp = self._fresh_lock_file(info)
        try:
            try:
                os.link(tmp, self.lock_path)        # atomic, never replaces an existing lock, content complete
            except FileExistsError:
                return False
            except (OSError, NotImplementedError, AttributeError):
                # a file system without hard links: exclusive create, then write (a reader may briefly see it empty)
                try:
                    fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                except FileExistsError:
                    return False
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(json.dumps(info, ensure_ascii=False))
                    fh.flush()
                    os.fsync(fh.fileno())
            _fsync_dir(self.dir)
            return True
        finally:
            tmp.unlink(missing_ok=True)

    def _is_stale(self, held: dict) -> bool:
        """Left by a process of this machine that no longer runs (a lock of another machine is never judged stale)."""
        try:
            pid = int(held.get("pid", 0))
        except (TypeError, ValueError):
            return False
        return held.get("host") == socket.gethostname() and pid != os.getpid() and not _pid_alive(pid)

    def _take_over(self, stale: dict, info: dict) -> bool:
        """Replace the stale lock ``stale`` by ours. Takers exclude each other with a guard file (created exclusively);
        inside it the lock is read again and, only if it is still the very lock judged stale, atomically replaced by a
        complete fresh lock file (``os.replace``: the lock file never disappears, so no normal acquirer slips in)."""
        guard = self.dir / ".lock.takeover"
        for attempt in (1, 2):
            try:
                fd = os.open(guard, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                break
            except FileExistsError:
                # another process is taking over right now (it wins: we report the store as locked), unless the
                # guard was left by a crash long ago: then it is cleared and we try once more
                if attempt == 2 or not self._clear_abandoned_guard(guard):
                    return False
            except OSError:
                return False
        os.close(fd)
        try:
            if self._lock_holder() != stale:
                return False  # it changed meanwhile (released, or another process holds it now)
            tmp = self._fresh_lock_file(info)
            try:
                os.replace(tmp, self.lock_path)
            finally:
                tmp.unlink(missing_ok=True)
            _fsync_dir(self.dir)
            return self._lock_token() == info["token"]
        finally:
            guard.unlink(missing_ok=True)

    def _clear_abandoned_guard(self, guard: Path, age: float = 60.0) -> bool:
        """A takeover takes milliseconds: a guard older than ``age`` seconds was left by a crash. Remove it (by an
        atomic rename, so that of several processes only one removes it) and say so."""
        try:
            if time.time() - guard.stat().st_mtime < age:
                return False
            grave = self.dir / f".lock.takeover-old-{secrets.token_hex(6)}"
            os.rename(guard, grave)
            if time.time() - grave.stat().st_mtime < age:   # a fresh guard was renamed by mistake: put it back
                try:
                    os.link(grave, guard)
                except OSError:
                    pass
                grave.unlink(missing_ok=True)
                return False
            grave.unlink(missing_ok=True)
            return True
        except OSError:
            return False

    def _release(self, token: str) -> None:
        """Remove the lock file if it is still ours. (Our live lock cannot be replaced meanwhile: only a lock of a
        process that no longer runs is ever taken over.)"""
        if self._lock_token() == token:
            self.lock_path.unlink(missing_ok=True)

    def _lock_token(self) -> str | None:
        held = self._lock_holder()
        return held.get("token") if held else None

    def _locked_message(self, held: dict | None) -> str:
        who = (f"进程 {held.get('pid')}（{held.get('host')}，开始于 {held.get('started')}）" if held else "另一个进程")
        return (f"历史库“{self.dir}”正被{who}使用（另一个汇总正在运行）。请等该汇总结束后再运行；"
                f"如确认没有其他汇总在运行，可删除锁文件“{self.lock_path}”后重试。")

    def check_unlocked(self) -> None:
        """Raise ``StoreLocked`` when another live process holds the store (a look only: ``lock()`` is what protects)."""
        if self.holds_lock():
            return
        held = self._lock_holder() if self.lock_path.exists() else None
        if held is None and not self.lock_path.exists():
            return
        if held is not None and self._is_stale(held):
            return  # stale: ``lock()`` takes it over
        raise StoreLocked(self._locked_message(held))

    def _lock_holder(self) -> dict | None:
        try:
            held = json.loads(self.lock_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return held if isinstance(held, dict) else None

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
                for name in names:
                    df = tables.get(name, pd.DataFrame()).copy()
                    if "month" not in df.columns:
                        df.insert(0, "month", month)
                    df.to_parquet(tmp / f"{name}.parquet", index=False)
                    _fsync_file(tmp / f"{name}.parquet")
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
