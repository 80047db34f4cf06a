"""The demo county's household line (SPEC §8): 户籍名单 per township, the 学籍 export, 异地就读名单 and 重点人群名单,
consistent with the demo schools' books, plus what a township writes into a returned 核查清单.

``plan_household(county, month)`` starts from the county's clean plan (the books as a careful clerk wrote them, before
any planted mistake) and gives every child one planned 台账状态, then derives the lists from it:

- every child on a school's book of ``month`` gets a 学籍 row (open 辍学 cases 在籍, 休学中 children 休学, 送教上门
  children in 在校生数); the school's other pupils are generated so that, per school and grade, the 有籍 count equals
  the cover's 在校生数 + 休学中 rows + open 辍学 cases (H008) — except at one planted school and grade (``count_mismatch``:
  two registered children nobody counts, 有籍无人);
- children who left with a closed case (转学就读, 省外就读已核实) are in 异地就读名单 (县外就读), a 转学 child's 学籍 row
  says 已转出;
- 缓学中 children are in 户籍 only (the school line accounts for them);
- planted: hidden children (``hidden``: in 户籍 and nowhere else → 待核查; four in the first township, two in each
  other), one of them a key-group child (``key_group_child``, H006); a household row with a mistyped ID (``bad_id``,
  F005 → 待核查); a repeated 户籍 row (``duplicate``, H001); a 学籍 name that differs from 户籍 (``name_mismatch``, H002); a 辍学 case whose book says 否 for
  脱贫家庭或监测户 while 重点人群名单 lists the child (``h007``, when the county has such a case); pupils without a 户籍 row
  (随迁子女, ``not_in_household``); younger and older children in 户籍 who are not of school age.

``HouseholdDemo.status`` is the ground truth: the planned 台账状态 of every school-age child in the household lists
(before any return), so tests compute indicators without the match. ``write_household_inputs`` writes the files: the
first township's 户籍名单 from the ``baoxue template --kind household`` layout, the others as a 公安 export (alias
headers, a title row, another column order); the 学籍 export as the 学籍 system writes it. ``fill_return`` copies a
generated 核查清单 into a returns folder and fills it in as the township would after its door-to-door check — and, below
the listed rows, adds a child it found at the door who is in no list (``found_at_door``: 常住未落户, H010).
"""
from __future__ import annotations

import datetime as dt
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import idcard, model
from .atomic import atomic_save
from .demo import COUNTY_AREA, DemoCounty, People, plan_county
from .fill import fill_rows
from .household import run_match, write_outputs
from .list_template import LIST_KINDS, build_list_workbook
from .months import month_end, school_year_of

HOUSEHOLD_DIR = "户籍线"
RETURNS_DIR = "核查清单返回"
OUTPUT_DIR = "双线比对"
XUEJI_FILE = "学籍名单.xlsx"
ELSEWHERE_FILE = "异地就读名单.xlsx"
KEY_GROUP_FILE = "重点人群名单.xlsx"

# how the 公安 export of the other townships names the columns (aliases the reader accepts)
POLICE_HEADER = {"户籍乡镇": "乡镇（街道）", "户籍村(社区)": "村（社区）", "村民小组": "组", "姓名": "姓名",
                 "身份证号": "公民身份号码", "性别": "性别", "出生日期": "出生日期", "户主姓名": "户主",
                 "监护人姓名": "监护人姓名", "监护人电话": "联系电话"}
# the 学籍 system's own column names
XUEJI_HEADER = {"学校标识码": "学校标识码", "学校名称": "学校名称", "姓名": "姓名", "性别": "性别",
                "身份证号": "身份证件号", "学籍号": "全国学籍号", "年级": "年级", "班级": "班级", "学籍状态": "学籍状态"}
OUTSIDE_SCHOOLS = (("广东省东莞市长安镇中心小学", "广东省东莞市"), ("浙江省义乌市稠城第一小学", "浙江省义乌市"),
                   ("邻县第二中学", "本省邻县"), ("福建省晋江市实验小学", "福建省晋江市"))


@dataclass
class HouseholdDemo:
    month: str
    household: dict[str, list[dict[str, Any]]]        # 乡镇 -> 户籍名单 rows in file order
    xueji: list[dict[str, Any]]
    elsewhere: list[dict[str, Any]]
    key_groups: list[dict[str, Any]]
    status: dict[str, str]                            # ID -> planned 台账状态 (school-age children in 户籍)
    township_of: dict[str, str]                       # ID -> 户籍乡镇 (of its first household row)
    village_of: dict[str, str]
    key_group_of: dict[str, str]                      # ID -> 类别
    school_of: dict[str, str] = field(default_factory=dict)   # ID -> 学校标识码 of its 有籍 学籍 row
    hidden: list[str] = field(default_factory=list)
    key_group_child: str | None = None
    bad_id: str | None = None                         # the mistyped ID as written in 户籍名单
    bad_id_true: str | None = None
    duplicate: str | None = None
    name_mismatch: str | None = None
    count_mismatch: tuple[str, str, int] | None = None   # (学校标识码, 年级, 有籍 − counted)
    h007: str | None = None
    not_in_household: list[str] = field(default_factory=list)
    not_school_age: list[str] = field(default_factory=list)
    found_at_door: Any = None                         # FoundAtDoor, once ``fill_return`` has added the child
    paths: dict[str, Any] = field(default_factory=dict)   # household: [Path], xueji, elsewhere, key_groups

    def counts(self, township: str | None = None, village: str | None = None) -> dict[str, int]:
        """台账状态 -> children, over the county, one township or one of its villages (from the plan)."""
        out = {s: 0 for s in model.LEDGER_STATUSES}
        for pid, status in self.status.items():
            if township is not None and self.township_of[pid] != township:
                continue
            if village is not None and self.village_of[pid] != village:
                continue
            out[status] += 1
        return out


# ============================================================================================== planning
def _clean_plan(county: DemoCounty) -> DemoCounty:
    """The county's plan without planted mistakes (same seed: the same children, IDs as the clerks meant them)."""
    towns = len(county.townships)
    clean = plan_county(towns, len(county.schools) // towns, county.months, county.seed, mistakes=False)
    assert [s.code for s in clean.schools] == [s.code for s in county.schools]
    return clean


def _book_children(clean: DemoCounty, month: str) -> dict[str, dict[str, Any]]:
    """Every child on a school's book up to ``month``, with their latest state: ID -> facts."""
    kids: dict[str, dict[str, Any]] = {}
    for m in [x for x in clean.months if x <= month]:
        for school in clean.schools:
            rows = clean.book(school.code, m).rows
            for sheet in model.PERSON_SHEETS:
                for r in rows[sheet.name]:
                    kid = kids.setdefault(r["身份证号"], {"school": school, "village": r.get("户籍村(社区)")})
                    kid.update(sheet=sheet.name, state=r["状态"], row=r, month=m)
                    if r.get("户籍村(社区)"):
                        kid["village"] = r["户籍村(社区)"]
    return kids


def _planned_status(kid: dict[str, Any], month: str) -> str:
    """What the school line says of a book child in ``month`` (the cases closed earlier count as they ended)."""
    sheet, state, current = kid["sheet"], kid["state"], kid["month"] == month
    if sheet == model.DROPOUT.name:
        if state in model.DROPOUT_OPEN_STATUSES:
            return "失学辍学" if current else "待核查"   # open but no longer on a book: cannot happen in the plan
        return "县外就读" if state in ("转学就读", "省外就读已核实") else "在校"
    if sheet == model.LEAVE.name:
        return "休学" if state == "休学中" and current else "在校"
    if sheet == model.DEFER.name:
        return "缓学" if state == "缓学中" and current else "在校"
    return "送教上门" if state == "送教中" else "在校"


def plan_household(county: DemoCounty, month: str | None = None, seed: int | None = None) -> HouseholdDemo:
    """The household line's lists for ``month`` (default: the county's last month), consistent with its books."""
    month = month or county.months[-1]
    clean = _clean_plan(county)
    rng = random.Random(f"{county.seed if seed is None else seed}|household|{month}")
    people = People(random.Random(f"{county.seed}|household-people|{month}"))
    year = school_year_of(month)
    cutoff = dt.date(year, 8, 31)
    kids = _book_children(clean, month)
    people.ids.update(kids)
    people.ids.update(r["身份证号"] for b in clean.books.values() for rows in b.rows.values() for r in rows
                      if isinstance(r.get("身份证号"), str))
    people.seq = 500

    demo = HouseholdDemo(month, {t: [] for t in county.townships}, [], [], [], {}, {}, {}, {})
    groups = ("一组", "二组", "三组", "四组", "五组", "六组")

    def household_row(child: dict, town: str, village: str) -> dict[str, Any]:
        surname = child["姓名"][0]
        return {"姓名": child["姓名"], "性别": child["性别"], "身份证号": child["身份证号"],
                "出生日期": child["出生日期"], "户籍乡镇": town, "户籍村(社区)": village,
                "村民小组": rng.choice(groups), "户主姓名": people.name(rng.random() < 0.7, surname),
                "监护人姓名": child.get("监护人姓名") or people.name(rng.random() < 0.5, surname),
                "监护人电话": child.get("监护人电话") or people.phone()}

    def add_household(child: dict, town: str, village: str, status: str | None) -> dict[str, Any]:
        row = household_row(child, town, village)
        demo.household[town].append(row)
        pid = child["身份证号"]
        age = idcard.age_on(child["出生日期"], cutoff)
        if status is not None and 6 <= age <= 15:
            demo.status[pid] = status
            demo.township_of[pid], demo.village_of[pid] = town, village
        else:
            demo.not_school_age.append(pid)
        return row

    def xueji_row(child: dict, school, grade: int, state: str | None = None) -> dict[str, Any]:
        row = {"学校标识码": school.code, "学校名称": school.name, "姓名": child["姓名"], "性别": child["性别"],
               "身份证号": child["身份证号"], "学籍号": "G" + child["身份证号"], "年级": model.GRADES[grade - 1],
               "班级": f"{grade}（{rng.randint(1, 3)}）班",
               "学籍状态": state if state is not None else rng.choice(("", "", "在籍"))}
        demo.xueji.append(row)
        if row["学籍状态"] in ("", *model.XUEJI_REGISTERED):
            demo.school_of[child["身份证号"]] = school.code
        return row

    # ---- the children of the books: their 学籍 row, 户籍 row and planned status
    in_count: dict[tuple[str, int], int] = {}   # (school, grade) -> book children counted in 在校生数
    for pid, kid in kids.items():
        school, row = kid["school"], kid["row"]
        status = _planned_status(kid, month)
        child = {"姓名": row["姓名"], "性别": row["性别"], "身份证号": pid,
                 "出生日期": row.get("出生日期") or idcard.birth_date(pid),
                 "监护人姓名": row.get("监护人姓名"), "监护人电话": row.get("监护人电话")}
        grade = model.grade_number(row["年级"]) if row.get("年级") else 1
        village = kid["village"] or rng.choice(school.villages)
        add_household(child, school.township, village, status)
        if status == "失学辍学":
            xueji_row(child, school, grade, "在籍")
        elif status == "休学":
            xueji_row(child, school, grade, "休学")
        elif status == "县外就读":
            if kid["state"] == "转学就读":
                xueji_row(child, school, grade, "已转出")
            out_school, area = OUTSIDE_SCHOOLS[len(demo.elsewhere) % len(OUTSIDE_SCHOOLS)]
            demo.elsewhere.append({"姓名": child["姓名"], "身份证号": pid, "就读学校": out_school, "就读地区": area,
                                   "证明日期": kid["row"].get("销号日期") or month_end(month)})
        elif status in ("在校", "送教上门"):
            if kid["sheet"] == model.DEFER.name and 1 not in school.grades:
                continue
            xueji_row(child, school, grade)
            in_count[(school.code, grade)] = in_count.get((school.code, grade), 0) + 1
        # 缓学: no 学籍 row (the school's 缓学 sheet accounts for the child)

    # ---- the other pupils: per school and grade, up to the cover's 在校生数
    pupils: list[tuple[dict, Any, int]] = []
    for school in clean.schools:
        for grade, n in sorted(school.enrolment.items()):
            for _ in range(max(0, n - in_count.get((school.code, grade), 0))):
                child = people.child(grade, year)
                pupils.append((child, school, grade))
                xueji_row(child, school, grade)
    for child, school, _grade in pupils:
        if rng.random() < 0.02:
            demo.not_in_household.append(child["身份证号"])   # 随迁子女: 户籍 elsewhere
            continue
        add_household(child, school.township, rng.choice(school.villages), "在校")

    # ---- planted: 有籍无人 at one school and grade (registered, counted by nobody)
    counted = [s for s in clean.schools if s.enrolment]
    school = rng.choice(counted)
    grade = rng.choice(sorted(school.enrolment))
    for _ in range(2):
        child = people.child(grade, year)
        xueji_row(child, school, grade, "在籍")
        add_household(child, school.township, rng.choice(school.villages), "在校")
    demo.count_mismatch = (school.code, model.GRADES[grade - 1], 2)

    # ---- planted: a 学籍 name unlike the 户籍 name (H002)
    registered = [r for r in demo.xueji if r["学籍状态"] in ("", "在籍") and r["身份证号"] in demo.status
                  and demo.status[r["身份证号"]] == "在校"]
    victim = rng.choice(registered)
    victim["姓名"] = victim["姓名"][0] + ("晓" if victim["姓名"][1:2] != "晓" else "小") + victim["姓名"][2:]
    demo.name_mismatch = victim["身份证号"]

    # ---- planted: hidden children, two a township (four in the first, whose return the demo fills in); the first
    #      one is a key-group child
    for t, town in enumerate(county.townships):
        villages = next(s.villages for s in clean.schools if s.township == town)
        for _ in range(4 if t == 0 else 2):
            child = people.child(rng.choice((1, 2, 4, 7, 8)), year)
            add_household(child, town, rng.choice(villages), "待核查")
            demo.hidden.append(child["身份证号"])
    demo.key_group_child = demo.hidden[0]

    # ---- planted: a household row whose ID was mistyped (wrong check digit): F005, 待核查 (身份证号有误)
    town = county.townships[-1]
    child = people.child(5, year)
    true_id = child["身份证号"]
    wrong = true_id[:17] + next(c for c in "0123456789X" if c not in (true_id[17], idcard.check_digit(true_id[:17])))
    villages = next(s.villages for s in clean.schools if s.township == town)
    add_household({**child, "身份证号": wrong}, town, rng.choice(villages), "待核查")
    demo.bad_id, demo.bad_id_true = wrong, true_id

    # ---- planted: children in the county's 户籍 who study outside it, with an 异地就读证明
    for town in county.townships:
        villages = next(s.villages for s in clean.schools if s.township == town)
        child = people.child(rng.choice((3, 5, 8)), year)
        add_household(child, town, rng.choice(villages), "县外就读")
        out_school, area = OUTSIDE_SCHOOLS[len(demo.elsewhere) % len(OUTSIDE_SCHOOLS)]
        demo.elsewhere.append({"姓名": child["姓名"], "身份证号": child["身份证号"], "就读学校": out_school,
                               "就读地区": area, "证明日期": month_end(month) - dt.timedelta(days=60)})

    # ---- children of the households who are not of school age: pre-school and past compulsory age
    for town in county.townships:
        villages = next(s.villages for s in clean.schools if s.township == town)
        for age in (4, 5, 16, 17):
            birth = dt.date(year - age - 1, 9, 1) + dt.timedelta(days=rng.randrange(365))
            add_household(people.child(None, year, birth=birth), town, rng.choice(villages), None)

    # ---- planted: a repeated 户籍 row (H001): the ledger holds the child once
    first_town = county.townships[0]
    rows = demo.household[first_town]
    dup = dict(rng.choice([r for r in rows if demo.status.get(r["身份证号"]) == "在校"]))
    rows.insert(rng.randrange(len(rows) // 2, len(rows)), dup)
    demo.duplicate = dup["身份证号"]

    # ---- 重点人群名单: 防返贫 (the cases' families), 残联 (home-taught), the hidden key-group child, a few pupils
    key: dict[str, str] = {}
    for pid, kid in kids.items():
        if kid["sheet"] == model.DROPOUT.name and kid["row"].get("脱贫家庭或监测户") == "是":
            key[pid] = "脱贫户"
        elif kid["sheet"] == model.HOME.name:
            key[pid] = "残疾"
    open_cases = sorted(pid for pid, kid in kids.items() if kid["sheet"] == model.DROPOUT.name and kid["month"] == month
                        and kid["state"] in model.DROPOUT_OPEN_STATUSES and kid["row"].get("脱贫家庭或监测户") == "否")
    if open_cases:
        demo.h007 = rng.choice(open_cases)
        key[demo.h007] = "监测户"
    key[demo.key_group_child] = "监测户"
    for pid in rng.sample(sorted(p for p, s in demo.status.items() if s == "在校"), 6):
        key.setdefault(pid, rng.choice(("脱贫户", "留守儿童", "孤儿或事实无人抚养")))
    names = {r["身份证号"]: r["姓名"] for rows in demo.household.values() for r in rows}
    demo.key_groups = [{"身份证号": pid, "姓名": names.get(pid), "类别": cat} for pid, cat in sorted(key.items())]
    demo.key_group_of = key
    return demo


# ============================================================================================== writing
def _write_table(path: Path, sheet_name: str, header: dict[str, str], rows: list[dict[str, Any]],
                 title: str | None = None) -> Path:
    """An export as other systems write it: optional title row, then the header (``header`` maps canonical names to
    the names shown), one row per record; every string written as text (the IDs keep their 18 digits)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_name)
    if title:
        ws.append([title])
    ws.append(list(header.values()))
    keys = list(header)
    for r in rows:
        out = []
        for k in keys:
            v = r.get(k)
            if isinstance(v, str):
                cell = WriteOnlyCell(ws, value=v)
                cell.data_type = "s"
                cell.number_format = "@"
                out.append(cell)
            elif isinstance(v, dt.date):
                cell = WriteOnlyCell(ws, value=v)
                cell.number_format = "yyyy-mm-dd"
                out.append(cell)
            else:
                out.append(v)
        ws.append(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_save(wb.save, path, backup=False)
    return path


def _write_from_template(path: Path, kind: str, rows: list[dict[str, Any]]) -> Path:
    """A list typed into the ``baoxue template --kind`` workbook."""
    sheet = LIST_KINDS[kind]
    wb = build_list_workbook(kind)
    fill_rows(wb[sheet.name], sheet, rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_save(wb.save, path, backup=False)
    return path


def write_household_inputs(demo: HouseholdDemo, folder: str | Path) -> dict[str, Any]:
    """Write the four lists into ``folder``; returns {"household": [paths], "xueji", "elsewhere", "key_groups"}."""
    folder = Path(folder)
    towns = list(demo.household)
    household = []
    for i, town in enumerate(towns):
        path = folder / f"户籍名单_{town}.xlsx"
        if i == 0:   # compiled by the township in the template
            _write_from_template(path, "household", demo.household[town])
        else:        # the 公安 export: title row, alias headers, its own column order
            _write_table(path, "Sheet1", POLICE_HEADER, demo.household[town], title=f"{town}户籍人口（0-17周岁）")
        household.append(path)
    xueji = _write_table(folder / XUEJI_FILE, "学生信息", XUEJI_HEADER, demo.xueji)
    elsewhere = _write_from_template(folder / ELSEWHERE_FILE, "elsewhere", demo.elsewhere)
    key_groups = _write_from_template(folder / KEY_GROUP_FILE, "key-groups", demo.key_groups)
    demo.paths = {"household": household, "xueji": xueji, "elsewhere": elsewhere, "key_groups": key_groups}
    return demo.paths


# ============================================================================================== a township's return
@dataclass(frozen=True)
class Verification:
    """What the township found at the door for one listed child."""
    result: str
    school: str | None = None
    area: str | None = None
    proof: str | None = None
    note: str | None = None


def township_findings(demo: HouseholdDemo, township: str) -> dict[str, Verification]:
    """The door-to-door results for the listed children of ``township`` (one child left unvisited, as happens)."""
    listed = [pid for pid, s in demo.status.items() if s == "待核查" and demo.township_of[pid] == township]
    out: dict[str, Verification] = {}
    outcomes = [
        Verification("县外就读已核实", "广东省佛山市南海区桂城小学", "广东省佛山市", "有", "随父母务工就读，已取得在读证明"),
        Verification("空挂户或人户分离", proof="有", note="全家已迁居外省多年，户籍未迁出，村委会出具证明"),
        Verification("户籍信息有误", proof="有", note="身份证号登记有误，派出所已更正"),
    ]
    for i, pid in enumerate(listed):
        if pid == demo.key_group_child:
            out[pid] = Verification("失学辍学", note="在家务农，已报乡镇政府和学校，启动劝返")
        elif pid == demo.bad_id:
            out[pid] = outcomes[2]
        elif i < len(listed) - 1 or len(listed) == 1:
            out[pid] = outcomes[i % 2]
        # the last one: not visited yet
    return out


@dataclass(frozen=True)
class FoundAtDoor:
    """A child the township found door-to-door who is in no list: moved in with parents, 户籍 still in another
    province (常住未落户), not at school. The township adds a row for the child under its list's rows."""
    pid: str
    name: str
    village: str
    row: int          # the Excel row of the returned list the township typed it on


def found_at_door_id(demo: HouseholdDemo) -> str:
    """A valid ID of a 10-year-old from another province (贵阳市南明区), in none of the demo's lists."""
    year = int(demo.month[:4]) - 10
    pid = idcard.make("520102", dt.date(year, 3, 14), 37, False)
    assert pid not in demo.status and pid not in demo.township_of
    return pid


def fill_return(checklist: str | Path, returns_dir: str | Path, demo: HouseholdDemo, township: str,
                checked_on: dt.date | None = None, checker: str = "村委会 王建国") -> Path:
    """Copy the generated 核查清单 into ``returns_dir/<乡镇>/`` and fill it in there as the township would (the
    generated list itself is never written). Rows are found by 身份证号 under the header the list itself carries; a
    child found at the door who is in no list goes on the first empty row below them (``found_at_door``)."""
    from openpyxl import load_workbook
    src = Path(checklist)
    target = Path(returns_dir) / township / src.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, target)
    wb = load_workbook(target)
    ws = wb[model.CHECKLIST.name]
    header_row, col = _header(ws)
    checked_on = checked_on or (month_end(demo.month) - dt.timedelta(days=3))
    found = township_findings(demo, township)
    for r in range(header_row + 1, ws.max_row + 1):
        pid = ws.cell(r, col["身份证号"]).value
        v = found.get(str(pid).strip()) if pid else None
        if v is None:
            continue
        for name, value in (("核查结果", v.result), ("就读学校", v.school), ("就读地区", v.area), ("证明材料", v.proof),
                            ("核查人", checker), ("核查日期", checked_on), ("备注", v.note)):
            if value is not None:
                cell = ws.cell(r, col[name], value)
                if isinstance(value, str):
                    cell.data_type = "s"
                else:
                    cell.number_format = "yyyy-mm-dd"
    last = max((r for r in range(header_row + 1, ws.max_row + 1) if ws.cell(r, col["身份证号"]).value), default=header_row)
    village = demo.village_of[next(pid for pid in demo.status if demo.township_of[pid] == township)]
    newcomer = FoundAtDoor(found_at_door_id(demo), "龙小燕", village, last + 1)
    for name, value in (("姓名", newcomer.name), ("性别", "女"), ("身份证号", newcomer.pid), ("户籍乡镇", township),
                        ("户籍村(社区)", village), ("核查结果", "失学辍学"), ("核查人", checker),
                        ("核查日期", checked_on), ("备注", "随父母从贵州迁入务工，户籍未迁入，未入学；清单和户籍名单上都没有")):
        cell = ws.cell(newcomer.row, col[name], value)
        if isinstance(value, str):
            cell.data_type = "s"
        else:
            cell.number_format = "yyyy-mm-dd"
    atomic_save(wb.save, target, backup=False)
    demo.found_at_door = newcomer
    return target


def _header(ws) -> tuple[int, dict[str, int]]:
    wanted = set(model.CHECKLIST.column_names)
    for r in range(1, 11):
        values = {ws.cell(r, j).value: j for j in range(1, ws.max_column + 1)}
        if "身份证号" in values and "核查结果" in values:
            return r, {k: v for k, v in values.items() if k in wanted}
    raise ValueError(f"{ws.title}: no 核查清单 header")


# ============================================================================================== end to end
@dataclass
class HouseholdRun:
    """What the demo's household line did: the lists, the first match, a township's return, the second match."""
    demo: HouseholdDemo
    township: str                 # the township whose returned 核查清单 was filled in
    returned: Path                # the filled copy in the returns folder
    first: Any                    # MatchResult before the return
    second: Any                   # MatchResult with the return
    first_files: dict[str, Any]
    second_files: dict[str, Any]
    folder: Path


def run_household_line(county: DemoCounty, out_dir: str | Path, policy=None, progress=None) -> HouseholdRun:
    """The household line on the demo county, after its roll-ups (same inbox, register and store), for its last
    month: write the lists, match, let the first township fill in and return its 核查清单, match again.

    Writes ``out_dir/户籍线/``: ``名单/`` (the inputs), ``双线比对/第一次/`` and ``双线比对/交回后/`` (ledger and lists),
    ``核查清单返回/<乡镇>/`` (the township's filled copy). ``progress(text)`` is called before each step."""
    out = Path(out_dir)
    folder = out / HOUSEHOLD_DIR
    if folder.exists():
        shutil.rmtree(folder)
    month = county.months[-1]
    say = progress or (lambda _text: None)
    say(f"{month}：生成户籍名单、学籍名单、异地就读名单、重点人群名单 …")
    demo = plan_household(county, month)
    paths = write_household_inputs(demo, folder / "名单")
    args = dict(household=paths["household"], xueji=paths["xueji"], inbox=out / "收件箱",
                register=Path(county.register_path), month=month, elsewhere=paths["elsewhere"],
                key_groups=[paths["key_groups"]], store=out / "baoxue-store", policy=policy)
    say(f"{month}：双线比对（第一次）…")
    first = run_match(**args)
    first_files = write_outputs(first, folder / OUTPUT_DIR / "第一次")
    township = demo.township_of[demo.key_group_child]
    say(f"{month}：{township}入户核查后交回核查清单 …")
    returned = fill_return(first_files["checklists"][township], folder / RETURNS_DIR, demo, township)
    say(f"{month}：双线比对（交回核查清单后）…")
    second = run_match(**args, returns=folder / RETURNS_DIR)
    second_files = write_outputs(second, folder / OUTPUT_DIR / "交回后")
    return HouseholdRun(demo, township, returned, first, second, first_files, second_files, folder)
