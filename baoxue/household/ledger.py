"""The ledger (SPEC §8.2): one 台账状态 per school-age child of the 户籍名单, by the first rule that applies, in order —
vectorised by ID (set membership and dictionary maps over whole columns; no Python loop over the county's children).

    1 失学辍学  open case in a school's 辍学 sheet            学校台账
    2 休学      休学中 in a school's 休学 sheet               学校台账
    3 送教上门  送教中 on a school's 送教上门 roster          学校台账
    4 缓学      缓学中 in a school's 缓学 sheet               学校台账
    5 在校      有籍 in 学籍名单                               学籍名单
    6 县外就读  in 异地就读名单                                异地就读名单
    7 the latest 核查结果 (RESULT_STATUS)                    核查结果
    8 待核查    nothing above applies (核查结果 其他 included)
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import idcard, model
from ..normalize import Invalid
from ..policy import Policy
from ..validators.rules_age import ages
from .checks import ListBatch
from .inputs import ListFile
from .school_line import SchoolLine

H = model.HOUSEHOLD_LIST.name
X = model.XUEJI_LIST.name

EXCLUDED_RESULTS = ("死亡", "出国出境", "户籍信息有误", "空挂户或人户分离", "已完成义务教育")
# SPEC §8.2 rule 7: 核查结果 → 台账状态 (其他 → nothing: rule 8, 待核查)
RESULT_STATUS = {"失学辍学": "失学辍学", "县外就读已核实": "县外就读", **{r: "不计入" for r in EXCLUDED_RESULTS},
                 "县内就读": "在校", "休学": "休学", "送教上门": "送教上门", "缓学已批准": "缓学"}
# results that only a school's book can confirm (H004 when no book shows them): result → the sheet
RESULT_SHEET = {"休学": model.LEAVE.name, "送教上门": model.HOME.name, "缓学已批准": model.DEFER.name}
REGISTERED = frozenset(model.XUEJI_REGISTERED)

NOT_FOUND = "未找到学籍"
BAD_ID = "身份证号有误"
TRANSFERRED = "学籍已转出"


def _text_values(series: pd.Series) -> np.ndarray:
    """The cell values as text (an untypable value as found), None when empty."""
    values = series.to_numpy(dtype=object, copy=True)
    if Invalid in set(map(type, values)):
        values = np.array([v.raw if v.__class__ is Invalid else v for v in values.tolist()], dtype=object)
    return values


def _objects(values, index) -> pd.Series:
    """An object column: pandas would make a column of strings its ``str`` dtype, whose ``isin`` and ``map`` are far
    slower on a county's IDs than on plain objects."""
    return pd.Series(np.asarray(values, dtype=object), index=index, dtype=object)


def _lookup(keys: pd.Series, mapping: dict) -> pd.Series:
    """``keys.map(mapping)`` (NaN where a key is not in it) by dictionary look-ups at C speed, as an object column:
    pandas would first make the dictionary a Series, with a county's IDs as a string index."""
    found = map(mapping.get, keys.tolist(), itertools.repeat(np.nan))
    return pd.Series(np.fromiter(found, dtype=object, count=len(keys)), index=keys.index, dtype=object)


def _member(keys: list, collection) -> np.ndarray:
    """Per key: in ``collection`` (a set or dict), by its own hashed look-up (``Series.isin`` would hash it again)."""
    return np.fromiter(map(collection.__contains__, keys), dtype=bool, count=len(keys))


@dataclass
class People:
    """The 户籍名单 rows of every household file, with their match key, the ID's usability and the age at cut-off."""
    frame: pd.DataFrame      # the list's columns + _row, _file, key, usable, age, born, first (first row of its key)
    batch: ListBatch


def people(files: list[ListFile], policy: Policy) -> People:
    batch = ListBatch(files, policy)
    df = batch.frame(H)[:]   # a new frame over the batch's columns (copy-on-write: the batch's stays as it is)
    file_of = np.array([f.file for f in files], dtype=object)[df["_book"].to_numpy()] if len(df) else np.empty(0, object)
    df["_file"] = _objects(file_of, df.index)
    usable = batch.usable_ids()
    key = _text_values(df["身份证号"])
    empty = pd.isna(key) | (key == "")
    if empty.any():   # no ID: a key of its own (file and row), never matched
        rows = df["_row"].to_numpy()[empty].tolist()
        key[empty] = [f"（无身份证号）{f}#{r}" for f, r in zip(file_of[empty].tolist(), rows)]
    df["key"] = _objects(key, df.index)
    df["usable"] = usable.to_numpy()
    age, _cut, _source = ages(batch, model.HOUSEHOLD_LIST)
    df["age"] = age.to_numpy()
    ids_born = batch.ids(H)[2]
    stated = batch.dates(H, "出生日期")
    born = ids_born.where(ids_born.notna(), stated)
    df["born"] = np.where(born.isna().to_numpy(), None, born.dt.date.to_numpy(dtype=object))
    df["first"] = ~df["key"].duplicated(keep="first").to_numpy()
    return People(df, batch)


def school_age_mask(frame: pd.DataFrame, policy: Policy) -> pd.Series:
    """6–15 (policy) on 31 August before the school year; a child whose age cannot be told stays in (待核查)."""
    low, high = policy.school_age.min, policy.school_age.max
    age = frame["age"]
    return age.isna() | ((age >= low) & (age <= high))


@dataclass
class Lists:
    """The other inputs reduced to maps keyed by ID."""
    registered: dict[str, str]         # 有籍 ID → 学校标识码 (first registered row)
    xueji_names: dict[str, str]        # 学校标识码 → 学校名称 as the 学籍名单 gives it
    other_status: dict[str, str]       # ID in 学籍名单 with no 有籍 row → its 学籍状态
    elsewhere: dict[str, str]          # ID → "就读学校（就读地区）"
    groups: dict[str, str]             # ID → "脱贫户、残疾" (重点人群, in code-list order)
    group_sets: dict[str, frozenset]   # ID → {类别}


def xueji_frame(xueji: ListFile, policy: Policy) -> tuple[pd.DataFrame, ListBatch]:
    batch = ListBatch([xueji], policy)
    df = batch.frame(X)[:]
    df["_file"] = _objects([xueji.file] * len(df), df.index)
    df["usable"] = batch.usable_ids().to_numpy()
    status = df["学籍状态"].tolist()
    df["registered"] = np.fromiter((s is None or s in REGISTERED for s in status), dtype=bool, count=len(df))
    df["key"] = _objects(_text_values(df["身份证号"]), df.index)
    return df, batch


def reduce_lists(xueji: pd.DataFrame, elsewhere: pd.DataFrame | None, key_groups: pd.DataFrame | None) -> Lists:
    ok = xueji[xueji["usable"]]
    reg = ok[ok["registered"]].drop_duplicates("key")
    registered = dict(zip(reg["key"], reg["学校标识码"]))
    names = xueji.dropna(subset=["学校标识码", "学校名称"]).drop_duplicates("学校标识码")
    other = ok[~ok["registered"] & ~ok["key"].isin(registered)].drop_duplicates("key")
    away: dict[str, str] = {}
    if elsewhere is not None and len(elsewhere):
        e = elsewhere[elsewhere["usable"]].drop_duplicates("key")
        away = {k: (s or "") + (f"（{p}）" if p else "") for k, s, p in zip(e["key"], e["就读学校"], e["就读地区"])}
    groups: dict[str, str] = {}
    sets: dict[str, frozenset] = {}
    if key_groups is not None and len(key_groups):
        order = {c: i for i, c in enumerate(model.CODE_LISTS["重点人群类别"])}
        g = key_groups[key_groups["usable"] & key_groups["类别"].isin(order)]
        for k, part in g.groupby("key", sort=False)["类别"]:
            cats = frozenset(part)
            sets[k] = cats
            groups[k] = "、".join(sorted(cats, key=order.__getitem__))
    return Lists(registered, dict(zip(names["学校标识码"], names["学校名称"])),
                 dict(zip(other["key"], other["学籍状态"])), away, groups, sets)


def list_frame(lf: ListFile | list[ListFile] | None, policy: Policy) -> tuple[pd.DataFrame | None, ListBatch | None]:
    """An optional list (异地就读名单, 重点人群名单 files) as one frame with key, usable and _file."""
    files = [lf] if isinstance(lf, ListFile) else list(lf or ())
    if not files:
        return None, None
    batch = ListBatch(files, policy)
    df = batch.frame(files[0].sheet.name).copy()
    df["_file"] = _objects(np.array([f.file for f in files], dtype=object)[df["_book"].to_numpy()], df.index)
    df["usable"] = batch.usable_ids().to_numpy()
    df["key"] = _objects(_text_values(df["身份证号"]), df.index)
    return df, batch


@dataclass
class Statuses:
    """The school-age children, one row each, with their status and why (internal columns kept for the rules)."""
    frame: pd.DataFrame   # LEDGER_COLUMNS + key, usable, _file, _row, 比对情况, problem (H004/H005 text), problem_rule,
    #                       result_file, result_row, rule (1–8)


def assign(children: pd.DataFrame, line: SchoolLine, lists: Lists, returns: pd.DataFrame) -> Statuses:
    """Apply the eight rules of §8.2 in order to ``children`` (first rows of school-age keys)."""
    n = len(children)
    key = children["key"].reset_index(drop=True)
    ok = children["usable"].to_numpy(dtype=bool)
    status = np.full(n, None, dtype=object)
    basis = np.full(n, None, dtype=object)
    school = np.full(n, None, dtype=object)
    rule = np.zeros(n, dtype=np.int8)
    names = line.school_names

    def take(hit: np.ndarray, st: str, why: str, where, number: int) -> None:
        hit = hit & (status == None)  # noqa: E711 — elementwise on an object array
        status[hit] = st
        basis[hit] = why
        rule[hit] = number
        if where is not None:
            school[hit] = np.asarray(where, dtype=object)[hit]

    # rules 1–4: the school line
    for number, (st, part) in enumerate(line.open_by_status().items(), start=1):
        code_of = dict(zip(part["身份证号"], part["school"]))
        codes = _lookup(key, code_of)
        named = _lookup(codes, names)
        take(ok & codes.notna().to_numpy(), st, "学校台账", named.where(named.notna(), codes).to_numpy(), number)
    # rule 5: 有籍 in 学籍名单
    codes = _lookup(key, lists.registered)
    named = {c: names.get(c) or lists.xueji_names.get(c) or c for c in set(lists.registered.values())}
    school_names = _lookup(codes, named)
    take(ok & codes.notna().to_numpy(), "在校", "学籍名单", school_names.to_numpy(), 5)
    # rule 6: 异地就读名单
    away = _lookup(key, lists.elsewhere)
    take(ok & away.notna().to_numpy(), "县外就读", "异地就读名单", away.to_numpy(), 6)
    # rule 7: the latest 核查结果
    returns = returns[returns["_wins"]] if len(returns) else returns   # one 核查结果 per ID: the one that wins
    res = returns.set_index("key") if len(returns) else None
    result = key.map(res["核查结果"]) if res is not None else pd.Series([None] * n, dtype=object)
    mapped = result.map(RESULT_STATUS)
    result_school = key.map(res["就读学校"]) if res is not None else pd.Series([None] * n, dtype=object)
    for st in dict.fromkeys(RESULT_STATUS.values()):
        take(ok & (mapped == st).to_numpy(), st, "核查结果", result_school.to_numpy(), 7)
    # rule 8
    rest = status == None  # noqa: E711
    status[rest] = "待核查"
    basis[rest] = "—"
    rule[rest] = 8

    out = children.reset_index(drop=True)
    out["台账状态"], out["依据"], out["就读学校"], out["rule"] = status, basis, school, rule
    out["重点人群"] = _lookup(key, lists.groups).to_numpy()
    out["核查结果"] = result.to_numpy()
    out["核查日期"] = key.map(res["核查日期"]).to_numpy() if res is not None else None
    out["result_file"] = key.map(res["_file"]).to_numpy() if res is not None else None
    out["result_row"] = key.map(res["_row"]).astype("Int64").to_numpy() if res is not None else None
    out["result_area"] = key.map(res["就读地区"]).to_numpy() if res is not None else None
    out["result_proof"] = key.map(res["证明材料"]).to_numpy() if res is not None else None
    out["出生日期"] = out["born"]
    _problems(out, line, lists)
    return Statuses(out)


def _problems(out: pd.DataFrame, line: SchoolLine, lists: Lists) -> None:
    """比对情况 of every child, and the H004 / H005 problem of a 核查结果 that rule 7 applied."""
    n = len(out)
    problem = np.full(n, None, dtype=object)
    problem_rule = np.full(n, None, dtype=object)
    at7 = (out["rule"] == 7).to_numpy()
    result = out["核查结果"].to_numpy(dtype=object)
    school = out["就读学校"].to_numpy(dtype=object)
    area = out["result_area"].to_numpy(dtype=object)
    proof = out["result_proof"].to_numpy(dtype=object)
    keys = out["key"].tolist()
    registered = _member(keys, lists.registered)
    in_sheet = {r: _member(keys, line.ids_in_sheet(s)) for r, s in RESULT_SHEET.items()}

    def flag(mask, rule_id: str, text) -> None:
        mask = mask & at7 & (problem == None)  # noqa: E711
        problem[mask] = text if isinstance(text, str) else np.asarray(text, dtype=object)[mask]
        problem_rule[mask] = rule_id

    empty_school = pd.isna(school) | (school == "")
    flag(result == "失学辍学", "H005", "核查为失学辍学，但本月没有学校的辍学台账在册")
    flag((result == "县外就读已核实") & (empty_school | pd.isna(area) | (area == "")), "H004",
         "缺少就读学校或就读地区。")
    flag(pd.Series(result, dtype=object).isin(EXCLUDED_RESULTS).to_numpy() & (proof != "有"), "H004", "须有证明材料（证明材料应为“有”）。")
    flag((result == "县内就读") & empty_school, "H004", "缺少就读学校。")
    flag((result == "县内就读") & ~empty_school & ~registered, "H004",
         "学籍名单中没有该生的在籍记录，请就读学校核实并补录学籍。")
    for r, sheet in RESULT_SHEET.items():
        flag((result == r) & ~in_sheet[r], "H004", f"本月没有任何学校的“{sheet}”表有该生记录，请学校补登。")

    why = np.full(n, None, dtype=object)
    waiting = (out["台账状态"] == "待核查").to_numpy()
    usable = out["usable"].to_numpy(dtype=bool)
    other = _lookup(out["key"], lists.other_status).to_numpy(dtype=object)
    why[waiting] = NOT_FOUND
    transferred = waiting & pd.notna(other)
    why[transferred] = [TRANSFERRED if "转出" in str(s) else f"学籍状态为“{s}”" for s in other[transferred]]
    why[waiting & (result == "其他")] = "核查结果为“其他”，仍须核实"
    why[waiting & ~usable] = BAD_ID
    flagged = pd.notna(problem)
    why[flagged] = [f"{r}：{p}" for r, p in zip(result[flagged], problem[flagged])]
    out["比对情况"] = why
    out["problem"] = problem
    out["problem_rule"] = problem_rule


def checklist_rows(st: Statuses) -> pd.DataFrame:
    """The 核查清单 rows of every township (SPEC §8.4): 待核查, plus the children whose latest 核查结果 has an H004 or
    H005; sorted by 户籍乡镇, 村, 村民小组, 姓名 with 重点人群 first within each village; 序号 per township."""
    df = st.frame
    listed = df[(df["台账状态"] == "待核查") | df["problem"].notna()].copy()
    listed["_key_first"] = listed["重点人群"].isna()
    listed = listed.sort_values(["户籍乡镇", "户籍村(社区)", "_key_first", "村民小组", "姓名"], na_position="last",
                                kind="stable")
    listed["序号"] = listed.groupby("户籍乡镇", sort=False).cumcount() + 1
    filled = [c.name for c in model.CHECKLIST.columns if c.computed]
    listed = listed.rename(columns={"key": "_key"})
    return listed[filled + ["_file", "_row", "_key"]].reset_index(drop=True)


def ledger_table(st: Statuses) -> pd.DataFrame:
    out = st.frame[list(model.LEDGER_COLUMNS)]   # only the ledger's columns sorted (the frame has as many again)
    out = out.sort_values(["户籍乡镇", "户籍村(社区)", "村民小组", "姓名"], na_position="last", kind="stable")
    out["身份证号"] = _text_values(out["身份证号"])
    return out.reset_index(drop=True)


def masked_id(key: str) -> str:
    return idcard.mask(key)
