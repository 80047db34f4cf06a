"""The per-file part of a roll-up: read, validate (in batches), verify the stamp, compute the school's indicators and
extract the rows the cross-school checks need. Runs in-process, in a process pool or on Dask workers, so everything it
returns is small and picklable (no SchoolBook crosses a process boundary).

``process_chunk(paths, inbox, month, policy)`` handles a batch of files: all the month's books of the batch are
validated together by ``baoxue.validators.validate_books`` (one pass of each rule over the concatenated rows), and
their indicators computed together by ``baoxue.indicators.batch_indicators`` over the same ``Batch``.
"""
from __future__ import annotations

import datetime as dt
import gc
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from .. import cases, model
from ..batch import Batch
from ..book import SchoolBook, UnreadableWorkbook
from ..findings import Finding
from ..gcpause import paused_gc
from ..indicators import batch_indicators, school_indicators
from ..months import prev_month
from ..normalize import Invalid
from ..policy import Policy
from ..reader import read_workbook
from ..stamp import verify
from ..validators import unreadable_finding, validate_books
from .inbox import relative_name

CURRENT, PREVIOUS, OTHER, UNREADABLE = "current", "previous", "other", "unreadable"

# Rules whose rows make up the overdue list (逾期预警): rule -> (what is overdue, the date the delay counts from).
OVERDUE_RULES = {
    "C003": ("劝返逾期未升级（限期复学通知后未进入行政处罚）", "辍学", "限期复学通知日期"),
    "C004": ("发现后未按时劝返", "辍学", "发现日期"),
    "C005": ("休学逾期未复学", "休学", "预计复学日期"),
    "C006": ("缓学到期未入学", "缓学", "缓学截止日期"),
}
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
    cases: list[dict[str, Any]] | None = None      # every 辍学 row as a plain record (CASE_COLUMNS + "row")
    open_rows: list[dict[str, Any]] | None = None  # open rows of the four person sheets (OPEN_ROW_COLUMNS)
    # validated rows of the other clerk sheets, column-wise: sheet -> {column: values, "row": Excel rows};
    # 封面 as one row of every cover field (ROW_SHEETS)
    sheet_rows: dict[str, dict[str, list]] | None = None
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


class Columns:
    """A book's data sheets as plain Python lists per column: the reader's lists (``SchoolBook.columns``), or, for a
    sheet that has become a DataFrame, one object-array transpose of it (taking a column out of a DataFrame costs tens
    of microseconds; a school has a handful of rows). An empty or missing sheet gives ``{}``. Read-only."""

    def __init__(self, book: SchoolBook):
        self.book = book
        self._memo: dict[str, dict[str, list]] = {}

    def __call__(self, sheet: str) -> dict[str, list]:
        cols = self._memo.get(sheet)
        if cols is None:
            cols = self.book.columns(sheet)
            if cols is None:
                df = self.book.sheets.get(sheet)
                cols = {} if df is None or not len(df) else dict(zip(df.columns, df.to_numpy(dtype=object).T.tolist()))
            elif not cols["_row"]:
                cols = {}
            self._memo[sheet] = cols
        return cols


def _cases(columns: Columns) -> list[dict[str, Any]]:
    """Every 辍学 row as a plain record (+ "row"): plain lists, no per-book DataFrame (cheap to build and to pickle)."""
    cols = columns(model.DROPOUT.name)
    if not cols:
        return []
    n = len(cols["_row"])
    plains = {c: [plain(v, c in _DATE_COLUMNS) for v in cols[c]] if c in cols else [None] * n for c in CASE_COLUMNS}
    rows = cols["_row"]
    return [{**{c: plains[c][i] for c in CASE_COLUMNS}, "row": int(rows[i])} for i in range(n)]


# Clerk sheets stored row by row besides 辍学 (which is ``cases``): all their columns, typed by the column's kind.
ROW_SHEETS = (model.LEAVE, model.DEFER, model.HOME, model.VISITS, model.PERSUASION)
COLUMN_KINDS = {s.name: {c.name: c.kind for c in s.columns} for s in ROW_SHEETS}
# the cover's fields stored as dates, whole numbers or text (codes, months, phones, the school code: text)
COVER_KINDS = {f.label: f.kind if f.kind in ("date", "int") else "text" for f in model.COVER_FIELDS}


def typed(v: Any, kind: str) -> Any:
    """A validated cell as a storable value of one type per column kind: dates (date), whole numbers (int), numbers
    (float), text otherwise. A value that failed its type (``Invalid``) is kept as typed text in text columns and
    left empty in date and number columns (the finding names it with the value as found)."""
    if v is None:
        return None
    if kind == "date":
        if isinstance(v, dt.datetime):
            return v.date()
        return v if isinstance(v, dt.date) else None
    if kind in ("int", "number"):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return None
        if kind == "number":
            return float(v)
        return int(v) if float(v).is_integer() else None
    return v if type(v) is str else plain(v)


def _typed_list(values: list, kind: str) -> list:
    if kind not in ("date", "int", "number"):
        return [v if v is None or type(v) is str else plain(v) for v in values]   # the common case, fast
    return [typed(v, kind) for v in values]


def _sheet_rows(book: SchoolBook, columns: Columns) -> dict[str, dict[str, list]]:
    """The validated rows of 休学, 缓学, 送教上门, 送教记录, 劝返记录 (column-wise, with the Excel row) and the cover."""
    out: dict[str, dict[str, list]] = {}
    for sheet in ROW_SHEETS:
        src = columns(sheet.name)
        if not src:
            continue
        kinds = COLUMN_KINDS[sheet.name]
        cols = {c: _typed_list(src[c], kind) for c, kind in kinds.items() if c in src}
        cols["row"] = [int(r) for r in src["_row"]]
        out[sheet.name] = cols
    out[model.COVER_SHEET] = {label: [typed(book.cover.get(label), kind)] for label, kind in COVER_KINDS.items()}
    return out


def _open_rows(columns: Columns) -> list[dict[str, Any]]:
    out = []
    for sheet, statuses in ((s.name, s.open_statuses) for s in model.OPEN_SHEETS):
        cols = columns(sheet)
        if not cols or "状态" not in cols:
            continue
        ids, names, grades, rows = cols.get("身份证号"), cols.get("姓名"), cols.get("年级"), cols["_row"]
        for i, status in enumerate(cols["状态"]):
            if status in statuses:
                out.append({"sheet": sheet, "row": int(rows[i]), "身份证号": plain(ids[i]) if ids else None,
                            "姓名": plain(names[i]) if names else None,
                            "年级": plain(grades[i]) if grades else None, "状态": status})
    return out


def _names(book: SchoolBook, columns: Columns) -> set[str]:
    out: set[str] = set()
    for sheet in book.sheets:
        cols = columns(sheet)
        for col in PERSONAL_NAME_COLUMNS:
            if col in cols:
                out.update(v for v in cols[col] if isinstance(v, str) and v)
    return out


def _overdue(book: SchoolBook, columns: Columns, findings: list[Finding], policy: Policy) -> list[dict[str, Any]]:
    """The overdue list (逾期预警): the rows the case rules C003–C006 flagged, with what the officer needs to act."""
    wanted = [f for f in findings if f.rule in OVERDUE_RULES and f.row is not None and f.sheet == OVERDUE_RULES[f.rule][1]]
    if not wanted:
        return []
    as_of = book.as_of
    allowance = {"C003": policy.deadlines.notice_to_next_step_days,
                 "C004": policy.deadlines.first_persuasion_days}
    lookups: dict[str, tuple[dict[int, int], dict[str, list]]] = {}
    out, seen = [], set()
    for f in wanted:
        if (f.rule, f.row) in seen:
            continue
        seen.add((f.rule, f.row))
        what, sheet, date_col = OVERDUE_RULES[f.rule]
        if sheet not in lookups:
            cols = columns(sheet)
            lookups[sheet] = ({int(r): i for i, r in enumerate(cols.get("_row", ()))}, cols)
        index, cols = lookups[sheet]
        i = index.get(int(f.row))
        if i is None:
            continue
        since = cols[date_col][i] if date_col in cols else None
        since = since if isinstance(since, dt.date) else None
        days = (as_of - since).days - allowance.get(f.rule, 0) if (since and as_of) else None
        out.append({
            "rule": f.rule, "类别": what, "sheet": sheet, "row": int(f.row),
            "姓名": plain(cols["姓名"][i]) if "姓名" in cols else None,
            "身份证号": plain(cols["身份证号"][i]) if "身份证号" in cols else None,
            "年级": plain(cols["年级"][i]) if "年级" in cols else None,
            "状态": plain(cols["状态"][i]) if "状态" in cols else None,
            "起算日期": since, "逾期天数": days,
            "说明": cases.OVERDUE_ADVICE[f.rule].format(date=since.isoformat() if since else "（未填）",
                                                      days=allowance.get(f.rule, 0)),
        })
    return out


def _cover(book: SchoolBook) -> dict[str, Any]:
    return {k: plain(book.cover.get(k)) for k in ("学校名称", "所属乡镇", "学校类型", "城乡类别", "零报告")}


def _stamp(result: FileResult, book: SchoolBook) -> None:
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


def _validate_safely(validate_books, books: list[SchoolBook], policy: Policy, batch=None) -> list[list[Finding] | None]:
    """Validate a batch; should a rule trip over one odd book, validate one by one so only that book is affected.
    ``batch``: the ``Batch`` over ``books`` to validate on (shared with the indicators)."""
    try:
        return validate_books(books, policy) if batch is None else validate_books(books, policy, batch=batch)
    except Exception:  # noqa: BLE001 — a roll-up never stops on one bad file
        out: list[list[Finding] | None] = []
        for book in books:
            try:
                out.append(validate_books([book], policy)[0])
            except Exception:  # noqa: BLE001
                out.append(None)
        return out


def _indicators_safely(books: list[SchoolBook], policy: Policy, batch=None) -> list[dict[str, Any] | None]:
    """SPEC §5 figures of a batch in one pass (sharing validation's ``batch``); should that fail on one odd book,
    compute them one by one so only that book is left without figures (None, as for a book without a month)."""
    try:
        return batch_indicators(books, policy, batch=batch)
    except Exception:  # noqa: BLE001 — listed with its findings; left out of the sums
        out: list[dict[str, Any] | None] = []
        for book in books:
            try:
                out.append(school_indicators(book, policy) if book.month else None)
            except Exception:  # noqa: BLE001
                out.append(None)
        return out


def lost_file(path: str, inbox: str, why: str) -> FileResult:
    """A file whose chunk could not be processed at all (its Dask worker died more often than the scheduler retries):
    listed as unreadable (S005) with ``why``, so the roll-up names it instead of leaving the school silently out."""
    name = relative_name(path, inbox)
    message = f"文件“{Path(path).name}”{why}，未能读取和校验。请重新运行汇总；如仍出现，请联系县教育局数据管理员。"
    return FileResult(path=str(path), file=name, role=UNREADABLE, error=message,
                      findings=[Finding("S005", "error", None, None, None, None, message, school=None, file=name)])


def process_chunk(paths: list[str], inbox: str, month: str, policy: Policy) -> list[FileResult]:
    """Read, classify, batch-validate and summarise a chunk of files (order preserved).

    The cyclic garbage collector is paused for the chunk: the chunk's books stay alive until its end, and every
    collection the rules' and indicators' allocations would trigger re-scans all of them (≈ 5 % of the time) for
    almost no cyclic garbage. It is resumed (and the chunk's garbage collected by it as usual) afterwards."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return _process_chunk(paths, inbox, month, policy)
    finally:
        if paused:
            gc.enable()


def process_chunk_packed(paths: list[str], inbox: str, month: str, policy: Policy) -> bytes:
    """``process_chunk``'s results as one pickle (``unpack`` reverses it): what a Dask worker sends back. Dask handles
    a list of thousands of small objects in its own serialisation layer, element by element, at several times the
    cost of one pickle of the whole list — CPU taken from the workers on a machine whose cores they all use."""
    results = process_chunk(paths, inbox, month, policy)
    with paused_gc():
        return pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)


def unpack(packed: bytes) -> list[FileResult]:
    with paused_gc():
        return pickle.loads(packed)


def _process_chunk(paths: list[str], inbox: str, month: str, policy: Policy) -> list[FileResult]:

    results: list[FileResult] = []
    current: list[tuple[FileResult, SchoolBook]] = []
    for p in paths:
        name = relative_name(p, inbox)
        try:
            book = read_workbook(p, pipelined=False)   # each core of the pool reads its own files
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
            columns = Columns(book)
            r.cases = _cases(columns)
            r.open_rows = _open_rows(columns)
            continue
        current.append((r, book))
    if current:
        books = [b for _, b in current]
        batch = Batch(books, policy)   # one batch: the rules and the indicators share its frames and columns
        batches = _validate_safely(validate_books, books, policy, batch=batch)
        figures = _indicators_safely(books, policy, batch=batch)
        for (r, book), found, indicators in zip(current, batches, figures):
            if found is None:
                found = [unreadable_finding(f"文件“{Path(r.path).name}”校验时出错，无法完成检查。请让学校在 Excel/WPS 中打开后"
                                            "重新保存并报送；如仍出错请联系县教育局。")]
            for f in found:
                f.school = r.school_code
                f.file = r.file
            r.findings = list(found)
            r.indicators = indicators
            columns = Columns(book)
            r.cases = _cases(columns)
            r.open_rows = _open_rows(columns)
            r.sheet_rows = _sheet_rows(book, columns)
            r.overdue = _overdue(book, columns, r.findings, policy) if book.as_of else []
            r.names = _names(book, columns)
    for r in results:
        if r.role == UNREADABLE:
            r.findings = [unreadable_finding(r.error, file=r.file)]
    return results


def unreadable(path: str, inbox: str, message: str) -> FileResult:
    """The result of an entry that is not read at all (``paths.entry_problem``): one S005 finding for it."""
    name = relative_name(path, inbox)
    return FileResult(path=str(path), file=name, role=UNREADABLE, error=message,
                      findings=[Finding("S005", "error", None, None, None, None, message, school=None, file=name)])
