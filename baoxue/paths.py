"""Paths handed to baoxue: files checked before anything opens or hashes them, names that can always be shown, and output
paths that must never land on an input.

- ``read_regular(path, limit)``: a regular file's bytes, opened without blocking (a FIFO never hangs a read) and checked
  on the open descriptor (what is read is what was checked); anything else raises ``EntryError`` (Chinese message).
- ``entry_problem(path, root)``: what is wrong with one entry of an inbox before it is opened — a dangling or looping
  symbolic link, a link leading outside the inbox, a folder link, a FIFO, device or socket, a file over the size limit —
  or None. The roll-up turns a problem into a finding (S005) for that entry and rolls up the other schools.
- ``shown_name(name)``: a file name as text that can always be printed or written into a workbook (a name whose bytes
  are not UTF-8, as GBK zip extraction leaves them, is decoded as GBK or shown with escapes).
- ``guard_output(out, inside=…, equal=…)``: refuse an output path inside an input folder (the inbox, the store) or equal
  to an input file (the register, the policy) — ``OutputPathError`` (Chinese message). ``rollup`` and ``match`` call it
  before writing anything.

Symbolic links: a file link whose target lies inside the inbox is read like the file itself; a link leading outside the
inbox is refused (a finding for that entry): an inbox is what schools sent, and a link could pull in files nobody sent
(the history store, another county's data, system files). Links to folders are never followed.
"""
from __future__ import annotations

import errno
import os
import re
import stat
import unicodedata
from pathlib import Path

MAX_FILE_BYTES = 60 * 1024 * 1024          # a school's monthly workbook is well under 1 MB


class EntryError(Exception):
    """A path that is not a regular, readable file within the size limit; ``message`` is Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class OutputPathError(Exception):
    """An output path that would overwrite an input; the message is Chinese."""


# ============================================================================================== names
def shown_name(name: str) -> str:
    """``name`` as printable text: undecodable bytes (kept by Python as surrogates) decoded as GBK, else escaped;
    control characters escaped."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raw = os.fsencode(name)
        try:
            name = raw.decode("gbk")
        except UnicodeDecodeError:
            name = raw.decode("utf-8", errors="backslashreplace")
    if _CONTROL.search(name):
        name = "".join(f"\\x{ord(ch):02x}" if unicodedata.category(ch) == "Cc" else ch for ch in name)
    return name


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")   # Unicode category Cc: exactly these 65 code points


def shown(path: str | Path) -> str:
    """A whole path as printable text (see ``shown_name``)."""
    return shown_name(str(path))


def too_large_message(name: str, size: int) -> str:
    return f"文件“{name}”过大（{size / 1048576:.0f} MB），不像是一所学校的月报工作簿。请只保留标准模板中的工作表。"


_SPECIAL = ((stat.S_ISFIFO, "命名管道（FIFO）"), (stat.S_ISCHR, "字符设备文件"), (stat.S_ISBLK, "块设备文件"),
            (stat.S_ISSOCK, "套接字"), (stat.S_ISDIR, "文件夹"))


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((words for test, words in _SPECIAL if test(mode)), "特殊文件")


def _not_regular(name: str, kind: str) -> str:
    if kind == "文件夹":
        return f"“{name}”是一个文件夹，不是工作簿。"
    return f"“{name}”不是普通文件（是{kind}），无法作为工作簿读取。请删除它，并把工作簿文件本身放进来。"


# ============================================================================================== reading one file
def read_regular(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes. The file is opened without blocking and checked on the
    open descriptor, so a FIFO, a device (``/dev/zero``) or a file swapped in after a check is never read."""
    def name() -> str:
        return shown_name(Path(path).name)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise EntryError(_os_problem(name(), e)) from None
    try:
        st = os.fstat(fd)
        kind = _kind(st.st_mode)
        if kind is not None:
            raise EntryError(_not_regular(name(), kind))
        if st.st_size > limit:
            raise EntryError(too_large_message(name(), st.st_size))
        # the size the fstat gave, + 1: a file that grew since the fstat is refused too (read on to the limit + 1)
        pieces, got = [], 0
        while got <= limit:
            piece = os.read(fd, min(limit + 1 - got, max(st.st_size + 1 - got, 65536)))
            if not piece:
                break
            pieces.append(piece)
            got += len(piece)
    except OSError as e:
        raise EntryError(_os_problem(name(), e)) from None
    finally:
        os.close(fd)
    data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
    if len(data) > limit:
        raise EntryError(too_large_message(name(), len(data)))
    return data


def _os_problem(name: str, e: OSError) -> str:
    if e.errno == errno.ELOOP:
        return f"“{name}”是循环的符号链接（最终指向它自己），无法读取。请删除它。"
    if isinstance(e, FileNotFoundError):
        return f"找不到文件“{name}”（若它是快捷方式或符号链接，它指向的文件已不存在）。请检查路径，或把文件本身复制过来。"
    if isinstance(e, IsADirectoryError):
        return f"“{name}”是一个文件夹，不是工作簿。"
    if isinstance(e, PermissionError):
        return (f"没有读取“{name}”的权限，或文件正被其他程序（如 Excel、WPS）占用。请关闭打开该文件的程序后重试；"
                "仍不行时，请把文件复制到本机其他文件夹（如桌面）后再读取。")
    return (f"读取“{name}”时出错（{e.strerror or e}）。文件可能仍在下载或同步中，或位于已断开的网络盘、U 盘上。"
            "请把文件复制到本机后再试。")


# ============================================================================================== inbox entries
def entry_problem(path: str | Path, root: str | Path, limit: int = MAX_FILE_BYTES) -> str | None:
    """What keeps one inbox entry from being read as a workbook, checked without opening it; None when it may be read."""
    path = Path(path)
    name = shown_name(path.name)
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            try:
                target = path.resolve(strict=True)
            except RuntimeError:   # Python < 3.13 reports a loop as RuntimeError
                return _os_problem(name, OSError(errno.ELOOP, "loop"))
            inbox = Path(root).resolve()
            if not target.is_relative_to(inbox):
                return (f"“{name}”是指向收件文件夹以外（{shown(target)}）的符号链接。为防止读入并非学校报送的文件，已跳过。"
                        "请把工作簿文件本身复制进收件文件夹。")
            if target.is_dir():
                return f"“{name}”是指向文件夹的符号链接，其中的文件未读取。请把文件本身放进收件文件夹。"
            st = os.stat(path)
    except OSError as e:
        return _os_problem(name, e)
    kind = _kind(st.st_mode)
    if kind is not None:
        return _not_regular(name, kind)
    if st.st_size > limit:
        return too_large_message(name, st.st_size)
    return None


# ============================================================================================== outputs
def _resolved(p: str | Path) -> Path:
    return Path(os.path.abspath(os.path.expanduser(str(p)))).resolve()


def guard_output(out: str | Path, inside: tuple | list = (), equal: tuple | list = ()) -> None:
    """Refuse ``out`` when it lies inside one of the folders ``inside`` (the inbox, the history store) or is one of the
    files ``equal`` (the register, the policy file): writing there would replace what the run reads."""
    target = _resolved(out)
    for folder in (f for f in inside if f):
        base = _resolved(folder)
        if target == base or target.is_relative_to(base):
            raise OutputPathError(f"输出文件“{shown(out)}”位于输入文件夹“{shown(folder)}”之内，会覆盖或混入报送的文件。"
                                  "请把输出写到该文件夹以外（如它的上一级文件夹）。")
    for file in (f for f in equal if f):
        if target == _resolved(file):
            raise OutputPathError(f"输出文件“{shown(out)}”就是输入文件“{shown(file)}”，写入会把它覆盖。请换一个输出文件名。")


def guard_output_folder(folder: str | Path, what: str = "输出文件夹") -> None:
    """Refuse an output folder that is an existing file (``OutputPathError``, Chinese): writing into it would fail with
    the operating system's own words."""
    path = Path(os.path.expanduser(str(folder)))
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{what}“{shown(folder)}”是一个文件，不是文件夹。请填写一个文件夹的路径（不存在时会自动创建）。")


def file_problem(path: Path, label: str) -> str | None:
    """Why ``path`` cannot be the ``label`` (an .xlsx file): missing, or a folder; None when it is a file."""
    if path.is_file():
        return None
    if path.is_dir():
        return f"{label}应是一个 .xlsx 文件，“{path}”是一个文件夹。请填写文件本身的路径。"
    return f"找不到{label}文件：{path}"


def folder_problem(path: Path, label: str, hint: str = "请填写它所在文件夹的路径。") -> str | None:
    """Why ``path`` cannot be the ``label`` folder: missing, or a file; None when it is a folder."""
    if path.is_dir():
        return None
    if path.exists():
        return f"{label}应是一个文件夹，“{path}”是一个文件。{hint}"
    return f"{label}不存在或不是文件夹：{path}"
