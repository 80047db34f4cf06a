"""``run_rollup``: inbox → per-file results (in-process, a process pool, or Dask) → roll-up rules → school, township
and county figures → ``RollupResult`` (and the month saved in the history store)."""
from __future__ import annotations

from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from .. import __version__, model
from ..background import in_thread
from ..beijing import now_iso
from ..findings import Finding, summarize
from ..gcpause import paused_gc
from ..indicators import INDICATORS, SCHOOL_YEAR_KEYS, aggregate
from ..months import prev_month, valid_month
from ..policy import Policy, load_policy
from . import rules, school_year
from .inbox import discover, months_named, relative_name
from .locations import default_store_dir
from .masking import Scrubber, mask_value
from .register import RegisteredSchool, read_register
from .runner import Progress, read_entries
from .store import SHEET_TABLES, Store, StoreError
from .tables import findings_frame, stringify
from .worker import (CASE_COLUMNS, COLUMN_KINDS, COVER_KINDS, CURRENT, OPEN_ROW_COLUMNS, OTHER, PREVIOUS, UNREADABLE,
                     FileResult)

SCHOOL_KEYS = ("code", "name", "township", "submitted", "stamp_ok", "errors", "warnings")
AREA_KEYS = ("name", "schools_expected", "schools_submitted")
NAN = float("nan")


class RollupError(Exception):
    """The roll-up cannot run (no inbox, bad month, unusable register); the message is Chinese."""


def indicator_keys() -> list[str]:
    """The figures each school, township and the county carry: SPEC §5, then the school-year figures of §5.1."""
    return [key for key, _label in INDICATORS] + list(SCHOOL_YEAR_KEYS)


@dataclass
class RollupResult:
    month: str
    schools: list[dict[str, Any]]
    townships: list[dict[str, Any]]
    county: dict[str, Any]
    findings: list[Finding]
    open_cases: pd.DataFrame
    overdue: pd.DataFrame
    files: list[dict[str, Any]] = field(default_factory=list)
    cases: pd.DataFrame | None = None          # every 辍学 row of the counted schools
    open_rows: pd.DataFrame | None = None      # open rows of the four person sheets, counted schools
    sheet_rows: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)  # 封面, 休学 … 劝返记录, counted
    inbox: str | None = None
    register: str | None = None
    store_dir: str | None = None
    policy_fingerprint: str = ""
    previous_source: str | None = None         # where M−1 came from for R005: "历史库" / "收件箱" / None
    created_at: str = ""
    names: set[str] = field(default_factory=set, repr=False)  # full names seen (for scrubbing messages)
    # the history store's figures per month up to this one, read once when the run has saved its month:
    # "county" (a row per month) and "township" (month × township); the household ledgers' figures of those months
    # (``baoxue match``, SPEC §8): "ledger_county", "ledger_township"; empty without a store
    history: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------------------------------ presentation
    def scrubber(self) -> Scrubber:
        """The scrubber of this month's names (built once: its pattern holds every child's and guardian's name)."""
        made = self.__dict__.get("_scrubber")
        if made is None or made[0] != len(self.names):
            made = self.__dict__["_scrubber"] = (len(self.names), Scrubber(self.names))
        return made[1]

    def finding_dicts(self, masked: bool = True) -> list[dict[str, Any]]:
        """Every finding as a dict (SPEC §7), masked and scrubbed by default; worked out once per result (the report
        and the JSON both list them), each call gets its own copies."""
        memo = self.__dict__.setdefault("_finding_dicts", {})
        made = memo.get(masked)
        if made is None or made[0] != len(self.findings):
            scrub = self.scrubber() if masked else None
            out = []
            for f in self.findings:
                d = f.to_dict(rollup=True)
                if masked:
                    d["value"] = scrub(mask_value(d["column"], d["value"]))
                    d["message"] = scrub(d["message"])
                out.append(d)
            made = memo[masked] = (len(self.findings), out)
        return [dict(d) for d in made[1]]

    def to_json(self, masked: bool = True) -> dict[str, Any]:
        """SPEC §7: {"month", "schools", "townships", "county", "findings"}."""
        keys = indicator_keys()
        return {
            "month": self.month,
            "schools": [{k: s.get(k) for k in (*SCHOOL_KEYS, *keys)} for s in self.schools],
            "townships": [{k: t.get(k) for k in (*AREA_KEYS, *keys, *_extra_keys(t, keys))} for t in self.townships],
            "county": {k: self.county.get(k) for k in (*AREA_KEYS, *keys, *_extra_keys(self.county, keys))},
            "findings": self.finding_dicts(masked),
        }

    def summary(self) -> dict[str, int]:
        s = summarize(self.findings)
        by_rule = defaultdict(int)
        for f in self.findings:
            by_rule[f.rule] += 1
        return {
            "schools_expected": self.county.get("schools_expected", 0),
            "schools_submitted": self.county.get("schools_submitted", 0),
            "missing": by_rule["R001"], "stamp_invalid": by_rule["R003"], "duplicates": by_rule["R002"],
            "late": by_rule["R007"], "open_in_two": by_rule["R004"], "lost_cases": by_rule["R005"],
            "over_target": by_rule["R006"], "unreadable": by_rule["S005"],
            "open_cases": len(self.open_cases), "overdue": len(self.overdue),
            "errors": s["errors"], "warnings": s["warnings"],
        }


def _extra_keys(area: dict, keys: list[str]) -> list[str]:
    """Keys ``aggregate`` adds beyond SPEC §5 (e.g. the count of zero-report schools), kept in the JSON."""
    return [k for k in area if k not in keys and k not in AREA_KEYS and not k.startswith("_")]


# ============================================================================================== the roll-up
def data_months(inbox: str | Path | None, store_dir: str | Path | None = None) -> list[str]:
    """Months there is something to roll up or show for, oldest first: those the inbox's submission copies are named
    for and those the history store holds (``store_dir``, default beside the inbox)."""
    months = set(months_named(inbox)) if inbox else set()
    store = Path(store_dir) if store_dir else (default_store_dir(inbox) if inbox else None)
    if store is not None and store.is_dir():
        try:
            months.update(Store(store).months())
        except (OSError, StoreError):
            pass
    return sorted(months)


def run_rollup(inbox: str | Path, month: str, register: str | Path | list[RegisteredSchool],
               store_dir: str | Path | None | bool = None, policy: Policy | str | Path | None = None,
               progress: Progress | None = None, workers: int | None = None, dask: Any = None,
               cache: bool = True, while_saving: Callable[[RollupResult], Callable[[bool], Any] | None] | None = None,
               ) -> RollupResult:
    """Roll up month ``month`` (YYYY-MM) over every workbook under ``inbox``.

    ``store_dir``: the history store (default ``baoxue-store/`` beside the inbox; ``False`` for none; a ``Store`` object
    whose lock the caller may already hold, as `baoxue match` does).
    ``progress(done, total, label)`` is called as files are processed. ``workers``: processes (default: all cores).
    ``dask``: True for a local Dask cluster, or a scheduler address. ``cache``: reuse the store's per-file results for
    files unchanged since the last run of this month (see ``cache.py``). Inputs are only read, never modified.
    ``while_saving(result)``: starts work with the finished result that runs while the store is being written, and
    returns ``finish(saved)`` (or None), called once the store is saved (``saved=True``): the CLI starts writing the
    月报表 in a forked process (``baoxue.background``), so the report and the store's writes each have a core. Called
    before returning, also without a store, still under the store's lock; an error ``finish`` raises is raised after the
    store is saved. Should saving fail, ``finish(False)`` is called before that error is raised. The
    result it is given has everything the 月报表 shows; ``open_rows`` and ``sheet_rows`` (rows for the store and the
    household line) are filled in just after, before the store is saved.

    With a store, the store's writer lock is held for the whole run, taken before anything is read: while another
    roll-up uses the store this raises ``StoreLocked`` at once (Chinese message); the lock is released at the end,
    also when the run fails."""
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise RollupError(f"找不到收件文件夹：{inbox}")
    if not valid_month(month):
        raise RollupError(f"汇总月份格式不对：{month!r}，应为 YYYY-MM（如 2026-09）。")
    if not isinstance(policy, Policy):
        policy = load_policy(policy)
    # the run holds thousands of per-file results (unpickled from the workers or the cache): paused, the cyclic
    # collector does not re-scan all of them at every collection the roll-up's allocations would trigger
    if store_dir is False:
        with paused_gc():
            return _rollup(inbox, month, register, None, policy, progress, workers, dask, cache, while_saving)
    store = store_dir if isinstance(store_dir, Store) else default_store(inbox, store_dir)
    with store.lock(), paused_gc():
        return _rollup(inbox, month, register, store, policy, progress, workers, dask, cache, while_saving)


def default_store(inbox: str | Path, store_dir: str | Path | None = None) -> Store:
    """The history store of an inbox: ``store_dir``, or ``baoxue-store/`` beside the inbox (SPEC §6)."""
    return Store(Path(store_dir) if store_dir else default_store_dir(inbox))


def _rollup(inbox: Path, month: str, register, store: Store | None, policy: Policy, progress: Progress | None,
            workers: int | None, dask: Any, cache: bool,
            while_saving: Callable[[RollupResult], Callable[[bool], Any] | None] | None = None) -> RollupResult:

    # read with the reader's guards (reader.load_grid): a hostile register cannot abort the process with the lock held
    schools_in_register = list(register) if isinstance(register, (list, tuple)) else read_register(register)

    exclude = ([store.dir] if store else []) + ([register] if isinstance(register, (str, Path)) else [])
    locks: list[tuple[Path, str]] = []
    stored = _StoreReads(store, month)
    results, save_cache = read_entries([str(p) for p in discover(inbox, exclude=exclude, locks=locks)], inbox, month,
                                       policy, progress, workers, dask, store, cache,
                                       meanwhile=lambda: (stored.start(), _preload(report=while_saving is not None)))

    # ---- who sent what
    reg = {s.code: s for s in schools_in_register}
    current = [r for r in results if r.role == CURRENT]
    by_school: dict[str, list[FileResult]] = defaultdict(list)
    orphans: list[FileResult] = []
    for r in current:
        (by_school[r.school_code].append(r) if r.school_code else orphans.append(r))
    winners, findings = rules.pick(by_school)
    counted = {c: r for c, r in winners.items() if r.stamp_ok and r.month == month}
    findings += rules.missing(schools_in_register, set(by_school), month)
    findings += rules.unregistered(winners, reg)
    findings += rules.late(counted, month, policy)

    # ---- figures: SPEC §5 from each counted book, the school-year figures (§5.1) with the store's earlier months
    all_cases = _all(counted, "cases")
    year = school_year.compute(month, {c: _enrolment(r.indicators) for c, r in counted.items()}, all_cases,
                               stored=stored.get().year)
    figures_of = {c: ({**r.indicators, **year.schools[c]} if r.indicators else None) for c, r in counted.items()}

    # ---- schools
    keys = indicator_keys()
    schools: list[dict[str, Any]] = []
    order = list(reg) + sorted(c for c in by_school if c not in reg)
    for code in order:
        s = reg.get(code)
        w = winners.get(code)
        cover = w.cover if w else {}
        school = {
            "code": code,
            "name": s.name if s else (cover.get("学校名称") or code),
            "township": s.township if s else (cover.get("所属乡镇") or "（未填乡镇）"),
            "submitted": w is not None,
            "stamp_ok": bool(w and w.stamp_ok),
            "errors": 0, "warnings": 0,
            "学校类型": (s.school_type if s else None) or cover.get("学校类型"),
            "城乡类别": (s.urban_rural if s else None) or cover.get("城乡类别"),
            "in_register": s is not None,
            "counted": code in counted,
            "file": w.file if w else None,
            "stamped_at": w.stamped_at if w else None,
            "files": len(by_school.get(code, ())),
        }
        figures = figures_of.get(code)
        for k in keys:
            school[k] = figures.get(k) if figures else None
        schools.append(school)
    names = {s["code"]: s["name"] for s in schools}

    findings += rules.open_in_two(counted, names)

    # ---- continuity with M−1
    prev = prev_month(month)
    previous_open, previous_source = stored.get().previous_open, None
    if previous_open is not None:
        previous_source = "历史库"
    else:
        prev_by_school: dict[str, list[FileResult]] = defaultdict(list)
        for r in results:
            if r.role == PREVIOUS and r.school_code:
                prev_by_school[r.school_code].append(r)
        if prev_by_school:
            parts = []
            for code, files in prev_by_school.items():
                best = sorted(files, key=rules.stamp_order)[-1]
                parts += [{**rec, "school": code} for rec in best.open_rows or () if rec["sheet"] == model.DROPOUT.name]
            previous_open = pd.DataFrame(parts) if parts else None
            previous_source = "收件箱"
    findings += rules.lost_cases(previous_open, counted, month, f"{prev}，来自{previous_source}" if previous_source else prev)

    # ---- townships and county
    townships: list[dict[str, Any]] = []
    by_township: dict[str, list[dict]] = defaultdict(list)
    for s in schools:
        by_township[s["township"]].append(s)
    for name, members in by_township.items():
        figures = aggregate([figures_of[m["code"]] for m in members if m["counted"]], school_year=True)
        townships.append({"name": name, "schools_expected": sum(1 for m in members if m["in_register"]),
                          "schools_submitted": sum(1 for m in members if m["counted"]), **figures})
    county = {"name": "全县", "schools_expected": len(schools_in_register), "schools_submitted": len(counted),
              **aggregate(figures_of.values(), school_year=True), **year.county_keys()}
    groups = {g: aggregate([figures_of[m["code"]] for m in members], school_year=True)
              for g, members in rules.group_schools(schools).items()}
    findings += rules.over_target(schools, groups, policy, year)

    # ---- each workbook's own findings, then per-school counts
    for r in results:
        if r.role in (CURRENT, UNREADABLE):
            findings.extend(r.findings)
    own = defaultdict(lambda: [0, 0])
    for f in findings:
        if f.school is None:
            continue
        w = winners.get(f.school)
        if f.rule.startswith("R") or (w is not None and f.file == w.file):
            own[f.school][0 if f.severity == "error" else 1] += 1
    for s in schools:
        s["errors"], s["warnings"] = own[s["code"]]

    result = RollupResult(
        month=month, schools=schools, townships=townships, county=county, findings=findings,
        open_cases=_open_cases(counted, names, by_township_name(schools)),
        overdue=_overdue(counted, names, by_township_name(schools)),
        files=_file_list(results, winners, counted, month) + _lock_files(locks, inbox),
        cases=all_cases,   # open_rows and sheet_rows: below, once the 月报表 (which does not show them) is started
        inbox=str(inbox), register=None if isinstance(register, (list, tuple)) else str(register),
        store_dir=str(store.dir) if store else None, policy_fingerprint=policy.fingerprint,
        previous_source=previous_source, created_at=now_iso(),
        names=set().union(*(r.names for r in current)) if current else set(),
    )
    result.history = stored.get().history
    finish = while_saving(result) if while_saving is not None else None   # e.g. the 月报表, on another core
    try:
        result.open_rows, result.sheet_rows = _all(counted, "open_rows"), _sheet_frames(counted)
        if store is not None:
            save_result(store, result)
        save_cache()   # the per-file results for a re-run (the files' results are not changed by the roll-up)
    except BaseException:
        if finish is not None:
            with suppress(Exception):   # the store's own error first: it is the record of the month
                finish(False)
        raise
    if finish is not None:
        finish(True)
    return result


def _enrolment(figures: dict[str, Any] | None) -> tuple[int, int] | None:
    """A book's (enrolled_primary, enrolled_junior), or None for a book without figures."""
    return (figures["enrolled_primary"], figures["enrolled_junior"]) if figures else None


def by_township_name(schools: list[dict]) -> dict[str, str]:
    return {s["code"]: s["township"] for s in schools}


def _all(counted: dict[str, FileResult], attr: str) -> pd.DataFrame:
    """One frame of the counted schools' records (``cases`` or ``open_rows``) with their school and file."""
    fields = CASE_COLUMNS + ("row",) if attr == "cases" else OPEN_ROW_COLUMNS
    return _records_frame([({"school": code, "file": r.file}, getattr(r, attr)) for code, r in counted.items()],
                          ["school", "file", *fields])


def _records_frame(parts: list[tuple[dict[str, Any], list[dict[str, Any]] | None]], columns: list[str]) -> pd.DataFrame:
    """One frame of ``columns`` over ``parts``, each (the values its records share, e.g. their school; its records):
    what ``DataFrame.from_records`` of the records merged with their shared values gives (no records: object columns),
    built column by column, without a merged dict per record."""
    parts = [(shared, records) for shared, records in parts if records]
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    shared_columns = parts[0][0].keys()
    return pd.DataFrame({c: list(chain.from_iterable([shared[c]] * len(records) for shared, records in parts))
                         if c in shared_columns else [rec[c] for _, records in parts for rec in records]
                         for c in columns})


def _sheet_frames(counted: dict[str, FileResult]) -> dict[str, pd.DataFrame]:
    """封面 and the row sheets (休学 … 劝返记录) of the counted schools: one frame per sheet, every column of the sheet
    (empty sheets give an empty frame with the columns), with school, file and Excel row."""
    kinds_by_sheet = {model.COVER_SHEET: COVER_KINDS, **COLUMN_KINDS}
    out = {}
    for sheet, kinds in kinds_by_sheet.items():
        row_col = [] if sheet == model.COVER_SHEET else ["row"]
        data: dict[str, list] = {c: [] for c in ["school", "file", *kinds, *row_col]}
        for code, r in counted.items():
            part = (r.sheet_rows or {}).get(sheet)
            if not part:
                continue
            n = len(next(iter(part.values())))
            data["school"].extend([code] * n)
            data["file"].extend([r.file] * n)
            for c in (*kinds, *row_col):
                data[c].extend(part.get(c) or [None] * n)
        frame = {}
        for c, values in data.items():
            kind = kinds.get(c, "int" if c == "row" else "text")
            dtype = "Int64" if kind == "int" else "Float64" if kind == "number" else object
            frame[c] = pd.Series(values, dtype=dtype)
        out[sheet] = pd.DataFrame(frame)
    return out


def _open_cases(counted: dict[str, FileResult], names: dict[str, str], townships: dict[str, str]) -> pd.DataFrame:
    open_statuses = model.DROPOUT_OPEN_STATUSES
    return _records_frame(
        [({"学校标识码": code, "学校名称": names.get(code, code), "所属乡镇": townships.get(code), "file": r.file},
          [rec for rec in r.cases or () if rec["状态"] in open_statuses]) for code, r in counted.items()],
        ["学校标识码", "学校名称", "所属乡镇", *CASE_COLUMNS, "row", "file"])


OVERDUE_COLUMNS = ("所属乡镇", "学校标识码", "学校名称", "类别", "姓名", "身份证号", "年级", "状态", "起算日期", "逾期天数",
                   "sheet", "row", "rule", "说明", "file")


def _overdue(counted: dict[str, FileResult], names: dict[str, str], townships: dict[str, str]) -> pd.DataFrame:
    rows = []
    for code, r in counted.items():
        for o in r.overdue:
            rows.append({**o, "所属乡镇": townships.get(code), "学校标识码": code, "学校名称": names.get(code, code),
                         "file": r.file})
    df = pd.DataFrame(rows, columns=list(OVERDUE_COLUMNS))
    if len(df):
        df = df.sort_values(["所属乡镇", "学校标识码", "rule", "row"], kind="stable").reset_index(drop=True)
    return df


def _file_list(results: list[FileResult], winners: dict[str, FileResult], counted: dict[str, FileResult],
               month: str) -> list[dict[str, Any]]:
    out = []
    for r in results:
        if r.role == UNREADABLE:
            status = "无法读取"
        elif r.role == OTHER:
            status = f"其他月份（{r.month}），未计入"
        elif r.role == PREVIOUS:
            status = f"上月（{r.month}）报送，仅用于连续性核对"
        elif r.school_code is None:
            status = "封面缺学校标识码，未计入"
        elif r.month is None:
            status = "封面报送月份无效，未计入"
        elif not r.stamp_ok:
            status = "戳记无效，未计入"
        elif counted.get(r.school_code) is r:
            status = "计入汇总"
        else:
            status = "重复报送（已被取代），未计入"
        s = summarize(r.findings) if r.role in (CURRENT, UNREADABLE) else {"errors": 0, "warnings": 0}
        out.append({"file": r.file, "status": status, "school": r.school_code, "name": r.cover.get("学校名称"),
                    "month": r.month, "stamped_at": r.stamped_at, "stamp_ok": r.stamp_ok,
                    "stamp_reason": r.stamp_reason or r.error, "errors": s["errors"], "warnings": s["warnings"]})
    return out


def _lock_files(locks: list[tuple[Path, str]], inbox: Path) -> list[dict[str, Any]]:
    """The owner/lock files the inbox walk skipped, listed so that the officer sees every file that was there."""
    return [{"file": relative_name(p, inbox), "status": f"{kind} 锁定文件（有人正打开该工作簿），已跳过", "school": None,
             "name": None, "month": None, "stamped_at": None, "stamp_ok": False, "stamp_reason": None, "errors": 0,
             "warnings": 0} for p, kind in locks]


# ============================================================================================== the store
@dataclass
class _Stored:
    """What the roll-up reads from the history store before it saves its month."""
    year: school_year.StoredYear                  # the school year's earlier months (SPEC §5.1)
    previous_open: pd.DataFrame | None            # M−1's open 辍学 cases (R005); None when the store lacks M−1
    history: dict[str, pd.DataFrame]              # the trend of the months up to this one (the 月报表), see ``_history``


class _StoreReads:
    """The store's reads of a run (``_Stored``; nothing without a store), in a thread (DuckDB, mostly outside the
    interpreter lock) started while the workers read the books (``start``: no process is forked from this one while
    it runs, the pool's workers are forked before), or else at the first ``get``, which waits for them."""

    def __init__(self, store: Store | None, month: str):
        self.store, self.month = store, month
        self._wait: Callable[[], _Stored] | None = None

    def start(self) -> None:
        if self._wait is None:
            store, month = self.store, self.month
            if store is None:
                done = _Stored(school_year.stored_year(month), None, {})
                self._wait = lambda: done
            else:
                self._wait = in_thread(lambda: _Stored(school_year.stored_year(month, store), store.open_cases(
                    prev_month(month)), _history(store, month)))

    def get(self) -> _Stored:
        self.start()
        return self._wait()


def _preload(report: bool) -> None:
    """Import, while the workers read, what the run's end imports on first use: the store's Parquet writer and, when a
    月报表 is written meanwhile (``while_saving``), its writer — imported here, before the report's process is forked
    from this one (both are imported lazily elsewhere, so that a command that does not write them does not pay)."""
    import pyarrow.parquet  # noqa: F401
    if report:
        import xlsxwriter  # noqa: F401


def _history(store: Store, month: str) -> dict[str, pd.DataFrame]:
    """The trend's months up to this one, read once (this month's figures are the result's), and the ledgers'."""
    history = {level: store.trend(level, until=month) for level in ("county", "township")}
    history.update(_ledger_history(store, month))
    return history


def _ledger_history(store: Store, month: str) -> dict[str, pd.DataFrame]:
    """The household ledgers' county and township figures of the stored months up to ``month`` (empty frames when
    there are none, or when they cannot be read: an unreadable ledger must not hide the roll-up's own trend)."""
    try:
        months = [m for m in store.ledger_months() if m <= month]
        if not months:
            return {"ledger_county": pd.DataFrame(), "ledger_township": pd.DataFrame()}
        return {"ledger_county": store.ledger_table("county", months),
                "ledger_township": store.ledger_table("townships", months)}
    except Exception:   # noqa: BLE001  (a damaged ledger part: the roll-up's trend is shown without it)
        return {"ledger_county": pd.DataFrame(), "ledger_township": pd.DataFrame()}


def _dicts_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """What ``pd.DataFrame(rows)`` gives for a list of dicts (a key a row lacks: NaN), built column by column."""
    columns = list(dict.fromkeys(chain.from_iterable(rows)))
    if not columns:
        return pd.DataFrame(rows)
    try:
        values = list(zip(*map(itemgetter(*columns, columns[0]), rows)))   # (two keys at least: always tuples)
    except KeyError:
        values = [[row.get(c, NAN) for row in rows] for c in columns]
    return pd.DataFrame(dict(zip(columns, map(list, values))))


def save_result(store: Store, result: RollupResult) -> None:
    schools = _dicts_frame(result.schools)
    if "stamped_at" in schools:
        schools["stamped_at"] = [v.isoformat() if v is not None and v == v else None for v in schools["stamped_at"]]
    tables = {
        "schools": stringify(schools),
        "townships": stringify(pd.DataFrame(result.townships)),
        "county": stringify(pd.DataFrame([result.county])),
        "cases": stringify(result.cases if result.cases is not None else pd.DataFrame()),
        "open_rows": stringify(result.open_rows if result.open_rows is not None else pd.DataFrame()),
        **{SHEET_TABLES[sheet]: stringify(df) for sheet, df in result.sheet_rows.items() if sheet in SHEET_TABLES},
        "findings": findings_frame(result.findings),
    }
    meta = {"inbox": result.inbox, "register": result.register, "policy_fingerprint": result.policy_fingerprint,
            "baoxue_version": __version__, "created_at": result.created_at, "files": len(result.files)}
    store.save_month(result.month, tables, meta)
