"""Helpers for the rule tests: a clean, consistent school workbook (one row per sheet, report month 2026-09) that
validates without a finding, and a way to write a variation of it as a real .xlsx and validate it."""
from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

from baoxue import idcard, model
from baoxue.fill import write_school_workbook
from baoxue.template import FIRST_INPUT_ROW
from baoxue.validators import validate_file
from baoxue.policy import DEFAULT

D = dt.date
MONTH = "2026-09"
ROW1 = FIRST_INPUT_ROW          # Excel row of the first data row
DROP_ID = idcard.make("530123", D(2013, 5, 10), 1, male=True)     # 13 on 2026-08-31 → 八年级
LEAVE_ID = idcard.make("530123", D(2014, 4, 2), 2, male=False)    # 12 → 七年级
DEFER_ID = idcard.make("530123", D(2020, 3, 1), 3, male=True)     # 6
HOME_ID = idcard.make("530123", D(2012, 6, 1), 4, male=False)     # 14 → 九年级

COVER = {
    "学校标识码": "5301230001", "学校名称": "示例县第一小学", "所属乡镇": "城关镇", "学校类型": "九年一贯制学校",
    "城乡类别": "镇区", "报送月份": MONTH, **{label: 40 for label in model.ENROLMENT_LABELS}, "零报告": "否",
    "填报人": "王敏", "联系电话": "13812345678", "审核人": "李强", "填报日期": D(2026, 9, 30),
    "模板版本": model.TEMPLATE_VERSION,
}

ROWS = {
    "辍学": [{
        "序号": 1, "姓名": "张小明", "性别": "男", "民族": "汉族", "身份证号": DROP_ID, "学籍号": "G" + DROP_ID,
        "出生日期": D(2013, 5, 10), "年级": "八年级", "班级": "2班", "户籍乡镇": "城关镇", "户籍村(社区)": "东村",
        "监护人姓名": "张大山", "监护人电话": "13912345678", "类型": "疑似辍学", "发现日期": D(2026, 9, 3),
        "上报日期": D(2026, 9, 3), "辍学原因": "厌学或学习困难", "脱贫家庭或监测户": "否", "残疾": "否",
        "留守儿童": "是", "随迁子女": "否", "包保责任人": "赵老师", "劝返动员日期": D(2026, 9, 5), "状态": "劝返中",
    }],
    "休学": [{
        "序号": 1, "姓名": "李小红", "性别": "女", "身份证号": LEAVE_ID, "学籍号": "G" + LEAVE_ID, "年级": "七年级",
        "班级": "1班", "休学原因": "身体疾病", "申请日期": D(2026, 8, 20), "批准日期": D(2026, 8, 25),
        "休学起始日期": D(2026, 9, 1), "预计复学日期": D(2027, 2, 28), "证明材料": "有", "教育局备案": "是",
        "状态": "休学中",
    }],
    "缓学": [{
        "序号": 1, "姓名": "陈小军", "性别": "男", "身份证号": DEFER_ID, "户籍乡镇": "城关镇", "户籍村(社区)": "西村",
        "监护人姓名": "陈大勇", "监护人电话": "0871-65123456", "缓学原因": "身体疾病", "申请日期": D(2026, 8, 10),
        "批准日期": D(2026, 8, 15), "批准机关": "乡镇人民政府", "缓学起始日期": D(2026, 9, 1),
        "缓学截止日期": D(2027, 8, 31), "证明材料": "有", "残疾": "否", "脱贫家庭或监测户": "否", "状态": "缓学中",
    }],
    "送教上门": [{
        "序号": 1, "姓名": "刘小芳", "性别": "女", "身份证号": HOME_ID, "学籍号": "G" + HOME_ID, "年级": "九年级",
        "残疾类别": "智力残疾", "残疾等级": "二级", "户籍乡镇": "城关镇", "户籍村(社区)": "南村", "监护人姓名": "刘大海",
        "监护人电话": "13712345678", "送教协议日期": D(2026, 9, 1), "个别化教育计划日期": D(2026, 9, 2),
        "负责教师": "李明", "状态": "送教中",
    }],
    "送教记录": [
        {"序号": i + 1, "身份证号": HOME_ID, "姓名": "刘小芳", "送教日期": day, "课时": 2, "送教教师": "李明、王芳",
         "同行人数": 2, "有男教师": "是", "送教内容": "生活适应", "家长签字": "是"}
        for i, day in enumerate((D(2026, 9, 5), D(2026, 9, 19)))
    ],
    "劝返记录": [{
        "序号": 1, "身份证号": DROP_ID, "姓名": "张小明", "劝返日期": D(2026, 9, 5), "劝返方式": "入户走访",
        "劝返人员": "赵老师、村干部", "劝返结果": "拒绝",
    }],
}


def clean() -> tuple[dict, dict]:
    return copy.deepcopy(COVER), copy.deepcopy(ROWS)


def write(tmp_path: Path, cover: dict | None = None, rows: dict | None = None, name: str = "book.xlsx") -> Path:
    c, r = clean()
    return write_school_workbook(tmp_path / name, cover if cover is not None else c, rows if rows is not None else r,
                                 backup=False)


def check(tmp_path: Path, edit=None, name: str = "book.xlsx", policy=DEFAULT):
    """Write the clean book after ``edit(cover, rows)`` (mutating), validate the file, return the findings."""
    cover, rows = clean()
    if edit:
        edit(cover, rows)
    path = write(tmp_path, cover, rows, name)
    book, findings = validate_file(path, policy)
    return findings


def where(findings, rule: str) -> list[tuple]:
    """(severity, sheet, row, column) of each finding of ``rule``."""
    return [(f.severity, f.sheet, f.row, f.column) for f in findings if f.rule == rule]


# ---------------------------------------------------------------------------------------------- edits
def person(born: dt.date, male: bool = True, seq: int = 7) -> dict:
    """ID, 学籍号, 出生日期 and 性别 of a consistent child."""
    pid = idcard.make("530123", born, seq, male)
    return {"身份证号": pid, "学籍号": "G" + pid, "出生日期": born, "性别": "男" if male else "女"}


def setting(sheet: str, index: int = 0, **values):
    """An edit that sets values on a data row (``sheet == "封面"`` sets cover fields)."""
    def edit(cover, rows):
        if sheet == model.COVER_SHEET:
            cover.update(values)
        else:
            rows[sheet][index].update(values)
    return edit


def dropping(sheet: str, *names: str):
    """An edit that removes columns' values from the first row of a sheet."""
    def edit(cover, rows):
        for n in names:
            rows[sheet][0].pop(n, None)
    return edit


def both(*edits):
    def edit(cover, rows):
        for e in edits:
            e(cover, rows)
    return edit


def cover_row(path: Path, label: str) -> int:
    from openpyxl import load_workbook
    ws = load_workbook(path)[model.COVER_SHEET]
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == label:
            return row[0].row
    raise AssertionError(f"{label} not on the cover")


def header_col(ws, name: str) -> int:
    for row in ws.iter_rows(min_row=1, max_row=10):
        for cell in row:
            if cell.value == name:
                return cell.column
    raise AssertionError(f"header {name} not found")


def rework(path: Path, fn) -> Path:
    """Open the written file with openpyxl, let ``fn(wb)`` change it (what a clerk's Excel would do), save."""
    from openpyxl import load_workbook
    wb = load_workbook(path)
    fn(wb)
    wb.save(path)
    return path


# ---------------------------------------------------------------------------------------------- cases
class Case:
    """A rule example: ``bad`` must give exactly the findings ``expect`` of ``rule``; ``good`` must give no finding at all.

    ``expect``: list of (severity, sheet, row, column); row ``"cover"`` means the cover row of that label.
    ``bad_file`` / ``good_file``: optional ``fn(wb)`` applied with openpyxl after writing (formulas, sheet edits)."""

    def __init__(self, rule, bad, expect, good=None, bad_file=None, good_file=None, label=""):
        self.rule, self.bad, self.expect, self.good = rule, bad, expect, good
        self.bad_file, self.good_file, self.label = bad_file, good_file, label

    @property
    def id(self):
        return f"{self.rule}{'-' + self.label if self.label else ''}"


def _resolve(path, expect):
    return [(s, sh, cover_row(path, col) if row == "cover" else row, col) for s, sh, row, col in expect]


def run_bad(tmp_path: Path, case: Case):
    cover, rows = clean()
    if case.bad:
        case.bad(cover, rows)
    path = write(tmp_path, cover, rows, "bad.xlsx")
    if case.bad_file:
        rework(path, case.bad_file)
    _, findings = validate_file(path, DEFAULT)
    assert where(findings, case.rule) == _resolve(path, case.expect), [str(f) for f in findings]
    for f in findings:
        if f.rule == case.rule:
            assert f.message and "{" not in f.message, f.message
    return findings


def run_good(tmp_path: Path, case: Case):
    cover, rows = clean()
    if case.good:
        case.good(cover, rows)
    path = write(tmp_path, cover, rows, "good.xlsx")
    if case.good_file:
        rework(path, case.good_file)
    _, findings = validate_file(path, DEFAULT)
    assert findings == [], [str(f) for f in findings]
