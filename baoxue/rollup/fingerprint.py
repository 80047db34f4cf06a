"""What a roll-up's cached answers are keyed by besides the files' bytes: the installed code (``code_fingerprint``) and
a file's status (``file_status``). Only the standard library (the CLI's ``replay`` uses it before pandas is imported).

The installed code is baoxue's own files and the versions of the packages its results depend on (``DEPENDENCIES``,
``installed_version``): they are read from the installed packages' metadata, never by importing them. Cheaply: the
version is the one in the name of the package's ``<name>-<version>.dist-info`` folder on ``sys.path`` (one listing of
each folder, ≈ 1 ms for all); only a package not found that way (an egg-info or zipped install, or none) is looked up
with ``importlib.metadata``, whose import alone costs ≈ 10 ms of a replayed re-run's ≈ 100 ms. A package not installed
counts as "absent".
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
from functools import lru_cache
from pathlib import Path

import baoxue

from .. import __version__

FORMAT = 3
# The installed packages a roll-up's results depend on (reading, validation, figures, the store, the report), by
# their distribution names; numpy is pandas' own. Not here: xlwings (the add-in) and tqdm (the progress bar).
DEPENDENCIES = ("duckdb", "numpy", "openpyxl", "pandas", "pandera", "pyarrow", "python-calamine", "xlsxwriter")
ABSENT = "absent"


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@lru_cache(maxsize=1)
def _dist_info_versions() -> dict[str, str]:
    """Normalized distribution name -> version, from the ``<name>-<version>.dist-info`` folders on ``sys.path`` (the
    first one found wins, as for ``importlib.metadata``)."""
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as it:
                names = [e.name for e in it if e.name.endswith(".dist-info")]
        except OSError:   # not a folder (a zip archive), gone, unreadable
            continue
        for n in names:
            name, _, version = n[:-len(".dist-info")].partition("-")
            if version:
                found.setdefault(_normalized(name), version)
    return found


def installed_version(name: str) -> str:
    """The installed version of the distribution ``name``, "absent" when it is not installed."""
    version = _dist_info_versions().get(_normalized(name))
    if version is not None:
        return version
    from importlib import metadata   # slow to import: only for a package the folder names did not give

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ABSENT


def dependency_versions() -> str:
    """``name=version`` of every package of ``DEPENDENCIES``."""
    return ";".join(f"{name}={installed_version(name)}" for name in DEPENDENCIES)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """baoxue's version with the size and time of every module and data file (the default policy included) of
    ``baoxue`` and ``baoxue.validators``, and the versions of ``DEPENDENCIES``: any change of the installed code, or
    another version of a package it depends on, gives another fingerprint. Computed once per process."""
    validators = Path(importlib.util.find_spec("baoxue.validators").origin).parent   # found, not imported
    h = hashlib.sha256(f"{FORMAT}|{__version__}|{dependency_versions()}".encode())
    for root in sorted({Path(baoxue.__file__).parent, validators}):
        for p in sorted(q for pattern in ("*.py", "*.toml") for q in root.rglob(pattern)):
            st = p.stat()
            h.update(f"{p.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def file_status(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """(size, modification time, change time, inode, device): a file whose status is unchanged is the same file — its
    change time moves with every write and cannot be set back by a user."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
