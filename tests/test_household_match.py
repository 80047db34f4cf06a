"""The household match (SPEC §8) on real files: every 台账状态 rule in its order, indicators against the generator's
ground truth, H001–H009 failing and passing, returns precedence, inputs unchanged, masked JSON, the store."""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest

from baoxue import idcard, model
from baoxue.household import INDICATOR_KEYS, run_match, write_outputs
from baoxue.household.result import STATUS_KEYS
from baoxue.rollup import Store

from household_helpers import MONTH, S1, S2, build_county, write_list
from rollup_helpers import checksums, cover, dropout, stamp, write_book


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    c = build_county(tmp_path_factory.mktemp("household"))
    before = {d.name: checksums(d) for d in (c.inbox, c.root / "名单", c.returns)}
    result = run_match(**c.kwargs())
    write_outputs(result, c.root / "out")
    return c, result, before


def statuses(result) -> dict[str, str]:
    return dict(zip(result.ledger["身份证号"], result.ledger["台账状态"]))


def rows_of(result, rule: str) -> list:
    return [f for f in result.findings if f.rule == rule]


# ---------------------------------------------------------------------------------------------- the status rules
def test_every_school_age_child_gets_exactly_its_status(county):
    c, result, _ = county
    assert statuses(result) == c.expected()
    assert result.ledger["身份证号"].is_unique
    assert list(result.ledger.columns) == list(model.LEDGER_COLUMNS)


def test_status_rules_in_order_of_precedence(county):
    c, result, _ = county
    led = result.ledger.set_index("身份证号")
    ch = c.children
    # rule 1 beats rule 5: an open case in 河口中学 although the child is 在籍 in 学籍名单
    assert led.at[ch["dropout"].key, "依据"] == "学校台账" and led.at[ch["dropout"].key, "就读学校"] == "河口中学"
    # rule 2 beats rule 5 (学籍状态 休学 is 有籍 too); rule 3 beats rule 5
    assert led.at[ch["leave"].key, "台账状态"] == "休学" and led.at[ch["leave"].key, "依据"] == "学校台账"
    assert led.at[ch["home"].key, "台账状态"] == "送教上门" and led.at[ch["home"].key, "依据"] == "学校台账"
    assert led.at[ch["defer"].key, "依据"] == "学校台账"
    assert led.at[ch["school1"].key, "依据"] == "学籍名单" and led.at[ch["school1"].key, "就读学校"] == "城关小学"
    assert led.at[ch["away"].key, "依据"] == "异地就读名单"
    assert led.at[ch["verified_away"].key, "依据"] == "核查结果"
    assert led.at[ch["died"].key, "依据"] == "核查结果"
    # a verification result superseded by the school line: verified 失学辍学, then 河口中学 opened the case
    k = ch["superseded"].key
    assert led.at[k, "台账状态"] == "失学辍学" and led.at[k, "依据"] == "学校台账" and led.at[k, "核查结果"] == "失学辍学"
    assert led.at[ch["hidden"].key, "依据"] == "—"
    assert led.at[ch["other_result"].key, "台账状态"] == "待核查"   # 核查结果 其他 → rule 8
    assert ch["too_old"].key not in led.index                        # 16 on 31 August: not school-age


def test_closed_case_and_registered_again_is_in_school(tmp_path):
    """SPEC §8.2: once the case is closed and the child is registered again, the child is 在校 by rule 5, whatever the
    old 核查结果 said; and the 异地就读名单 (rule 6) beats a 核查结果 (rule 7)."""
    c = build_county(tmp_path)
    k, away = c.children["superseded"], c.children["away"]
    c2 = cover(S2, "河口中学", "河口乡", MONTH, urban="乡村", enrol=0, school_type="初中")
    c2.update({"七年级在校生数": 2, "八年级在校生数": 2})
    a = c.children["dropout"]
    closed = dropout(k.key, k.name, "七年级", dt.date(2026, 9, 5), status="已复学")
    stamp(write_book(c.inbox / "河口乡" / f"{S2}_{MONTH}.xlsx", c2,
                     {"辍学": [dropout(a.key, a.name, "七年级", dt.date(2026, 9, 5)), closed]}))
    rows = [[S2, "河口中学", k.name, k.sex, k.key, "G" + k.key, "七年级", "1班", "在籍"]]
    xueji = write_list(tmp_path / "学籍名单2.xlsx", ["学校标识码", "学校名称", "姓名", "性别", "身份证号", "学籍号", "年级",
                                                  "班级", "学籍状态"], rows)
    header = [col.name for col in model.CHECKLIST.columns]
    row = dict.fromkeys(header)
    row.update({"身份证号": away.key, "核查结果": "失学辍学", "核查日期": "2026-09-25"})
    write_list(c.returns / "extra.xlsx", header, [[row[h] for h in header]])
    result = run_match(**c.kwargs(xueji=xueji))
    led = result.ledger.set_index("身份证号")
    assert led.at[k.key, "台账状态"] == "在校" and led.at[k.key, "依据"] == "学籍名单"
    assert led.at[away.key, "台账状态"] == "县外就读" and led.at[away.key, "依据"] == "异地就读名单"
    assert not [f for f in result.findings if f.rule == "H005" and f.value == away.key]


# ---------------------------------------------------------------------------------------------- indicators
def _truth(children) -> dict:
    counts = Counter(c.expected for c in children)
    out = {"school_age": len(children), **{key: counts.get(status, 0) for status, key in STATUS_KEYS.items()}}
    out["key_group_to_verify"] = sum(1 for c in children if c.key_group and c.expected in ("待核查", "失学辍学"))
    base = out["school_age"] - out["excluded"] - out["deferred"]
    served = out["in_school"] + out["on_leave"] + out["home_taught"] + out["elsewhere"]
    out["enrolment_rate"] = round(served * 100 / base, 2) if base else None
    return out


def test_indicators_from_ground_truth(county):
    c, result, _ = county
    kids = [x for x in c.children.values() if x.expected]
    county_truth = _truth(kids)
    got = {k: result.county[k] for k in county_truth}
    assert got == county_truth
    assert sum(result.county[k] for k in STATUS_KEYS.values()) == result.county["school_age"]
    assert result.county["xueji_not_in_household"] == c.outside
    by_town = {t["name"]: t for t in result.townships}
    for town in ("城关镇", "河口乡"):
        truth = _truth([x for x in kids if x.township == town])
        assert {k: by_town[town][k] for k in truth} == truth, town
    # the registered students in no 户籍名单, by the school's township: 3 at 河口中学 and 1 at a school outside the
    # register
    assert by_town["河口乡"]["xueji_not_in_household"] == 3 and by_town["城关镇"]["xueji_not_in_household"] == 0
    for v in result.villages:
        truth = _truth([x for x in kids if x.township == v["township"] and x.village == v["name"]])
        assert {k: v[k] for k in truth} == truth, v["name"]
        assert v["xueji_not_in_household"] is None
    assert {(v["township"], v["name"]) for v in result.villages} == {(x.township, x.village) for x in kids}


# ---------------------------------------------------------------------------------------------- H rules
def test_h001_duplicate_household_row(county):
    c, result, _ = county
    [f] = rows_of(result, "H001")
    assert f.value == c.children["school1"].key and f.file == str(c.household[0]) and f.sheet == "户籍名单"
    assert f.row == len([x for x in c.children.values() if x.township == "城关镇"]) + 4   # after title, note, header
    assert f.severity == "warning" and "第" in f.message and f.value not in f.message   # the message masks the ID
    # the first row's file named as the 文件 column shows it, not by its full path
    assert f"首次见“{c.household[0].name}”第" in f.message and str(c.household[0].parent) not in f.message


def test_h002_name_differs_between_lines(county):
    c, result, _ = county
    [f] = rows_of(result, "H002")
    assert f.value == "改名字" and f.column == "姓名" and f.file == str(c.xueji) and f.sheet == "学籍名单"
    assert len(result.mismatch[result.mismatch["规则编号"] == "H002"]) == 1
    assert any(f"（“{p.name}”第" in f.message for p in c.household) and str(c.household[0].parent) not in f.message


def test_h003_exactly_the_children_to_verify(county):
    c, result, _ = county
    waiting = {x.key for x in c.children.values() if x.expected == "待核查"}
    assert {f.value for f in rows_of(result, "H003")} == waiting
    by_value = {f.value: f for f in rows_of(result, "H003")}
    assert "身份证号有误" in by_value[c.children["bad_id"].key].message
    assert "学籍已转出" in by_value[c.children["transferred"].key].message
    reasons = dict(zip(result.to_verify["身份证号"], result.to_verify["比对情况"]))
    assert reasons[c.children["bad_id"].key] == "身份证号有误"
    assert reasons[c.children["transferred"].key] == "学籍已转出"
    assert reasons[c.children["hidden"].key] == "未找到学籍"


def test_h004_h005_results_without_what_they_need(county):
    c, result, _ = county
    h004 = {f.value: f for f in rows_of(result, "H004")}
    assert set(h004) == {c.children["away_no_area"].key, c.children["in_county_no_xueji"].key}
    assert h004[c.children["away_no_area"].key].file == "河口乡/a.xlsx" and h004[c.children["away_no_area"].key].row == 5
    assert "“河口乡/a.xlsx”第5行" in h004[c.children["away_no_area"].key].message   # the Excel row as a clerk reads it
    [h005] = rows_of(result, "H005")
    assert f"第{h005.row}行" in h005.message
    assert h005.value == c.children["verified_dropout"].key and h005.file == "城关镇/核查清单_城关镇_交回.xlsx"
    # the complete results (县外就读已核实 with school, area and proof; 死亡 with proof) and the superseded one pass
    listed = set(result.to_verify["身份证号"])
    assert listed == {x.key for x in c.children.values() if x.expected == "待核查"} | set(h004) | {h005.value}
    assert c.children["verified_away"].key not in listed and c.children["superseded"].key not in listed


def test_h006_key_group_children_at_risk(county):
    c, result, _ = county
    assert {f.value for f in rows_of(result, "H006")} == {c.children["key_hidden"].key, c.children["dropout"].key}
    # the key-group child 送教上门 is accounted for: no H006; a key-group child comes first in its village
    town = result.to_verify[result.to_verify["户籍乡镇"] == "城关镇"]
    village = town[town["户籍村(社区)"] == "东风村"]
    assert village.iloc[0]["身份证号"] == c.children["key_hidden"].key and village.iloc[0]["重点人群"] == "脱贫户"
    assert list(town["序号"]) == list(range(1, len(town) + 1))


def test_h007_dropout_row_not_flagged_as_key_group(county):
    c, result, _ = county
    [f] = rows_of(result, "H007")
    assert f.school == S2 and f.sheet == "辍学" and f.column == "脱贫家庭或监测户" and f.row == 4
    assert f.file == f"河口乡/{S2}_{MONTH}.xlsx" and "监测户" in f.message


def test_h008_headcount_per_school_and_grade(county):
    _c, result, _ = county
    [f] = rows_of(result, "H008")
    assert f.school == S2 and f.value == "八年级" and "在籍 2 人" in f.message and "学校报表 1 人" in f.message
    assert "有籍无人" in f.message
    assert not [x for x in rows_of(result, "H008") if x.school == S1]   # 休学 and 送教 counted right: S1 passes


def test_h009_school_not_in_register(county):
    c, result, _ = county
    [f] = rows_of(result, "H009")
    # title row, header row, 7 children's rows, 3 students from another county, then the unknown school's row
    assert f.value == "4310219999" and f.file == str(c.xueji) and f.row == 2 + 7 + 3 + 1


def test_input_rows_get_their_f_findings_with_file_and_row(county):
    c, result, _ = county
    [f] = rows_of(result, "F005")
    assert f.value == c.children["bad_id"].key and f.sheet == "户籍名单" and f.file == str(c.household[0])
    assert f.row is not None


# ---------------------------------------------------------------------------------------------- returns
def test_returns_latest_date_wins_then_path_order_and_broken_file_is_s005(tmp_path):
    c = build_county(tmp_path)
    header = [col.name for col in model.CHECKLIST.columns]

    def row(x, result, date, **kw):
        r = dict.fromkeys(header)
        r.update({"身份证号": x.key, "核查结果": result, "核查日期": date, **kw})
        return [r[h] for h in header]

    hidden, other = c.children["hidden"], c.children["other_result"]
    away = {"就读学校": "长沙市实验小学", "就读地区": "湖南省长沙市", "证明材料": "有"}
    # hidden: the later date wins although its file sorts first
    write_list(c.returns / "0_早.xlsx", header, [row(hidden, "县外就读已核实", "2026-09-28", **away)])
    write_list(c.returns / "9_晚.xlsx", header, [row(hidden, "死亡", "2026-09-15", 证明材料="有")])
    # other: the same date → the path that sorts last wins (河口乡/a.xlsx says 其他 on 2026-09-12)
    write_list(c.returns / "河口乡" / "b.xlsx", header, [row(other, "县外就读已核实", "2026-09-12", **away)])
    (c.returns / "坏文件.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    write_list(c.returns / "乱填.xlsx", header, [row(c.children["transferred"], "搬走了", "2026-09-20")])
    result = run_match(**c.kwargs())
    led = result.ledger.set_index("身份证号")
    assert led.at[hidden.key, "台账状态"] == "县外就读" and led.at[hidden.key, "核查日期"] == dt.date(2026, 9, 28)
    assert led.at[other.key, "台账状态"] == "县外就读"
    [s005] = rows_of(result, "S005")
    assert s005.file == "坏文件.xlsx" and s005.sheet == "核查清单"
    assert "请让该乡镇" in s005.message and "学校" not in s005.message   # a township returns it, not a school
    [f002] = [f for f in rows_of(result, "F002") if f.sheet == "核查清单"]
    assert f002.value == "搬走了" and f002.file == "乱填.xlsx" and f002.row == 2
    assert led.at[c.children["transferred"].key, "台账状态"] == "待核查"   # an unknown 核查结果 is not applied
    # the other returns are still used
    assert led.at[c.children["verified_away"].key, "台账状态"] == "县外就读"


def test_return_dated_after_the_month_is_d001_and_not_applied(tmp_path):
    c = build_county(tmp_path)
    header = [col.name for col in model.CHECKLIST.columns]
    r = dict.fromkeys(header)
    r.update({"身份证号": c.children["hidden"].key, "核查结果": "死亡", "证明材料": "有", "核查日期": "2026-10-03"})
    write_list(c.returns / "late.xlsx", header, [[r[h] for h in header]])
    result = run_match(**c.kwargs())
    [d001] = rows_of(result, "D001")
    assert d001.file == "late.xlsx" and d001.column == "核查日期"
    assert statuses(result)[c.children["hidden"].key] == "待核查"


def test_the_same_unknown_id_in_two_returns_is_h010_at_each_row(tmp_path):
    """An ID in no 户籍名单, returned by two townships: each row is one H010 at its own file and row (not only the row
    that would win for a listed child); the listed child's precedence is unchanged."""
    from household_helpers import person_id
    c = build_county(tmp_path)
    header = [col.name for col in model.CHECKLIST.columns]

    def row(pid, result, date, **kw):
        r = dict.fromkeys(header)
        r.update({"身份证号": pid, "核查结果": result, "核查日期": date, **kw})
        return [r[h] for h in header]

    stranger, hidden = person_id(9_001, 9), c.children["hidden"]
    write_list(c.returns / "a.xlsx", header, [row(hidden.key, "死亡", "2026-09-15", 证明材料="有"),
                                              row(stranger, "失学辍学", "2026-09-20", 姓名="田新苗")])
    write_list(c.returns / "河口乡" / "b.xlsx", header, [row(stranger, "县内就读", "2026-09-22", 姓名="田新苗")])
    result = run_match(**c.kwargs())
    h010 = sorted(rows_of(result, "H010"), key=lambda f: f.file)
    assert [(f.file, f.row, f.value) for f in h010] == [("a.xlsx", 3, stranger), ("河口乡/b.xlsx", 2, stranger)]
    assert "失学辍学" in h010[0].message and "县内就读" in h010[1].message
    assert statuses(result)[hidden.key] == "不计入" and stranger not in statuses(result)


# ---------------------------------------------------------------------------------------------- inputs, JSON, store
def test_inputs_and_returns_unchanged(county):
    c, _result, before = county
    assert {d.name: checksums(d) for d in (c.inbox, c.root / "名单", c.returns)} == before


def test_json_masks_ids_and_names(county):
    c, result, _ = county
    doc = result.to_json(masked=True)
    assert set(doc) == {"month", "county", "townships", "villages", "findings", "files"}
    assert set(doc["county"]) == {"name", *INDICATOR_KEYS}
    assert all(set(t) == {"name", *INDICATOR_KEYS} for t in doc["townships"])
    assert all(set(v) == {"township", "name", *INDICATOR_KEYS} for v in doc["villages"])
    assert doc["files"]["ledger"].endswith(f"适龄儿童台账_{MONTH}.xlsx")
    assert set(doc["files"]["checklists"]) == {"城关镇", "河口乡"}
    text = json.dumps(doc, ensure_ascii=False)
    for x in c.children.values():
        assert x.key not in text and x.key[:17] not in text and x.name not in text
    assert "改名字" not in text
    assert "“监测户”" not in text and "（脱贫户）" not in text   # a child's key group is hidden in the messages too
    found = {f["rule"] for f in doc["findings"]}
    assert {"H001", "H003", "H008"} <= found
    assert all(set(f) >= {"rule", "severity", "sheet", "row", "column", "value", "message", "file"} for f in doc["findings"])
    h003 = next(f for f in doc["findings"] if f["rule"] == "H003")
    key = c.children["hidden"].key
    assert any(f["rule"] == "H003" and f["value"] == idcard.mask(key) for f in doc["findings"])


def test_ledger_kept_in_the_store_beside_the_rollup_month(county):
    c, result, _ = county
    store = Store(c.root / "store")
    assert store.has_month(MONTH) and store.ledger_months() == [MONTH]
    county_rows = store.ledger_table("county")
    assert county_rows["to_verify"].tolist() == [result.county["to_verify"]]
    assert county_rows["enrolment_rate"].tolist() == [result.county["enrolment_rate"]]
    assert len(store.ledger_table("ledger")) == len(result.ledger)
    assert not store.lock_path.exists()
