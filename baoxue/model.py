"""The standard workbook as data (SPEC §2): sheets, columns, code lists, cover fields.

This is the single place that names a sheet, a column or a code list. The template writer, the reader,
the validators, the add-in and the generated docs all read it; nothing restates a column list elsewhere.

Where is the 休学 sheet defined?  -> ``LEAVE`` below.  All sheets -> ``SHEETS``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

TEMPLATE_VERSION = "BX-2026.1"

# ---------------------------------------------------------------------------------------------- code lists
CODE_LISTS: dict[str, tuple[str, ...]] = {
    "性别": ("男", "女"),
    "是否": ("是", "否"),
    "有无": ("有", "无"),
    "学校类型": ("小学", "初中", "九年一贯制学校", "完全中学", "特殊教育学校", "教学点"),
    "城乡类别": ("城区", "镇区", "乡村"),
    "年级": ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级"),
    "类型": ("疑似辍学", "辍学"),
    "辍学原因": ("厌学或学习困难", "家庭经济困难", "身体疾病", "残疾", "外出务工", "早婚早育", "宗教因素",
             "路途遥远", "家庭变故或监护缺失", "其他"),
    "辍学状态": ("核查中", "劝返中", "去向不明", "已复学", "转学就读", "省外就读已核实", "送教上门安置", "出国出境",
             "死亡", "其他已销号"),
    "休学原因": ("身体疾病", "其他特殊情况"),
    "休学状态": ("休学中", "已复学", "转辍学核查", "其他"),
    "缓学原因": ("身体疾病", "残疾", "其他特殊情况"),
    "批准机关": ("乡镇人民政府", "县级教育行政部门"),
    "缓学状态": ("缓学中", "已入学", "转送教上门", "其他"),
    "残疾类别": ("视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾"),
    "残疾等级": ("一级", "二级", "三级", "四级"),
    "送教状态": ("送教中", "转随班就读", "转特殊教育学校", "已毕业", "其他"),
    "劝返方式": ("入户走访", "电话", "书面通知", "约谈", "其他"),
    "劝返结果": ("同意返校", "拒绝", "未见到本人", "其他"),
    # the household line (SPEC §8): lists of the input lists, the 核查清单 and the ledger, not of the school workbook
    "重点人群类别": ("脱贫户", "监测户", "残疾", "孤儿或事实无人抚养", "留守儿童", "其他"),
    "核查结果": ("县内就读", "县外就读已核实", "缓学已批准", "送教上门", "休学", "失学辍学", "出国出境", "死亡",
             "户籍信息有误", "空挂户或人户分离", "已完成义务教育", "其他"),
    "台账状态": ("在校", "休学", "送教上门", "缓学", "县外就读", "失学辍学", "不计入", "待核查"),
}
# the lists of the standard school workbook's 代码表 (SPEC §2.8); the others belong to the household line (§8)
WORKBOOK_CODE_LISTS: tuple[str, ...] = tuple(CODE_LISTS)[:tuple(CODE_LISTS).index("重点人群类别")]
HOUSEHOLD_CODE_LISTS: tuple[str, ...] = ("重点人群类别", "核查结果", "台账状态")

# What clerks type that means a listed value (SPEC §2.8, §2.2 年级). Keys are compared after normalisation.
CODE_ALIASES: dict[str, dict[str, str]] = {
    "是否": {"Y": "是", "YES": "是", "√": "是", "✓": "是", "N": "否", "NO": "否", "×": "否", "✗": "否"},
    "年级": {
        **{str(i): g for i, g in enumerate(CODE_LISTS["年级"], start=1)},
        **{f"{i}年级": g for i, g in enumerate(CODE_LISTS["年级"], start=1)},
        "初一": "七年级", "初二": "八年级", "初三": "九年级",
        "初中一年级": "七年级", "初中二年级": "八年级", "初中三年级": "九年级",
        "小学一年级": "一年级", "小学二年级": "二年级", "小学三年级": "三年级",
        "小学四年级": "四年级", "小学五年级": "五年级", "小学六年级": "六年级",
    },
}

GRADES = CODE_LISTS["年级"]
PRIMARY_GRADES = GRADES[:6]
JUNIOR_GRADES = GRADES[6:]
# The grades a school of each 学校类型 teaches (a 完全中学's compulsory part is its junior grades; a 教学点 is a small
# primary site; a 特殊教育学校 may teach any compulsory grade).
SCHOOL_TYPE_GRADES: dict[str, tuple[str, ...]] = {
    "小学": PRIMARY_GRADES, "初中": JUNIOR_GRADES, "九年一贯制学校": GRADES, "完全中学": JUNIOR_GRADES,
    "特殊教育学校": GRADES, "教学点": PRIMARY_GRADES,
}


def grade_number(grade: str) -> int:
    """一年级 -> 1 … 九年级 -> 9."""
    return GRADES.index(grade) + 1


DROPOUT_OPEN_STATUSES = ("核查中", "劝返中", "去向不明")
DROPOUT_CLOSING_STATUSES = tuple(s for s in CODE_LISTS["辍学状态"] if s not in DROPOUT_OPEN_STATUSES)
NEEDS_WHEREABOUTS = ("去向不明", "转学就读", "省外就读已核实")
RURAL = ("镇区", "乡村")

# ---------------------------------------------------------------------------------------------- columns
# kinds: text, name, id (身份证号), xjh (学籍号), phone, date, int, number, code, grade, cert (证件号), schoolcode (学校标识码)
TEXT_KINDS = ("id", "xjh", "phone", "cert", "schoolcode")  # stored with number format "@" so Excel keeps every digit


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"
    required: bool = False
    codes: str | None = None
    aliases: tuple[str, ...] = ()
    planned: bool = False      # a planned date: exempt from D001 (not after the as-of date)
    computed: bool = False     # filled by `update`, not typed by the clerk
    width: int = 12
    note: str = ""             # conditional requirement, shown in the template's note row and the docs

    @property
    def is_text_format(self) -> bool:
        return self.kind in TEXT_KINDS


@dataclass(frozen=True)
class Sheet:
    name: str
    title: str
    columns: tuple[Column, ...]
    english: str = ""
    note: str = ""
    # SPEC §4 "Open rows": the statuses that keep a child on this sheet's books at the as-of date (empty: a log sheet)
    open_statuses: tuple[str, ...] = ()
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def has(self, column: str) -> bool:
        return column in self.by_name

    def col(self, name: str) -> Column:
        return self.by_name[name]


def _c(name: str, kind: str = "text", *, required: bool = False, codes: str | None = None, aliases=(), **kw) -> Column:
    widths = {"id": 21, "xjh": 22, "phone": 14, "date": 12, "name": 10, "int": 10, "number": 10, "grade": 9}
    kw.setdefault("width", widths.get(kind, 12 if kind != "code" else max(10, 2 * max(len(v) for v in CODE_LISTS[codes]) + 2)))
    return Column(name, kind, required=required, codes=codes, aliases=tuple(aliases), **kw)


SEQ = _c("序号", "int", width=6)
NAME = _c("姓名", "name", required=True)
SEX = _c("性别", "code", required=True, codes="性别", width=6)
ID = _c("身份证号", "id", required=True, aliases=("身份证号码", "公民身份号码", "身份证"))
XJH = _c("学籍号", "xjh", required=True, aliases=("全国学籍号", "学籍编号"))
BIRTH = _c("出生日期", "date")
GRADE = _c("年级", "grade", required=True, codes="年级")
CLASS = _c("班级", "text", width=8)
HOME_TOWN = _c("户籍乡镇", "text", required=True)
HOME_VILLAGE = _c("户籍村(社区)", "text", required=True, aliases=("户籍村", "户籍村（社区）", "户籍村/社区"), width=14)
GUARDIAN = _c("监护人姓名", "name", required=True, width=10)
GUARDIAN_PHONE = _c("监护人电话", "phone", required=True, aliases=("监护人联系电话",))
NOTE = _c("备注", "text", width=20)


def yes_no(name: str, *, required: bool = True, **kw) -> Column:
    return _c(name, "code", required=required, codes="是否", **kw)


# ---------------------------------------------------------------------------------------------- sheets
COVER_SHEET = "封面"
SUMMARY_SHEET = "月报汇总"
FINDINGS_SHEET = "校验结果"
PYTHON_VALUE_HEADER = "程序计算值"   # 月报汇总: the column beside the live formulas holding baoxue's own figures
CODES_SHEET = "代码表"
STAMP_SHEET = "报送戳记"

DROPOUT = Sheet("辍学", "辍学及疑似辍学学生台账", english="dropout and suspected-dropout cases", columns=(
    SEQ, NAME, SEX, _c("民族", width=8), ID, XJH, BIRTH, GRADE, CLASS, HOME_TOWN, HOME_VILLAGE, GUARDIAN, GUARDIAN_PHONE,
    _c("类型", "code", required=True, codes="类型"),
    _c("发现日期", "date", required=True),
    _c("上报日期", "date", required=True),
    _c("辍学原因", "code", required=True, codes="辍学原因"),
    yes_no("脱贫家庭或监测户", width=10),
    yes_no("残疾", width=6),
    yes_no("留守儿童", width=8),
    yes_no("随迁子女", width=8),
    _c("包保责任人", "name", required=True, width=10),
    _c("劝返动员日期", "date", note="第一步；空着时“更新”按劝返记录自动补填"),
    _c("限期复学通知日期", "date", note="第二步"),
    _c("行政处罚日期", "date", note="第三步"),
    _c("司法程序日期", "date", note="第四步"),
    _c("状态", "code", required=True, codes="辍学状态"),
    _c("复学日期", "date", note="状态为已复学时必填"),
    _c("销号日期", "date", note="销号状态必填"),
    _c("去向说明", "text", width=24, note="去向不明/转学就读/省外就读已核实必填"),
    NOTE,
), note="每个疑似辍学学生一行；状态为核查中、劝返中、去向不明为未销号。劝返一个，销号一个。", open_statuses=DROPOUT_OPEN_STATUSES)

LEAVE = Sheet("休学", "休学学生台账", english="suspended study", columns=(
    SEQ, NAME, SEX, ID, XJH, BIRTH, GRADE, CLASS,
    _c("休学原因", "code", required=True, codes="休学原因"),
    _c("申请日期", "date", required=True),
    _c("批准日期", "date", required=True),
    _c("休学起始日期", "date", required=True),
    _c("预计复学日期", "date", required=True, planned=True),
    _c("实际复学日期", "date", note="状态为已复学时必填"),
    _c("证明材料", "code", required=True, codes="有无", width=8),
    yes_no("教育局备案", width=10),
    _c("状态", "code", required=True, codes="休学状态"),
    NOTE,
), note="休学须监护人书面申请，经批准并报县教育局备案。", open_statuses=("休学中",))

DEFER = Sheet("缓学", "缓学学生台账", english="deferred entry", columns=(
    SEQ, NAME, SEX, ID, BIRTH, HOME_TOWN, HOME_VILLAGE, GUARDIAN, GUARDIAN_PHONE,
    _c("缓学原因", "code", required=True, codes="缓学原因"),
    _c("申请日期", "date", required=True),
    _c("批准日期", "date", required=True),
    _c("批准机关", "code", required=True, codes="批准机关"),
    _c("缓学起始日期", "date", required=True),
    _c("缓学截止日期", "date", required=True, planned=True),
    _c("证明材料", "code", required=True, codes="有无", width=8),
    yes_no("残疾", width=6),
    yes_no("脱贫家庭或监测户", width=10),
    _c("状态", "code", required=True, codes="缓学状态"),
    _c("入学日期", "date", note="状态为已入学时必填"),
    NOTE,
), note="缓学须监护人书面申请，经乡镇人民政府或县级教育行政部门批准。", open_statuses=("缓学中",))

HOME = Sheet("送教上门", "送教上门学生花名册", english="home-delivered teaching roster", columns=(
    SEQ, NAME, SEX, ID,
    _c("学籍号", "xjh", required=False, aliases=XJH.aliases, note="送教中必填"),
    BIRTH, GRADE,
    _c("残疾类别", "code", required=True, codes="残疾类别"),
    _c("残疾等级", "code", required=True, codes="残疾等级", width=8),
    _c("残疾证号", "cert", width=24),
    HOME_TOWN, HOME_VILLAGE, GUARDIAN, GUARDIAN_PHONE,
    _c("送教协议日期", "date", note="送教中必填"),
    _c("个别化教育计划日期", "date", note="送教中必填", width=14),
    _c("负责教师", "name", required=True, width=10),
    _c("状态", "code", required=True, codes="送教状态"),
    _c("本月送教次数", "int", computed=True, note="自动计算"),
    _c("本月送教课时", "number", computed=True, note="自动计算"),
    NOTE,
), note="本月送教次数、课时由送教记录自动计算，无需填写。", open_statuses=("送教中",))

VISITS = Sheet("送教记录", "送教上门记录（本学年累计）", english="home-visit log", columns=(
    SEQ,
    _c("身份证号", "id", required=True, aliases=ID.aliases),
    _c("姓名", "name"),
    _c("送教日期", "date", required=True),
    _c("课时", "number", required=True, width=6),
    _c("送教教师", "text", required=True, width=16),
    _c("同行人数", "int", required=True, width=8),
    yes_no("有男教师", width=8),
    _c("送教内容", "text", width=24),
    yes_no("家长签字", width=8),
), note="每次送教一行：至少两人同行，其中至少一名男教师；家长签字确认。")

PERSUASION = Sheet("劝返记录", "劝返工作记录（每次劝返均须记录）", english="persuasion log", columns=(
    SEQ,
    _c("身份证号", "id", required=True, aliases=ID.aliases),
    _c("姓名", "name"),
    _c("劝返日期", "date", required=True),
    _c("劝返方式", "code", required=True, codes="劝返方式"),
    _c("劝返人员", "text", required=True, width=16),
    _c("劝返结果", "code", required=True, codes="劝返结果"),
    NOTE,
), note="每次与家庭的联系都记一行。")

DATA_SHEETS: tuple[Sheet, ...] = (DROPOUT, LEAVE, DEFER, HOME, VISITS, PERSUASION)
SHEETS: dict[str, Sheet] = {s.name: s for s in DATA_SHEETS}
PERSON_SHEETS = (DROPOUT, LEAVE, DEFER, HOME)   # one row is one child
OPEN_SHEETS = tuple(s for s in DATA_SHEETS if s.open_statuses)   # 辍学, 休学, 缓学, 送教上门: where a child is open
CLERK_SHEETS = (COVER_SHEET,) + tuple(s.name for s in DATA_SHEETS)
ALL_SHEETS = CLERK_SHEETS + (SUMMARY_SHEET, FINDINGS_SHEET, CODES_SHEET)

# ---------------------------------------------------------------------------------------------- cover
@dataclass(frozen=True)
class CoverField:
    label: str
    kind: str = "text"           # text, code, month, int, phone, date, version, schoolcode
    required: bool = True
    codes: str | None = None
    hint: str = ""


ENROLMENT_LABELS = tuple(f"{g}在校生数" for g in GRADES)

COVER_FIELDS: tuple[CoverField, ...] = (
    CoverField("学校标识码", "schoolcode", hint="10位数字"),
    CoverField("学校名称"),
    CoverField("所属乡镇"),
    CoverField("学校类型", "code", codes="学校类型"),
    CoverField("城乡类别", "code", codes="城乡类别"),
    CoverField("报送月份", "month", hint="格式 YYYY-MM，如 2026-09"),
    *(CoverField(label, "int", required=False, hint="无此年级填0或留空") for label in ENROLMENT_LABELS),
    CoverField("零报告", "code", codes="是否", hint="本月无失学辍学填“是”"),
    CoverField("填报人"),
    CoverField("联系电话", "phone"),
    CoverField("审核人"),
    CoverField("填报日期", "date"),
    CoverField("模板版本", "version", required=False),
)
COVER: dict[str, CoverField] = {f.label: f for f in COVER_FIELDS}

FINDINGS_COLUMNS = ("工作表", "行号", "列名", "单元格", "规则编号", "级别", "值", "说明")
FINDINGS_ADDED_COLUMNS = ("单元格",)
# 校验结果 column → the finding's field it shows (JSON key); 级别 shows the severity's label
FINDING_FIELDS = {"工作表": "sheet", "行号": "row", "列名": "column", "单元格": "cell", "规则编号": "rule",
                  "级别": "severity", "值": "value", "说明": "message"}   # absent from 校验结果 sheets made before it existed: added beside the table
SEVERITY_LABELS = {"error": "错误", "warning": "警告"}

# The register of schools expected each month (学校名录).
REGISTER = Sheet("学校名录", "学校名录", english="register of schools", columns=(
    _c("学校标识码", "text", required=True, width=14),
    _c("学校名称", "text", required=True, width=24),
    _c("所属乡镇", "text", required=True, width=12),
    _c("学校类型", "code", required=True, codes="学校类型"),
    _c("城乡类别", "code", required=True, codes="城乡类别"),
))


# ---------------------------------------------------------------------------------------------- the household line
# SPEC §8.1: the input lists of `baoxue match` and the 核查清单 a township returns. Read by the same reader as the
# school sheets (header by name within the first 10 rows, on the first sheet that has it; aliases; §2.9 normalisation).
# ``Column.computed`` on the 核查清单 marks the columns `match` fills (locked); the others are the township's input.
_HH_ID_ALIASES = ("公民身份号码", "身份证号码", "身份证件号", "身份证")
_HH_TOWN = _c("户籍乡镇", "text", required=True, aliases=("乡镇", "乡镇(街道)", "乡镇（街道）", "所属乡镇", "乡镇街道"))
_HH_VILLAGE = _c("户籍村(社区)", "text", required=True, width=14,
                 aliases=("户籍村", "户籍村（社区）", "户籍村/社区", "村(社区)", "村（社区）", "村", "社区", "村居"))
_HH_GROUP = _c("村民小组", "text", aliases=("组", "村小组", "村民组"), width=10)
_HH_HEAD = _c("户主姓名", "name", aliases=("户主",), width=10)

HOUSEHOLD_LIST = Sheet("户籍名单", "适龄儿童户籍名单", english="household list (公安 / township)", columns=(
    NAME, SEX,
    _c("身份证号", "id", required=True, aliases=_HH_ID_ALIASES),
    BIRTH, _HH_TOWN, _HH_VILLAGE, _HH_GROUP, _HH_HEAD,
    _c("监护人姓名", "name", width=10),
    _c("监护人电话", "phone", aliases=("监护人联系电话", "联系电话")),
), note="每个在本县有户籍或常住的儿童一行（来自公安户籍或乡镇摸排）。身份证号列须为文本格式。")

XUEJI_LIST = Sheet("学籍名单", "学籍系统在籍学生名单", english="student-register export (学籍系统)", columns=(
    _c("学校标识码", "schoolcode", required=True, width=14),
    _c("学校名称", "text", width=24),
    NAME,
    _c("性别", "code", codes="性别", width=6),
    _c("身份证号", "id", required=True, aliases=("身份证件号", "公民身份号码", "身份证号码", "身份证")),
    _c("学籍号", "xjh", aliases=XJH.aliases),
    GRADE, CLASS,
    _c("学籍状态", "text", width=10, note="空、在籍或休学为有籍；其他状态（如已转出、已毕业）不计"),
), note="学籍系统导出的全县各校在籍学生，一人一行。")

ELSEWHERE_LIST = Sheet("异地就读名单", "异地就读学生名单", english="children attested at school outside the county", columns=(
    _c("姓名", "name"),
    _c("身份证号", "id", required=True, aliases=_HH_ID_ALIASES),
    _c("就读学校", "text", required=True, width=24),
    _c("就读地区", "text", required=True, aliases=("就读地",), width=16),
    _c("证明日期", "date"),
), note="已取得异地就读证明的本县儿童，一人一行。")

KEY_GROUP_LIST = Sheet("重点人群名单", "重点人群名单", english="key groups (防返贫监测, 残联, 民政)", columns=(
    _c("身份证号", "id", required=True, aliases=_HH_ID_ALIASES),
    _c("姓名", "name"),
    _c("类别", "code", required=True, codes="重点人群类别", aliases=("重点人群类别", "人群类别")),
), note="脱贫户、监测户、残疾、孤儿或事实无人抚养、留守儿童等，一人一类一行。")

CHECKLIST = Sheet("核查清单", "适龄儿童入户核查清单", english="verification list (户籍线 door-to-door check)", columns=(
    _c("序号", "int", width=6, computed=True),
    _c("姓名", "name", computed=True),
    _c("性别", "code", codes="性别", width=6, computed=True),
    _c("身份证号", "id", required=True, aliases=_HH_ID_ALIASES, computed=True),
    _c("出生日期", "date", computed=True),
    _c("户籍乡镇", "text", aliases=_HH_TOWN.aliases, computed=True),
    _c("户籍村(社区)", "text", aliases=_HH_VILLAGE.aliases, width=14, computed=True),
    _c("村民小组", "text", aliases=_HH_GROUP.aliases, width=10, computed=True),
    _c("户主姓名", "name", aliases=_HH_HEAD.aliases, width=10, computed=True),
    _c("比对情况", "text", width=26, computed=True),
    _c("重点人群", "text", width=12, computed=True),
    _c("核查结果", "code", required=True, codes="核查结果", note="乡镇填写：从下拉列表选择"),
    _c("就读学校", "text", width=22, note="县内就读、县外就读已核实必填"),
    _c("就读地区", "text", aliases=("就读地",), width=14, note="县外就读已核实必填"),
    _c("证明材料", "code", codes="有无", width=8, note="不计入类结果须为“有”"),
    _c("核查人", "name", width=10),
    _c("核查日期", "date"),
    NOTE,
), note="内部资料：含完整身份证号，仅供入户核查，不得外传。灰色表头的列由系统填写；请填写核查结果至备注各列后交回。")

HOUSEHOLD_INPUTS: tuple[Sheet, ...] = (HOUSEHOLD_LIST, XUEJI_LIST, ELSEWHERE_LIST, KEY_GROUP_LIST)
HOUSEHOLD_SHEETS: dict[str, Sheet] = {s.name: s for s in (*HOUSEHOLD_INPUTS, CHECKLIST)}
# every table a reader types: the school book's data sheets and the household line's lists
TABLES: dict[str, Sheet] = {**SHEETS, **HOUSEHOLD_SHEETS}

# SPEC §8.5: the columns of the ledger's 台账 sheet (one row per school-age child)
LEDGER_COLUMNS = ("姓名", "性别", "身份证号", "出生日期", "户籍乡镇", "户籍村(社区)", "村民小组", "台账状态", "依据",
                  "就读学校", "重点人群", "核查结果", "核查日期")
LEDGER_STATUSES = CODE_LISTS["台账状态"]
XUEJI_REGISTERED = ("在籍", "休学")   # and blank: 有籍 (SPEC §8.1)


def sheet(name: str) -> Sheet:
    return SHEETS[name]
