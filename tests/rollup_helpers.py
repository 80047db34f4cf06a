"""Helpers for the roll-up tests: real school workbooks (the template filler), real stamps (baoxue.stamp), a register."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import openpyxl

from baoxue import idcard, model, template
from baoxue.fill import write_school_workbook
from baoxue.policy import DEFAULT
from baoxue.reader import read_workbook
from baoxue.stamp import make_stamp, write_stamp

GRADE_AGE = {g: i + 6 for i, g in enumerate(model.GRADES)}


def child_id(seq: int, grade: str = "七年级", month: str = "2026-09", male: bool = True) -> str:
    year = int(month[:4]) - GRADE_AGE[grade] - (1 if int(month[5:]) < 9 else 0) - 1
    return idcard.make("431021", dt.date(year, 3, 1 + seq % 27), seq, male)


def cover(code: str, name: str, township: str, month: str, urban: str = "乡村", enrol: int = 100,
          zero: str = "否", school_type: str = "九年一贯制学校") -> dict:
    c = {"学校标识码": code, "学校名称": name, "所属乡镇": township, "学校类型": school_type, "城乡类别": urban,
         "报送月份": month, "零报告": zero, "填报人": "王老师", "联系电话": "13800000000", "审核人": "李校长",
         "填报日期": dt.date(int(month[:4]), int(month[5:]), 25), "模板版本": model.TEMPLATE_VERSION}
    for g in model.GRADES:
        c[f"{g}在校生数"] = enrol
    return c


def dropout(pid: str, name: str, grade: str, found: dt.date, status: str = "劝返中", **kw) -> dict:
    row = {"姓名": name, "性别": idcard.sex(pid), "身份证号": pid, "学籍号": "G" + pid, "出生日期": idcard.birth_date(pid),
           "年级": grade, "户籍乡镇": "城关镇", "户籍村(社区)": "东风村", "监护人姓名": "张大山", "监护人电话": "13912345678",
           "类型": "疑似辍学", "发现日期": found, "上报日期": found, "辍学原因": "厌学或学习困难", "脱贫家庭或监测户": "否",
           "残疾": "否", "留守儿童": "是", "随迁子女": "否", "包保责任人": "赵老师", "劝返动员日期": found, "状态": status}
    if status == "已复学":
        row["复学日期"] = row["销号日期"] = found + dt.timedelta(days=3)
    row.update(kw)
    return row


def leave(pid: str, name: str, grade: str, start: dt.date, status: str = "休学中") -> dict:
    return {"姓名": name, "性别": idcard.sex(pid), "身份证号": pid, "学籍号": "G" + pid, "年级": grade,
            "休学原因": "身体疾病", "申请日期": start, "批准日期": start, "休学起始日期": start,
            "预计复学日期": start + dt.timedelta(days=180), "证明材料": "有", "教育局备案": "是", "状态": status}


def write_book(path: Path, cov: dict, rows: dict | None = None) -> Path:
    return write_school_workbook(path, cov, rows or {}, backup=False)


def stamp(path: Path, when: dt.datetime | None = None) -> Path:
    """Stamp a workbook in place, as ``baoxue submit`` does (the real stamp code)."""
    book = read_workbook(path)
    s = make_stamp(book, DEFAULT, now=when)
    wb = openpyxl.load_workbook(path)
    write_stamp(wb, s)
    wb.save(path)
    return path


def register(path: Path, schools: list[tuple[str, str, str, str, str]]) -> Path:
    """schools: (学校标识码, 学校名称, 所属乡镇, 学校类型, 城乡类别)."""
    wb = template.build_register_workbook()
    ws = wb.active
    for i, row in enumerate(schools):
        for j, v in enumerate(row, start=1):
            ws.cell(row=template.FIRST_INPUT_ROW + i, column=j, value=v).data_type = "s"
    wb.save(path)
    return path


def checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
