"""Worksheet functions (UDFs) for the clerk: =BX_ID_CHECK(C5), =BX_AGE(E5, 封面!B7), =BX_VALIDATE(辍学!A1:AE300, "辍学") …

One module serves every route: the classic desktop add-in imports it as its UDF module (``UDF Modules`` =
``baoxue.addin.functions``), xlwings Lite / Server register the same functions from ``main.py``. Arguments arrive as
Excel gives them (text, numbers, Excel date serials or dates, empty cells) and are normalised with the reader's own
rules (SPEC §2.9); the words come from the rule catalogue, so a function and ``baoxue validate`` say the same thing.
Functions never raise into a cell: bad input gives a Chinese message or an empty cell.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from baoxue import idcard, model, normalize
from baoxue.book import Invalid

from .runtime import arg, func

# Rules that read a second sheet or the cover: BX_VALIDATE sees one sheet only, so it leaves them to the 校验 button.
CROSS_SHEET_RULES = frozenset({"S001", "S003", "S004", "P001", "P002", "T001", "T005", "X002", "X003", "C004"})
NO_FINDINGS = "未发现问题（本函数只做本表内的检查；跨表检查请点“校验”按钮）"


# ============================================================================================== helpers (plain)
def _id(value: Any) -> str | Invalid | None:
    return normalize.id_number(value)


def _date(value: Any) -> dt.date | None:
    d = normalize.date(value)
    return d if isinstance(d, dt.date) else None


def _words():
    from baoxue.validators.catalogue import message
    from baoxue.validators.rules_format import ID_AS_NUMBER, MALFORMED
    return message, MALFORMED, ID_AS_NUMBER


def id_problem(value: Any, today: dt.date | None = None) -> str:
    """"" for a valid ID number (or an empty cell), otherwise the Chinese message of F004/F005/F006."""
    message, malformed, as_number = _words()
    pid = _id(value)
    if pid is None:
        return ""
    if isinstance(pid, Invalid):
        return message("F004", value=idcard.mask(pid.raw), problem=as_number)
    if not idcard.format_ok(pid):
        return message("F004", value=idcard.mask(pid), problem=malformed.format(n=len(pid)))
    if not idcard.checksum_ok(pid):
        return message("F005", value=idcard.mask(pid), expected=idcard.check_digit(pid[:17]))
    born = idcard.birth_date(pid)
    if born is None:
        return message("F006", value=idcard.mask(pid), problem="不是真实存在的日期")
    today = today or dt.date.today()
    if born > today:
        return message("F006", value=idcard.mask(pid), problem=f"晚于今天 {today.isoformat()}")
    return ""


def valid_id(value: Any) -> str | None:
    pid = _id(value)
    if isinstance(pid, str) and idcard.format_ok(pid) and idcard.checksum_ok(pid) and idcard.birth_date(pid):
        return pid
    return None


def age_on(born: dt.date, on: dt.date) -> int:
    """Full years (周岁) on a date."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def school_year_cutoff(today: dt.date) -> dt.date:
    """31 August before the current school year (the date SPEC §3 measures school age on)."""
    year = today.year if today.month >= 9 else today.year - 1
    return dt.date(year, 8, 31)


def next_step(found: Any, persuasion: Any, notice: Any, penalty: Any, judicial: Any, status: Any = None,
              policy=None) -> tuple[str, dt.date | None]:
    """The four-step method (四步法) for one dropout row: (the next legal step, its due date or None)."""
    from baoxue.policy import DEFAULT
    policy = policy or DEFAULT
    status = normalize.code("辍学状态", status) if status not in (None, "") else None
    if status and status not in model.DROPOUT_OPEN_STATUSES:
        return ("已销号：无需下一步", None)
    found_d, step1, step2, step3, step4 = (_date(v) for v in (found, persuasion, notice, penalty, judicial))
    if step4:
        return ("已进入司法程序：跟进判决或强制执行，孩子复学后销号", None)
    if step3:
        return ("第四步 司法程序：仍不送学的，依法提起诉讼或申请人民法院强制执行", None)
    if step2:
        days = int(policy["deadlines.notice_to_next_step_days"])
        return (f"第三步 行政处罚：接到限期复学通知书后{days}日内仍不送学的，由乡镇政府下达行政处罚决定书",
                step2 + dt.timedelta(days=days))
    if step1:
        return ("第二步 责令改正：劝返无效的，由乡镇政府下达限期复学通知书", None)
    if found_d:
        days = int(policy["deadlines.first_persuasion_days"])
        return (f"第一步 劝返动员：发现后{days}日内入户走访劝返，并在“劝返记录”中逐次登记", found_d + dt.timedelta(days=days))
    return ("请先填写发现日期", None)


def validate_range(values: list[list[Any]] | Any, sheet: str, month: Any = None, first_row: int = 1,
                   policy=None) -> list[list[Any]]:
    """Findings of one sheet's cells (values from column A, row ``first_row`` on) as a table with a header row."""
    from baoxue.edits import findings_rows
    from baoxue.grid import Grid
    from baoxue.reader import canonical_sheet_name, parse_grid
    from baoxue.validators import validate

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
    found = [f for f in validate(book, policy) if f.sheet == canonical and f.rule not in CROSS_SHEET_RULES]
    table = [list(model.FINDINGS_COLUMNS)] + [list(r) for r in findings_rows(found)]
    if not found:
        table.append([NO_FINDINGS] + [""] * (len(model.FINDINGS_COLUMNS) - 1))
    return table


# ============================================================================================== worksheet functions
@func
def BX_ID_CHECK(id_number):
    """身份证号校验：合格（或空白）返回空白，否则返回问题说明（与“校验”按钮的 F004/F005/F006 同一说法）。"""
    return id_problem(id_number)


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
    return age_on(idcard.birth_date(pid), on)


@func
def BX_NEXT_STEP(found_date, persuasion_date=None, notice_date=None, penalty_date=None, judicial_date=None,
                 status=None):
    """辍学个案的下一步法定措施及其期限（四步法）。参数依次为：发现日期、劝返动员日期、限期复学通知日期、行政处罚日期、
    司法程序日期、状态。返回一行两格：下一步、截止日期。"""
    from .actions import policy
    step, due = next_step(found_date, persuasion_date, notice_date, penalty_date, judicial_date, status, policy())
    return [[step, dt.datetime(due.year, due.month, due.day) if due else ""]]


@func
@arg("cells", ndim=2)
def BX_VALIDATE(cells, sheet, month=None, first_row=1):
    """校验一张数据表的单元格区域（从A列、第 first_row 行起选，如 辍学!A1:AE300），以动态数组返回问题清单。
    sheet：数据表名称；month：报送月份（可引用封面的报送月份单元格，用于日期和逾期检查）。"""
    from .actions import policy
    return validate_range(cells, sheet, month, first_row, policy())

