"""A synthetic county for demos, tests and benchmarks: realistic school workbooks, deterministic by seed.

``generate_county(out_dir, ...)`` plans every school's cases over the months first (one timeline per child: found,
reported, persuasion contacts, the legal steps, an outcome), then writes one workbook per school and month from the state
of those timelines at each month end, through ``baoxue.fill`` — exactly what a careful clerk would have typed:

- 辍学: open cases carry forward, closed ones appear in the month they close (复学日期 / 销号日期) and then leave;
- 休学 / 缓学: approved applications with their dates; some overrun their planned return / deferral end (C005 / C006);
- 送教上门 roster + 送教记录 (cumulative over the school year: mostly ≥ 2 visits of ≥ 2 class hours by 2 teachers
  incl. a male one, sometimes not — warnings T001–T004);
- 劝返记录 (cumulative): every persuasion contact of the cases on the books;
- some zero-report schools (no cases at all, 零报告 = 是).

With ``mistakes=True`` a few school-months get typical clerk mistakes, each recorded in ``DemoCounty.mistakes`` with its
(school, month, sheet, row, column, rule); ``rule is None`` marks messy-but-valid input (an odd date format, full-width
digits) that must *not* produce an error. ``DemoCounty.books`` holds the ground truth: the cover and rows written for
every school and month, so tests compute expected figures without the reader.
"""
from __future__ import annotations

import datetime as dt
import random
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import idcard, model
from .atomic import atomic_save
from .fill import TemplateCopier, fill_rows, write_school_workbook
from .months import month_end, month_start, next_month, school_year_of
from .policy import load_policy
from .rollup import report_name, run_rollup, write_report
from .rollup.rules import CHINA
from .submit import submit_files
from .template import FIRST_INPUT_ROW, build_register_workbook

COUNTY_AREA = "360721"   # a well-formed 6-digit area code for the synthetic county's ID numbers
COUNTY_CODE_PREFIX = "36"

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
            "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN_BOY = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欣博文轩航晨睿泽子豪"
GIVEN_GIRL = "芳娜敏静丽艳娟霞秀玲桂英红梅琳雪倩婷慧颖佳琪欣怡雨萱思涵梓悦晓诗瑶可馨"
TOWNSHIPS = ("青石镇", "柳河乡", "白马镇", "东岗乡", "龙泉镇", "桃源乡", "沙坪镇", "石门乡", "枫林镇", "黄土岭乡",
             "清水镇", "高桥乡", "新田镇", "杉木乡", "大坝镇", "茶园乡")
VILLAGE_STEMS = ("河口", "杨家", "坪上", "竹山", "岭头", "水井", "花园", "下湾", "新屋", "长冲", "田心", "松林", "塘边",
                 "洞口", "庙前", "沙洲", "上寨", "石桥", "凤凰", "中心")
ETHNIC = ("汉族",) * 18 + ("苗族", "土家族")
REASONS = ("厌学或学习困难",) * 5 + ("家庭经济困难", "外出务工", "外出务工", "家庭变故或监护缺失", "身体疾病",
                                  "早婚早育", "路途遥远", "其他")
PERSUASION_WAYS = ("入户走访",) * 4 + ("电话", "电话", "书面通知", "约谈")
DISABILITY = ("智力残疾", "肢体残疾", "多重残疾", "精神残疾", "视力残疾", "听力残疾", "言语残疾")
TEACH_CONTENT = ("生活适应", "沟通与交往", "康复训练", "语文识字", "数学认知", "运动与保健", "绘画手工")
TRANSFER_NOTES = ("已转入本县实验学校就读，学籍已转出", "随父母迁居，已在邻县第二中学就读并核实学籍")
PROVINCE_NOTES = ("在广东省东莞市务工子弟学校就读，已电话核实并取得在读证明", "在浙江省义乌市就读，学校出具在读证明")
UNKNOWN_NOTES = ("多次入户未见到本人，村委会出具情况说明，已报乡镇政府", "监护人外出务工联系不上，已书面报告派出所和乡镇政府")


# ============================================================================================== data classes
@dataclass(frozen=True)
class School:
    code: str
    name: str
    township: str
    kind: str                         # 学校类型
    urban: str                        # 城乡类别
    grades: tuple[int, ...]
    enrolment: dict[int, int]         # grade number -> pupils
    villages: tuple[str, ...]
    zero_report: bool                 # a school with no cases at all

    @property
    def file_name(self) -> str:
        return f"{self.code}_{self.name}.xlsx"

    def register_row(self) -> dict[str, Any]:
        return {"学校标识码": self.code, "学校名称": self.name, "所属乡镇": self.township,
                "学校类型": self.kind, "城乡类别": self.urban}


@dataclass(frozen=True)
class Mistake:
    """A planted clerk mistake. ``rule`` is the finding expected at (sheet, row, column); None = must not be an error."""
    school: str
    month: str
    sheet: str
    row: int
    column: str
    rule: str | None
    kind: str                         # wrong_check_digit, missing_required, id_as_number, odd_date, full_width
    value: Any = None


@dataclass
class SchoolMonth:
    school: School
    month: str
    cover: dict[str, Any]
    rows: dict[str, list[dict[str, Any]]]
    path: Path | None = None


@dataclass
class DemoCounty:
    out_dir: Path
    schools: list[School]
    months: tuple[str, ...]
    books: dict[tuple[str, str], SchoolMonth] = field(default_factory=dict)   # (school code, month) -> ground truth
    mistakes: list[Mistake] = field(default_factory=list)
    register_path: Path | None = None
    seed: int = 0

    def book(self, code: str, month: str) -> SchoolMonth:
        return self.books[(code, month)]

    def files(self, month: str | None = None) -> list[Path]:
        return [b.path for (c, m), b in sorted(self.books.items()) if b.path and (month is None or m == month)]

    def mistakes_in(self, code: str, month: str) -> list[Mistake]:
        return [m for m in self.mistakes if m.school == code and m.month == month]

    @property
    def townships(self) -> list[str]:
        return list(dict.fromkeys(s.township for s in self.schools))


# ============================================================================================== people
class People:
    """Names, ID numbers (unique in the county), phones — all from one seeded RNG."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.seq = 0
        self.ids: set[str] = set()

    def name(self, male: bool, surname: str | None = None) -> str:
        chars = GIVEN_BOY if male else GIVEN_GIRL
        given = "".join(self.rng.choice(chars) for _ in range(self.rng.choice((1, 2, 2))))
        return (surname or self.rng.choice(SURNAMES)) + given

    def teacher(self, male: bool | None = None) -> str:
        return self.name(self.rng.random() < 0.5 if male is None else male)

    def phone(self) -> str:
        return "1" + self.rng.choice("35789") + "".join(str(self.rng.randrange(10)) for _ in range(9))

    def birth_for_grade(self, grade: int, year_start: int) -> dt.date:
        """Age on 31 August of the school year ≈ grade + 5 (a few a year older)."""
        age = grade + 5 + (1 if self.rng.random() < 0.12 else 0)
        lo = dt.date(year_start - age - 1, 9, 1)
        return lo + dt.timedelta(days=self.rng.randrange(365))

    def child(self, grade: int | None, year_start: int, birth: dt.date | None = None) -> dict[str, Any]:
        male = self.rng.random() < 0.55
        birth = birth or self.birth_for_grade(grade, year_start)
        while True:
            self.seq += 1
            pid = idcard.make(COUNTY_AREA, birth, self.seq, male)
            if pid not in self.ids:
                self.ids.add(pid)
                break
            birth += dt.timedelta(days=1)
        surname = self.rng.choice(SURNAMES)
        guardian_male = self.rng.random() < 0.6
        return {"姓名": self.name(male, surname), "性别": "男" if male else "女", "身份证号": pid,
                "出生日期": birth, "监护人姓名": self.name(guardian_male, surname if guardian_male else None),
                "监护人电话": self.phone()}


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def last_workday(day: dt.date) -> dt.date:
    while day.weekday() > 4:
        day -= dt.timedelta(days=1)
    return day


# ============================================================================================== plans (timelines)
@dataclass
class Case:
    child: dict[str, Any]
    grade: int
    klass: str
    village: str
    kind: str
    reason: str
    flags: dict[str, str]
    keeper: str
    found: dt.date
    reported: dt.date
    contacts: list[tuple[dt.date, str, str, str]]        # (date, way, who, result)
    notice: dt.date | None = None
    penalty: dt.date | None = None
    court: dt.date | None = None
    outcome: str | None = None          # closing status, or 去向不明
    outcome_date: dt.date | None = None  # 销号日期 (or the day it became 去向不明)
    returned: dt.date | None = None
    whereabouts: str | None = None
    step1_blank: bool = False           # the clerk left 劝返动员日期 for `update` to fill from the log

    def visible(self, start: dt.date, end: dt.date) -> bool:
        if self.reported > end:       # on the books from the day it was reported
            return False
        closed = self.outcome in model.DROPOUT_CLOSING_STATUSES and self.outcome_date is not None
        return not (closed and self.outcome_date < start)

    def row(self, end: dt.date, township: str) -> dict[str, Any]:
        c = self.child
        shown = lambda d: d if d is not None and d <= end else None  # noqa: E731
        first = self.contacts[0][0] if self.contacts else None
        status = "核查中"
        if first is not None and first <= end:
            status = "劝返中"
        closing = self.outcome in model.DROPOUT_CLOSING_STATUSES
        if self.outcome and self.outcome_date and self.outcome_date <= end:
            status = self.outcome
        row = {
            "姓名": c["姓名"], "性别": c["性别"], "民族": c["民族"], "身份证号": c["身份证号"],
            "学籍号": "G" + c["身份证号"], "出生日期": c["出生日期"] if c.get("写出生日期", True) else None,
            "年级": model.GRADES[self.grade - 1], "班级": self.klass, "户籍乡镇": township,
            "户籍村(社区)": self.village, "监护人姓名": c["监护人姓名"], "监护人电话": c["监护人电话"],
            "类型": self.kind, "发现日期": self.found, "上报日期": self.reported, "辍学原因": self.reason,
            **self.flags, "包保责任人": self.keeper,
            "劝返动员日期": None if self.step1_blank and shown(self.notice) is None else shown(first),
            "限期复学通知日期": shown(self.notice), "行政处罚日期": shown(self.penalty), "司法程序日期": shown(self.court),
            "状态": status,
        }
        if status == "已复学":
            row["复学日期"] = self.returned
        if closing and status == self.outcome:
            row["销号日期"] = self.outcome_date
        if status in model.NEEDS_WHEREABOUTS:
            row["去向说明"] = self.whereabouts
        return row

    def log_rows(self, start_of_year: dt.date, end: dt.date) -> list[dict[str, Any]]:
        return [{"身份证号": self.child["身份证号"], "姓名": self.child["姓名"], "劝返日期": d, "劝返方式": way,
                 "劝返人员": who, "劝返结果": result}
                for d, way, who, result in self.contacts if start_of_year <= d <= end]


@dataclass
class Leave:
    child: dict[str, Any]
    grade: int
    klass: str
    reason: str
    applied: dt.date
    approved: dt.date
    start: dt.date
    planned_return: dt.date
    actual_return: dt.date | None

    def visible(self, start: dt.date, end: dt.date) -> bool:
        if self.start > end:
            return False
        return not (self.actual_return is not None and self.actual_return < start)

    def row(self, end: dt.date) -> dict[str, Any]:
        c = self.child
        back = self.actual_return if self.actual_return and self.actual_return <= end else None
        return {"姓名": c["姓名"], "性别": c["性别"], "身份证号": c["身份证号"], "学籍号": "G" + c["身份证号"],
                "出生日期": c["出生日期"], "年级": model.GRADES[self.grade - 1], "班级": self.klass,
                "休学原因": self.reason, "申请日期": self.applied, "批准日期": self.approved,
                "休学起始日期": self.start, "预计复学日期": self.planned_return, "实际复学日期": back,
                "证明材料": "有", "教育局备案": "是", "状态": "已复学" if back else "休学中"}


@dataclass
class Deferral:
    child: dict[str, Any]
    village: str
    reason: str
    applied: dt.date
    approved: dt.date
    authority: str
    start: dt.date
    until: dt.date
    entered: dt.date | None
    disabled: bool
    poor: bool

    def visible(self, start: dt.date, end: dt.date) -> bool:
        if self.start > end:
            return False
        return not (self.entered is not None and self.entered < start)

    def row(self, end: dt.date, township: str) -> dict[str, Any]:
        c = self.child
        entered = self.entered if self.entered and self.entered <= end else None
        return {"姓名": c["姓名"], "性别": c["性别"], "身份证号": c["身份证号"], "出生日期": c["出生日期"],
                "户籍乡镇": township, "户籍村(社区)": self.village, "监护人姓名": c["监护人姓名"],
                "监护人电话": c["监护人电话"], "缓学原因": self.reason, "申请日期": self.applied,
                "批准日期": self.approved, "批准机关": self.authority, "缓学起始日期": self.start,
                "缓学截止日期": self.until, "证明材料": "有", "残疾": "是" if self.disabled else "否",
                "脱贫家庭或监测户": "是" if self.poor else "否", "状态": "已入学" if entered else "缓学中",
                "入学日期": entered}


@dataclass
class HomeChild:
    child: dict[str, Any]
    grade: int
    village: str
    category: str
    level: str
    agreement: dt.date
    plan: dt.date
    teachers: tuple[str, str]           # (male, female)
    lead: str
    visits: list[dict[str, Any]] = field(default_factory=list)   # every visit of the school year

    def row(self, township: str) -> dict[str, Any]:
        c = self.child
        cert = c["身份证号"] + str(DISABILITY.index(self.category) + 1) + str(model.CODE_LISTS["残疾等级"].index(self.level) + 1)
        return {"姓名": c["姓名"], "性别": c["性别"], "身份证号": c["身份证号"], "学籍号": "G" + c["身份证号"],
                "出生日期": c["出生日期"], "年级": model.GRADES[self.grade - 1], "残疾类别": self.category,
                "残疾等级": self.level, "残疾证号": cert, "户籍乡镇": township, "户籍村(社区)": self.village,
                "监护人姓名": c["监护人姓名"], "监护人电话": c["监护人电话"], "送教协议日期": self.agreement,
                "个别化教育计划日期": self.plan, "负责教师": self.lead, "状态": "送教中"}


@dataclass
class SchoolPlan:
    school: School
    clerk: str
    clerk_phone: str
    head: str
    cases: list[Case] = field(default_factory=list)
    leaves: list[Leave] = field(default_factory=list)
    deferrals: list[Deferral] = field(default_factory=list)
    home: list[HomeChild] = field(default_factory=list)


# ============================================================================================== planning
def _make_schools(rng: random.Random, townships: int, per_township: int) -> list[School]:
    schools = []
    names = list(TOWNSHIPS)
    for t in range(townships):
        town = names[t] if t < len(names) else f"{rng.choice(VILLAGE_STEMS)}{t + 1}乡"
        stem = town[:-1] if town.endswith(("镇", "乡")) else town
        stems = rng.sample(VILLAGE_STEMS, k=min(len(VILLAGE_STEMS), 6 + per_township))
        villages = tuple(f"{s}村" for s in stems[:5]) + (f"{stem}社区",)
        used: set[str] = set()
        for s in range(per_township):
            code = f"{COUNTY_CODE_PREFIX}{(t + 1):03d}{(s + 1):05d}"
            urban = "城区" if t == 0 and s < 2 else ("镇区" if s < 2 else "乡村")
            if s == 0:
                name, kind, grades = f"{stem}中心小学", "小学", tuple(range(1, 7))
            elif s == 1:
                name, kind, grades = f"{stem}中学", "初中", (7, 8, 9)
            elif s % 5 == 2:
                name, kind, grades = f"{stem}九年一贯制学校", "九年一贯制学校", tuple(range(1, 10))
            elif s % 7 == 6:
                name, kind, grades = f"{stem}{stems[s % len(stems)]}教学点", "教学点", (1, 2, 3)
            else:
                name, kind, grades = f"{stem}{stems[s % len(stems)]}小学", "小学", tuple(range(1, 7))
            base, k = name, 2
            while name in used:
                name, k = f"{base}（{k}）", k + 1
            used.add(name)
            size = {"城区": 3.0, "镇区": 1.8, "乡村": 0.8}[urban]
            enrolment = {g: int(rng.randint(25, 60) * size * (1.3 if g >= 7 else 1.0)) for g in grades}
            schools.append(School(code, name, town, kind, urban, grades, enrolment,
                                  villages, zero_report=(s % 4 == 3)))
    return schools


def _plan_case(rng: random.Random, people: People, school: School, found: dt.date, year_start: int) -> Case:
    """One child's case: found, reported, persuasion contacts, maybe the legal steps, an outcome (or none yet)."""
    grade = rng.choice([g for g in school.grades for _ in range(3 if g in (6, 8, 9) else 1)])  # key grades 6, 8, 9
    child = people.child(grade, year_start)
    child["民族"] = rng.choice(ETHNIC)
    child["写出生日期"] = rng.random() < 0.85
    r = rng.random()
    reported = found if r < 0.8 else found + dt.timedelta(days=1 if r < 0.95 else 3)
    keeper = people.teacher()
    contacts: list[tuple[dt.date, str, str, str]] = []
    day = found + dt.timedelta(days=rng.randint(0, 5))
    for _ in range(rng.randint(1, 4)):
        contacts.append((day, rng.choice(PERSUASION_WAYS), f"{keeper}、{people.teacher()}", "未见到本人"))
        day += dt.timedelta(days=rng.randint(3, 10))
    first = contacts[0][0]
    case = Case(child=child, grade=grade, klass=f"{grade}（{rng.randint(1, 4)}）班", village=rng.choice(school.villages),
                kind="疑似辍学" if rng.random() < 0.7 else "辍学", reason=rng.choice(REASONS),
                flags={"脱贫家庭或监测户": "是" if rng.random() < 0.25 else "否",
                       "残疾": "是" if rng.random() < 0.05 else "否",
                       "留守儿童": "是" if rng.random() < 0.35 else "否",
                       "随迁子女": "是" if rng.random() < 0.08 else "否"},
                keeper=keeper, found=found, reported=reported, contacts=contacts,
                step1_blank=rng.random() < 0.1)
    u = rng.random()
    if u < 0.42:                                       # persuaded back
        case.returned = contacts[-1][0] + dt.timedelta(days=rng.randint(1, 20))
        case.outcome, case.outcome_date = "已复学", case.returned + dt.timedelta(days=rng.randint(0, 3))
    elif u < 0.52:
        case.outcome, case.outcome_date = "转学就读", contacts[-1][0] + dt.timedelta(days=rng.randint(3, 25))
        case.whereabouts = rng.choice(TRANSFER_NOTES)
    elif u < 0.57:
        case.outcome, case.outcome_date = "省外就读已核实", contacts[-1][0] + dt.timedelta(days=rng.randint(5, 30))
        case.whereabouts = rng.choice(PROVINCE_NOTES)
    elif u < 0.75:                                     # the legal steps
        case.notice = contacts[-1][0] + dt.timedelta(days=rng.randint(3, 12))
        v = rng.random()
        if v < 0.45:
            case.returned = case.notice + dt.timedelta(days=rng.randint(2, 6))
            case.outcome, case.outcome_date = "已复学", case.returned
        else:
            case.penalty = case.notice + dt.timedelta(days=rng.randint(7, 25))   # sometimes late (C003 meanwhile)
            if rng.random() < 0.3:
                case.court = case.penalty + dt.timedelta(days=rng.randint(15, 30))
            if rng.random() < 0.4:
                case.returned = case.penalty + dt.timedelta(days=rng.randint(3, 15))
                case.outcome, case.outcome_date = "已复学", case.returned
    elif u < 0.85:
        case.outcome, case.outcome_date = "去向不明", first + dt.timedelta(days=rng.randint(5, 15))
        case.whereabouts = rng.choice(UNKNOWN_NOTES)
    # else: still being persuaded at the end of the horizon
    results = []
    for i, (d, way, who, _r) in enumerate(case.contacts):
        last = i == len(case.contacts) - 1
        if case.outcome == "已复学" and last:
            result = "同意返校"
        elif case.outcome == "去向不明":
            result = "未见到本人"
        else:
            result = rng.choice(("拒绝", "拒绝", "未见到本人", "其他"))
        results.append((d, way, who, result))
    case.contacts = results
    # contacts stop once a case is closed
    if case.outcome_date and case.outcome in model.DROPOUT_CLOSING_STATUSES:
        case.contacts = [c for c in case.contacts if c[0] <= case.outcome_date]
    return case


def _plan_school(rng: random.Random, people: People, school: School, months: tuple[str, ...]) -> SchoolPlan:
    plan = SchoolPlan(school, clerk=people.teacher(), clerk_phone=people.phone(), head=people.teacher())
    first, last = month_start(months[0]), month_end(months[-1])
    year_start = school_year_of(months[0])
    junior = any(g >= 7 for g in school.grades)
    if not school.zero_report:
        # a few cases carried from before the first month, then new ones month by month
        for _ in range(rng.choice((0, 0, 1, 1, 2)) if junior else rng.choice((0, 0, 0, 1))):
            found = _day(rng, first - dt.timedelta(days=100), first - dt.timedelta(days=20))
            case = _plan_case(rng, people, school, found, year_start)
            if case.outcome in model.DROPOUT_CLOSING_STATUSES and case.outcome_date and case.outcome_date < first:
                case.outcome = None   # still open when the demo starts
                case.outcome_date = case.returned = None
                case.whereabouts = None
            plan.cases.append(case)
        for m in months:
            start, end = month_start(m), month_end(m)
            rate = 1.2 if junior else 0.5
            n = sum(1 for _ in range(4) if rng.random() < rate / 4)
            for _ in range(n):
                plan.cases.append(_plan_case(rng, people, school, _day(rng, start, end), year_start))
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        plan.leaves.append(_plan_leave(rng, people, school, first, last, year_start))
    if 1 in school.grades:      # 缓学: children of entry age, schools with a first grade
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            plan.deferrals.append(_plan_deferral(rng, people, school, year_start))
    for _ in range(rng.choice((0, 0, 1, 1, 2)) if school.kind != "教学点" else 0):
        plan.home.append(_plan_home(rng, people, school, months, year_start))
    return plan


def _plan_leave(rng: random.Random, people: People, school: School, first: dt.date, last: dt.date,
                year_start: int) -> Leave:
    """休学: applied, approved, started; back on time, late (C005 meanwhile) or not yet."""
    grade = rng.choice(school.grades)
    child = people.child(grade, year_start)
    start = _day(rng, first - dt.timedelta(days=90), last - dt.timedelta(days=10))
    approved = start - dt.timedelta(days=rng.randint(0, 5))
    applied = approved - dt.timedelta(days=rng.randint(2, 10))
    months_away = rng.choice((1, 2, 3, 6, 12))
    planned = start + dt.timedelta(days=30 * months_away)
    actual = None
    if rng.random() < 0.35:
        actual = planned + dt.timedelta(days=rng.randint(-5, 3))
    return Leave(child, grade, f"{grade}（{rng.randint(1, 3)}）班", rng.choice(model.CODE_LISTS["休学原因"]),
                 applied, approved, start, planned, actual)


def _plan_deferral(rng: random.Random, people: People, school: School, year_start: int) -> Deferral:
    """缓学 of a six-year-old, approved in August for the school year (some only until October: C006 if not entered)."""
    birth = dt.date(year_start - 7, 9, 1) + dt.timedelta(days=rng.randrange(365))   # 6 on 31 August
    child = people.child(None, year_start, birth=birth)
    reason = rng.choice(model.CODE_LISTS["缓学原因"])
    approved = dt.date(year_start, 8, rng.randint(10, 28))
    applied = approved - dt.timedelta(days=rng.randint(3, 15))
    short = rng.random() < 0.35
    until = dt.date(year_start, 10, 31) if short else dt.date(year_start + 1, 8, 31)
    entered = None
    if short and rng.random() < 0.5:
        entered = dt.date(year_start, 10, rng.randint(20, 31))
    return Deferral(child, rng.choice(school.villages), reason, applied, approved,
                    rng.choice(model.CODE_LISTS["批准机关"]), dt.date(year_start, 9, 1), until,
                    entered, reason == "残疾", rng.random() < 0.3)


def _plan_home(rng: random.Random, people: People, school: School, months: tuple[str, ...],
               year_start: int) -> HomeChild:
    """A home-taught child and every visit of the months: mostly 2 visits of 2 hours by a male and a female teacher."""
    grade = rng.choice(school.grades)
    child = people.child(grade, year_start)
    male_teacher, female_teacher = people.teacher(male=True), people.teacher(male=False)
    h = HomeChild(child, grade, rng.choice(school.villages), rng.choice(DISABILITY),
                  rng.choice(model.CODE_LISTS["残疾等级"]), dt.date(year_start, 9, rng.randint(1, 6)),
                  dt.date(year_start, 9, rng.randint(6, 12)), (male_teacher, female_teacher), female_teacher)
    for m in months:
        start, end = month_start(m), month_end(m)
        n = rng.choices((1, 2, 3, 4), weights=(12, 70, 12, 6))[0]
        days = sorted(rng.sample(range(start.day, end.day + 1), n))
        for d in days:
            hours = rng.choices((2, 3, 1.5, 1), weights=(80, 8, 8, 4))[0]
            alone = rng.random() < 0.05
            no_male = not alone and rng.random() < 0.05
            teachers = (female_teacher,) if alone else ((female_teacher, people.teacher(male=False)) if no_male
                                                        else (male_teacher, female_teacher))
            h.visits.append({"身份证号": child["身份证号"], "姓名": child["姓名"],
                             "送教日期": dt.date(start.year, start.month, d), "课时": hours,
                             "送教教师": "、".join(teachers), "同行人数": len(teachers),
                             "有男教师": "是" if male_teacher in teachers else "否",
                             "送教内容": rng.choice(TEACH_CONTENT), "家长签字": "是"})
    return h


def month_rows(plan: SchoolPlan, month: str) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The cover and rows a careful clerk writes for ``month`` from the school's timelines."""
    school = plan.school
    start, end = month_start(month), month_end(month)
    year_start = dt.date(school_year_of(month), 9, 1)
    cases = [c for c in plan.cases if c.visible(start, end)]
    dropout = [c.row(end, school.township) for c in cases]
    persuasion = sorted((r for c in cases for r in c.log_rows(year_start, end)), key=lambda r: r["劝返日期"])
    leave = [x.row(end) for x in plan.leaves if x.visible(start, end)]
    defer = [x.row(end, school.township) for x in plan.deferrals if x.visible(start, end)]
    home = [h.row(school.township) for h in plan.home]
    visits = sorted((v for h in plan.home for v in h.visits if year_start <= v["送教日期"] <= end),
                    key=lambda v: v["送教日期"])
    rows = {model.DROPOUT.name: dropout, model.LEAVE.name: leave, model.DEFER.name: defer, model.HOME.name: home,
            model.VISITS.name: visits, model.PERSUASION.name: persuasion}
    for sheet_rows in rows.values():
        for i, r in enumerate(sheet_rows, start=1):
            r["序号"] = i
    has_cases = any(r["状态"] in model.DROPOUT_OPEN_STATUSES or (start <= r["发现日期"] <= end) for r in dropout)
    cover = {"学校标识码": school.code, "学校名称": school.name, "所属乡镇": school.township,
             "学校类型": school.kind, "城乡类别": school.urban, "报送月份": month,
             **{f"{model.GRADES[g - 1]}在校生数": n for g, n in school.enrolment.items()},
             "零报告": "否" if has_cases else "是", "填报人": plan.clerk, "联系电话": plan.clerk_phone,
             "审核人": plan.head, "填报日期": last_workday(end),
             "模板版本": model.TEMPLATE_VERSION}
    return cover, rows


# ============================================================================================== mistakes
MISTAKE_KINDS = ("wrong_check_digit", "missing_required", "odd_date", "full_width", "id_as_number")
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def plant_mistake(rng: random.Random, code: str, month: str, rows: dict[str, list[dict]], kind: str,
                  touched: set[tuple[str, int]] | None = None) -> Mistake | None:
    """Change one value the way clerks get it wrong; return what was planted (None when no suitable row).
    ``touched`` holds the (sheet, index) rows already changed in this book; they are avoided and the new one added."""
    touched = touched if touched is not None else set()

    logged = {r.get("身份证号") for s in (model.VISITS.name, model.PERSUASION.name) for r in rows.get(s, [])}

    def pick(*sheets: str, unlinked: bool = False):
        """A row not yet touched; ``unlinked``: whose ID is in no log (a mistyped ID there would add P001/T005)."""
        choices = [(s, i) for s in sheets for i in range(len(rows.get(s, [])))
                   if (s, i) not in touched and isinstance(rows[s][i].get("身份证号"), str)
                   and not (unlinked and rows[s][i]["身份证号"] in logged)]
        if not choices:
            return None
        at = rng.choice(choices)
        touched.add(at)
        return at

    if kind == "wrong_check_digit":
        at = pick(model.LEAVE.name, model.DEFER.name, model.DROPOUT.name, model.HOME.name, unlinked=True)
        if at is None:
            return None
        sheet, i = at
        old = rows[sheet][i]["身份证号"]
        wrong = old[:17] + next(c for c in "0123456789X" if c != old[17] and c != idcard.check_digit(old[:17]))
        rows[sheet][i]["身份证号"] = wrong
        if "学籍号" in rows[sheet][i]:   # the 学籍号 copied from the same (mistyped) ID: one mistake, one finding
            rows[sheet][i]["学籍号"] = "G" + wrong
        return Mistake(code, month, sheet, FIRST_INPUT_ROW + i, "身份证号", "F005", kind, wrong)
    if kind == "id_as_number":
        at = pick(model.LEAVE.name, model.DEFER.name)
        if at is None:
            return None
        sheet, i = at
        old = rows[sheet][i]["身份证号"]
        as_number = int(old[:15]) * 1000   # what Excel keeps of an 18-digit number: 15 significant digits
        rows[sheet][i]["身份证号"] = as_number
        return Mistake(code, month, sheet, FIRST_INPUT_ROW + i, "身份证号", "F004", kind, as_number)
    if kind == "missing_required":
        at = pick(model.DROPOUT.name, model.LEAVE.name, model.DEFER.name)
        if at is None:
            return None
        sheet, i = at
        column = {model.DROPOUT.name: "包保责任人", model.LEAVE.name: "休学原因", model.DEFER.name: "批准机关"}[sheet]
        rows[sheet][i][column] = None
        return Mistake(code, month, sheet, FIRST_INPUT_ROW + i, column, "F001", kind, None)
    if kind == "odd_date":
        at = pick(model.DROPOUT.name, model.PERSUASION.name, model.VISITS.name, model.LEAVE.name)
        if at is None:
            return None
        sheet, i = at
        column = {model.DROPOUT.name: "发现日期", model.PERSUASION.name: "劝返日期", model.VISITS.name: "送教日期",
                  model.LEAVE.name: "申请日期"}[sheet]
        d = rows[sheet][i][column]
        text = rng.choice((f"{d.year}年{d.month}月{d.day}日", f"{d.year}.{d.month}.{d.day}", f"{d.year}/{d.month}/{d.day}"))
        rows[sheet][i][column] = text
        return Mistake(code, month, sheet, FIRST_INPUT_ROW + i, column, None, kind, text)
    if kind == "full_width":
        at = pick(model.DROPOUT.name, model.LEAVE.name, model.DEFER.name, model.HOME.name)
        if at is None:
            return None
        sheet, i = at
        column = rng.choice(("监护人电话", "身份证号")) if "监护人电话" in rows[sheet][i] else "身份证号"
        old = rows[sheet][i][column]
        if column == "身份证号":
            # typed with full-width digits in one place only: the log rows keep the half-width ID (normalised alike)
            rows[sheet][i][column] = old[:6] + old[6:10].translate(_FULL_WIDTH) + old[10:]
        else:
            rows[sheet][i][column] = old.translate(_FULL_WIDTH)
        return Mistake(code, month, sheet, FIRST_INPUT_ROW + i, column, None, kind, rows[sheet][i][column])
    raise ValueError(kind)


# ============================================================================================== writing
def _write_one(job: tuple[str, dict, dict]) -> str:
    path, cover, rows = job
    write_school_workbook(path, cover, rows, backup=False)
    return path


def write_register(path: str | Path, schools: list[School]) -> Path:
    """学校名录 workbook from the register template, one row per school."""
    wb = build_register_workbook()
    fill_rows(wb[model.REGISTER.name], model.REGISTER, [s.register_row() for s in schools])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_save(wb.save, path, backup=False)
    return path


def plan_county(townships: int = 3, schools_per_township: int = 4,
                months: tuple[str, ...] = ("2026-09", "2026-10", "2026-11"), seed: int = 2026,
                mistakes: bool = True) -> DemoCounty:
    """Every school-month's cover and rows (and the planted mistakes), without writing anything."""
    months = tuple(months)
    rng = random.Random(seed)
    people = People(random.Random(seed + 1))
    schools = _make_schools(rng, townships, schools_per_township)
    county = DemoCounty(Path("."), schools, months, seed=seed)
    plans = [_plan_school(random.Random(f"{seed}-{s.code}"), people, s, months) for s in schools]
    for plan in plans:
        for m in months:
            cover, rows = month_rows(plan, m)
            county.books[(plan.school.code, m)] = SchoolMonth(plan.school, m, cover, rows)
    if mistakes:
        plant_mistakes(county, random.Random(seed + 2))
    return county


def plant_mistakes(county: DemoCounty, rng: random.Random) -> None:
    """Each kind of mistake once or twice, in a few school-months (about one school in four gets some)."""
    candidates = [s for s in county.schools if not s.zero_report]
    if not candidates:
        return
    chosen = rng.sample(candidates, min(len(candidates), max(2, len(county.schools) // 4)))
    months = {s.code: rng.choice(county.months) for s in chosen}
    touched: dict[tuple[str, str], set] = {}
    n_each = 1 if len(county.schools) < 40 else 2
    for kind in MISTAKE_KINDS:
        placed = 0
        order = chosen[:] + [s for s in candidates if s not in chosen]
        rng.shuffle(order)
        order.sort(key=lambda s: s not in chosen)           # the chosen schools first, others only when needed
        for school in order:
            if placed >= n_each:
                break
            month = months.get(school.code) or rng.choice(county.months)
            key = (school.code, month)
            planted = plant_mistake(rng, school.code, month, county.books[key].rows, kind,
                                    touched.setdefault(key, set()))
            if planted is not None:
                county.mistakes.append(planted)
                placed += 1


def generate_county(out_dir: str | Path, townships: int = 3, schools_per_township: int = 4,
                    months: tuple[str, ...] = ("2026-09", "2026-10", "2026-11"), seed: int = 2026,
                    mistakes: bool = True, workers: int = 1) -> DemoCounty:
    """Plan the county and write ``out_dir/<month>/<乡镇>/<学校标识码>_<学校名称>.xlsx`` for every school and month,
    plus ``out_dir/学校名录.xlsx``. ``workers`` > 1 writes files in parallel processes (same files, same content)."""
    out = Path(out_dir)
    county = plan_county(townships, schools_per_township, months, seed, mistakes)
    county.out_dir = out
    jobs = []
    for (code, month), book in sorted(county.books.items()):
        book.path = out / month / book.school.township / book.school.file_name
        book.path.parent.mkdir(parents=True, exist_ok=True)
        jobs.append((str(book.path), book.cover, book.rows))
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            list(pool.map(_write_one, jobs, chunksize=max(1, len(jobs) // (workers * 8))))
    else:
        for job in jobs:
            _write_one(job)
    county.register_path = write_register(out / "学校名录.xlsx", county.schools)
    return county


# ============================================================================================== benchmark helpers
def generate_school_rows(n_rows: int = 5000, month: str = "2026-11", seed: int = 7) -> tuple[dict, dict]:
    """Cover and rows of one big school (about ``n_rows`` data rows over all sheets) for reader/validator benchmarks:
    many persuaded cases, some leaves, deferrals and home-taught children with their logs."""
    rng = random.Random(seed)
    people = People(random.Random(seed + 1))
    start, end = month_start(month), month_end(month)
    school = School(f"{COUNTY_CODE_PREFIX}90000001", "县城第一九年一贯制学校", "城关镇", "九年一贯制学校", "城区",
                    tuple(range(1, 10)), {g: 600 for g in range(1, 10)},
                    tuple(f"{s}社区" for s in VILLAGE_STEMS[:8]), zero_report=False)
    plan = SchoolPlan(school, people.teacher(), people.phone(), people.teacher())
    year_start = dt.date(school_year_of(month), 9, 1)
    rows_so_far = 0
    while rows_so_far < int(n_rows * 0.95):   # the rest: leaves, deferrals, home teaching below
        found = _day(rng, year_start, end)
        case = _plan_case(rng, people, school, found, year_start.year)
        if case.visible(start, end):
            plan.cases.append(case)
            rows_so_far += 1 + len(case.log_rows(year_start, end))
    months = tuple(m for m in _months_between(f"{year_start.year}-09", month))
    for _ in range(max(1, n_rows // 100)):
        plan.leaves.append(_plan_leave(rng, people, school, year_start, end, year_start.year))
        plan.deferrals.append(_plan_deferral(rng, people, school, year_start.year))
    for _ in range(max(1, n_rows // 200)):
        plan.home.append(_plan_home(rng, people, school, months, year_start.year))
    cover, rows = month_rows(plan, month)
    return cover, rows


def _months_between(first: str, last: str) -> list[str]:
    out = [first]
    while out[-1] < last:
        out.append(next_month(out[-1]))
    return out


def write_large_workbook(path: str | Path, n_rows: int = 5000, month: str = "2026-11", seed: int = 7) -> Path:
    cover, rows = generate_school_rows(n_rows, month, seed)
    return write_school_workbook(path, cover, rows, backup=False)


def generate_many_schools(out_dir: str | Path, n_schools: int = 2000, month: str = "2026-09", seed: int = 2026,
                          mistakes: bool = False) -> DemoCounty:
    """A county of ``n_schools`` small school workbooks for one month (roll-up benchmarks), written with
    ``fill.TemplateCopier`` (the template is built once; about 15 ms per file)."""
    per_township = 50
    townships = max(1, -(-n_schools // per_township))
    county = plan_county(townships, per_township, (month,), seed, mistakes)
    keep = {s.code for s in county.schools[:n_schools]}
    county.schools = [s for s in county.schools if s.code in keep]
    county.books = {k: v for k, v in county.books.items() if k[0] in keep}
    county.mistakes = [m for m in county.mistakes if m.school in keep]
    out = Path(out_dir)
    county.out_dir = out
    copier = TemplateCopier()
    for (code, m), book in sorted(county.books.items()):
        book.path = out / m / book.school.township / book.school.file_name
        copier.write(book.path, book.cover, book.rows)
    county.register_path = write_register(out / "学校名录.xlsx", county.schools)
    return county


# ============================================================================================== checked-in samples
SAMPLE_NAMES = {
    "clean": "示例_学校月报_正常.xlsx",
    "mistakes": "示例_学校月报_有错误.xlsx",
    "zero": "示例_学校月报_零报告.xlsx",
    "register": "示例_学校名录.xlsx",
}


def sample_books(seed: int = 2026) -> tuple[DemoCounty, dict[str, SchoolMonth], list[Mistake]]:
    """The school-months behind the checked-in ``workbooks/`` samples: the busiest school of a small county (clean, and
    again with one mistake of every kind), and a zero-report school."""
    county = plan_county(2, 4, ("2026-09", "2026-10"), seed=seed, mistakes=False)
    month = county.months[-1]
    books = [county.book(s.code, month) for s in county.schools]
    busiest = max(books, key=lambda b: (sum(len(r) for r in b.rows.values()), b.school.code))
    zero = next(b for b in books if b.cover["零报告"] == "是" and not b.rows[model.DROPOUT.name])
    import copy
    wrong = copy.deepcopy(busiest)
    rng = random.Random(seed + 3)
    touched: set = set()
    planted = [m for kind in MISTAKE_KINDS
               if (m := plant_mistake(rng, wrong.school.code, month, wrong.rows, kind, touched)) is not None]
    return county, {"clean": busiest, "mistakes": wrong, "zero": zero}, planted


def write_samples(directory: str | Path, seed: int = 2026) -> dict[str, Path]:
    """Write the small sample workbooks kept in ``workbooks/`` (see ``SAMPLE_NAMES``); returns kind -> path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    county, books, _planted = sample_books(seed)
    out = {}
    for kind, book in books.items():
        out[kind] = write_school_workbook(directory / SAMPLE_NAMES[kind], book.cover, book.rows, backup=False)
    out["register"] = write_register(directory / SAMPLE_NAMES["register"], county.schools)
    return out


# ============================================================================================== end to end
@dataclass
class MonthRun:
    """What the end-to-end demo did for one month."""
    month: str
    validated: int
    with_errors: int
    submitted: list[Path]
    refused: list[Path]
    result: Any            # RollupResult
    report: Path


def late_school(county: DemoCounty, month: str) -> str:
    """The one school that submits late in ``month`` (deterministic by the county's seed)."""
    return random.Random(f"{county.seed}|late|{month}").choice(sorted(s.code for s in county.schools))


def submission_time(county: DemoCounty, code: str, month: str) -> dt.datetime:
    """When the demo's clerk stamps the book: on its 填报日期 at 17:00 Beijing time; the month's late school two days
    after the month end (so R007 shows one late submission a month, as it would in a real county)."""
    day = county.book(code, month).cover.get("填报日期")
    if not isinstance(day, dt.date):
        day = month_end(month)
    if code == late_school(county, month):
        day = month_end(month) + dt.timedelta(days=2)
    return dt.datetime.combine(day, dt.time(17, 0), CHINA)


def run_end_to_end(county: DemoCounty, out_dir: str | Path, policy=None, progress=None) -> list[MonthRun]:
    """The whole monthly job on a generated county, the way a county runs it:
    each school validates and submits (books with errors are refused and stay home) → the county rolls up every month
    over its inbox (store beside it, so continuity and trends build up) → one 月报表 per month (masked).

    ``progress(text)`` is called before each step. Returns one ``MonthRun`` a month, oldest first."""

    policy = policy or load_policy()
    out = Path(out_dir)
    inbox = out / "收件箱"
    if inbox.exists():
        shutil.rmtree(inbox)
    store = out / "baoxue-store"
    if store.exists():
        shutil.rmtree(store)
    runs = []
    for month in county.months:
        files = county.files(month)
        if progress:
            progress(f"{month}：{len(files)} 所学校校验并报送 …")
        (inbox / month).mkdir(parents=True, exist_ok=True)  # a month where every book was refused still rolls up
        code_of = {b.path: c for (c, m), b in county.books.items() if m == month}
        results = submit_files(files, inbox / month, policy, now=lambda p: submission_time(county, code_of[p], month))
        submitted = [r.out_path for r in results if r.ok]
        refused = [r.path for r in results if not r.ok]
        if progress:
            progress(f"{month}：县级汇总 …")
        result = run_rollup(inbox, month, county.register_path, store_dir=store, policy=policy)
        report = write_report(result, out / report_name(month), masked=True)
        runs.append(MonthRun(month, len(results), len(refused), submitted, refused, result, report))
    return runs
