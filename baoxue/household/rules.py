"""Rules H001–H010 (SPEC §8.3; H010 is the project's own, documented in the catalogue). Each function takes the
match's frames and returns findings with the input's sheet, file and Excel row (H007 / H008 with the school). The words
live in the rule catalogue (``validators/catalogue.py``); messages show IDs and names masked, as the validators'
messages do."""
from __future__ import annotations

import itertools
from collections import defaultdict
from operator import methodcaller
from pathlib import Path

import numpy as np
import pandas as pd

from .. import idcard, model
from ..findings import Finding
from ..validators import catalogue
from .ledger import BAD_ID, NOT_FOUND, TRANSFERRED, Lists, Statuses
from .school_line import SchoolLine

H = model.HOUSEHOLD_LIST.name
X = model.XUEJI_LIST.name


def _f(rule: str, sheet: str, at_row, column, value, src, school=None, **fields) -> Finding:
    """A finding at ``src`` (the input's file name) row ``at_row``; ``fields`` fill the catalogue's message (``shown``:
    the value as the message shows it, masked)."""
    fields.setdefault("column", column or "")
    fields.setdefault("file", src)
    fields.setdefault("row", None if at_row is None else int(at_row))   # 第6行, not 第6.0行
    shown = fields.pop("shown", value)
    return Finding(rule, catalogue.severity(rule), sheet, None if at_row is None else int(at_row), column,
                   None if value is None else str(value), catalogue.message(rule, value=shown, **fields),
                   school=school, file=src)


def _file_name(file: str) -> str:
    """Another input file as a message names it: as the findings' 文件 column shows it (its name)."""
    return Path(file).name


def _id(v) -> str:
    return idcard.mask(str(v)) if v else "（空）"


def duplicates(people: pd.DataFrame) -> list[Finding]:
    """H001: every 户籍名单 row whose ID (or, for an unusable ID, its text) appeared on an earlier row."""
    no_id = np.fromiter(map(methodcaller("startswith", "（无身份证号）"), people["key"].tolist()), dtype=bool,
                        count=len(people))
    first_rows = people["first"].to_numpy(dtype=bool)
    later = people[~no_id & ~first_rows]
    if not len(later):
        return []
    first = people[first_rows & people["key"].isin(set(later["key"])).to_numpy()].set_index("key")
    return [_f("H001", H, r, "身份证号", k, f, shown=_id(k), first_file=_file_name(first.at[k, "_file"]),
               first_row=int(first.at[k, "_row"]))
            for k, f, r in zip(later["key"], later["_file"], later["_row"])]


def name_sex_mismatch(people: pd.DataFrame, xueji: pd.DataFrame) -> list[Finding]:
    """H002: the same (usable) ID in 户籍名单 and 学籍名单 with a different 姓名 or 性别, at the 学籍名单 row."""
    hh = people[people["first"] & people["usable"]]
    xs = xueji[xueji["usable"]]
    # each 学籍名单 row with the 户籍名单 row of its ID (first rows: one per ID), in 学籍名单 order — by one dictionary
    at = dict(zip(hh["key"].tolist(), range(len(hh))))
    found = np.fromiter(map(at.get, xs["key"].tolist(), itertools.repeat(-1)), dtype=np.int64, count=len(xs))
    xs, hh = xs[found >= 0], hh.iloc[found[found >= 0]]
    out = []
    for column in ("姓名", "性别"):
        a, b = xs[column].tolist(), hh[column].tolist()
        filled = pd.notna(np.array(a, dtype=object)) & pd.notna(np.array(b, dtype=object))
        differ = filled & (np.fromiter(map(str, a), dtype=object, count=len(a))
                           != np.fromiter(map(str, b), dtype=object, count=len(b)))
        mask = idcard.mask_name if column == "姓名" else str
        rows = np.flatnonzero(differ)
        x_part, h_part = xs.iloc[rows], hh.iloc[rows]
        out += [_f("H002", X, r, column, x, f, shown=_id(k), xueji=mask(x), household=mask(h),
                   household_file=_file_name(hf), household_row=int(hr))
                for k, x, h, f, r, hf, hr in zip(x_part["key"], x_part[column], h_part[column], x_part["_file"],
                                                 x_part["_row"], h_part["_file"], h_part["_row"])]
    return out


REASONS = {NOT_FOUND: "在学籍名单中没有在籍记录", BAD_ID: "身份证号有误、无法比对", TRANSFERRED: "学籍已转出"}


def to_verify(st: Statuses) -> list[Finding]:
    """H003: each child who is 待核查, at the 户籍名单 row."""
    df = st.frame[st.frame["台账状态"] == "待核查"]
    return [_f("H003", H, r, "身份证号", k if u else v, f, shown=_id(k if u else v), township=t or "", village=vi or "",
               reason=REASONS.get(why, why))
            for k, u, v, f, r, t, vi, why in zip(df["key"], df["usable"], df["身份证号"].map(str), df["_file"],
                                                 df["_row"], df["户籍乡镇"], df["户籍村(社区)"], df["比对情况"])]


def result_problems(st: Statuses) -> list[Finding]:
    """H004 / H005: a 核查结果 applied by rule 7 that lacks what it needs, at the returned list's row."""
    df = st.frame[st.frame["problem"].notna()]
    out = []
    for k, rule, problem, result, f, r, d in zip(df["key"], df["problem_rule"], df["problem"], df["核查结果"],
                                                 df["result_file"], df["result_row"], df["核查日期"]):
        fields = {"result": result, "problem": problem,
                  "date": d.isoformat() if hasattr(d, "isoformat") else "（空）"}
        out.append(_f(rule, model.CHECKLIST.name, r, "核查结果", k, f, shown=_id(k), **fields))
    return out


def key_groups_at_risk(st: Statuses) -> list[Finding]:
    """H006: a key-group child who is 待核查 or 失学辍学."""
    df = st.frame[st.frame["重点人群"].notna() & st.frame["台账状态"].isin(("待核查", "失学辍学"))]
    return [_f("H006", H, r, "身份证号", k, f, shown=_id(k), groups=g, township=t or "", village=v or "", status=s)
            for k, f, r, g, t, v, s in zip(df["key"], df["_file"], df["_row"], df["重点人群"], df["户籍乡镇"],
                                           df["户籍村(社区)"], df["台账状态"])]


FLAG_COLUMNS = {"脱贫家庭或监测户": ("脱贫户", "监测户"), "残疾": ("残疾",)}


def unflagged_key_groups(line: SchoolLine, lists: Lists) -> list[Finding]:
    """H007: a school's 辍学 row saying 否 where 重点人群名单 lists the child as 脱贫户/监测户 or 残疾."""
    cases = line.cases
    if not len(cases) or not lists.group_sets:
        return []
    names = line.school_names
    listed = cases[cases["身份证号"].isin(lists.group_sets)]
    out = []
    for column, groups in FLAG_COLUMNS.items():
        if column not in listed:
            continue
        said_no = listed[listed[column] == "否"]
        for k, school, f, r in zip(said_no["身份证号"], said_no["school"], said_no["file"], said_no["row"]):
            hit = [g for g in groups if g in lists.group_sets[k]]
            if hit:
                out.append(_f("H007", model.DROPOUT.name, r, column, "否", f, school=school, shown=_id(k),
                              school_name=names.get(school, school), group="、".join(hit)))
    return out


def headcount(line: SchoolLine, xueji: pd.DataFrame, xueji_file: str) -> list[Finding]:
    """H008: per counted school and grade, 学籍名单's 有籍 count against the book's 在校生数 + 休学中 + open 辍学."""
    covers = line.covers
    if not len(covers):
        return []
    counted = set(line.schools.loc[line.schools["counted"].astype(bool), "code"])
    reg = xueji[xueji["registered"] & xueji["学校标识码"].isin(counted) & xueji["年级"].isin(model.GRADES)]
    xueji_counts = reg.groupby(["学校标识码", "年级"]).size().to_dict()
    opened = line.open_rows
    held = defaultdict(int)
    for sheet in (model.LEAVE.name, model.DROPOUT.name):
        part = opened[(opened["sheet"] == sheet) & opened["年级"].isin(model.GRADES)]
        for (school, grade), n in part.groupby(["school", "年级"]).size().items():
            held[(school, grade, sheet)] = int(n)
    names = line.school_names
    out = []
    enrolled_in = {grade: covers[f"{grade}在校生数"].tolist() if f"{grade}在校生数" in covers else [None] * len(covers)
                   for grade in model.GRADES}
    for i, code in enumerate(covers["school"].tolist()):
        if code not in counted:
            continue
        for grade in model.GRADES:
            enrolled = enrolled_in[grade][i]
            enrolled = 0 if enrolled is None or pd.isna(enrolled) else int(enrolled)
            leave, open_ = held[(code, grade, model.LEAVE.name)], held[(code, grade, model.DROPOUT.name)]
            book = enrolled + leave + open_
            have = int(xueji_counts.get((code, grade), 0))
            if have == book:
                continue
            direction = "有籍无人（疑似辍学未报告）" if have > book else "有人无籍（学籍未注册或未转入）"
            out.append(_f("H008", X, None, "年级", grade, xueji_file, school=code, school_name=names.get(code, code),
                          grade=grade, xueji=have, book=book, enrolled=enrolled, leave=leave, open=open_,
                          direction=direction, diff=abs(have - book)))
    return out


def unknown_schools(xueji: pd.DataFrame, register_codes: set[str]) -> list[Finding]:
    """H009: a 学籍名单 row whose 学校标识码 is not in the register."""
    codes = xueji["学校标识码"]
    bad = xueji[codes.notna() & ~codes.isin(register_codes)]
    return [_f("H009", X, r, "学校标识码", c, f) for c, f, r in zip(bad["学校标识码"], bad["_file"], bad["_row"])]


def returns_without_child(returned: pd.DataFrame, household_keys: set) -> list[Finding]:
    """H010: a returned 核查结果 that no 户籍名单 row takes — its 身份证号 blank, or (well formed) in no 户籍名单 — at the
    returned list's row, named by the masked name and the place the township wrote."""
    if not len(returned):
        return []
    lost = returned[~returned["key"].isin(household_keys)]
    out = []
    for pid, name, town, village, result, f, r in zip(lost["身份证号"], lost["姓名"], lost["户籍乡镇"],
                                                       lost["户籍村(社区)"], lost["核查结果"], lost["_file"], lost["_row"]):
        blank = pd.isna(pid)
        name, town, village = (v if isinstance(v, str) else "" for v in (name, town, village))
        who = "，".join(p for p in (name and f"姓名 {idcard.mask_name(name)}", "" if blank else f"身份证号 {_id(pid)}",
                                    town + village) if p)
        reason = "身份证号没有填写，无法与户籍名单比对" if blank else "该身份证号不在任何一份户籍名单中"
        out.append(_f("H010", model.CHECKLIST.name, r, "身份证号", None if blank else pid, f,
                      who=who or "姓名、身份证号都未填", result=result, reason=reason, township=town or "所在乡镇的"))
    return out
