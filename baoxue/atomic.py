"""Atomic workbook writes with a timestamped backup: a clerk's file is never left half-written."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path


class FileLocked(Exception):
    """The target is open in another program (Excel/WPS keep a lock); the message is Chinese."""


def backup_path(path: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.stem}.备份-{stamp}{path.suffix}")
    n = 1
    while candidate.exists():  # two saves within one second must not overwrite the older backup
        n += 1
        candidate = path.with_name(f"{path.stem}.备份-{stamp}-{n}{path.suffix}")
    return candidate


def is_locked(path: Path) -> bool:
    """Excel and LibreOffice leave a lock file beside an open workbook (~$name.xlsx / .~lock.name.xlsx#)."""
    return (path.with_name("~$" + path.name).exists()
            or path.with_name(f".~lock.{path.name}#").exists())


def atomic_save(save, path: str | Path, backup: bool = True) -> Path | None:
    """Call ``save(tmp_path)`` to write a temporary file beside ``path``, keep a backup of the old file, then replace.

    Returns the backup path (None when there was no previous file or ``backup`` is False)."""
    path = Path(path)
    if path.exists() and is_locked(path):
        raise FileLocked(f"文件 {path.name} 正在被其他程序（Excel/WPS）打开，请先关闭该文件再重试。")
    fd, tmp = tempfile.mkstemp(prefix=".baoxue-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    kept = None
    try:
        save(tmp)
        os.chmod(tmp, (os.stat(path).st_mode & 0o777) if path.exists() else 0o644)  # mkstemp makes 0600
        if backup and path.exists():
            kept = backup_path(path)
            shutil.copy2(path, kept)
        try:
            os.replace(tmp, path)
        except PermissionError:
            raise FileLocked(f"无法写入 {path.name}：文件被其他程序占用或只读，请关闭后重试。") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return kept
