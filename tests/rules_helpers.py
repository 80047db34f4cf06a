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


def check(tmp_path: Path, edit=None, name: str = "book.xlsx", policy=None):
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
