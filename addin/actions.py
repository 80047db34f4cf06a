"""What the four buttons do, as plain functions of a live ``xlwings.Book`` (no decorators: ``scripts.py`` registers
them for xlwings Lite / Server, ``desktop.py`` for the classic add-in's RunPython).

Each one reads the live book with the same reader as ``baoxue validate`` (``bridge.read_live``), calls the core, applies
the resulting Edits with ``bridge.apply_xlwings``, shows the clerk one alert in Chinese and returns an ``Outcome``
(what was done, for the caller and the tests). Bad input never raises: it becomes the alert. Where the engine could
not give the formula cells (``LiveRead.formulas_unread``), the alert and 校验结果 say that F013 was not checked.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from baoxue import model
from baoxue.book import SchoolBook
from baoxue.findings import Finding, summarize
from baoxue.policy import Policy, PolicyError, load_policy
from baoxue.carry import CarryError, carry_forward
from baoxue.edits import Edit, EnsureSheet, findings_table, plan_marks
from baoxue.stamp import make_stamp
from baoxue.submit import may_submit, submission_name, submit_file
from baoxue.update import plan
from baoxue.validators import validate

from . import bridge

POLICY_ENV = "BAOXUE_POLICY"     # path of a county policy file (desktop) — the Lite/Server route uses the default
TITLE = "控辍保学月报"
MARK_LEGEND = "问题单元格已着色（浅红＝错误，浅黄＝警告），鼠标移到单元格上可看批注，全部问题见“校验结果”工作表。"


@dataclass
class Outcome:
    ok: bool                              # False: refused (errors) or could not proceed
    message: str                          # the alert text (Chinese)
    findings: list[Finding] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, int]:
        return summarize(self.findings)


def policy() -> Policy:
    """The county policy named by ``BAOXUE_POLICY`` (default policy otherwise); loaded once per file, since worksheet
    functions ask for it on every recalculation."""
    return _load_policy(os.environ.get(POLICY_ENV) or None)


@lru_cache(maxsize=8)
def _load_policy(path: str | None) -> Policy:
    return load_policy(path)


def alert(book, message: str, title: str = TITLE) -> None:
    try:
        book.app.alert(message, title)
    except Exception:  # an engine without alerts (or no app): the return value still carries the message
        pass


def counts_text(findings: list[Finding]) -> str:
    n = summarize(findings)
    return f"错误 {n['errors']} 条，警告 {n['warnings']} 条"


UNCHECKED_LEVEL = "未检查"    # 校验结果 级别 of the row saying a check could not be run (not a finding: 错误/警告)


def formulas_note(unread: tuple[str, ...] | list[str]) -> str:
    """The clerk's warning that rule F013 was not checked on ``unread`` sheets ("" when every sheet was)."""
    if not unread:
        return ""
    if set(unread) >= set(model.SHEETS):
        where = "封面和各数据表" if model.COVER_SHEET in unread else "各数据表"
    else:
        where = "、".join(f"“{s}”" for s in unread)
    return (f"注意：本次没有检查数据单元格中的公式（规则 F013）：程序读不到{where}中的公式（xlwings Server 不传送公式；"
            "xlwings Lite 中是读取公式失败，可以再点一次）。报送前请在 xlwings Lite 或桌面版 Excel 中再校验一次，"
            "或把工作簿保存后用命令 baoxue validate 检查。")


def _note_rows(unread) -> tuple[tuple[Any, ...], ...]:
    note = formulas_note(unread)
    return (("", "", "", "", "F013", UNCHECKED_LEVEL, "", note),) if note else ()


def _with_note(message: str, unread) -> str:
    note = formulas_note(unread)
    return f"{message}\n{note}" if note else message


def validation_edits(parsed: SchoolBook, findings: list[Finding], pol: Policy, formulas_unread=()) -> list[Edit]:
    """Marks on the offending cells (stale ones cleared) and the 校验结果 table (first row: F013 not checked, if so)."""
    return [*plan_marks(parsed, findings), EnsureSheet(model.FINDINGS_SHEET),
            *findings_table(parsed, findings, pol, _note_rows(formulas_unread))]


def validate_message(findings: list[Finding]) -> str:
    n = summarize(findings)
    if not findings:
        return "校验完成：没有发现问题。可以报送。"
    head = f"校验完成：{counts_text(findings)}。"
    tail = "有错误的工作簿不能报送，请先改正。" if n["errors"] else "只有警告，可以报送，但请逐条核实。"
    return head + MARK_LEGEND + tail


# ============================================================================================== buttons
def validate_book(book, pol: Policy | None = None, live: bridge.LiveRead | None = None) -> Outcome:
    """校验: validate the open workbook, write 校验结果, colour the offending cells, alert with the counts."""
    pol = pol or policy()
    live = live or bridge.read_live(book)
    parsed = live.book
    findings = validate(parsed, pol)
    bridge.apply_xlwings(book, validation_edits(parsed, findings, pol, live.formulas_unread), parsed)
    out = Outcome(not any(f.is_error for f in findings), _with_note(validate_message(findings), live.formulas_unread),
                  findings, {"formulas_unread": live.formulas_unread})
    alert(book, out.message)
    return out


def update_book(book, pol: Policy | None = None, live: bridge.LiveRead | None = None) -> Outcome:
    """更新: what ``baoxue update`` writes (derived values, 本月送教次数/课时, 月报汇总, 校验结果, marks) — in the live book."""
    pol = pol or policy()
    live = live or bridge.read_live(book)
    parsed = live.book
    p = plan(parsed, pol, _note_rows(live.formulas_unread))
    bridge.apply_xlwings(book, p.edits, parsed)
    msg = f"已更新：补填 {p.filled} 个单元格（出生日期、性别、本月送教次数/课时、劝返动员日期），刷新“月报汇总”。" \
          f"{validate_message(p.findings)}"
    out = Outcome(not any(f.is_error for f in p.findings), _with_note(msg, live.formulas_unread), p.findings,
                  {"filled": p.filled, "formulas_unread": live.formulas_unread})
    alert(book, out.message)
    return out


def submit_book(book, pol: Policy | None = None, out_dir: str | Path | None = None,
                live: bridge.LiveRead | None = None) -> Outcome:
    """报送: validate; with any error refuse (and mark). Otherwise stamp — desktop: save the workbook, write the stamped
    copy <学校标识码>_<YYYY-MM>.xlsx (exactly ``baoxue submit``, which reads the saved file, formulas included) and put
    the same stamp in the open workbook; Lite/Server: stamp the live workbook and tell the clerk how to save the copy."""
    pol = pol or policy()
    live = live or bridge.read_live(book)
    parsed, unread = live.book, live.formulas_unread
    findings = validate(parsed, pol)
    if not may_submit(parsed, findings):
        bridge.apply_xlwings(book, validation_edits(parsed, findings, pol, unread), parsed)
        out = Outcome(ok=False, message=_with_note(f"不能报送：{counts_text(findings)}。{MARK_LEGEND}请改正全部错误后再点“报送”。",
                                        unread), findings=findings)
        alert(book, out.message)
        return out
    name = submission_name(parsed.school_code, parsed.month)
    path = bridge.book_path(book)
    if not bridge.is_remote(book) and path:
        return _submit_desktop(book, Path(path), pol, out_dir, findings)
    stamp = make_stamp(parsed, pol)
    bridge.apply_xlwings(book, validation_edits(parsed, findings, pol, unread), parsed)
    bridge.write_stamp(book, stamp)
    warn = f"（另有 {len(findings)} 条警告，请留意）" if findings else ""
    msg = (f"校验通过{warn}，已在工作簿中盖上报送戳记（隐藏工作表“{model.STAMP_SHEET}”）。\n"
           f"请现在保存报送副本：点“文件”→“另存为”（网页版：“文件”→“创建副本”/“下载副本”），文件名填 {name}，"
           "保存后把这个文件发送给乡镇中心校。盖戳后如再修改任何数据，戳记即失效，需要重新点“报送”。")
    out = Outcome(ok=True, message=_with_note(msg, unread), findings=findings,
                  details={"file_name": name, "stamp": stamp, "formulas_unread": unread})
    alert(book, out.message)
    return out


def _submit_desktop(book, path: Path, pol: Policy, out_dir, findings) -> Outcome:
    try:
        book.save()
    except Exception as e:
        out = Outcome(ok=False, message=f"无法保存工作簿（{type(e).__name__}）。请先手动保存，再点“报送”。", findings=findings)
        alert(book, out.message)
        return out
    out_dir = Path(out_dir) if out_dir else path.parent / "报送"
    r = submit_file(path, out_dir, pol)
    if r.ok and r.stamp is not None:   # the open workbook carries the same stamp (hidden sheet) as its copy
        bridge.write_stamp(book, r.stamp)
        try:
            book.save()
        except Exception:
            pass
    out = Outcome(r.ok, r.message, r.findings, {"out_path": r.out_path, "stamp": r.stamp})
    alert(book, out.message)
    return out


def carried_text(carried) -> str:
    kept = {s: len(r) for s, r in carried.rows.items()}
    return (f"带入未销号辍学个案 {kept[model.DROPOUT.name]} 条、休学 {kept[model.LEAVE.name]} 人、"
            f"缓学 {kept[model.DEFER.name]} 人、送教上门 {kept[model.HOME.name]} 人及本学年送教/劝返记录")


NEXT_MONTH_TODO = "请在新工作簿中填写封面的“零报告”和“填报日期”，逐条更新个案进展，再点“更新”刷新月报汇总。"


def next_month_book(book, pol: Policy | None = None, live: bridge.LiveRead | None = None) -> Outcome:
    """生成下月: next month's workbook with open cases, rosters and the visit log carried forward (``baoxue.carry``).
    Either way next month's workbook is this one's copy rewritten in place by the one next-month plan
    (``carry.next_month_edits``, applied by ``bridge.rewrite_for_month``; the CLI applies it to a fresh template), so
    it keeps what the clerk's workbook carries: the VBA buttons and imported functions of an .xlsm, the Lite code, the
    layout.

    Desktop: the saved file is copied beside itself as <学校标识码>_<下月> with the same extension (.xlsm stays .xlsm),
    the copy is opened in Excel, rewritten and saved; this month's workbook is untouched.
    Lite/Server (no files from Python): the clerk first saves a copy whose name contains the next month, then presses
    the button in that copy, which is rewritten in place; in any other workbook nothing is changed.
    (``pol`` is accepted like the other buttons'; carrying forward does not depend on the policy.)"""
    live = live or bridge.read_live(book)
    parsed = live.book
    try:
        carried = carry_forward(parsed)
    except CarryError as e:
        out = Outcome(ok=False, message=str(e))
        alert(book, out.message)
        return out
    path = bridge.book_path(book)
    if not bridge.is_remote(book) and path:
        return _next_month_desktop(book, Path(path), parsed, carried)
    new_month = carried.month
    if not _names_month(book.name, new_month):
        code = parsed.school_code or "学校标识码"
        out = Outcome(ok=False, message=f"为保护本月（{parsed.month}）数据，本工作簿不会被改动。\n请先点“文件”→“另存为”（网页版："
                             f"“创建副本”），文件名中写上下月月份，例如 {code}_{new_month}.xlsx；在新文件中再点“生成下月”。",
                      details={"month": new_month})
        alert(book, out.message)
        return out
    bridge.rewrite_for_month(book, parsed, carried)
    kept = {s: len(r) for s, r in carried.rows.items()}
    msg = f"已转为 {new_month} 月工作簿：{carried_text(carried)}。{NEXT_MONTH_TODO}"
    out = Outcome(ok=True, message=msg, details={"month": new_month, "rows": kept})
    alert(book, out.message)
    return out


def _names_month(book_name: str, month: str) -> bool:
    y, m = month.split("-")
    compact = book_name.replace(" ", "")
    return any(tag in compact for tag in (month, f"{y}{m}", f"{y}年{int(m)}月", f"{y}年{m}月", f"{y}.{m}", f"{y}_{m}"))


def next_month_path(path: Path, school_code: str | None, month: str) -> Path:
    """<学校标识码>_<YYYY-MM> beside ``path``, with its extension (an .xlsm keeps its VBA project and buttons)."""
    return path.parent / f"{school_code or path.stem}_{month}{path.suffix}"


def _next_month_desktop(book, path: Path, parsed: SchoolBook, carried) -> Outcome:
    target = next_month_path(path, parsed.school_code, carried.month)
    if target.exists():
        out = Outcome(ok=False, message=f"下月工作簿 {target.name} 已存在，没有覆盖。如需重新生成，请先把它改名或移走。",
                      details={"out_path": target})
        alert(book, out.message)
        return out
    shutil.copyfile(path, target)          # the saved file, byte for byte: VBA project, buttons, layout and all
    new = None
    try:
        new = bridge.open_book(target)
        bridge.rewrite_for_month(new, bridge.read_book(new), carried)   # the copy's own header rows and columns
        new.save()
    except BaseException:
        # never leave a copy of this month's data under next month's name
        if new is not None:
            try:
                new.close()
            except Exception:
                pass
        target.unlink(missing_ok=True)
        raise
    keeps = "本工作簿的按钮、宏和导入的函数都在新工作簿中，照常点按钮即可。" if path.suffix.lower() == ".xlsm" else ""
    out = Outcome(ok=True, message=f"已生成下月（{carried.month}）工作簿并在 Excel 中打开：{target}。{carried_text(carried)}。"
                        f"{keeps}本月工作簿没有改动。{NEXT_MONTH_TODO}",
                  details={"out_path": target, "month": carried.month})
    alert(book, out.message)
    return out


def safe(fn, book, *args) -> Outcome:
    """Run a button; anything unexpected becomes a Chinese alert, never a traceback in the clerk's face."""
    try:
        return fn(book, *args)
    except PolicyError as e:
        out = Outcome(ok=False, message=f"县级策略文件（{POLICY_ENV}）有误，没有进行任何操作：{e}")
        alert(book, out.message)
        return out
    except Exception as e:  # last line of defence for a button click
        return failed(book, e)


def failed(book, error: BaseException) -> Outcome:
    """The alert for a button that could not finish (an unexpected error): what to do next, in Chinese."""
    out = Outcome(ok=False, message=f"操作未完成：程序遇到意外情况（{type(error).__name__}）。工作簿没有被保存。"
                         "请把工作簿另存一份后用命令 baoxue validate 检查，或联系县教育局数据管理员。")
    alert(book, out.message)
    return out
