"""A re-run of ``baoxue rollup`` that changed nothing, answered without rolling up again.

A roll-up's outputs (the 月报表, the summary, the JSON) follow from the inbox's files, the register, the policy, the
month and the masking, the installed baoxue and its dependencies' versions (``fingerprint.code_fingerprint``) and the
history store's months (trend, M−1, the school year). After a complete run the CLI records all of these as the run
found them (``Command.snapshot`` before it reads anything, the store as it left it) together with what it printed, in
``<store>/cache/<month>.replay.json``. The next run of the same command (same inbox, register, policy file, store,
``--out``, masking and ``--json``) takes the store's writer lock and compares; when everything is as recorded and the
report is still the file the run wrote, it prints the recorded summary (and JSON) and leaves the report untouched: no
book is read, and pandas is never imported (a second or so of every run). Anything different — a file added, changed,
removed or merely re-saved, a lock file, another month or a ledger saved, the report moved, opened and saved, or
deleted — and the roll-up runs as usual and records anew.

Inbox files are compared by their status (``fingerprint.file_status``, as the result cache does), the register and the
policy file by their bytes. The record stays in the store: it holds what the store holds (unmasked with
``--unmasked``) and never leaves the county.

What may be replayed is decided here, in ``record`` (the CLI only says how the run went): a run is recorded only when
it is complete (``recordable``) — its month saved to the store, its report written, and every file read: a run that
could not read a file (S005: why — another program had it open, a network drive, a lost Dask worker — may have passed
by the next run without the file changing) is not recorded, so the next run reads that file again, as the result cache
does. Nor is a run whose inbox held a link or a special file when it started (``Command.snapshot``: the roll-up's
entry checks decide about those), a run whose report is not there as a regular file, or one whose record cannot be
UTF-8 text (``_payload``). A run that is not recorded leaves no record of an earlier run behind.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..months import valid_month
from ..paths import EntryError, read_regular
from .fingerprint import code_fingerprint, file_status
from .inbox import discover, relative_name
from .store_lock import StoreError, WriterLock

FORMAT = 1
POINTER_FOLDERS = ("months", "ledgers")   # the store's ``<month>.current`` pointers (``store.Store``)


@dataclass(frozen=True)
class Command:
    """What a ``baoxue rollup`` command line asks for, as far as its outputs depend on it."""
    inbox: Path
    month: str
    register: Path
    store: Path
    policy: Path | None
    out: Path
    masked: bool
    as_json: bool

    @property
    def record_path(self) -> Path:
        return self.store / "cache" / f"{self.month}.replay.json"

    def _head(self) -> dict[str, Any]:
        return {"format": FORMAT, "code": code_fingerprint(), "month": self.month, "masked": self.masked,
                "json": self.as_json, "inbox": str(self.inbox.resolve()), "store": str(self.store.resolve()),
                "out": str(self.out.resolve()), "register": _file_digest(self.register),
                "policy": None if self.policy is None else _file_digest(self.policy)}

    def snapshot(self) -> dict[str, Any] | None:
        """The inputs as they are now; None when a run of them must not be recorded (see the module's text)."""
        if not valid_month(self.month) or not self.inbox.is_dir():
            return None
        try:
            head = self._head()
            entries = _entries(self.inbox, self.store, self.register)
        except (OSError, EntryError):
            return None
        if entries is None:
            return None
        return {**head, **entries}


def _file_digest(path: Path) -> list[str]:
    """The file's path and the SHA-256 of its bytes, read as the roll-up reads its inputs (``paths.read_regular``: a
    FIFO or a device given as the register is refused, never waited on or read without end)."""
    return [str(path.resolve()), hashlib.sha256(read_regular(path)).hexdigest()]


def _entries(inbox: Path, store: Path, register: Path) -> dict[str, list] | None:
    """The inbox's entries as the roll-up discovers them (its exclusions and lock files included), each with its
    status; None when one is not a regular file."""
    locks: list[tuple[Path, str]] = []
    paths = discover(inbox, exclude=[store, register], locks=locks)
    files = []
    for p in paths:
        st = os.lstat(p)
        if not stat.S_ISREG(st.st_mode):
            return None
        files.append([relative_name(p, inbox), *file_status(st)])
    return {"files": files, "locks": [[relative_name(p, inbox), kind] for p, kind in locks]}


def _store_state(store: Path) -> dict[str, str]:
    """Every month's and ledger's current version (the pointer files' contents)."""
    state = {}
    for folder in POINTER_FOLDERS:
        base = store / folder
        if base.is_dir():
            for p in sorted(base.glob("*.current")):
                state[f"{folder}/{p.name}"] = p.read_text(encoding="utf-8").strip()
    return state


def _out_status(out: Path) -> list[int] | None:
    try:
        st = os.lstat(out)
    except OSError:
        return None
    return list(file_status(st)) if stat.S_ISREG(st.st_mode) else None


@dataclass(frozen=True)
class Recorded:
    lines: list[str]
    json_text: str | None


def recordable(*, saved: bool, report_written: bool, unreadable: int) -> bool:
    """Whether a finished run may be replayed: its month saved, its report written, and no file it could not read
    (``unreadable``: its count of S005 findings) — see the module's text."""
    return saved and report_written and not unreadable


def record(command: Command, snapshot: dict[str, Any] | None, lines: list[str], json_text: str | None, *,
           saved: bool, report_written: bool, unreadable: int) -> None:
    """Record the run when it is ``recordable`` (the caller holds the store's writer lock): ``snapshot`` as taken
    before the run, with the store and the report as they are now, and what it printed (``lines``, ``json_text``).
    A run that is not recorded leaves no record behind. Never raises for a record that cannot be written (it only
    costs time)."""
    path = command.record_path
    if not recordable(saved=saved, report_written=report_written, unreadable=unreadable):
        snapshot = None
    try:
        payload = _payload(command, snapshot, lines, json_text)
        if payload is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
        try:
            tmp.write_bytes(payload)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError:
        pass


def _payload(command: Command, snapshot: dict[str, Any] | None, lines: list[str], json_text: str | None) -> bytes | None:
    """The record as UTF-8 text; None when the run cannot be recorded: no snapshot, no report, or a name in it that is
    not UTF-8 text (a folder with a GBK name, as unzipping a Windows archive leaves it)."""
    out = _out_status(command.out)
    if snapshot is None or out is None:
        return None
    data = {**snapshot, "store_state": _store_state(command.store), "out_status": out, "lines": lines,
            "json_text": json_text}
    try:
        return json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return None


def answer(command: Command) -> Recorded | None:
    """The recorded outputs when ``command`` would produce exactly them again, else None (then run the roll-up)."""
    if not valid_month(command.month) or not command.inbox.is_dir():
        return None
    try:
        data = json.loads(command.record_path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or any(data.get(k) != v for k, v in command._head().items()):
            return None
        with WriterLock(command.store).lock():   # no other roll-up or match changes the store meanwhile
            entries = _entries(command.inbox, command.store, command.register)
            if entries is None or any(data.get(k) != v for k, v in entries.items()) \
                    or data.get("store_state") != _store_state(command.store) \
                    or data.get("out_status") != _out_status(command.out):
                return None
        return Recorded(lines=list(data["lines"]), json_text=data["json_text"])
    except (OSError, ValueError, StoreError, EntryError):
        return None   # e.g. the store is locked, the register is not a regular file: the roll-up itself says so
    except (KeyError, TypeError):
        return None   # a record damaged or edited by hand: the roll-up runs and records anew
