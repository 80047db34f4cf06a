"""Returned 核查清单 (SPEC §8.4): read from any depth of the returns folder with the tolerant reader; only rows with a
核查结果 count; checked with F002 (核查结果, 证明材料), F003 / D001 (核查日期), F004–F006 (ID); where several rows carry
one ID, the latest 核查日期 wins, and on the same date the file whose path sorts last. A broken file is one S005 and the
others are still used. A row with a 核查结果 and a blank 身份证号 is kept too (under a key no child has), so that
H010 can report it with the rows whose ID is in no 户籍名单. Every such row is kept, ``_wins`` saying which one
counts for its ID (the ledger takes only those; H010 reports every row). The returns are inputs: nothing here writes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import model
from ..batch import BOOK_KEY
from ..book import UnreadableWorkbook
from ..findings import Finding
from ..months import month_end
from ..policy import Policy
from ..rollup.inbox import discover, relative_name
from ..validators import catalogue
from .checks import ListBatch, input_findings
from .inputs import ListFile, load, missing_columns, unreadable

LEDGER_PREFIX = "适龄儿童台账_"   # match's own ledger, when the returns folder is also the output folder: not a return
RESULT_COLUMNS = ("身份证号", "核查结果", "就读学校", "就读地区", "证明材料", "核查人", "核查日期", "备注")
PLACE_COLUMNS = ("姓名", "户籍乡镇", "户籍村(社区)")   # what H010 names a row by when its ID matches no child
COLUMNS = ("key", *RESULT_COLUMNS, *PLACE_COLUMNS, "_file", "_row", "_order", "_wins")
NO_ID = "（交回行无身份证号）"   # the key of a returned row without an ID: unique per row, never a child's key


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS})


def read_returns(folder: Path | None, month: str, policy: Policy, exclude: list[Path] = (),
                 progress=None) -> tuple[pd.DataFrame, list[Finding]]:
    """(the winning result per ID — columns ``COLUMNS``, ``key`` the ID — , the findings of the returns)."""
    if folder is None:
        return _empty(), []
    folder = Path(folder)
    findings: list[Finding] = []
    files: list[ListFile] = []
    paths = sorted((p for p in discover(folder, exclude=list(exclude)) if not p.name.startswith(LEDGER_PREFIX)),
                   key=lambda p: relative_name(p, folder))
    for k, path in enumerate(paths):
        name = relative_name(path, folder)
        if progress:
            progress(k, len(paths), name)
        try:
            lf = load(path, model.CHECKLIST, month, file=name)
        except UnreadableWorkbook as e:
            findings.append(unreadable(name, model.CHECKLIST, e))
            continue
        if lf.missing_required:
            findings += missing_columns(lf)
            continue
        files.append(lf)
    if progress and paths:
        progress(len(paths), len(paths), "核查清单读取完成")
    if not files:
        return _empty(), findings
    batch = ListBatch(files, policy)
    df = batch.frame(model.CHECKLIST.name)
    filled = df["核查结果"].notna()
    if not filled.any():
        return _empty(), findings
    checked = [f for f in input_findings(batch)
               if f.rule in ("F002", "F003", "F004", "F005", "F006") and f.column in ("身份证号", "核查结果", "证明材料", "核查日期")]
    # a 核查结果 not in its list cannot be applied (its F002 says so); a bad 核查日期 (F003) only loses precedence
    not_a_result = {(f.file, f.row) for f in checked if f.rule == "F002" and f.column == "核查结果"}
    # a row without a 核查结果 is not a return: its ID or date problems are not reported either
    rows_with_result = {(lf.file, int(r)) for lf in files for r, v in zip(lf.frame["_row"], lf.frame["核查结果"]) if v is not None}
    findings += [f for f in checked if (f.file, f.row) in rows_with_result]
    usable = batch.usable_ids()
    dates = batch.dates(model.CHECKLIST.name, "核查日期")
    as_of = pd.Timestamp(month_end(month))
    late = filled & (dates > as_of).fillna(False)
    findings += [_d001(batch.files[int(b)].file, int(r), d, month) for b, r, d in
                 zip(df.loc[late, BOOK_KEY], df.loc[late, "_row"], dates[late])]
    file_of = np.array([f.file for f in files], dtype=object)[df[BOOK_KEY].to_numpy()]
    bad_rows = pd.Series([(f, int(r)) in not_a_result for f, r in zip(file_of, df["_row"])], index=df.index, dtype=bool)
    blank = df["身份证号"].isna()
    ok = filled & (usable | blank) & ~late & ~bad_rows
    if not ok.any():
        return _empty(), findings
    out = df.loc[ok, [*RESULT_COLUMNS, *PLACE_COLUMNS]].copy()
    out["_file"] = file_of[ok.to_numpy()]
    out["_row"] = df.loc[ok, "_row"].to_numpy()
    out["key"] = [f"{NO_ID}{f}#{r}" if pd.isna(v) else v for v, f, r in zip(out["身份证号"], out["_file"], out["_row"])]
    out["_order"] = df.loc[ok, BOOK_KEY].to_numpy()      # files are in path order
    out["_date"] = dates[ok].to_numpy()
    # latest 核查日期 wins; same date → the path that sorts last; an undated row loses to any dated one
    out = out.sort_values(["_date", "_order", "_row"], na_position="first", kind="stable")
    out["_wins"] = ~out.duplicated("key", keep="last")
    out = out.drop(columns="_date")
    return out.reset_index(drop=True)[list(COLUMNS)], findings


def _d001(file: str, row: int, date, month: str) -> Finding:
    value = pd.Timestamp(date).date().isoformat()
    return Finding("D001", "error", model.CHECKLIST.name, row, "核查日期", value,
                   catalogue.message("D001", column="核查日期", value=value, as_of=month_end(month).isoformat()),
                   file=file)
