"""X rules: one child across rows and sheets of a book, and the cover's 零报告 against the case ledger."""
from __future__ import annotations

import numpy as np
import pandas as pd

from baoxue import cases, model
from baoxue.cases import BOOK_KEY

from .batch import AS_OF, Batch
from .catalogue import rule

DROP = model.DROPOUT.name
OPEN_SHEETS = tuple(cases.OPEN_STATUSES)   # 辍学, 休学, 缓学, 送教上门 (model order)


def open_rows(batch: Batch) -> pd.DataFrame:
    """Every open row of the person sheets: sheet, order, index, book, ID, _row, status."""
    return batch._memo(("open_rows",), lambda: _open_rows(batch))


COLUMNS = ["sheet", "order", "index", "book", "id", "row", "status"]


def _open_rows(batch: Batch) -> pd.DataFrame:
    data: dict[str, list] = {c: [] for c in COLUMNS}
    for order, sheet in enumerate(OPEN_SHEETS):
        df = batch.frame(sheet)
        if len(df) == 0:
            continue
        ids = batch.texts(sheet, "身份证号").to_numpy()
        keep = np.flatnonzero(cases.open_mask(sheet, df).to_numpy() & (ids != None))  # noqa: E711 (elementwise)
        if keep.size:
            data["sheet"] += [sheet] * keep.size
            data["order"] += [order] * keep.size
            data["index"] += df.index[keep].tolist()
            data["book"] += df[BOOK_KEY].to_numpy()[keep].tolist()
            data["id"] += ids[keep].tolist()
            data["row"] += df["_row"].to_numpy()[keep].tolist()
            data["status"] += df["状态"].to_numpy()[keep].tolist()
    rows = pd.DataFrame(data, columns=COLUMNS)
    rows.attrs["repeats"] = bool(len(rows)) and len(set(zip(data["book"], data["id"]))) < len(rows)
    return rows.sort_values(["book", "order", "row"], kind="stable") if rows.attrs["repeats"] else rows


@rule("X001")
def duplicate_open(batch: Batch):
    rows = open_rows(batch)
    if not rows.attrs.get("repeats"):      # no child is open twice anywhere: nothing to compare
        return []
    out = []
    for sheet, part in rows.groupby("sheet", sort=False):
        dup = part.duplicated(["book", "id"], keep="first")
        if not dup.any():
            continue
        first = part.groupby(["book", "id"])["row"].transform("first")
        df = batch.frame(sheet)
        sel = part[dup]
        out += batch.hits("X001", sheet, df.loc[sel["index"].to_numpy()], "身份证号",
                          other=pd.Series(first[dup].to_numpy(), index=sel["index"].to_numpy()))
    return out


STATE_WORDS = {DROP: "辍学在册", model.LEAVE.name: "休学", model.DEFER.name: "缓学", model.HOME.name: "送教上门"}


@rule("X002")
def open_in_two_sheets(batch: Batch):
    rows = open_rows(batch)
    if not rows.attrs.get("repeats"):
        return []
    first_sheet = rows.groupby(["book", "id"])["order"].transform("min")
    spread = rows.groupby(["book", "id"])["order"].transform("nunique")
    firsts = rows[rows["order"] == first_sheet].drop_duplicates(["book", "id"]).set_index(["book", "id"])
    sel = rows[(spread > 1) & (rows["order"] != first_sheet)]
    out = []
    for sheet, part in sel.groupby("sheet", sort=False):
        ref = firsts.loc[list(zip(part["book"], part["id"]))]
        idx = part["index"].to_numpy()
        out += batch.hits("X002", sheet, batch.frame(sheet).loc[idx], "身份证号",
                          other_sheet=pd.Series(ref["sheet"].to_numpy(), index=idx),
                          other=pd.Series(ref["row"].to_numpy(), index=idx),
                          other_status=pd.Series(ref["status"].to_numpy(), index=idx))
    return out


@rule("X003")
def zero_report(batch: Batch):
    drop = batch.frame(DROP)
    active = pd.Series(False, index=drop.index)
    if len(drop):
        found = batch.dates(DROP, "发现日期")
        month_start = drop[AS_OF].dt.to_period("M").dt.start_time.astype("datetime64[ns]")
        new = ((found >= month_start) & (found <= drop[AS_OF])).fillna(False)
        active = cases.open_mask(DROP, drop) | new
    per_book = active.groupby(drop[BOOK_KEY]).sum() if len(drop) else pd.Series(dtype=int)
    out = []
    for i, book in enumerate(batch.books):
        if model.COVER_SHEET in book.missing_sheets or DROP in book.missing_sheets or not book.month:
            continue
        declared = book.cover.get("零报告")
        n = int(per_book.get(i, 0))
        row = book.cover_rows.get("零报告")
        if declared == "是" and n:
            out.append(batch.hit(i, "X003", model.COVER_SHEET, row, "零报告", declared,
                                 problem=f"封面声明零报告为“是”，但“辍学”表中有{n}个在册或本月新增的辍学/疑似辍学个案。"
                                         "请把零报告改为“否”。"))
        elif declared == "否" and not n:
            out.append(batch.hit(i, "X003", model.COVER_SHEET, row, "零报告", declared, severity="warning",
                                 problem="本月没有在册或新增的辍学个案，零报告应为“是”（零报告制：无辍学也须声明）。请核实后改为“是”。"))
    return out


@rule("X004")
def grade_without_enrolment(batch: Batch):
    """A person row whose 年级 the school does not teach (学校类型) or whose grade has no pupils on the cover."""
    out = []
    for sheet in batch.sheets_with("年级"):
        df = batch.frame(sheet.name)
        if not len(df):
            continue
        grades = df["年级"].tolist()
        problems: dict = {}
        for index, book_no, grade in zip(df.index.tolist(), df[BOOK_KEY].tolist(), grades):
            if grade not in model.GRADES:
                continue          # empty or not in the code list: F001/F002 say so
            book = batch.books[int(book_no)]
            if model.COVER_SHEET in book.missing_sheets:
                continue
            kind = book.cover.get("学校类型")
            taught = model.SCHOOL_TYPE_GRADES.get(kind) if isinstance(kind, str) else None
            enrolled = book.cover.get(f"{grade}在校生数")
            if taught is not None and grade not in taught:
                problems[index] = f"不是学校类型“{kind}”的年级"
            elif not isinstance(enrolled, (int, float)) or isinstance(enrolled, bool) or enrolled <= 0:
                problems[index] = "在封面上没有在校生（在校生数为0或未填），该学段月末在册辍学率会被算成100%"
        if problems:
            idx = list(problems)
            sel = df.loc[idx]
            out += batch.hits("X004", sheet.name, sel, "年级", problem=pd.Series(problems),
                              grade=sel["年级"])
    return out
