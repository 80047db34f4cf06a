"""The history store's writer lock (``WriterLock``, a mixin of ``Store``): one roll-up or match writes a store at a
time. Only the standard library, so that a re-run the CLI can answer without the roll-up (``replay``) takes the same
lock without importing pandas or DuckDB.

The lock file ``<store>/.lock`` is created atomically with its content (hard link of a complete file; ``O_EXCL``
where links are not supported). A lock left by a crashed process on this machine is taken over safely: takers exclude
each other with a guard file, read the lock again inside it, and replace it only if it is still the very lock judged
stale, by an atomic ``os.replace`` of a complete fresh lock file (the lock never disappears meanwhile). A holder checks
that the lock is still its own (a random token) before it commits, and removes only its own lock when it releases.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from ..beijing import beijing


class StoreError(Exception):
    """The store cannot be used; the message is Chinese."""


class StoreLocked(StoreError):
    """Another roll-up is writing to the store right now."""



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



class WriterLock:
    """The writer lock of the store folder ``self.dir`` (``lock_path``: ``<dir>/.lock``)."""

    def __init__(self, directory: str | Path):
        self.dir = Path(directory)
        self.lock_path = self.dir / ".lock"
        self._held: tuple[int, str, int] | None = None   # (pid, token, depth) while this object holds the lock

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
