"""The per-file part of a roll-up: read, validate (in batches), verify the stamp, compute the school's indicators and
extract the rows the cross-school checks need. Runs in-process, in a process pool or on Dask workers, so everything it
returns is small and picklable (no SchoolBook crosses a process boundary).

``process_chunk(paths, inbox, month, policy)`` handles a batch of files: all the month's books of the batch are
validated together by ``baoxue.validators.validate_books`` (one pass of each rule over the concatenated rows).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import model
from ..book import Invalid, SchoolBook, UnreadableWorkbook, prev_month
from ..findings import Finding
from ..policy import Policy
from .inbox import relative_name

CURRENT, PREVIOUS, OTHER, UNREADABLE = "current", "previous", "other", "unreadable"

# Rules whose rows make up the overdue list (逾期预警): rule -> (what is overdue, the date the delay counts from).
OVERDUE_RULES = {
    "C003": ("劝返逾期未升级（限期复学通知后未进入行政处罚）", "辍学", "限期复学通知日期"),
    "C004": ("发现后未按时劝返", "辍学", "发现日期"),
    "C005": ("休学逾期未复学", "休学", "预计复学日期"),
    "C006": ("缓学到期未入学", "缓学", "缓学截止日期"),
}
OPEN_STATUS = {"辍学": model.DROPOUT_OPEN_STATUSES, "休学": ("休学中",), "缓学": ("缓学中",), "送教上门": ("送教中",)}
CASE_COLUMNS = tuple(c.name for c in model.DROPOUT.columns if c.name != "序号")
OPEN_ROW_COLUMNS = ("sheet", "row", "身份证号", "姓名", "年级", "状态")
PERSONAL_NAME_COLUMNS = ("姓名", "监护人姓名")


@dataclass
class FileResult:
    path: str
    file: str                                   # relative to the inbox
    role: str                                   # current / previous / other / unreadable
    error: str | None = None                    # S005 message
    school_code: str | None = None
    month: str | None = None
    cover: dict[str, Any] = field(default_factory=dict)   # 学校名称, 所属乡镇, 学校类型, 城乡类别, 零报告 (plain text)
    stamp_ok: bool = False
    stamp_reason: str = ""
    stamped_at: dt.datetime | None = None
    findings: list[Finding] = field(default_factory=list)
    indicators: dict[str, Any] | None = None
    cases: pd.DataFrame | None = None          # every 辍学 row (plain values) + "row"
    open_rows: pd.DataFrame | None = None      # open rows of the four person sheets (OPEN_ROW_COLUMNS)
    overdue: list[dict[str, Any]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)  # full names of children and guardians (to scrub from messages)

    @property
    def readable(self) -> bool:
        return self.error is None


def plain(v: Any, date_column: bool = False) -> Any:
    """A typed cell as a storable value: dates stay dates (in date columns), everything else text or None."""
    if v is None:
        return None
    if date_column:
        return v if isinstance(v, dt.date) else None
    if isinstance(v, Invalid):
        return v.raw
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


_DATE_COLUMNS = {c.name for c in model.DROPOUT.columns if c.kind == "date"}


def _cases(book: SchoolBook) -> pd.DataFrame:
    df = book.frame(model.DROPOUT.name)
    data = {c: [plain(v, c in _DATE_COLUMNS) for v in df[c].tolist()] for c in CASE_COLUMNS}
    data["row"] = df["_row"].astype("int64").tolist()
    return pd.DataFrame(data, columns=[*CASE_COLUMNS, "row"])


def _open_rows(book: SchoolBook) -> pd.DataFrame:
    parts = []
    for sheet, statuses in OPEN_STATUS.items():
        df = book.frame(sheet)
        if not len(df):
            continue
        m = df["状态"].isin(statuses)
        if not m.any():
            continue
        sub = df[m]
        parts.append(pd.DataFrame({
            "sheet": sheet,
            "row": sub["_row"].astype("int64").tolist(),
            "身份证号": [plain(v) for v in sub["身份证号"]],
            "姓名": [plain(v) for v in sub["姓名"]],
            "年级": [plain(v) for v in sub["年级"]] if "年级" in sub else None,
            "状态": [plain(v) for v in sub["状态"]],
        }))
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in OPEN_ROW_COLUMNS})
    return pd.concat(parts, ignore_index=True)[list(OPEN_ROW_COLUMNS)]


def _names(book: SchoolBook) -> set[str]:
    out: set[str] = set()
    for df in book.sheets.values():
        for col in PERSONAL_NAME_COLUMNS:
            if col in df:
                out.update(v for v in df[col].tolist() if isinstance(v, str) and v)
    return out


def _overdue(book: SchoolBook, policy: Policy) -> list[dict[str, Any]]:
    """The overdue list (逾期预警) from the same case logic the rules C003–C006 use (``baoxue.cases``)."""
    from .. import cases

    as_of = book.as_of
    drop, leave, defer = (book.frame(s) for s in (model.DROPOUT.name, model.LEAVE.name, model.DEFER.name))
    masks = {
        "C003": (drop, cases.escalation_overdue(drop, as_of, policy)),
        "C004": (drop, cases.no_persuasion_overdue(drop, book.frame(model.PERSUASION.name), as_of, policy)),
        "C005": (leave, cases.leave_overdue(leave, as_of)),
        "C006": (defer, cases.deferral_expired(defer, as_of)),
    }
    allowance = {"C003": policy["deadlines.notice_to_next_step_days"],
                 "C004": policy["deadlines.first_persuasion_days"]}
    out = []
    for rule, (df, mask) in masks.items():
        what, sheet, date_col = OVERDUE_RULES[rule]
        if not len(df) or not mask.any():
            continue
        for rec in df[mask.to_numpy()].to_dict("records"):
            since = rec.get(date_col)
            since = since if isinstance(since, dt.date) else None
            days = (as_of - since).days - allowance.get(rule, 0) if since else None
            out.append({
                "rule": rule, "类别": what, "sheet": sheet, "row": int(rec["_row"]),
                "姓名": plain(rec.get("姓名")), "身份证号": plain(rec.get("身份证号")), "年级": plain(rec.get("年级")),
                "状态": plain(rec.get("状态")), "起算日期": since, "逾期天数": days,
                "说明": NEXT_STEP[rule].format(date=since.isoformat() if since else "", days=days, limit=allowance.get(rule, 0)),
            })
    return out


NEXT_STEP = {
    "C003": "限期复学通知于 {date} 下达，已超过 {limit} 天仍未复学，应由乡镇政府下达行政处罚决定书（四步法第三步）。",
    "C004": "{date} 发现，超过 {limit} 天仍无劝返记录，请包保责任人立即入户劝返并记录。",
    "C005": "预计复学日期 {date} 已过仍在休学，请按疑似辍学核查。",
    "C006": "缓学截止日期 {date} 已过仍未入学，请核实并督促入学。",
}


def _cover(book: SchoolBook) -> dict[str, Any]:
    return {k: plain(book.cover.get(k)) for k in ("学校名称", "所属乡镇", "学校类型", "城乡类别", "零报告")}


def _stamp(result: FileResult, book: SchoolBook) -> None:
    from ..stamp import verify
    check = verify(book)
    result.stamp_ok = check.ok
    result.stamp_reason = check.reason_zh
    result.stamped_at = check.stamp.stamped_at if check.stamp else None


def _role(book_month: str | None, month: str) -> str:
    if book_month is None or book_month == month:
        return CURRENT  # an unreadable 报送月份 is this month's problem: validate it and list it (S004)
    if book_month == prev_month(month):
        return PREVIOUS
    return OTHER


def process_chunk(paths: list[str], inbox: str, month: str, policy: Policy) -> list[FileResult]:
    """Read, classify, batch-validate and summarise a chunk of files (order preserved)."""
    from ..indicators import school_indicators
    from ..reader import read_workbook
    from ..validators import validate_books

    results: list[FileResult] = []
    current: list[tuple[FileResult, SchoolBook]] = []
    for p in paths:
        name = relative_name(p, inbox)
        try:
            book = read_workbook(p)
        except UnreadableWorkbook as e:
            results.append(FileResult(path=str(p), file=name, role=UNREADABLE, error=e.message))
            continue
        except Exception as e:  # noqa: BLE001 — a roll-up never stops on one bad file
            results.append(FileResult(path=str(p), file=name, role=UNREADABLE,
                                      error=f"文件“{Path(p).name}”读取时出错（{type(e).__name__}），请让学校重新保存后发送。"))
            continue
        r = FileResult(path=str(p), file=name, role=_role(book.month, month), school_code=book.school_code,
                       month=book.month, cover=_cover(book))
        results.append(r)
        if r.role == OTHER:
            continue
        _stamp(r, book)
        if r.role == PREVIOUS:
            r.cases = _cases(book)
            r.open_rows = _open_rows(book)
            continue
        current.append((r, book))
    if current:
        batches = validate_books([b for _, b in current], policy)
        for (r, book), found in zip(current, batches):
            for f in found:
                f.school = r.school_code
                f.file = r.file
            r.findings = list(found)
            r.indicators = school_indicators(book, policy) if book.month else None
            r.cases = _cases(book)
            r.open_rows = _open_rows(book)
            r.overdue = _overdue(book, policy) if book.as_of else []
            r.names = _names(book)
    for r in results:
        if r.role == UNREADABLE:
            r.findings = [Finding("S005", "error", None, None, None, None, r.error, school=None, file=r.file)]
    return results
