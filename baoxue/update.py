"""`baoxue update BOOK`: fill derived values, refresh 月报汇总, write 校验结果, mark offending cells — in place, atomically,
with a timestamped backup beside the file.

``plan(book, policy)`` is the pure part (the add-in calls it on a live Excel book and applies the edits with xlwings);
``update_workbook(path, policy)`` reads the file, plans, applies the edits with openpyxl and saves.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .atomic import CannotWrite, atomic_save
from .book import SchoolBook, UnreadableWorkbook
from .edits import apply_openpyxl, control_character_note, derive_values, plan_update, with_values
from .findings import Finding, summarize
from .paths import shown_name
from .policy import Policy
from .reader import read_workbook
from .validators import validate
from .xlsx_load import load_workbook, save_workbook


@dataclass
class UpdatePlan:
    edits: list            # list[Edit]
    findings: list[Finding]
    book: SchoolBook       # the book with the derived values filled in
    filled: int            # number of derived values written


@dataclass
class UpdateResult:
    path: Path
    exit_code: int                       # 0 no error left, 1 errors remain, 2 unreadable / not writable
    findings: list[Finding] = field(default_factory=list)
    filled: int = 0
    backup: Path | None = None
    message: str = ""                    # Chinese, one line

    @property
    def summary(self) -> dict[str, int]:
        return summarize(self.findings)


def plan(book: SchoolBook, policy: Policy, lead_rows: tuple = ()) -> UpdatePlan:
    """Derived values first, then validate the completed book, then plan every write (pure; no file is touched).
    ``book`` should carry the computed sheets' layouts (``read_workbook(path, computed_sheets=True)``, or the add-in's
    live read), so that every cell is addressed where the book has it; ``lead_rows``: 校验结果 rows put first."""
    derived = derive_values(book)
    after = with_values(book, derived)
    findings = validate(after, policy)
    return UpdatePlan(plan_update(book, findings, policy, lead_rows), findings, after, len(derived))


SHEET_NAME_FORBIDDEN = ("\\", "/", "?", "*", "[", "]", ":")   # Excel's rule for sheet names


def _load_openpyxl(path: Path):
    return load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm", keep_links=True, rich_text=True)


def update_workbook(path: str | Path, policy: Policy) -> UpdateResult:
    """Update one workbook in place. Never raises for bad input: the result carries the exit code and a message."""
    path = Path(path)
    name = shown_name(path.name)
    try:
        book = read_workbook(path, computed_sheets=True)
    except UnreadableWorkbook as e:
        return UpdateResult(path, 2, message=e.message)
    p = plan(book, policy)
    odd = [n for n in book.other_sheets if any(ch in n for ch in SHEET_NAME_FORBIDDEN)]
    if odd:   # Excel never saves such a name and openpyxl refuses to open the book: say which sheet, and how to fix it
        return UpdateResult(path, 2, p.findings, message=(
            f"无法改写 {name}：工作表名“{odd[0]}”含有 Excel 不允许的字符（{' '.join(SHEET_NAME_FORBIDDEN)}）。"
            "请在 WPS/LibreOffice 中把这张工作表改名（或删除）后另存为 .xlsx，再运行一次。"))
    try:
        wb = _load_openpyxl(path)
    except UnreadableWorkbook as e:   # the reader's guards for a whole-file load (every sheet, a cell budget)
        return UpdateResult(path, 2, p.findings, message=e.message)
    except PermissionError:
        return UpdateResult(path, 2, p.findings, message=f"无法打开 {name}：文件被其他程序占用或没有读取权限。")
    except Exception as e:  # the reader accepted it, openpyxl did not (rare: exotic parts)
        return UpdateResult(path, 2, p.findings,
                            message=f"无法改写 {name}（{type(e).__name__}）。请在 Excel/WPS 中另存为 .xlsx 后重试。")
    apply_openpyxl(wb, p.edits)
    try:
        backup = atomic_save(lambda tmp: save_workbook(wb, tmp), path)
    except CannotWrite as e:
        return UpdateResult(path, 2, p.findings, p.filled, message=str(e))
    except PermissionError:
        return UpdateResult(path, 2, p.findings, p.filled,
                            message=f"无法写入 {name} 所在的文件夹（没有写入权限）。请把文件复制到可写的位置再运行。")
    counts = summarize(p.findings)
    code = 1 if counts["errors"] else 0
    note = control_character_note(book)
    msg = (f"已更新 {name}：补填 {p.filled} 个单元格，错误 {counts['errors']} 条，警告 {counts['warnings']} 条"
           + (f"；原文件已备份为 {shown_name(backup.name)}" if backup else "") + (f"\n{note}" if note else ""))
    return UpdateResult(path, code, p.findings, p.filled, backup, msg)
