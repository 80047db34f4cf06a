"""A small county for the household-line tests, written as real files: school books (stamped), a register, 户籍名单
files with messy headers, a 学籍名单 export, 异地就读名单, 重点人群名单 — and the ground truth: the 台账状态 each child
must get, by construction (not by the module under test)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from baoxue import idcard, model

from rollup_helpers import cover, dropout, leave, register, stamp, write_book

MONTH = "2026-09"
CUTOFF = dt.date(2026, 8, 31)
S1, S2 = "4310210001", "4310210002"
SCHOOLS = [(S1, "城关小学", "城关镇", "小学", "城区"), (S2, "河口中学", "河口乡", "初中", "乡村")]


def person_id(seq: int, age: int = 10, male: bool = True, area: str = "431021") -> str:
    """A valid ID of a child ``age`` years old on the cut-off (born in March)."""
    return idcard.make(area, dt.date(CUTOFF.year - age, 3, 1 + seq % 27), seq, male)


def bad_checksum(pid: str) -> str:
    digit = "0" if pid[17] != "0" else "1"
    return pid[:17] + digit


def write_list(path: Path, header: list[str], rows: list[list], title: str | None = None, note: str | None = None,
               sheet: str = "Sheet1", before: list[str] = ()) -> Path:
    """A list as a clerk or a system export writes it: optional sheets before it, a title and a note row above the
    header, IDs as text."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = before[0] if before else sheet
    for name in before[1:]:
        wb.create_sheet(name)
    if before:
        ws["A1"] = "说明：本工作簿第二张表为名单"
        ws = wb.create_sheet(sheet)
    for text in (title, note):
        if text:
            ws.append([text])
    ws.append(header)
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str):
                c.data_type = "s"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


@dataclass
class Child:
    key: str
    name: str
    sex: str
    township: str
    village: str
    group: str = "一组"
    expected: str | None = None         # 台账状态 (None: not school-age, not in the ledger)
    key_group: str | None = None        # 重点人群 category


@dataclass
class County:
    root: Path
    inbox: Path
    register: Path
    household: list[Path]
    xueji: Path
    elsewhere: Path
    key_groups: list[Path]
    returns: Path
    children: dict[str, Child] = field(default_factory=dict)   # label -> child
    outside: int = 0                                             # registered students in no 户籍名单

    def kwargs(self, **over) -> dict:
        kw = dict(household=self.household, xueji=self.xueji, inbox=self.inbox, register=self.register, month=MONTH,
                  elsewhere=self.elsewhere, key_groups=self.key_groups, returns=self.returns,
                  store=self.root / "store")
        kw.update(over)
        return kw

    def expected(self) -> dict[str, str]:
        """ID → expected status, school-age children only (the first row of a duplicated ID)."""
        return {c.key: c.expected for c in self.children.values() if c.expected}


def home_row(pid: str, name: str, grade: str, status: str = "送教中") -> dict:
    return {"姓名": name, "性别": idcard.sex(pid), "身份证号": pid, "学籍号": "G" + pid, "年级": grade,
            "残疾类别": "肢体残疾", "残疾等级": "一级", "户籍乡镇": "城关镇", "户籍村(社区)": "东风村", "监护人姓名": "张大山",
            "监护人电话": "13912345678", "送教协议日期": dt.date(2026, 9, 2), "个别化教育计划日期": dt.date(2026, 9, 2),
            "负责教师": "李老师", "状态": status}


def defer_row(pid: str, name: str, status: str = "缓学中") -> dict:
    d = dt.date(2026, 8, 20)
    return {"姓名": name, "性别": idcard.sex(pid), "身份证号": pid, "户籍乡镇": "城关镇", "户籍村(社区)": "东风村",
            "监护人姓名": "张大山", "监护人电话": "13912345678", "缓学原因": "身体疾病", "申请日期": d, "批准日期": d,
            "批准机关": "县级教育行政部门", "缓学起始日期": d, "缓学截止日期": d + dt.timedelta(days=300),
            "证明材料": "有", "残疾": "否", "脱贫家庭或监测户": "否", "状态": status}


def build_county(root: Path) -> County:
    """Every status rule of SPEC §8.2 at least once, in both townships, with the rules' failing cases planted."""
    inbox = root / "收件箱"
    reg = register(root / "学校名录.xlsx", SCHOOLS)
    ch: dict[str, Child] = {}
    seq = iter(range(1, 10_000))

    def child(label, township, village, expected, age=10, male=True, group="一组", key_group=None, pid=None):
        pid = pid or person_id(next(seq), age, male)
        names = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
        name = names[len(ch) % len(names)] + "小" + "明红刚丽军芳"[len(ch) % 6]
        ch[label] = Child(pid, name, "男" if male else "女", township, village, group, expected, key_group)
        return ch[label]

    # ---- 城关镇 / 东风村, 西街社区
    a = child("dropout", "城关镇", "东风村", "失学辍学", age=13, key_group="监测户")   # rule 1 (and 有籍: rule 5 loses)
    b = child("leave", "城关镇", "东风村", "休学", age=9)                               # rule 2
    c = child("home", "城关镇", "东风村", "送教上门", age=11, key_group="残疾")         # rule 3
    d = child("defer", "城关镇", "西街社区", "缓学", age=6)                             # rule 4
    e1 = child("school1", "城关镇", "西街社区", "在校", age=8)                          # rule 5
    e2 = child("school2", "城关镇", "东风村", "在校", age=7, male=False)
    f = child("away", "城关镇", "西街社区", "县外就读", age=12)                          # rule 6
    g = child("verified_away", "城关镇", "东风村", "县外就读", age=10)                   # rule 7
    h = child("died", "城关镇", "东风村", "不计入", age=9)                               # rule 7 → 不计入
    i = child("hidden", "城关镇", "东风村", "待核查", age=10, group="二组")               # rule 8 (H003)
    j = child("verified_dropout", "城关镇", "西街社区", "失学辍学", age=14)              # rule 7 + H005
    k = child("superseded", "河口乡", "河口村", "失学辍学", age=13)                      # verified, then the school opened it
    l = child("bad_id", "城关镇", "东风村", "待核查", age=10,
              pid=bad_checksum(person_id(900, 10)))                                       # F005, 身份证号有误
    n = child("key_hidden", "城关镇", "东风村", "待核查", age=8, key_group="脱贫户")    # H006
    o = child("too_old", "城关镇", "东风村", None, age=16)                               # not school-age
    p = child("transferred", "河口乡", "河口村", "待核查", age=12)                       # 学籍已转出
    q = child("away_no_area", "河口乡", "河口村", "县外就读", age=11)                    # rule 7 + H004
    r = child("renamed", "河口乡", "河口村", "在校", age=13)                             # H002
    s = child("other_result", "河口乡", "河口村", "待核查", age=12)                      # 核查结果 其他 → rule 8
    t = child("in_county_no_xueji", "河口乡", "河口村", "在校", age=14)                  # 县内就读 → 在校 + H004

    # ---- the school books: S1 (城关小学, primary), S2 (河口中学, junior)
    c1 = cover(S1, "城关小学", "城关镇", MONTH, urban="城区", enrol=0, school_type="小学")
    c2 = cover(S2, "河口中学", "河口乡", MONTH, urban="乡村", enrol=0, school_type="初中")
    found = dt.date(2026, 9, 5)
    s1_rows = {"休学": [leave(b.key, b.name, "三年级", dt.date(2026, 9, 1))],
               "送教上门": [home_row(c.key, c.name, "五年级")],
               "缓学": [defer_row(d.key, d.name)]}
    s2_rows = {"辍学": [dropout(a.key, a.name, "七年级", found, 脱贫家庭或监测户="否"),
                        dropout(k.key, k.name, "七年级", found)]}
    # 学籍名单: (label or None, school, grade, status, name override)
    xueji_rows = [("dropout", S2, "七年级", "在籍", None), ("home", S1, "五年级", "在籍", None),
                  ("school1", S1, "二年级", "", None), ("school2", S1, "一年级", "在籍", None),
                  ("renamed", S2, "七年级", "在籍", "改名字"), ("transferred", S2, "六年级", "已转出", None),
                  ("leave", S1, "三年级", "休学", None)]
    # S1: 二年级 1 + 一年级 1 + 五年级 1 (送教 counted in 在校生数) + 三年级 休学 1 → cover 一 1, 二 1, 五 1
    c1.update({"一年级在校生数": 1, "二年级在校生数": 1, "五年级在校生数": 1})
    # S2: 七年级 有籍 dropout + renamed + 1 outsider = 3; the book: 在校 1 + open 辍学 2 (a, k) = 3 … but k is not in
    # 学籍名单, so H008 passes for 七年级 only with 在校 1; 八年级 is planted to fail: 2 有籍, cover says 1
    c2.update({"七年级在校生数": 1, "八年级在校生数": 1})
    outsiders = [person_id(next(seq), 13, area="520102"), person_id(next(seq), 14, area="520102"),
                 person_id(next(seq), 14, area="520102")]
    stamp(write_book(inbox / "城关镇" / f"{S1}_{MONTH}.xlsx", c1, s1_rows))
    stamp(write_book(inbox / "河口乡" / f"{S2}_{MONTH}.xlsx", c2, s2_rows))

    header_x = ["学校标识码", "学校名称", "姓名", "性别", "身份证件号", "全国学籍号", "年级", "班级", "学籍状态"]
    xrows = []
    for label, code, grade, status, rename in xueji_rows:
        x = ch[label]
        xrows.append([code, dict((s[0], s[1]) for s in SCHOOLS)[code], rename or x.name, x.sex, x.key, "G" + x.key,
                      grade, "1班", status])
    xrows += [[S2, "河口中学", "外县生甲", "男", outsiders[0], "G" + outsiders[0], "七年级", "1班", "在籍"],
              [S2, "河口中学", "外县生乙", "男", outsiders[1], "G" + outsiders[1], "八年级", "1班", "在籍"],
              [S2, "河口中学", "外县生丙", "男", outsiders[2], "G" + outsiders[2], "八年级", "1班", "在籍"],
              ["4310219999", "不在名录学校", "名录外生", "男", person_id(next(seq), 9), "", "三年级", "", "在籍"]]
    xueji = write_list(root / "名单" / "学籍名单.xlsx", header_x, xrows, title="学籍系统导出（2026年9月）")

    # ---- 户籍名单: two files, messy headers (aliases, spaces, full-width brackets), a title and a note row
    header_a = ["序号", "姓 名", "性别", "公民身份号码", "出生日期", "乡镇（街道）", "村（社区）", "村小组", "户主", "监护人电话"]
    header_b = ["姓名", "性别", "身份证号码", "所属乡镇", "村居", "组"]
    rows_a, rows_b = [], []
    for label, x in ch.items():
        if x.township == "城关镇":
            rows_a.append([len(rows_a) + 1, x.name, x.sex, x.key, None, x.township, x.village, x.group, "户主" + x.name[0],
                           "13800001111"])
        else:
            rows_b.append([x.name, x.sex, x.key, x.township, x.village, x.group])
    rows_a.append([len(rows_a) + 1, ch["school1"].name, ch["school1"].sex, ch["school1"].key, None, "城关镇", "西街社区",
                   "一组", "户主", ""])                                    # H001: a repeated row
    hh_a = write_list(root / "名单" / "户籍名单_城关镇.xlsx", header_a, rows_a, title="城关镇适龄儿童户籍名单",
                      note="来源：派出所 2026-08")
    hh_b = write_list(root / "名单" / "户籍名单_河口乡.xlsx", header_b, rows_b, sheet="河口乡", before=["封面说明"])

    elsewhere = write_list(root / "名单" / "异地就读名单.xlsx", ["姓名", "身份证号", "就读学校", "就读地", "证明日期"],
                           [[f.name, f.key, "深圳市宝安区实验学校", "广东省深圳市", "2026-09-01"]])
    groups = [[x.key, x.name, x.key_group] for x in ch.values() if x.key_group]
    key_groups = [write_list(root / "名单" / "重点人群名单.xlsx", ["身份证号", "姓名", "类别"], groups)]

    # ---- returned 核查清单 (a sub-folder, any file name)
    returns = root / "回收"
    header_r = [c.name for c in model.CHECKLIST.columns]

    def ret(x: Child, result: str, date: str, **kw) -> list:
        row = {c: None for c in header_r}
        row.update({"姓名": x.name, "身份证号": x.key, "户籍乡镇": x.township, "户籍村(社区)": x.village,
                    "核查结果": result, "核查人": "王干部", "核查日期": date})
        row.update(kw)
        return [row[c] for c in header_r]

    write_list(returns / "城关镇" / "核查清单_城关镇_交回.xlsx", header_r, [
        ret(g, "县外就读已核实", "2026-09-20", 就读学校="昆明市第一小学", 就读地区="云南省昆明市", 证明材料="有"),
        ret(h, "死亡", "2026-09-21", 证明材料="有"),
        ret(j, "失学辍学", "2026-09-22"),
        ret(i, "", "2026-09-22"),                 # no 核查结果: not a return
    ], title="适龄儿童入户核查清单", note="内部资料")
    write_list(returns / "河口乡" / "a.xlsx", header_r, [
        ret(k, "失学辍学", "2026-09-10"),
        ret(q, "县外就读已核实", "2026-09-12", 就读学校="贵阳市某中学"),
        ret(s, "其他", "2026-09-12"),
        ret(t, "县内就读", "2026-09-12", 就读学校="河口中学"),
    ], title="核查清单", note="内部资料")
    c_out = County(root, inbox, reg, [hh_a, hh_b], xueji, elsewhere, key_groups, returns, ch, outside=4)
    return c_out
