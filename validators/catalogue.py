"""The rule catalogue (SPEC §4): every rule's ID, severity, titles, message template, reason and examples.

This is the one place a rule's words live: one keyword ``RuleInfo(id=..., severity=..., title=..., ...)`` entry per
rule in ``CATALOGUE``, in the order the docs list them. The rule functions (``rules_*.py``) are registered with
``@rule("C003")`` right above the function, so "where is rule C003" is one grep; the roll-up rules R001–R008 are implemented in
``baoxue.rollup.rules`` and take their metadata from here too. ``docs/rules.md`` is generated from this file
(``python -m baoxue.validators.docs``).

Message templates are ``str.format`` templates; every finding supplies ``{column}`` and ``{value}`` (the value as found,
or “（空）”) and the named extras listed in the rule.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from baoxue import model


SEVERITIES = ("error", "warning")   # "error" blocks submission; "warning" does not


@dataclass(frozen=True, kw_only=True)
class RuleInfo:
    id: str
    severity: str          # "error" blocks submission; "warning" does not
    title: str             # Chinese title
    title_en: str          # English title
    message: str           # Chinese message template: what is wrong, the value found, how to fix it
    why: str               # policy reason (seed / SPEC reference)
    bad: str               # a failing example
    good: str              # a passing example
    cross_sheet: bool = False   # reads another sheet or the cover (not just the report month): one sheet cannot decide it
    notes: str = ""             # longer explanation for the rule reference (Chinese, Markdown), when the rule needs one

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.id}: severity {self.severity!r} is not one of {SEVERITIES}")

    @property
    def family(self) -> str:
        """The family letter (S, F, A, …): the first letter of the ID."""
        return self.id[0]

    @property
    def severity_label(self) -> str:
        return model.SEVERITY_LABELS[self.severity]


FAMILIES = {
    "S": "结构 Structure", "F": "格式 Format", "A": "年龄 Age", "D": "日期 Dates", "C": "个案 Cases",
    "T": "送教上门 Home teaching", "P": "劝返记录 Persuasion log", "X": "交叉核对 Cross checks", "R": "汇总 Roll-up",
    "H": "户籍线 Household line",
}

CATALOGUE: tuple[RuleInfo, ...] = (
    # ---------------------------------------------------------------------------------------------- S: structure
    RuleInfo(
        id="S001",
        severity="error",
        title="缺少必需的工作表",
        title_en="required sheet missing",
        message="缺少工作表“{sheet}”。请使用标准模板（{version}）填报，不要删除或重命名工作表。",
        why="SPEC §2：封面至劝返记录七张工作表是月报的组成部分，缺一张就无法汇总。",
        bad="工作簿中没有“劝返记录”工作表（被删除或改名为“劝返”）",
        good="七张工作表齐全（名称可带空格或全角字符）",
        cross_sheet=True,
    ),
    RuleInfo(
        id="S002",
        severity="error",
        title="缺少必需的列",
        title_en="required column missing",
        message="工作表“{sheet}”缺少列“{column}”（前10行中找不到该列标题）。请恢复模板中的列标题，不要删除或改名。",
        why="SPEC §2：按列名而不是列位置读取；找不到列标题就无法检查和汇总该列。",
        bad="“辍学”表的“身份证号”列标题被改成“证件”",
        good="列标题为“身份证号码”（可接受的别名）或调整了列顺序",
    ),
    RuleInfo(
        id="S003",
        severity="warning",
        title="模板版本不符",
        title_en="template version missing or different",
        message="模板版本为“{value}”，当前标准模板版本为“{version}”。请用最新模板填报（可用 baoxue template 生成）。",
        why="SPEC §2：模板版本写在封面和文档属性中；旧模板的列或代码表可能已变化。",
        bad="封面“模板版本”为空或为“BX-2025.1”",
        good=f"封面“模板版本”为“{model.TEMPLATE_VERSION}”",
        cross_sheet=True,
    ),
    RuleInfo(
        id="S004",
        severity="error",
        title="封面信息缺失或无效",
        title_en="cover field missing or invalid",
        message="封面“{column}”{problem}（当前值：{value}）。{fix}",
        why="SPEC §2.1：学校标识码、报送月份和在校生数决定汇总口径和辍学率分母。",
        bad="封面“学校标识码”为“53012”（不足10位），或“报送月份”为“九月”",
        good="学校标识码“5301230001”，报送月份“2026-09”",
        cross_sheet=True,
    ),
    RuleInfo(
        id="S005",
        severity="error",
        title="文件无法读取",
        title_en="file cannot be read as a workbook",
        message="{reason}",
        why="SPEC §4：损坏、加密、.xls/.et、网页或过大的文件无法检查；只给出一条结果，不中断其他文件。",
        bad="学校发来 Excel 97-2003 格式的“月报.xls”，或0字节文件",
        good="另存为 .xlsx 的工作簿",
    ),
    RuleInfo(
        id="S006",
        severity="error",
        title="含外部链接、数据连接、宏或本地文件链接",
        title_en="external link, data connection, DDE, macro or local-file link",
        message="工作簿含有{kind}：{value}。月报工作簿中不允许外部链接、数据连接、DDE、宏或指向本机/网络文件的链接。{fix}",
        why="打开或汇总时它们会读取其他文件、访问网络或运行程序，可能泄露儿童信息或被用来攻击县里的电脑（见 docs/security.md）。",
        bad="单元格超链接指向 file:///C:/Windows/System32/cmd.exe；名称定义引用 [1]外校!A1；工作簿带 VBA 宏",
        good="只有模板自带的名称（代码表下拉列表、打印标题）",
        cross_sheet=True,
    ),
    RuleInfo(
        id="S007",
        severity="warning",
        title="含网页超链接或嵌入对象",
        title_en="web hyperlink or embedded object",
        message="工作簿含有{kind}：{value}。请确认它是必要的；不需要时请删除（右键“取消超链接”或删除对象）。",
        why="汇总人员点击陌生网页链接或打开嵌入对象有风险；月报数据不需要它们。",
        bad="备注单元格带 http://… 超链接；工作表中嵌入了 Word 文档",
        good="备注中的网址以普通文字录入",
        cross_sheet=True,
    ),
    RuleInfo(
        id="S008",
        severity="error",
        title="两张工作表都被当作同一张标准表",
        title_en="two sheets stand for the same standard sheet",
        message="工作表{value}的名称只差空格或全角字符，都被当作“{sheet}”，只读取了排在后面的“{read}”。"
                "请删除或改名其中不用的一张（例如改为“{sheet}_旧”），再校验。",
        why="工作表名中的空格和全角字符不作区别（SPEC §2）；两张同名表中只能读取一张，否则报送的可能不是填报员看到的那张。",
        bad="工作簿中同时有“辍学”和复制后改名的“辍学 ”（末尾多一个空格）",
        good="只有一张“辍学”（旧数据另存在“辍学_旧”中）",
        cross_sheet=True,
    ),

    # ---------------------------------------------------------------------------------------------- F: format
    RuleInfo(
        id="F001",
        severity="error",
        title="必填项为空",
        title_en="required value empty",
        message="“{column}”为必填项，不能为空。请填写后再报送。",
        why="SPEC §2.2–2.7：必填列是台账的最低信息，缺失会导致个案无法跟踪。",
        bad="辍学 第4行“监护人电话”为空",
        good="监护人电话“13812345678”",
    ),
    RuleInfo(
        id="F002",
        severity="error",
        title="不在代码表中",
        title_en="value not in its code list",
        message="“{column}”的值“{value}”不在代码表“{codes}”中。请从下拉列表中选择：{allowed}。",
        why="SPEC §2.8：代码统一才能汇总统计（“是否”也接受 Y/N、√/×）。",
        bad="辍学 第4行“状态”为“已返校”",
        good="状态“已复学”；残疾填“√”视为“是”",
    ),
    RuleInfo(
        id="F003",
        severity="error",
        title="日期无效",
        title_en="not a date, or an impossible date",
        message="“{column}”的值“{value}”不是有效日期。请填写如 2026-09-03 的日期（也可用 2026/9/3、2026年9月3日）。",
        why="SPEC §2.9：日期可按多种常见写法录入，但必须是真实存在的日期。",
        bad="发现日期“2026-02-30”或“九月初”",
        good="发现日期“2026年9月3日”、“20260903”或日期单元格",
    ),
    RuleInfo(
        id="F004",
        severity="error",
        title="身份证号格式错误",
        title_en="ID number malformed",
        message="身份证号“{value}”{problem}",
        why="GB 11643：公民身份号码为17位数字加1位数字或X；以数字形式保存时 Excel 只保留15位有效数字，后几位已丢失。",
        bad="身份证号“53012320150203”（14位），或以数字保存显示为 5.30123E+17",
        good="身份证号“530123201502030017”（文本格式）",
    ),
    RuleInfo(
        id="F005",
        severity="error",
        title="身份证号校验位错误",
        title_en="ID check digit wrong",
        message="身份证号“{value}”的校验位（第18位）不正确，按前17位计算应为“{expected}”。请对照证件逐位核对后重新录入。",
        why="GB 11643：加权系数 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2，和模11对应 1,0,X,9,8,7,6,5,4,3,2。",
        bad="身份证号末位与前17位计算结果不符（多为录入时错一位）",
        good="校验位正确的身份证号",
    ),
    RuleInfo(
        id="F006",
        severity="error",
        title="身份证号出生日期无效",
        title_en="ID birth date impossible or in the future",
        message="身份证号“{value}”第7–14位的出生日期{problem}。请对照证件核对。",
        why="GB 11643：第7–14位是出生日期，必须是真实日期且不晚于报送月末。",
        bad="身份证号第7–14位为“20151332”（13月）",
        good="第7–14位为“20150203”",
    ),
    RuleInfo(
        id="F007",
        severity="error",
        title="性别与身份证号不符",
        title_en="性别 disagrees with the ID",
        message="性别“{value}”与身份证号不符（身份证号第17位为{digit}，表示{expected}）。请核对性别或身份证号。",
        why="GB 11643：第17位奇数为男、偶数为女。",
        bad="性别“女”，身份证号第17位为1",
        good="性别“男”，身份证号第17位为1",
    ),
    RuleInfo(
        id="F008",
        severity="error",
        title="出生日期与身份证号不符",
        title_en="出生日期 disagrees with the ID",
        message="出生日期{value}与身份证号中的出生日期{expected}不符。请核对；也可清空出生日期，由“更新”按身份证号自动填写。",
        why="SPEC §2.2：出生日期若填写须与身份证号一致（update 会按身份证号补填）。",
        bad="出生日期“2015-03-02”，身份证号中为 2015-02-03",
        good="出生日期留空或与身份证号一致",
    ),
    RuleInfo(
        id="F009",
        severity="error",
        title="学籍号格式错误",
        title_en="学籍号 malformed",
        message="学籍号“{value}”{problem}",
        why="全国学籍号为“G”加本人身份证号；临时学籍号为“L”加18位，须尽快换成正式学籍号（临时号为警告）。",
        bad="学籍号“G530123201502030018”与身份证号差一位",
        good="学籍号“G”+本人身份证号",
    ),
    RuleInfo(
        id="F010",
        severity="warning",
        title="电话号码可疑",
        title_en="phone number implausible",
        message="电话号码“{value}”不像有效号码（手机为1开头的11位数字，固定电话须带区号，如 0871-12345678）。请核对。",
        why="监护人和填报人的电话用于当天核查与劝返联系，须能打通。",
        bad="监护人电话“1381234567”（10位）",
        good="“13812345678”或“0871-65123456”",
    ),
    RuleInfo(
        id="F011",
        severity="error",
        title="年级无法识别",
        title_en="年级 not recognisable",
        message="年级“{value}”无法识别。请填写一年级至九年级（也可填 1–9、七/八/九年级、初一/初二/初三）。",
        why="SPEC §2.2：年级决定小学/初中口径和辍学率分母。",
        bad="年级“高一”或“7班”",
        good="年级“初二”（读作八年级）或“3”",
    ),
    RuleInfo(
        id="F012",
        severity="error",
        title="姓名不合理",
        title_en="姓名 implausible",
        message="“{column}”“{value}”不像真实姓名（{problem}）。请填写真实姓名；少数民族姓名可用“·”分隔。",
        why="台账须能对应到具体儿童和监护人；数字、符号或超长文本多为错列或占位。",
        bad="姓名“张三3”、“?”或超过20个字符的文字",
        good="姓名“买买提·艾力”",
    ),
    RuleInfo(
        id="F013",
        severity="error",
        title="单元格含公式",
        title_en="a cell holds a formula",
        message="“{column}”单元格中是公式（{what}{value}）。除“月报汇总”中模板自带的公式外，工作簿的任何单元格（包括隐藏的工作表）"
                "都不允许公式或外部链接。请改为直接录入数值或文字。",
        why="公式可能引用外部文件（外部链接）、访问网络（WEBSERVICE、HYPERLINK）或执行注入；报送数据须是录入的值。"
            "仅以 = + - @ 开头的文字不是公式。",
        bad="姓名单元格为 =HYPERLINK(\"http://…\")；月报汇总的公式被改成 =WEBSERVICE(…)",
        good="文字“=待核实”（文本格式，不是公式）",
    ),
    RuleInfo(
        id="F014",
        severity="error",
        title="数值无效",
        title_en="number invalid or out of range",
        message="“{column}”的值“{value}”{problem}",
        why="SPEC §2.6：课时为大于0的数，同行人数为不小于1的整数；本月送教次数/课时由更新自动计算。",
        bad="送教记录 课时“两节”或0；同行人数“2人”",
        good="课时 2，同行人数 2",
    ),

    # ---------------------------------------------------------------------------------------------- A: age
    RuleInfo(
        id="A001",
        severity="warning",
        title="年龄超出义务教育适龄范围",
        title_en="age outside the school-age range",
        message="按{source}，该生在{cutoff}时{age}周岁，不在义务教育适龄范围（{min}–{max}周岁）内。请核对身份证号或出生日期。",
        why="SPEC §3：以学年开始前8月31日的年龄计，6–15周岁为义务教育适龄（8月31日前年满6周岁入学）。",
        bad="2026-09 月报中，辍学学生2008年出生（18周岁）",
        good="2014年出生（12周岁）",
    ),
    RuleInfo(
        id="A002",
        severity="warning",
        title="年级与年龄不符",
        title_en="grade implausible for age",
        message="年级“{value}”与年龄不符：该生在{cutoff}时{age}周岁，一般应在{expected}左右（相差超过2个年级）。请核对年级或身份证号。",
        why="SPEC §4：年级与“年龄−5”相差超过2个年级多为年级或身份证号录错。",
        bad="12周岁（应为七年级左右）却填“二年级”",
        good="12周岁填“六年级”或“七年级”",
    ),
    RuleInfo(
        id="A003",
        severity="warning",
        title="缓学儿童未到入学年龄",
        title_en="deferred child not yet of school age",
        message="该儿童在{cutoff}时{age}周岁，未到入学年龄（{min}周岁），无需办理缓学。请核实出生信息，或删除该行。",
        why="seeds：8月31日前年满6周岁的儿童入学；未满6周岁不必申请缓学。",
        bad="2026-09 月报中，缓学儿童2021年出生（5周岁）",
        good="2020年出生（6周岁）",
    ),

    # ---------------------------------------------------------------------------------------------- D: dates
    RuleInfo(
        id="D001",
        severity="error",
        title="日期晚于报送月末",
        title_en="event date after the as-of date",
        message="“{column}”{value}晚于本次报送月末 {as_of}。已发生事件的日期不能在报送月份之后，请核对日期或封面的报送月份。",
        why="SPEC §1：截止日期为报送月份最后一天；预计复学日期、缓学截止日期和填报日期除外。",
        bad="2026-09 月报中 发现日期为 2026-10-08",
        good="发现日期 2026-09-08",
    ),
    RuleInfo(
        id="D002",
        severity="error",
        title="日期先后顺序错误",
        title_en="dates out of order",
        message="日期先后顺序不对：“{column}”{value}早于“{earlier}”{earlier_value}。应为 {order}。请核对。",
        why="SPEC §4：发现≤上报，发现≤复学≤销号，四步法日期依次；休学/缓学 申请≤批准≤起始≤截止。",
        bad="上报日期 2026-09-01 早于发现日期 2026-09-03",
        good="发现 2026-09-03，上报 2026-09-03",
    ),
    RuleInfo(
        id="D003",
        severity="warning",
        title="未当天上报",
        title_en="not reported the same day",
        message="上报日期{value}比发现日期{found}晚{days}天，未做到当天上报（允许{tolerance}天）。请在备注中说明原因。",
        why="seeds：发现疑似辍学“当天上报”。",
        bad="发现 2026-09-03，上报 2026-09-10",
        good="发现 2026-09-03，上报 2026-09-03 或 09-04",
    ),
    RuleInfo(
        id="D004",
        severity="warning",
        title="休学期限过长",
        title_en="suspension longer than the policy period",
        message="休学自{start}至预计复学日期{value}，超过{months}个月。请核实批准文件；期满未复学的应按疑似辍学核查。",
        why="SPEC §3：休学期限一般不超过12个月（县可在策略文件中调整）。",
        bad="休学起始 2026-03-01，预计复学 2027-09-01",
        good="预计复学 2027-03-01",
    ),
    RuleInfo(
        id="D005",
        severity="warning",
        title="缓学期限过长",
        title_en="deferral longer than the policy period",
        message="缓学自{start}至截止日期{value}，超过{months}个月。请核实批准文件，到期须重新评估入学。",
        why="SPEC §3：缓学期限一般不超过12个月（县可在策略文件中调整）。",
        bad="缓学起始 2026-09-01，截止 2028-08-31",
        good="截止 2027-08-31",
    ),

    # ---------------------------------------------------------------------------------------------- C: cases
    RuleInfo(
        id="C001",
        severity="error",
        title="销号状态与销号日期不一致",
        title_en="closing status and 销号日期 disagree",
        message="销号状态与销号日期不一致：{problem}",
        why="seeds：“劝返一个，销号一个”——只有销号状态加销号日期才算销号。",
        bad="状态“已复学”但销号日期为空；或状态“劝返中”却填了销号日期",
        good="状态“已复学”，销号日期 2026-09-20",
    ),
    RuleInfo(
        id="C002",
        severity="error",
        title="复学/入学缺少日期",
        title_en="已复学 / 已入学 without its date",
        message="状态为“{status}”，但未填写“{column}”。请填写{column}。",
        why="SPEC §2.2–2.4：复学（入学）日期是“本月劝返复学”等指标的依据。",
        bad="辍学 状态“已复学”，复学日期为空",
        good="状态“已复学”，复学日期 2026-09-18",
    ),
    RuleInfo(
        id="C003",
        severity="warning",
        title="劝返逾期未升级",
        title_en="escalation overdue",
        message="限期复学通知日期为{value}，截至{as_of}已超过{days}天，学生仍未复学且未填写行政处罚日期。请提请乡镇政府依法进入下一步（行政处罚），或更新个案状态。",
        why="seeds：“接到通知书后一周内仍不送学生复学的…下达行政处罚决定书”（四步法）。",
        bad="劝返中，限期复学通知 2026-09-01，无行政处罚日期（2026-09 月报）",
        good="通知 2026-09-25（未满7天）或已填行政处罚日期",
    ),
    RuleInfo(
        id="C004",
        severity="warning",
        title="发现后未及时劝返",
        title_en="no persuasion after discovery",
        message="发现日期{value}后已超过{days}天（截至{as_of}），仍没有任何劝返记录（劝返动员日期为空，劝返记录表中也没有该生）。请尽快入户劝返并登记。",
        why="seeds：“开学一周内完成…劝学走访”；每次劝返都须记录。",
        bad="核查中，发现 2026-09-03，无劝返动员日期、无劝返记录",
        good="劝返记录表中有该生 2026-09-05 的入户走访",
        cross_sheet=True,
    ),
    RuleInfo(
        id="C005",
        severity="warning",
        title="休学期满未复学",
        title_en="休学中 past 预计复学日期",
        message="休学中，但预计复学日期{value}已过（截至{as_of}）。请核实是否已复学；未复学的应按疑似辍学核查并登记到“辍学”表。",
        why="seeds：休学期满未复学的按疑似辍学处理。",
        bad="休学中，预计复学 2026-09-01（2026-09 月报）",
        good="预计复学 2027-02-28，或状态“已复学”并填实际复学日期",
    ),
    RuleInfo(
        id="C006",
        severity="warning",
        title="缓学期满未入学",
        title_en="缓学中 past 缓学截止日期",
        message="缓学中，但缓学截止日期{value}已过（截至{as_of}）。请核实是否已入学，更新状态和入学日期。",
        why="seeds：缓学期满应入学；未入学的须重新核查。",
        bad="缓学中，截止 2026-08-31（2026-09 月报）",
        good="截止 2027-08-31",
    ),
    RuleInfo(
        id="C007",
        severity="error",
        title="四步法跳步",
        title_en="a later step dated while an earlier one is empty",
        message="“{later}”已填写（{later_value}），但前一步“{column}”为空。四步法须依次进行，请补填{column}。",
        why="seeds：劝返动员→限期复学通知（责令改正）→行政处罚→司法程序，依次进行。",
        bad="有行政处罚日期，但限期复学通知日期为空",
        good="四步日期依次填写",
    ),
    RuleInfo(
        id="C008",
        severity="error",
        title="缺少去向说明",
        title_en="去向说明 missing",
        message="状态为“{status}”，须填写去向说明（{what}）。",
        why="SPEC §2.2：去向不明须有调查报告；转学就读、省外就读须注明学校和地点，以便核实。",
        bad="状态“转学就读”，去向说明为空",
        good="去向说明“转入昆明市某某小学（已核实学籍）”",
    ),

    # ---------------------------------------------------------------------------------------------- T: home teaching
    RuleInfo(
        id="T001",
        severity="warning",
        title="本月送教次数不足",
        title_en="fewer qualifying visits than required",
        message="送教中学生本月达标送教{value}次（每次不少于{hours}课时），少于每月{need}次的要求。请补充送教并在“送教记录”中登记。",
        why="seeds：“每月送教上门2次，每次至少2个课时”（县可调整为每周一次）。",
        bad="送教中，本月送教记录只有1次2课时",
        good="本月2次，每次2课时",
        cross_sheet=True,
    ),
    RuleInfo(
        id="T002",
        severity="warning",
        title="单次送教课时不足",
        title_en="visit shorter than the policy class hours",
        message="本次送教{value}课时，少于每次{hours}课时的要求。",
        why="seeds：每次送教至少2个课时。",
        bad="本月一次送教 课时 1",
        good="课时 2",
    ),
    RuleInfo(
        id="T003",
        severity="warning",
        title="送教人数不足",
        title_en="too few teachers on a visit",
        message="本次送教同行{value}人，少于至少{need}人同行的要求。",
        why="seeds：“至少两人同行”。",
        bad="本月一次送教 同行人数 1",
        good="同行人数 2",
    ),
    RuleInfo(
        id="T004",
        severity="warning",
        title="送教无男教师",
        title_en="no male teacher on a visit",
        message="本次送教没有男教师同行（有男教师：{value}）。政策要求至少一名男教师同行。",
        why="seeds：“其中至少一名是男性教师”。",
        bad="本月一次送教 有男教师“否”",
        good="有男教师“是”",
    ),
    RuleInfo(
        id="T005",
        severity="error",
        title="送教对象不在花名册",
        title_en="visit for an ID not on the roster",
        message="身份证号“{value}”不在“送教上门”花名册中。请先在花名册登记该生，或核对身份证号。",
        why="SPEC §2.6：送教记录必须对应花名册中的学生，次数和课时才能计入。",
        bad="送教记录的身份证号在花名册中找不到",
        good="花名册中有该身份证号",
        cross_sheet=True,
    ),
    RuleInfo(
        id="T006",
        severity="error",
        title="送教学生缺少学籍号",
        title_en="送教中 student without 学籍号",
        message="送教中学生未填写学籍号。送教上门学生须注册学籍，请填写全国学籍号。",
        why="seeds：送教上门学生须注册学籍。",
        bad="送教中，学籍号为空",
        good="学籍号“G”+身份证号",
    ),
    RuleInfo(
        id="T007",
        severity="warning",
        title="缺少送教协议或个别化教育计划",
        title_en="送教中 without agreement or IEP date",
        message="送教中学生未填写“{column}”。请签订送教协议/制定个别化教育计划并填写日期。",
        why="seeds：送教上门须签订协议并制定个别化教育计划。",
        bad="送教中，个别化教育计划日期为空",
        good="两个日期均已填写",
    ),

    # ---------------------------------------------------------------------------------------------- P: persuasion log
    RuleInfo(
        id="P001",
        severity="error",
        title="劝返记录对象不在辍学台账",
        title_en="persuasion row for an ID not in 辍学",
        message="身份证号“{value}”不在“辍学”台账中。劝返记录须对应辍学或疑似辍学个案，请先在“辍学”表登记或核对身份证号。",
        why="SPEC §2.7：劝返记录是个案台账的过程记录。",
        bad="劝返记录的身份证号在“辍学”表中找不到",
        good="“辍学”表中有该生",
        cross_sheet=True,
    ),
    RuleInfo(
        id="P002",
        severity="error",
        title="劝返早于发现",
        title_en="persuasion dated before discovery",
        message="劝返日期{value}早于该生的发现日期{found}。请核对劝返日期或发现日期。",
        why="劝返只能在发现疑似辍学之后进行。",
        bad="发现 2026-09-03，劝返 2026-08-20",
        good="劝返 2026-09-05",
        cross_sheet=True,
    ),

    # ---------------------------------------------------------------------------------------------- X: cross checks
    RuleInfo(
        id="X001",
        severity="error",
        title="同一学生重复在册",
        title_en="same ID twice among open rows of a sheet",
        message="身份证号“{value}”在本表在册（未销号）记录中重复出现（另见第{other}行）。同一学生只能有一条在册记录，请合并或关闭旧记录。",
        why="SPEC §4：重复在册会重复计数，辍学率失真。",
        bad="“辍学”表两行同一身份证号，状态都为“劝返中”",
        good="旧记录已销号（已复学+销号日期），新记录劝返中",
    ),
    RuleInfo(
        id="X002",
        severity="error",
        title="同一学生同时在两表在册",
        title_en="same ID open in two sheets",
        message="身份证号“{value}”同时在“{other_sheet}”第{other}行处于在册状态（{other_status}）。同一学生不能同时处于两种状态，请核实并更新其中一条。",
        why="SPEC §4：在册行为 辍学（核查中/劝返中/去向不明）、休学中、缓学中、送教中；一名学生同一时间只能属于其一。",
        bad="同一身份证号 休学中 且 辍学表劝返中",
        good="休学表状态改为“转辍学核查”",
        cross_sheet=True,
    ),
    RuleInfo(
        id="X003",
        severity="error",
        title="零报告与台账不符",
        title_en="零报告 disagrees with the cases",
        message="零报告与台账不符：{problem}",
        why="seeds：零报告制——本月无失学辍学也须报送，并声明零报告；有个案时不得声明零报告。",
        bad="零报告“是”，但辍学表有劝返中个案",
        good="零报告“否”，或无在册/新增个案时“是”",
        cross_sheet=True,
    ),
    RuleInfo(
        id="X004",
        severity="warning",
        title="年级与学校类型或在校生数不符",
        title_en="grade not taught by the school or without enrolment",
        message="年级“{value}”{problem}。请核对本行的年级，或封面的学校类型和“{grade}在校生数”。",
        why="SPEC §5：月末在册辍学率 = 在册未销号 ÷ (在校生 + 在册未销号)；某学段在校生数为0时，该学段每一个个案都使它成为100%。"
            "年级不属于本校学校类型（如小学填七年级）多为年级填错或学校类型填错。",
        bad="学校类型“小学”、各初中年级在校生数为0，“辍学”表一行年级为“七年级”（初中月末在册辍学率显示100）",
        good="年级“六年级”，封面六年级在校生数为45",
        cross_sheet=True,
    ),

    # ---------------------------------------------------------------------------------------------- R: roll-up (baoxue.rollup)
    RuleInfo(
        id="R001",
        severity="error",
        title="学校未报送",
        title_en="school in the register sent nothing",
        message="学校“{school_name}”（{school}）本月（{month}）未报送。请联系学校尽快报送（无辍学也须零报告）。",
        why="seeds：每月月底汇总上报，零报告制。",
        bad="名录中的学校本月没有文件",
        good="收件箱中有该校本月文件",
    ),
    RuleInfo(
        id="R002",
        severity="warning",
        title="重复报送",
        title_en="two submissions of one school for one month",
        message="学校（{school}）本月有多份报送，以“{file}”为准：{reason}。其余保留备查。",
        why="SPEC §6：后报送者为准，均保留；戳记有效的优先于无效的；盖戳时间相同时按文件名取排在最后的一份（结果可重复）。",
        bad="同一学校本月两份已盖戳文件",
        good="每校每月一份",
    ),
    RuleInfo(
        id="R003",
        severity="error",
        title="报送戳记无效",
        title_en="no valid submission stamp or content changed",
        message="文件“{file}”{problem}此文件已列出，但不计入本月汇总，请学校重新报送。",
        why="SPEC §6：报送后数据被修改即戳记失效，以保证汇总数据即学校确认的数据。",
        bad="报送后又改了一个单元格",
        good="用 baoxue submit 生成的文件",
    ),
    RuleInfo(
        id="R004",
        severity="error",
        title="同一学生在两校在册",
        title_en="one ID open in two schools",
        message="身份证号“{value}”同时在两所学校在册（{schools}）。请两校核实学籍与实际就读情况。",
        why="SPEC §4：同一儿童只能在一处在册，否则重复计数。",
        bad="两校辍学表均有该生劝返中",
        good="一校已销号",
    ),
    RuleInfo(
        id="R005",
        severity="error",
        title="个案丢失",
        title_en="case open last month missing this month",
        message="上月在册的个案（身份证号“{value}”）本月台账中没有，也未销号。请学校恢复该行并更新状态（销号须有销号日期）。",
        why="seeds：“劝返一个，销号一个”——个案不能未经销号消失。",
        bad="上月劝返中，本月该行被删除",
        good="本月该行状态“已复学”并填销号日期",
    ),
    RuleInfo(
        id="R006",
        severity="warning",
        title="学年辍学率超过年度目标",
        title_en="a school-year dropout rate above its annual target",
        message="{scope}的{which}学年辍学率为{rate}%，高于年度目标{target}%（学年辍学率 = 学年辍学人数 ÷ 学年初在校生数 × 100；"
                "计入月份：{months}）。",
        why="seed 001：全县小学、城区初中学生年辍学率控制在1%以内，农村初中学生年辍学率控制在3%以内。目标是年度比率，"
            "所以比较的是学年辍学率（SPEC §5.1），而不是月末在册辍学率。",
        bad="某农村初中学年初（9月）初中在校生 200 人，10月末仍未复学的已确认辍学 7 人：7 ÷ 200 × 100 = 3.50%，高于目标3%",
        good="学年初初中在校生 200 人，10月末已确认辍学 5 人：5 ÷ 200 × 100 = 2.50%，不报 R006（即使另有疑似辍学使月末在册"
             "辍学率超过3%）",
        notes="两种辍学率 Two rates：\n"
              "  - **学年辍学率**（年辍学率，政策目标所指）= 学年辍学人数 ÷ 学年初在校生数 × 100。学年自9月1日起至次年8月31日；"
              "学年辍学人数为本月末状态仍未销号（核查中、劝返中、去向不明）且类型为“辍学”（已确认，不含疑似辍学）的学生数，"
              "按年级分小学、初中；学年初在校生数取该校本学年最早计入汇总的月报封面（通常为9月）。"
              "另列**本学年累计辍学人数**：本学年计入的任一月末曾为已确认辍学且未销号的不同学生数（已劝返复学的仍计入）。\n"
              "  - **月末在册辍学率**（SPEC §5，月报汇总、月报表中的监测指标）= 月末在册未销号人数 ÷ (本月在校生数 + "
              "月末在册未销号人数) × 100，含疑似辍学，分母为本月在校生，反映当月的工作量，不与年度目标比较。\n"
              "  - 例：某农村初中9月在校生 200 人；10月在校生 205 人，10月末在册未销号 12 人（其中已确认辍学 7 人、"
              "疑似辍学 5 人），9月另有 1 名已确认辍学已于10月劝返复学。学年辍学率 = 7 ÷ 200 × 100 = 3.50%（高于3%，报 R006）；"
              "本学年累计辍学 8 人；月末在册辍学率 = 12 ÷ (205 + 12) × 100 = 5.53%。\n"
              "  - 计入月份：本学年中历史库已有的月份加本月；历史库缺少的月份在提示、月报表和 JSON（`ytd_missing`）中列出，"
              "不影响本月汇总。乡镇、全县数据为各校人数之和，比率由合计重新计算。",
    ),
    RuleInfo(
        id="R007",
        severity="warning",
        title="逾期报送",
        title_en="late submission",
        message="文件“{file}”于{stamped}报送，晚于截止日期{due}。",
        why="SPEC §3：月报每月最后一天前报送。",
        bad="9月报表10月3日才盖戳",
        good="9月30日前盖戳",
    ),
    RuleInfo(
        id="R008",
        severity="warning",
        title="学校不在名录中",
        title_en="school not in the register",
        message="学校标识码“{school}”不在学校名录中（文件“{file}”）。已列出并计入，请更新学校名录。",
        why="SPEC §6：名录决定应报学校；名录外的报送须核实。",
        bad="名录中无该学校标识码",
        good="名录已包含该学校",
    ),
    # ---------------------------------------------------------------------------------------------- H: household line (baoxue.household)
    RuleInfo(
        id="H001",
        severity="warning",
        title="户籍名单重复",
        title_en="the same ID more than once in 户籍名单",
        message="身份证号“{value}”在户籍名单中重复出现（首次见“{first_file}”第{first_row}行）。台账按首次出现的一行计一人；请核实是否双重户籍或重复登记，并通知公安或乡镇更正。",
        why="SPEC §8.3；seed 003：人籍一致——一个儿童只能有一处户籍，否则重复计数、入学率失真。",
        bad="两份乡镇户籍名单都登记了同一身份证号",
        good="每个身份证号在全部户籍名单中只出现一次",
    ),
    RuleInfo(
        id="H002",
        severity="warning",
        title="人籍不一致",
        title_en="人籍不一致: 户籍 and 学籍 disagree on 姓名 or 性别",
        message="身份证号“{value}”的{column}在学籍名单中为“{xueji}”，在户籍名单中为“{household}”（“{household_file}”第{household_row}行）。请学校对照户口簿核实，在学籍系统或公安户籍中更正。",
        why="seed 003：人籍一致；2024年通知：户籍与学籍比对。",
        bad="学籍“张小明”、户籍“张晓明”",
        good="两边姓名、性别一致",
    ),
    RuleInfo(
        id="H003",
        severity="error",
        title="待核查：户籍在、学籍无",
        title_en="school-age child whom no line accounts for",
        message="适龄儿童（身份证号“{value}”，{township}{village}）{reason}，学校台账、异地就读名单和核查结果都没有说明其去向。已列入“{township}”的核查清单，请乡镇入户核查后交回。",
        why="SPEC §8.2；2024年通知“四查三比对”：户籍与学籍比对，找出未入学的适龄儿童——这正是控辍保学要找的孩子。",
        bad="户籍名单有一名10岁儿童，学籍名单、各校台账、异地就读名单都没有",
        good="该生在学籍名单中在籍，或已核实县外就读",
    ),
    RuleInfo(
        id="H004",
        severity="warning",
        title="核查结果缺依据",
        title_en="a 核查结果 without what it needs",
        message="核查结果“{result}”（身份证号“{value}”，“{file}”第{row}行）{problem}已重新列入核查清单。",
        why="SPEC §8.4：核查结果须有依据——县外就读须有学校和地区，不计入须有证明材料，在校、休学、送教、缓学须在学校台账中体现。",
        bad="核查结果“县外就读已核实”，就读学校为空",
        good="县外就读已核实，就读学校、就读地区已填，证明材料“有”",
    ),
    RuleInfo(
        id="H005",
        severity="error",
        title="核查失学辍学未进入学校台账",
        title_en="verified 失学辍学 but no open 辍学 case in any school",
        message="身份证号“{value}”经核查为失学辍学（“{file}”第{row}行，核查日期{date}），但本月没有任何学校的“辍学”台账在册。请由户籍所在地学校（或原就读学校）在“辍学”表登记并开展劝返。",
        why="seeds：劝返一个，销号一个——失学辍学儿童须进入学校线的个案台账，才能跟踪劝返。",
        bad="核查结果“失学辍学”，各校辍学表都没有该生",
        good="某校辍学表已登记该生，状态“劝返中”",
    ),
    RuleInfo(
        id="H006",
        severity="warning",
        title="重点人群待核查或失学辍学",
        title_en="a key-group child who is 待核查 or 失学辍学",
        message="重点人群（{groups}）儿童（身份证号“{value}”，{township}{village}）台账状态为“{status}”。请优先入户核查并落实包保责任。",
        why="seed 004 与 2024年通知：脱贫户、监测户、残疾、留守等重点群体优先排查，辍学与防返贫数据库比对。",
        bad="重点人群名单中的残疾儿童在台账中为待核查",
        good="该生已核实送教上门",
    ),
    RuleInfo(
        id="H007",
        severity="error",
        title="重点人群标记与名单不符",
        title_en="a 辍学 row marks 否 while 重点人群名单 lists the child",
        message="学校“{school_name}”辍学表第{row}行（身份证号“{value}”）的“{column}”为“否”，但重点人群名单列为“{group}”。请学校核实并改为“是”。",
        why="2024年通知：辍学学生与脱贫户数据库比对；重点群体的辍学须标记，以便优先劝返和资助。",
        bad="辍学表“脱贫家庭或监测户”为否，重点人群名单列为监测户",
        good="辍学表该列为“是”",
    ),
    RuleInfo(
        id="H008",
        severity="error",
        title="人籍一致：学籍人数与学校报表不符",
        title_en="有籍 count in 学籍名单 ≠ the school's own count",
        message="学校“{school_name}”{grade}：学籍名单在籍 {xueji} 人，学校报表 {book} 人（在校生 {enrolled} + 休学中 {leave} + 辍学在册 {open}），{direction} {diff} 人。请学校核对学籍与在校学生。",
        why="seed 003：人籍一致；2024年通知：学籍与在校学生比对，找出有籍无人的辍学。",
        bad="学籍名单七年级在籍 52 人，封面在校 50、无休学无辍学（有籍无人 2 人）",
        good="52 = 50 + 1 休学 + 1 辍学在册",
    ),
    RuleInfo(
        id="H009",
        severity="error",
        title="学籍名单的学校不在名录中",
        title_en="a 学籍名单 row whose 学校标识码 is not in the register",
        message="学籍名单第{row}行的学校标识码“{value}”不在学校名录中。请核对标识码，或把该校加入学校名录。",
        why="SPEC §8.3：名录决定应报学校；名录外学校的学生无法与学校台账比对。",
        bad="学籍名单中学校标识码“5301239999”，名录中没有",
        good="学校标识码在名录中",
    ),
    RuleInfo(
        id="H010",
        severity="error",
        title="交回的核查结果对不上户籍名单中的儿童",
        title_en="a returned 核查结果 whose 身份证号 is blank or in no 户籍名单",
        message="交回的核查清单“{file}”第{row}行（{who}）核查结果“{result}”没有计入台账：{reason}。"
                "若是入户摸排新发现的儿童（常住未落户、户籍名单漏登），请核实后补入{township}户籍名单，下次比对即计入；"
                "若是身份证号填错或漏填，请按户口簿更正后重新交回。",
        why="seed 004：户籍线排查覆盖辖区全部适龄儿童（含常住未取得户籍的）；台账只收户籍名单上的儿童（SPEC §8.1），"
            "入户发现的名单外儿童或填错的身份证号若不提示，就会悄悄丢失——而这正是控辍保学要找的孩子。",
        bad="乡镇在交回的核查清单末尾加了一行入户发现的儿童，身份证号不在任何一份户籍名单中（或没填身份证号）",
        good="该儿童已补入户籍名单，下次比对有了台账状态；或身份证号已按户口簿更正",
        notes="只检查填了核查结果的行。身份证号格式或校验位有误的行由 F004–F006 指出，不再重复报 H010；"
              "身份证号在户籍名单中、但不在适龄范围内的儿童不报。",
    ),
)

RULES: dict[str, RuleInfo] = {i.id: i for i in CATALOGUE}

# ---------------------------------------------------------------------------------------------- registry
CHECKS: dict[str, list[Callable]] = {}   # rule ID -> the function(s) that implement it (S/F/A/D/C/T/P/X)


def rule(*ids: str):
    """Register a rule function under one or more rule IDs: ``@rule("C003")`` right above the function.

    A rule function takes a ``RuleBatch`` and returns an iterable of ``(book index, Finding)`` (see ``validators.hits``)."""
    for i in ids:
        if i not in RULES:
            raise KeyError(f"rule {i} is not in the catalogue")

    def register(fn: Callable) -> Callable:
        for i in ids:
            CHECKS.setdefault(i, []).append(fn)
        fn.rule_ids = ids
        return fn
    return register


def info(rule_id: str) -> RuleInfo:
    return RULES[rule_id]


def severity(rule_id: str) -> str:
    return RULES[rule_id].severity


def message(rule_id: str, **fields) -> str:
    """The rule's message with its fields filled in (a missing field shows as “（空）” rather than failing)."""
    return RULES[rule_id].message.format_map(_Blank(fields))


class _Blank(dict):
    def __missing__(self, key):
        return "（空）"
