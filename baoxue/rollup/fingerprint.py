"""What a roll-up's cached answers are keyed by besides the files' bytes: the installed code (``code_fingerprint``) and
a file's status (``file_status``). Only the standard library (the CLI's ``replay`` uses it before pandas is imported)."""
from __future__ import annotations

import hashlib
import importlib.util
import os
from functools import lru_cache
from pathlib import Path

import baoxue

from .. import __version__

FORMAT = 2


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """baoxue's version with the size and time of every module and data file (the default policy included) of
    ``baoxue`` and ``baoxue.validators``: any change of the installed code gives another fingerprint."""
    validators = Path(importlib.util.find_spec("baoxue.validators").origin).parent   # found, not imported
    h = hashlib.sha256(f"{FORMAT}|{__version__}".encode())
    for root in sorted({Path(baoxue.__file__).parent, validators}):
        for p in sorted(q for pattern in ("*.py", "*.toml") for q in root.rglob(pattern)):
            st = p.stat()
            h.update(f"{p.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def file_status(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """(size, modification time, change time, inode, device): a file whose status is unchanged is the same file — its
    change time moves with every write and cannot be set back by a user."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
