"""`baoxue submit BOOK… --out DIR` (SPEC §6): validate each workbook; refuse one with errors; otherwise stamp a copy
and save it as ``<学校标识码>_<YYYY-MM>.xlsx`` in DIR. The clerk's original is never modified.

``verify_files(paths)`` re-checks stamps (``baoxue verify``)."""
from __future__ import annotations

import datetime as dt

from dataclasses import dataclass, field
from pathlib import Path

from .atomic import CannotWrite, atomic_save, is_locked
from .book import SchoolBook, UnreadableWorkbook
from .findings import Finding, summarize
from .paths import OutputPathError, guard_output_folder, shown, shown_name
from .policy import Policy
from .reader import read_workbook
from .stamp import Stamp, StampCheck, data_hash, make_stamp, stamp_copy, verify, write_stamp
from .validators import validate
from .xlsx_load import load_workbook


@dataclass
class SubmitResult:
    path: Path
    exit_code: int                      # 0 stamped and saved, 1 refused (errors), 2 unreadable / not writable
    message: str                        # Chinese, one line
    out_path: Path | None = None
    findings: list[Finding] = field(default_factory=list)
    stamp: Stamp | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def may_submit(book: SchoolBook, findings: list[Finding]) -> bool:
    """The submit gate: no error, and a cover naming the school and the month (the stamp and the copy's name need
    both; validation reports their absence as errors, the gate checks them all the same)."""
    return not any(f.is_error for f in findings) and bool(book.school_code) and bool(book.month)


def submission_name(school_code: str, month: str) -> str:
    return f"{school_code}_{month}.xlsx"


def _refused(path: Path, findings: list[Finding]) -> SubmitResult:
    n = summarize(findings)
    return SubmitResult(path, 1, f"{shown_name(path.name)} 有 {n['errors']} 个错误，不能报送。请先改正（可运行 baoxue update 在表中标出），"
                                 "再重新报送。", findings=findings)


def _write_copy(src: Path, dst: str, stamp: Stamp) -> None:
    """The stamped copy: the clerk's file byte for byte plus the stamp parts; openpyxl only where that cannot be done
    (a macro workbook is saved as a plain .xlsx without its macros)."""
    try:
        stamp_copy(src, dst, stamp)
        return
    except (ValueError, KeyError, AttributeError):
        pass
    wb = load_workbook(src, keep_links=True, rich_text=True)
    write_stamp(wb, stamp)
    wb.save(dst)


def submit_file(path: str | Path, out_dir: str | Path, policy: Policy,
                now: dt.datetime | None = None) -> SubmitResult:
    """Validate, refuse or stamp a copy. ``now`` is the stamp time (default: the current time; the demo simulates)."""

    path = Path(path)
    out_dir = Path(out_dir)
    name = shown_name(path.name)
    try:
        book = read_workbook(path)
    except UnreadableWorkbook as e:
        return SubmitResult(path, 2, e.message)
    findings = validate(book, policy)
    if not may_submit(book, findings):
        return _refused(path, findings)
    out_path = out_dir / submission_name(book.school_code, book.month)
    if out_path.resolve() == path.resolve():
        return SubmitResult(path, 2, f"报送副本会覆盖原文件 {name}。请用 --out 指定另一个文件夹。", findings=findings)
    stamp = make_stamp(book, policy, now)
    replaced = out_path.exists()
    try:
        guard_output_folder(out_dir, "报送文件夹")
        out_dir.mkdir(parents=True, exist_ok=True)
        backup = atomic_save(lambda tmp: _write_copy(path, tmp, stamp), out_path)
    except (CannotWrite, OutputPathError) as e:
        return SubmitResult(path, 2, str(e), findings=findings)
    except PermissionError:
        return SubmitResult(path, 2, f"无法写入文件夹 {shown(out_dir)}（没有写入权限）。", findings=findings)
    except UnreadableWorkbook as e:   # the whole-file load's guards (xlsx_load → reader.check_package)
        return SubmitResult(path, 2, e.message, findings=findings)
    except Exception as e:
        return SubmitResult(path, 2, f"无法复制 {name}（{type(e).__name__}）。请在 Excel/WPS 中另存为 .xlsx 后重试。",
                            findings=findings)
    # the copy must carry exactly the data that was validated: re-read it and check the stamp
    try:
        copy = read_workbook(out_path)
        check = verify(copy)
        same = data_hash(copy) == stamp.data_hash
    except UnreadableWorkbook as e:
        check, same = StampCheck(ok=False, reason_zh=e.message), False
    if not check.ok or not same:
        out_path.unlink(missing_ok=True)
        return SubmitResult(path, 2, f"{name} 的报送副本写出后校验不一致（{check.reason_zh}），已删除该副本。"
                                     "请在 Excel/WPS 中另存为 .xlsx 后重新报送。", findings=findings)
    n = summarize(findings)
    warn = f"（另有 {n['warnings']} 条警告，请留意）" if n["warnings"] else ""
    if is_locked(path):   # Excel/WPS have the book open: unsaved edits on the clerk's screen are not in the copy
        warn += "；注意：该工作簿正在被 Excel/WPS 打开，报送的是它最后一次保存的内容（未保存的修改不在其中，请保存后重新报送）"
    if replaced:
        warn += f"；已替换此前的同名报送副本（旧副本备份为 {backup.name}）" if backup else "；已替换此前的同名报送副本"
    return SubmitResult(path, 0, f"{name} 校验通过，已盖戳报送：{shown(out_path)}{warn}", out_path, findings, stamp)


def submit_files(paths, out_dir: str | Path, policy: Policy, now=None) -> list[SubmitResult]:
    """``now``: one stamp time for all, or a function path -> time (default: the current time)."""
    return [submit_file(p, out_dir, policy, now(p) if callable(now) else now) for p in paths]


@dataclass
class VerifyResult:
    path: Path
    check: StampCheck

    @property
    def ok(self) -> bool:
        return self.check.ok


def verify_file(path: str | Path) -> VerifyResult:
    path = Path(path)
    try:
        book = read_workbook(path)
    except UnreadableWorkbook as e:
        return VerifyResult(path, StampCheck(ok=False, reason_zh=e.message))
    return VerifyResult(path, verify(book))


def verify_files(paths) -> list[VerifyResult]:
    return [verify_file(p) for p in paths]
