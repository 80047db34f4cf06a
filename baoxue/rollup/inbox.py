"""Inbox discovery: every workbook under an inbox folder, at any depth, that a roll-up must list.

Skipped, and listed in the report's file list: Office/WPS owner files (``~$name.xlsx`` that are not workbooks — a real
workbook of that name is read) and LibreOffice lock files (``.~lock.name#``). Skipped silently: baoxue's own backups
(``name.备份-YYYYmmdd-HHMMSS.xlsx``, see ``baoxue.atomic.backup_path``) and half-written temporaries (``.baoxue-*``),
hidden folders, and the history store when it lives inside the inbox. Everything else with a workbook-like extension is
returned — an unreadable one becomes finding S005 later, it is never silently dropped — and so is every link to a folder
(links to folders are not followed; ``paths.entry_problem`` says so for each). Each entry is checked with
``paths.entry_problem`` before anything opens or hashes it (symbolic links, special files, size).
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from ..paths import shown

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# Files that look like workbooks a clerk might have sent by mistake: listed (→ S005 with a clear message), not skipped.
LOOKALIKE_SUFFIXES = (".xls", ".et", ".ods", ".xlsb", ".csv")
BACKUP_RE = re.compile(r"\.备份-\d{8}-\d{6}\.[^.]+$")
SUBMISSION_MONTH_RE = re.compile(r"_(\d{4}-(?:0[1-9]|1[0-2]))\.xls[xm]$", re.IGNORECASE)  # <学校标识码>_<YYYY-MM>.xlsx


def is_skipped_name(name: str) -> bool:
    return (name.startswith("~$") or name.startswith(".~lock.") or name.startswith(".baoxue-")
            or name.startswith(".") or bool(BACKUP_RE.search(name)))


def lock_file_kind(path: Path) -> str | None:
    """"Office/WPS" or "LibreOffice" for an owner/lock file a spreadsheet program leaves beside an open book, None
    otherwise. A file named like one (``~$x.xlsx``) that really is a workbook (a zip) is not a lock file: it is read."""
    name = path.name
    if name.startswith(".~lock."):
        return "LibreOffice"
    if not name.startswith("~$"):
        return None
    try:
        if path.is_file() and not path.is_symlink():
            with open(path, "rb") as f:
                if f.read(4) == b"PK\x03\x04":
                    return None
    except OSError:
        pass
    return "Office/WPS"


def discover(inbox: str | Path, exclude: list[str | Path] = (), locks: list[tuple[Path, str]] | None = None) -> list[Path]:
    """All candidate workbook files under ``inbox`` (sorted, stable), excluding the folders and files in ``exclude``
    (the history store, the register when it sits in the inbox). ``locks``, when given, receives the owner/lock files
    skipped (path, ``lock_file_kind``), so that the report can list them."""
    root = Path(inbox)
    excluded = {Path(p).resolve() for p in exclude if p}
    # resolve (a system call per path component) only the paths that could be excluded
    names = {p.name for p in excluded} | {Path(p).name for p in exclude if p}

    def is_excluded(path: Path) -> bool:
        return path.name in names and path.resolve() in excluded

    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not is_excluded(here / d))
        found += [here / d for d in dirnames if (here / d).is_symlink()]   # listed, never walked (os.walk does not)
        for name in sorted(filenames):
            if is_skipped_name(name):
                kind = lock_file_kind(here / name) if name.startswith(("~$", ".~lock.")) else None
                if kind is None and name.startswith("~$") and name.lower().endswith(WORKBOOK_SUFFIXES) \
                        and not is_excluded(here / name):
                    found.append(here / name)      # a real workbook that merely has a lock file's name
                elif kind is not None and locks is not None:
                    locks.append((here / name, kind))
                continue
            if name.lower().endswith(WORKBOOK_SUFFIXES + LOOKALIKE_SUFFIXES) and not is_excluded(here / name):
                found.append(here / name)
    return found


def months_named(inbox: str | Path) -> list[str]:
    """The months the inbox's submission copies are named for (``<学校标识码>_<YYYY-MM>.xlsx``, as ``submit`` names
    them), oldest first; no file is opened (the roll-up itself takes each file's month from its cover)."""
    if not Path(inbox).is_dir():
        return []
    return sorted({m.group(1) for p in discover(inbox) if (m := SUBMISSION_MONTH_RE.search(p.name))})


@lru_cache(maxsize=8)
def _root_text(inbox: str | Path) -> str:
    """The inbox as ``Path`` writes it, with the separator its files' names follow."""
    return str(Path(inbox)).rstrip("/") + "/"


def relative_name(path: str | Path, inbox: str | Path) -> str:
    """The file's name as the officer sees it: relative to the inbox, with forward slashes, always printable
    (``paths.shown``: a name whose bytes are not UTF-8 is decoded as GBK or escaped)."""
    root_text = _root_text(inbox)
    text = os.fspath(path)
    if isinstance(text, str) and text.startswith(root_text):   # fast path: a name ``discover`` joined to the inbox
        rest = text[len(root_text):]
        if rest and "//" not in f"/{rest}" and not rest.endswith("/") and "/./" not in f"/{rest}/" \
                and "\\" not in rest:
            return shown(rest)
    p, root = Path(path), Path(inbox)
    try:
        return shown(p.relative_to(root).as_posix())   # the usual case: ``discover`` joined the name to the inbox
    except ValueError:
        pass
    try:
        return shown(p.resolve().relative_to(root.resolve()).as_posix())
    except (ValueError, OSError, RuntimeError):
        return shown(path)
