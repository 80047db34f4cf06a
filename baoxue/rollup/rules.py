"""Roll-up rules R001–R007 (SPEC §4): checks that need more than one workbook. Each function takes the roll-up's
collected per-file results and returns findings carrying ``school`` (学校标识码) and ``file``.

- R001 ``missing``      a school in the register sent nothing for the month
- R002 ``pick``         two submissions of one school for one month: the later stamp wins, both stay listed
- R003 ``pick``         no valid submission stamp, or the content changed after stamping: listed, left out of totals
- R004 ``open_in_two``  one ID open in two schools (open rows of 辍学/休学/缓学/送教上门)
- R005 ``lost_cases``   a case open last month is missing this month without being closed
- R006 ``over_target``  a school-year dropout rate (学年辍学率, SPEC §5.1) above its annual target (by 学段 and 城乡类别)
- R007 ``late``         stamped after the due date
- R008 ``unregistered`` a submission from a school that is not in the register (listed and counted; fix the register)
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Iterable

import pandas as pd

from .. import model
from ..beijing import CHINA, beijing  # R007's deadlines and every time shown are Beijing time
from ..months import month_end
from ..findings import Finding
from ..policy import Policy
from .register import RegisteredSchool
from .worker import FileResult
from ..validators import catalogue

def _f(rule: str, message: str, school: str | None = None, file: str | None = None, sheet: str | None = None,
       row: int | None = None, column: str | None = None, value=None) -> Finding:
    return Finding(rule, catalogue.severity(rule), sheet, row, column, value, message, school=school, file=file)


def _m(rule: str, **fields) -> str:
    """The rule's message template from the rule catalogue (``baoxue.validators.catalogue``), filled in."""
    return catalogue.message(rule, **fields)


def stamp_order(r: FileResult):
    when = r.stamped_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return (r.stamp_ok, when, r.file)


def why_wins(winner: FileResult, other: FileResult) -> str:
    """Why ``winner`` counts instead of ``other`` (the order of ``stamp_order``), in words for R002."""
    if winner.stamp_ok and not other.stamp_ok:
        return "它的报送戳记有效，本文件的戳记无效"
    if winner.stamped_at is not None and (other.stamped_at is None or winner.stamped_at > other.stamped_at):
        return f"它的报送戳记较晚（{beijing(winner.stamped_at)}）"
    when = f"（{beijing(winner.stamped_at)}）" if winner.stamped_at else ""
    return f"两份的盖戳时间相同{when}，按文件名排序取最后一份"


# ---------------------------------------------------------------------------------------------- R002 / R003
def pick(by_school: dict[str, list[FileResult]]) -> tuple[dict[str, FileResult], list[Finding]]:
    """The submission that counts for each school, and the R002/R003 findings.

    A valid stamp beats a broken one; among valid ones the later stamp wins. The returned winner may still have a
    broken stamp (when the school sent nothing valid): callers leave such a school out of the totals."""
    winners: dict[str, FileResult] = {}
    findings: list[Finding] = []
    for code, files in by_school.items():
        for r in files:
            if not r.stamp_ok:
                findings.append(_f("R003", _m("R003", file=r.file, problem=f"报送戳记无效：{r.stamp_reason}"),
                                   school=code, file=r.file))
        ordered = sorted(files, key=stamp_order)
        winner = ordered[-1]
        winners[code] = winner
        if len(files) > 1:
            for r in ordered[:-1]:
                when = beijing(r.stamped_at) if r.stamped_at else "无戳记"
                findings.append(_f("R002", _m("R002", school=code, file=winner.file, reason=why_wins(winner, r))
                                   + f"（本文件盖戳时间 {when}，已被取代，不计入汇总。）", school=code, file=r.file))
    return winners, findings


# ---------------------------------------------------------------------------------------------- R001
def missing(register: Iterable[RegisteredSchool], submitted: set[str], month: str) -> list[Finding]:
    return [_f("R001", _m("R001", school_name=f"{s.township} {s.name}", school=s.code, month=month), school=s.code)
            for s in register if s.code not in submitted]


def unregistered(winners: dict[str, FileResult], register: dict[str, RegisteredSchool]) -> list[Finding]:
    return [_f("R008", _m("R008", school=code, file=r.file), school=code, file=r.file, column="学校标识码", value=code)
            for code, r in winners.items() if code not in register]


# ---------------------------------------------------------------------------------------------- R007
def due_date(month: str, policy: Policy) -> dt.date:
    """The monthly report is due on the last day of the month, or (policy ``reporting.due_day`` = N) on day N of the
    following month."""
    due = policy.reporting.due_day
    end = month_end(month)
    if isinstance(due, int) and not isinstance(due, bool):
        return end + dt.timedelta(days=due)
    return end


def late(winners: dict[str, FileResult], month: str, policy: Policy) -> list[Finding]:
    due = due_date(month, policy)
    out = []
    for code, r in winners.items():
        if r.stamp_ok and r.stamped_at is not None:
            local = r.stamped_at.astimezone(CHINA)
            if local.date() > due:
                out.append(_f("R007", _m("R007", file=r.file, stamped=beijing(local), due=f"{due:%Y-%m-%d}")
                              + f"晚了 {(local.date() - due).days} 天。", school=code, file=r.file,
                              value=f"{local:%Y-%m-%d %H:%M}"))
    return out


# ---------------------------------------------------------------------------------------------- R004
def open_in_two(counted: dict[str, FileResult], names: dict[str, str]) -> list[Finding]:
    """R004 for every ID (not empty) open in more than one school: one finding per open row of it, IDs in order, each
    ID's rows in the schools' order."""
    rows_of: dict[str, list[tuple[str, str, dict]]] = defaultdict(list)   # ID -> (school, file, open row)
    for code, r in counted.items():
        for rec in r.open_rows or ():
            pid = rec["身份证号"]
            if pid is not None and pid == pid and pid != "":   # (NaN != NaN: no ID)
                rows_of[pid].append((code, r.file, rec))
    out = []
    for pid in sorted(pid for pid, rows in rows_of.items() if len({code for code, _, _ in rows}) > 1):
        rows = rows_of[pid]
        where = "；".join(f"{names.get(c, c)}（{c}）{rec['sheet']}表第{rec['row']}行（{rec['状态']}）" for c, _, rec in rows)
        for c, f, rec in rows:
            out.append(_f("R004", _m("R004", value=pid, schools=where), school=c, file=f, sheet=rec["sheet"],
                          row=int(rec["row"]), column="身份证号", value=pid))
    return out


# ---------------------------------------------------------------------------------------------- R005
def lost_cases(previous_open: pd.DataFrame, counted: dict[str, FileResult], month: str, source: str) -> list[Finding]:
    """``previous_open``: last month's open 辍学 cases with columns school, 身份证号, 姓名, row."""
    if previous_open is None or not len(previous_open):
        return []
    out = []
    for code, prev in previous_open.groupby("school", sort=True):
        r = counted.get(code)
        if r is None or r.cases is None:
            continue  # the school did not (validly) report this month: R001/R003 already say so
        present = {rec["身份证号"] for rec in r.cases if rec["身份证号"]}
        for pid, name in zip(prev["身份证号"], prev["姓名"]):
            if pid and pid not in present:
                out.append(_f("R005", _m("R005", value=pid) + f"（上月数据来源：{source}）",
                              school=code, file=r.file, sheet=model.DROPOUT.name, column="身份证号", value=pid))
    return out


# ---------------------------------------------------------------------------------------------- R006
def _targets(policy: Policy) -> dict[str, float]:
    return {"primary": float(policy.targets.primary), "junior_urban": float(policy.targets.junior_urban),
            "junior_rural": float(policy.targets.junior_rural)}


def over_target(schools: list[dict], county_groups: dict[str, dict], policy: Policy, year=None) -> list[Finding]:
    """The school-year rates (学年辍学率, SPEC §5.1) of each counted school against the annual target of its 城乡类别,
    and the county's rates per group. ``year``: the roll-up's ``school_year.SchoolYear`` (for the months counted).
    The month-end rates (月末在册辍学率, §5) are not compared: the targets are annual rates."""
    t = _targets(policy)
    months = year.text() if year is not None else ""
    out = []

    def finding(scope, which, label, rate, target, **where):
        return _f("R006", _m("R006", scope=scope, which=which, rate=f"{rate:.2f}", target=f"{target:g}", months=months),
                  column=label, value=rate, **where)

    for s in schools:
        if not s.get("counted"):
            continue
        rural = s.get("城乡类别") in model.RURAL
        checks = (("year_dropout_rate_primary", "小学学年辍学率", t["primary"], "小学"),
                  ("year_dropout_rate_junior", "初中学年辍学率", t["junior_rural" if rural else "junior_urban"],
                   "农村初中" if rural else "城区初中"))
        for key, label, target, group in checks:
            rate = s.get(key)
            if rate is not None and rate > target:
                out.append(finding(s["name"], group, label, rate, target, school=s["code"], file=s.get("file")))
    labels = {"primary": ("year_dropout_rate_primary", "小学学年辍学率", "全县", "小学", t["primary"]),
              "junior_urban": ("year_dropout_rate_junior", "初中学年辍学率", "全县城区学校", "初中", t["junior_urban"]),
              "junior_rural": ("year_dropout_rate_junior", "初中学年辍学率", "全县农村（镇区、乡村）学校", "初中",
                               t["junior_rural"])}
    for group, figures in county_groups.items():
        key, label, scope, which, target = labels[group]
        rate = figures.get(key)
        if rate is not None and rate > target:
            out.append(finding(scope, which, label, rate, target))
    return out


def group_schools(schools: list[dict]) -> dict[str, list[dict]]:
    """Counted schools by target group: all for 小学, urban / rural for 初中."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for s in schools:
        if s.get("counted"):
            groups["primary"].append(s)
            groups["junior_rural" if s.get("城乡类别") in model.RURAL else "junior_urban"].append(s)
    return groups
