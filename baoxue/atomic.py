"""Atomic workbook writes with a timestamped backup: a clerk's file is never left half-written."""
from __future__ import annotations

import datetime as dt
import errno
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

TEMP_PREFIX = ".baoxue-"          # temporaries are hidden and named for the process writing them: .baoxue-<pid>-…
_TEMP_PID = re.compile(r"^\.baoxue-(\d+)-")
STALE_UNNAMED_S = 3600            # a temporary of an older version (no pid in its name) this old is left over


NAME_MAX_BYTES = 255              # the longest file name ext4 and most file systems take, in bytes (a Chinese character: 3)


class CannotWrite(Exception):
    """The target cannot be written as asked (an existing folder, a name too long, a full disk); the message is
    Chinese."""


class FileLocked(CannotWrite):
    """The target is open in another program (Excel/WPS keep a lock); the message is Chinese."""


def backup_path(path: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(_fitting(path.stem, f".备份-{stamp}{path.suffix}"))
    n = 1
    while candidate.exists():  # two saves within one second must not overwrite the older backup
        n += 1
        candidate = path.with_name(_fitting(path.stem, f".备份-{stamp}-{n}{path.suffix}"))
    return candidate


def _fitting(stem: str, tail: str) -> str:
    """``stem + tail``, the stem cut short where the whole would exceed ``NAME_MAX_BYTES`` (a long name's backup)."""
    room = NAME_MAX_BYTES - len(os.fsencode(tail))
    while len(os.fsencode(stem)) > room:
        stem = stem[:-1]
    return stem + tail


def _target_problem(path: Path) -> str | None:
    """Why ``path`` cannot be written as a file at all, in words; None when it may be."""
    if len(os.fsencode(path.name)) > NAME_MAX_BYTES:
        return (f"文件名过长（{len(os.fsencode(path.name))} 字节，最多 {NAME_MAX_BYTES} 字节，约 85 个汉字）：“{path.name[:20]}…”。"
                "请换一个短一些的文件名。")
    if path.is_dir():
        return f"“{path}”是一个已有的文件夹，不能写成文件。请换一个输出文件名，或把这个文件夹改名后再试。"
    return None


def _os_words(path: Path, e: OSError) -> str:
    """An operating-system error while writing ``path``, as a Chinese sentence."""
    if e.errno == errno.ENOSPC:
        return f"无法写入 {path.name}：磁盘已满。请清理磁盘空间后重试。"
    if e.errno == errno.EROFS:
        return f"无法写入 {path.name}：所在的磁盘是只读的（如写保护的 U 盘）。请把文件复制到可写的位置再运行。"
    return f"无法写入 {path.name}（{e.strerror or e}）。请检查文件夹是否存在、是否可写，或换一个位置再试。"


def is_locked(path: Path) -> bool:
    """Excel and LibreOffice leave a lock file beside an open workbook (~$name.xlsx / .~lock.name.xlsx#)."""
    return (path.with_name("~$" + path.name).exists()
            or path.with_name(f".~lock.{path.name}#").exists())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def sweep_temporaries(folder: Path) -> int:
    """Remove what a killed save left in ``folder``: temporaries of processes no longer running (and unnamed ones of an
    older version, after an hour). Returns how many were removed; never raises."""
    removed = 0
    try:
        entries = list(folder.glob(TEMP_PREFIX + "*"))
    except OSError:
        return 0
    for entry in entries:
        m = _TEMP_PID.match(entry.name)
        try:
            stale = (not _alive(int(m.group(1)))) if m else time.time() - entry.lstat().st_mtime > STALE_UNNAMED_S
            if stale and entry.is_file():
                entry.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def atomic_save(save, path: str | Path, backup: bool = True) -> Path | None:
    """Call ``save(tmp_path)`` to write a temporary file beside ``path``, keep a backup of the old file, then replace.
    Temporaries a killed save left beside ``path`` are removed first (``sweep_temporaries``).

    Returns the backup path (None when there was no previous file or ``backup`` is False)."""
    path = Path(path)
    problem = _target_problem(path)
    if problem:
        raise CannotWrite(problem)
    if path.exists() and is_locked(path):
        raise FileLocked(f"文件 {path.name} 正在被其他程序（Excel/WPS）打开，请先关闭该文件再重试。")
    sweep_temporaries(path.parent)   # a save killed earlier (update, rollup) left its temporary here
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=path.suffix, dir=path.parent)
    except PermissionError:
        raise   # the callers name the folder that is not writable
    except OSError as e:
        raise CannotWrite(_os_words(path, e)) from None
    os.close(fd)
    kept = None
    try:
        save(tmp)
        os.chmod(tmp, (os.stat(path).st_mode & 0o777) if path.exists() else 0o644)  # mkstemp makes 0600
        try:
            if backup and path.exists():
                kept = backup_path(path)
                shutil.copy2(path, kept)
            os.replace(tmp, path)
        except PermissionError:
            raise FileLocked(f"无法写入 {path.name}：文件被其他程序占用或只读，请关闭后重试。") from None
        except OSError as e:
            raise CannotWrite(_os_words(path, e)) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return kept
