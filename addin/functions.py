"""Worksheet functions (UDFs) for the clerk: =BX_ID_CHECK(E5, 封面!B7), =BX_AGE(E5), =BX_VALIDATE(辍学!A1:AE300, "辍学") …

One module serves every route: the classic desktop add-in imports it as its UDF module (``UDF Modules`` =
``baoxue.addin.functions``), xlwings Lite / Server register the same functions from ``main.py``. Arguments arrive as
Excel gives them (text, numbers, Excel date serials or dates, empty cells) and are normalised with the reader's own
rules (SPEC §2.9); the checks and their words are the core's (``idcard.problems``, ``cases.next_step``, the rule
catalogue), so a function and ``baoxue validate`` say the same thing. No rule lives here: this module only adapts cell
arguments and return values. Functions never raise into a cell: bad input gives a Chinese message or an empty cell.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from baoxue import cases, idcard, model, normalize
from baoxue.edits import findings_rows
from baoxue.grid import Grid
from baoxue.months import age_cutoff, month_end
from baoxue.normalize import Invalid
from baoxue.policy import DEFAULT, Policy
from baoxue.reader import canonical_sheet_name, parse_grid
from baoxue.validators import validate
from baoxue.validators.catalogue import RULES, message
from baoxue.validators.rules_format import ID_AS_NUMBER, MALFORMED, id_as_shown

from .actions import policy
from .runtime import arg, func

NO_FINDINGS = "未发现问题（本函数只做本表内的检查；跨表检查请点“校验”按钮）"
TODAY_LABEL = "今天"          # BX_ID_CHECK without an as-of date measures the birth date against today
NEXT_STEP_ARGS = ("发现日期", *cases.FOUR_STEPS, "状态")   # BX_NEXT_STEP's arguments: 辍学 columns, in order


@lru_cache(maxsize=1)
def cross_sheet_rules() -> frozenset[str]:
    """Rules that read a second sheet or the cover (the rule catalogue's ``cross_sheet``): BX_VALIDATE sees one sheet
    only, so it leaves them to the 校验 button."""
    return frozenset(i for i, r in RULES.items() if r.cross_sheet)


# ============================================================================================== helpers (plain)
def _id(value: Any) -> str | Invalid | None:
    return normalize.id_number(value)


def _date(value: Any) -> dt.date | None:
    d = normalize.date(value)
    return d if isinstance(d, dt.date) else None


def _excel_date(d: dt.date | None) -> dt.datetime | str:
    return dt.datetime(d.year, d.month, d.day) if d else ""


def as_of_date(value: Any) -> dt.date | Invalid | None:
    """The as-of date a sheet passes: a date (cell, serial or typed), or a report month (2026-10 → its last day, the
    validator's as-of date); None when omitted."""
    if normalize.is_empty(value):
        return None
    d = normalize.date(value)
    if isinstance(d, dt.date):
        return d
    m = normalize.month(value)
    return month_end(m) if isinstance(m, str) else Invalid(normalize.raw_text(value) or "", "date")


def id_problem(value: Any, as_of: dt.date | None = None, as_of_label: str = idcard.AS_OF_LABEL) -> str:
    """"" for a valid ID number (or an empty cell), otherwise the messages of F004/F005/F006 exactly as the validator
    writes them for the same cell with ``as_of`` as the report month end (one per line when there are two)."""
    pid = _id(value)
    if pid is None:
        return ""
    if isinstance(pid, Invalid):
        return message("F004", value=id_as_shown(pid), problem=ID_AS_NUMBER)
    out = []
    for rule, fields in idcard.problems(pid, as_of, as_of_label):
        if rule == "F004":
            fields = {"problem": MALFORMED.format(n=fields["n"])}
        out.append(message(rule, value=idcard.mask(pid), **fields))
    return "\n".join(out)


def valid_id(value: Any) -> str | None:
    pid = _id(value)
    return pid if idcard.usable(pid) else None


def school_year_cutoff(today: dt.date) -> dt.date:
    """31 August before the school year holding ``today``: the validators' cut-off (``months.age_cutoff``, SPEC §3)."""
    return age_cutoff(today)


def next_step(found: Any, persuasion: Any = None, notice: Any = None, penalty: Any = None, judicial: Any = None,
              status: Any = None, policy: Policy = DEFAULT) -> cases.NextStep:
    """The cells of one 辍学 row, normalised as the reader does, handed to the core (``cases.next_step``); a problem the
    core names by its rule gets that rule's words (``advice``)."""
    values = (found, persuasion, notice, penalty, judicial, status)
    row = {name: normalize.cell(model.DROPOUT.col(name), v) for name, v in zip(NEXT_STEP_ARGS, values)}
    return with_words(cases.next_step(row, policy))


def with_words(step: cases.NextStep) -> cases.NextStep:
    """``step`` with its advice in words: a rule-named problem (F002, F003, C007) says the validator's own message."""
    return step._replace(advice=message(step.rule, **step.fields)) if step.rule else step


def validate_range(values: list[list[Any]] | Any, sheet: str, month: Any = None, first_row: int = 1,
                   policy: Policy = DEFAULT) -> list[list[Any]]:
    """Findings of one sheet's cells (values from column A, row ``first_row`` on) as a table with a header row."""
    canonical = canonical_sheet_name(str(sheet or ""))
    if canonical is None or canonical == model.COVER_SHEET:
        names = "、".join(model.SHEETS)
        return [[f"第2个参数应为数据表名称之一：{names}"]]
    if not isinstance(values, list):
        values = [[values]]
    rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in values]
    first_row = int(first_row or 1)
    grid = Grid(sheets={canonical: [[] for _ in range(first_row - 1)] + rows}, sheet_names=[canonical])
    m = normalize.month(month) if month not in (None, "") else None
    if isinstance(m, str):
        grid.sheets[model.COVER_SHEET] = [["报送月份", m]]
    book = parse_grid(grid)
    cross = cross_sheet_rules()
    found = [f for f in validate(book, policy) if f.sheet == canonical and f.rule not in cross]
    table = [list(model.FINDINGS_COLUMNS)] + [list(r) for r in findings_rows(found)]
    if not found:
        table.append([NO_FINDINGS] + [""] * (len(model.FINDINGS_COLUMNS) - 1))
    return table


# ============================================================================================== worksheet functions
@func
def BX_ID_CHECK(id_number, as_of=None):
    """身份证号校验：合格（或空白）返回空白，否则返回问题说明（与“校验”按钮的 F004/F005/F006 同一说法）。
    as_of：判断出生日期是否晚于哪一天，填报送月末日期或直接引用封面的报送月份（按该月最后一天）；省略时按今天。"""
    on = as_of_date(as_of)
    if isinstance(on, Invalid):
        return f"第2个参数“{on.raw}”不是有效日期。请填写报送月末日期，或引用封面的报送月份（如 2026-10）。"
    if on is None:
        return id_problem(id_number, dt.date.today(), TODAY_LABEL)
    return id_problem(id_number, on)


@func
def BX_ID_BIRTHDATE(id_number):
    """按身份证号第7–14位给出出生日期；号码无效时返回空白。"""
    pid = valid_id(id_number)
    if pid is None:
        return ""
    born = idcard.birth_date(pid)
    return dt.datetime(born.year, born.month, born.day)


@func
def BX_ID_SEX(id_number):
    """按身份证号第17位给出性别（奇数男、偶数女）；号码无效时返回空白。"""
    pid = valid_id(id_number)
    return idcard.sex(pid) if pid else ""


@func
def BX_AGE(id_number, on_date=None):
    """按身份证号计算某日的周岁年龄；省略日期时按本学年开学前的8月31日（入学年龄的计算日）。"""
    pid = valid_id(id_number)
    if pid is None:
        return ""
    on = _date(on_date) if on_date not in (None, "") else school_year_cutoff(dt.date.today())
    if on is None:
        return "日期无法识别"
    return idcard.age_on(idcard.birth_date(pid), on)


@func
def BX_NEXT_STEP(found_date, persuasion_date=None, notice_date=None, penalty_date=None, judicial_date=None,
                 status=None):
    """辍学个案的下一步法定措施及其期限（四步法）。参数依次为：发现日期、劝返动员日期、限期复学通知日期、行政处罚日期、
    司法程序日期、状态。返回一行两格：下一步（或须先改正的问题）、截止日期。"""
    step = next_step(found_date, persuasion_date, notice_date, penalty_date, judicial_date, status, policy())
    return [[step.advice, _excel_date(step.due)]]


@func
@arg("cells", ndim=2)
def BX_VALIDATE(cells, sheet, month=None, first_row=1):
    """校验一张数据表的单元格区域（从A列、第 first_row 行起选，如 辍学!A1:AE300），以动态数组返回问题清单。
    sheet：数据表名称；month：报送月份（可引用封面的报送月份单元格，用于日期和逾期检查）。"""
    return validate_range(cells, sheet, month, first_row, policy())

