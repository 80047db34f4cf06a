"""``run_match``: the household line's whole job (SPEC §8) — read the lists, take the month's counted school books from
the roll-up machinery, read the returns, give every school-age child one 台账状态, compute the figures and rules, and
keep the month's ledger in the history store beside the roll-up's month, under the same writer lock."""
from __future__ import annotations

import datetime as dt
import gc
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from .. import __version__, model
from ..findings import Finding
from ..months import valid_month
from ..policy import Policy, load_policy
from ..rollup.engine import RollupError, default_store, run_rollup
from ..rollup.register import RegisterError, read_register
from ..rollup.store import Store
from ..rollup.tables import findings_frame, stringify
from . import figures, ledger, rules
from .checks import input_findings
from .inputs import InputError, ListFile, load_required, path_problem
from .result import MatchResult
from .returns import read_returns
from .school_line import SchoolLine

Progress = Callable[[int, int, str], None]
MISMATCH_COLUMNS = ("规则编号", "学校标识码", "学校名称", "工作表", "文件", "行号", "列名", "值", "说明")


LIST_READERS = 2   # lists read at once: python-calamine parses one without the GIL while Python types another


def _size(path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def _read_lists(household, xueji, elsewhere, key_groups, month, progress) -> tuple[list[ListFile], ListFile,
                                                                                    ListFile | None, list[ListFile]]:
    todo = ([(p, model.HOUSEHOLD_LIST) for p in household] + [(xueji, model.XUEJI_LIST)]
            + ([(elsewhere, model.ELSEWHERE_LIST)] if elsewhere else []) + [(p, model.KEY_GROUP_LIST) for p in key_groups])
    order = sorted(range(len(todo)), key=lambda k: -_size(todo[k][0]))   # the longest first: the others fill in
    read: list[ListFile | None] = [None] * len(todo)
    paused = gc.isenabled()
    gc.disable()   # as read_list does for one file; here once for all, so no reader turns it back on under another
    pool = ThreadPoolExecutor(LIST_READERS, thread_name_prefix="baoxue-lists")
    try:
        futures = {pool.submit(load_required, todo[k][0], todo[k][1], month): k for k in order}
        failed: dict[int, InputError] = {}
        for done, future in enumerate(as_completed(futures)):
            k = futures[future]
            try:
                read[k] = future.result()
            except InputError as e:
                failed[k] = e
            if progress:
                path, sheet = todo[k]
                progress(done + 1, len(todo), f"已读取{sheet.name}：{Path(path).name}")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if paused:
            gc.enable()
    if failed:   # the first unusable list in the order given stops the match
        raise failed[min(failed)]
    n = len(household)
    rest = read[n + 1:]
    return read[:n], read[n], (rest.pop(0) if elsewhere else None), rest


def run_match(*, household: list[Path], xueji: Path, inbox: Path, register: Path, month: str,
              elsewhere: Path | None = None, key_groups: Sequence[Path] = (), returns: Path | None = None,
              store: Path | None = None, policy: Policy | str | Path | None = None,
              progress: Progress | None = None) -> MatchResult:
    """See the package docstring. Raises ``InputError`` (Chinese) for an unusable required input (CLI exit 2) and
    ``StoreLocked`` while another roll-up or match writes the same store."""
    if not valid_month(month):
        raise InputError(f"比对月份格式不对：{month!r}，应为 YYYY-MM（如 2026-09）。")
    if not household:
        raise InputError("至少需要一份户籍名单（--household）。")
    if not isinstance(policy, Policy):
        policy = load_policy(policy)
    inbox = Path(inbox)
    problem = path_problem([Path(p) for p in household], Path(xueji), inbox, Path(register),
                           [Path(elsewhere)] if elsewhere else [], [Path(p) for p in key_groups],
                           [Path(returns)] if returns is not None else [], [Path(store)] if store is not None else [])
    if problem:   # before anything is read
        raise InputError(problem)
    hh_files, xueji_file, elsewhere_file, key_files = _read_lists(list(household), xueji, elsewhere, list(key_groups),
                                                                  month, progress)
    try:   # as rollup does: an unusable register is refused before the store is locked
        read_register(register)
    except RegisterError as e:
        raise InputError(str(e)) from None
    st: Store = default_store(inbox, store)
    with st.lock():
        try:
            rollup = run_rollup(inbox, month, register, store_dir=st, policy=policy, progress=progress)
        except (RollupError, RegisterError) as e:
            raise InputError(str(e)) from None
        line = SchoolLine.from_rollup(rollup)
        returned, return_findings = read_returns(Path(returns) if returns else None, month, policy, exclude=[st.dir],
                                                 progress=progress)
        result = match_frames(month, policy, hh_files, xueji_file, elsewhere_file, key_files, line, returned,
                              return_findings)
        result.store_dir = str(st.dir)
        result.inputs = {"household": [str(p) for p in household], "xueji": str(xueji), "inbox": str(inbox),
                         "register": str(register), "elsewhere": str(elsewhere) if elsewhere else None,
                         "key_groups": [str(p) for p in key_groups], "returns": str(returns) if returns else None,
                         "policy": policy.source if policy.source != "default" else None}
        save_ledger(st, result, policy)
    return result


def match_frames(month: str, policy: Policy, hh_files: list[ListFile], xueji_file: ListFile,
                 elsewhere_file: ListFile | None, key_files: list[ListFile], line: SchoolLine,
                 returned: pd.DataFrame, return_findings: list[Finding]) -> MatchResult:
    """The match proper, on what has been read (no file access)."""
    people = ledger.people(hh_files, policy)
    xueji, xueji_batch = ledger.xueji_frame(xueji_file, policy)
    away, away_batch = ledger.list_frame(elsewhere_file, policy)
    groups, groups_batch = ledger.list_frame(key_files, policy)
    lists = ledger.reduce_lists(xueji, away, groups)

    frame = people.frame
    children = frame[frame["first"] & ledger.school_age_mask(frame, policy)]
    statuses = ledger.assign(children, line, lists, returned)

    findings: list[Finding] = []
    for batch in (people.batch, xueji_batch, away_batch, groups_batch):
        if batch is not None:
            findings += input_findings(batch)
    findings += return_findings
    findings += rules.duplicates(frame)
    findings += rules.name_sex_mismatch(frame, xueji)
    findings += rules.to_verify(statuses)
    findings += rules.result_problems(statuses)
    findings += rules.key_groups_at_risk(statuses)
    findings += rules.unflagged_key_groups(line, lists)
    findings += rules.headcount(line, xueji, xueji_file.file)
    findings += rules.unknown_schools(xueji, line.register_codes)
    household_keys = set(frame["key"].tolist())
    findings += rules.returns_without_child(returned, household_keys)

    registered = xueji[xueji["usable"] & xueji["registered"]].drop_duplicates("key")
    outside = registered[~registered["key"].isin(household_keys)]
    townships_of = line.school_townships
    outside_township = outside["学校标识码"].map(lambda c: townships_of.get(c, "（名录外学校）"))
    table = ledger.ledger_table(statuses)
    county, townships, villages = figures.areas(statuses.frame, outside_township)
    return MatchResult(month=month, county=county, townships=townships, villages=villages, ledger=table,
                       to_verify=ledger.checklist_rows(statuses), mismatch=mismatch_table(findings, line),
                       findings=findings)


def mismatch_table(findings: list[Finding], line: SchoolLine) -> pd.DataFrame:
    """人籍不一致: the H002 and H008 findings as a table."""
    names = line.school_names
    rows = [{"规则编号": f.rule, "学校标识码": f.school, "学校名称": names.get(f.school) if f.school else None,
             "工作表": f.sheet, "文件": f.file, "行号": f.row, "列名": f.column, "值": f.value, "说明": f.message}
            for f in findings if f.rule in ("H002", "H008")]
    return pd.DataFrame(rows, columns=list(MISMATCH_COLUMNS))


def save_ledger(store: Store, result: MatchResult, policy: Policy) -> None:
    """The month's ledger into the store (``ledgers/``), beside the roll-up's month."""
    tables = {"county": stringify(pd.DataFrame([result.county])),
              "townships": stringify(pd.DataFrame(result.townships)),
              "villages": stringify(pd.DataFrame(result.villages)),
              "ledger": stringify(result.ledger),
              "findings": findings_frame(result.findings)}
    meta = {**result.inputs, "policy_fingerprint": policy.fingerprint, "baoxue_version": __version__,
            "created_at": dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")}
    store.save_ledger(result.month, tables, meta)
