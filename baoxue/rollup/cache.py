"""Per-file result cache kept in the history store, so re-running a month (a late school's file has arrived) only
reads and validates the files that are new or changed.

An entry is keyed by the SHA-256 of the file's bytes, its name in the inbox, the month, the policy fingerprint and a
fingerprint of the installed code (baoxue's version + the size and time of every module, and the versions of the
packages it reads, checks and reports with: ``fingerprint.code_fingerprint``), so a changed file, policy, rule or
reader, or an upgraded pandas, never reuses an old result. The cache lives in ``<store>/cache/<month>.pickle``
(county-internal, like the rest of the store), is written atomically under the store lock, and a damaged cache is
simply ignored.

A re-run does not read an unchanged file again to find its key: the cache keeps, per inbox name, the file's status
(size, modification and change times, inode, device) with the key its bytes gave; a file whose status is the same is
the same file (its change time moves with every write and cannot be set back by a user), so its key is reused. A run
that changed nothing (every key and status as cached) does not rewrite the cache.

A result with an S005 — the file unreadable (``worker.UNREADABLE``), or read but not checked because its validation
failed — is never kept (``cacheable``): why may pass while the file stays unchanged (a MemoryError while reading or
checking it, an OSError, a Dask chunk lost for good — ``worker.lost_file``), so such a file is read again by the next
run; a file that is really damaged simply gives its S005 again.
"""
from __future__ import annotations

import gc
import hashlib
import os
import pickle

from ..paths import EntryError, read_regular
from ..policy import Policy
from .fingerprint import code_fingerprint, file_status
from .store import Store
from .worker import FileResult


class ResultCache:
    def __init__(self, store: Store, month: str, policy: Policy):
        self.path = store.dir / "cache" / f"{month}.pickle"
        self.store = store
        self.salt = f"{month}|{policy.fingerprint}|{code_fingerprint()}".encode()
        self.entries: dict[str, FileResult] = {}
        self.known: dict[str, tuple[tuple, str]] = {}   # inbox name -> (file status, key) as cached
        self.seen: dict[str, tuple[tuple, str]] = {}    # … as found by this run's ``key`` calls
        paused = gc.isenabled()
        gc.disable()   # thousands of small objects: the cyclic collector would re-scan them all, for no garbage
        try:
            with open(self.path, "rb") as fh:
                data = pickle.load(fh)
            if isinstance(data, dict) and data.get("salt") == self.salt:
                self.entries, self.known = data["entries"], data["known"]
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, KeyError, TypeError, ValueError):
            self.entries, self.known = {}, {}
        finally:
            if paused:
                gc.enable()

    def key(self, path: str, name: str) -> str | None:
        """The entry's key, or None when the file cannot be read as a regular file within the size limit (the reader
        then says why, as S005): the bytes come from ``paths.read_regular``, never from a FIFO or a device. A file whose
        status is as cached keeps its cached key without being read."""
        try:
            status = file_status(os.stat(path))
        except OSError:
            status = None
        known = self.known.get(name)
        if status is not None and known is not None and known[0] == status and known[1] in self.entries:
            self.seen[name] = known
            return known[1]
        try:
            data = read_regular(path)
        except EntryError:
            return None
        h = hashlib.sha256(self.salt + b"|" + os.fsencode(name) + b"|")
        h.update(data)
        key = h.hexdigest()
        if status is not None:
            self.seen[name] = (status, key)
        return key

    def save(self, entries: dict[str, FileResult]) -> None:
        """Replace the cache with the ``cacheable`` ones of ``entries`` (this run's files only) and the statuses this
        run's ``key`` found; nothing is written when both are what the cache already holds."""
        entries = {k: r for k, r in entries.items() if cacheable(r)}
        if entries.keys() == self.entries.keys() and self.seen == self.known:
            return
        with self.store.lock():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".tmp-{os.getpid()}-{self.path.name}")
            try:
                with open(tmp, "wb") as fh:
                    pickle.dump({"salt": self.salt, "entries": entries, "known": self.seen}, fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self.path)
            finally:
                tmp.unlink(missing_ok=True)


def cacheable(result: FileResult) -> bool:
    """Whether a file's result may be reused while the file is unchanged: not when it could not be read or checked
    (S005: unreadable, or its validation failed), which may have been transient (see the module's text)."""
    return not any(f.rule == "S005" for f in result.findings)   # an unreadable result has its S005 too
