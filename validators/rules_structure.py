"""S rules: the workbook's structure and its cover (SPEC §2, §2.1). S005 (unreadable file) is raised by the reader and
turned into a finding by ``validators.validate_file``."""
from __future__ import annotations

import re

from baoxue import layout, model
from baoxue.grid import ACTIVE_RULES
from baoxue.normalize import Invalid

from .hits import RuleBatch
from .catalogue import rule


@rule("S001")
def missing_sheets(batch: RuleBatch):
    out = []
    for i, book in enumerate(batch.books):
        for name in book.missing_sheets:
            out.append(batch.hit(i, "S001", name, None, None, None, version=model.TEMPLATE_VERSION))
    return out


def reported_columns(sheet: model.Sheet) -> list[str]:
    """Columns whose absence is an S002: required ones and conditionally required ones (with a note), not computed."""
    return [c.name for c in sheet.columns if c.required or (c.note and not c.computed)]


@rule("S002")
def missing_columns(batch: RuleBatch):
    out = []
    for i, book in enumerate(batch.books):
        for sheet_name, columns in book.missing_columns.items():
            if sheet_name in book.missing_sheets or sheet_name not in model.SHEETS:
                continue
            wanted = reported_columns(model.SHEETS[sheet_name])
            for column in (c for c in wanted if c in columns):
                out.append(batch.hit(i, "S002", sheet_name, None, column, None))
    return out


@rule("S008")
def twin_sheets(batch: RuleBatch):
    out = []
    for i, book in enumerate(batch.books):
        for sheet, names in book.twin_sheets.items():
            out.append(batch.hit(i, "S008", sheet, None, None, "、".join(f"“{n}”" for n in names),
                                 read=names[-1]))
    return out


@rule("S003")
def template_version(batch: RuleBatch):
    out = []
    for i, book in enumerate(batch.books):
        if model.COVER_SHEET in book.missing_sheets:
            continue
        found = book.cover.get("模板版本") or book.properties.get("模板版本")
        if str(found or "").strip() != model.TEMPLATE_VERSION:
            out.append(batch.hit(i, "S003", model.COVER_SHEET, book.cover_rows.get("模板版本"), "模板版本", found,
                                 version=model.TEMPLATE_VERSION))
    return out


SCHOOL_CODE = re.compile(r"^\d{10}$", re.ASCII)


def cover_problem(field: model.CoverField, value) -> tuple[str, str] | None:
    """(problem, fix) for a cover value, or None when it is fine. 联系电话's format is F010; 模板版本 is S003."""
    if field.kind == "version":
        return None
    if value is None or value == "":
        if not field.required:
            return None
        return "为空", f"请在封面填写“{field.label}”{('（' + field.hint + '）') if field.hint else ''}。"
    if isinstance(value, Invalid) and value.reason == "formula":
        return None   # F013 reports it
    if isinstance(value, Invalid):
        fixes = {"month": "应为年-月，如 2026-09。", "int": "应为不小于0的整数（无此年级填0或留空）。",
                 "date": "应为日期，如 2026-09-30。"}
        return "格式不对", fixes.get(field.kind, "请按模板要求填写。")
    if field.kind == "schoolcode" and not SCHOOL_CODE.match(str(value)):
        return "不是10位数字", "学校标识码为10位数字，请按学籍系统中的标识码填写（设置为文本格式，保留开头的0）。"
    if field.kind == "code" and value not in model.CODE_LISTS[field.codes]:
        return "不在代码表中", f"请从下拉列表中选择：{'、'.join(model.CODE_LISTS[field.codes])}。"
    if field.kind == "int" and isinstance(value, int) and value < 0:
        return "不能为负数", "在校生数应为不小于0的整数。"
    return None


@rule("S004")
def cover_fields(batch: RuleBatch):
    out = []
    for i, book in enumerate(batch.books):
        if model.COVER_SHEET in book.missing_sheets:
            continue
        for field in model.COVER_FIELDS:
            value = book.cover.get(field.label)
            problem = cover_problem(field, value)
            if problem:
                out.append(batch.hit(i, "S004", model.COVER_SHEET, book.cover_rows.get(field.label), field.label, value,
                                     problem=problem[0], fix=problem[1]))
    return out


# what each kind of ``ActiveContent`` is called in a finding, and what the clerk should do about it
ACTIVE_KINDS = {
    "defined_name": ("非模板的名称定义（公式 → 名称管理器）", "请在“公式 → 名称管理器”中删除该名称。"),
    "external_link": ("指向其他文件或网址的外部链接", "请在“数据 → 编辑链接”中断开链接（或把数据以数值粘贴）后另存。"),
    "connection": ("外部数据连接或查询", "请在“数据 → 查询和连接”中删除连接后另存。"),
    "dde": ("DDE/OLE 动态链接（可启动其他程序）", "请在“数据 → 编辑链接”中断开链接后另存。"),
    "macro": ("宏（VBA、Excel 4.0 宏表或 ActiveX 控件）", "请另存为“Excel 工作簿（*.xlsx）”（不要选“启用宏的工作簿”），删除宏表后再提交。"),
    "local_link": ("指向本机或网络文件的超链接", "请右键该单元格“取消超链接”。"),
    "web_link": ("网页超链接", ""),
    "embedded": ("嵌入的对象（如 Word 文档、OLE 对象）", ""),
}


@rule("S006", "S007")
def active_content(batch: RuleBatch):
    """External links, data connections, DDE, macros, defined names that compute, and hyperlinks leaving the workbook
    (S006, errors); web hyperlinks and embedded objects (S007, warnings). Formula cells are F013."""
    out = []
    for i, book in enumerate(batch.books):
        for item in book.active:
            rule_id = ACTIVE_RULES.get(item.kind)
            if rule_id not in ("S006", "S007"):
                continue
            kind, fix = ACTIVE_KINDS[item.kind]
            out.append(batch.hit(i, rule_id, item.sheet, item.row, layout.cell_address(item.row, item.col) or None,
                                 item.text[:200], kind=kind, fix=fix))
    return out
