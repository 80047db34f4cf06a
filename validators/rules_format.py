"""F rules: one cell at a time (SPEC §2.9, §4). Column-level F001/F002/F012 run through the pandera schemas; the type
stage's ``Invalid`` values become F003/F004/F011/F013/F014; ID numbers, 学籍号 and phones have their own checks."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from baoxue import idcard, layout, model
from baoxue.batch import AS_OF
from baoxue.normalize import Invalid, as_excel_shows

from .hits import RuleBatch
from . import schemas
from .catalogue import rule


# ---------------------------------------------------------------------------------------------- pandera: F001 F002 F012
@rule("F001", "F002", "F012")
def column_checks(batch: RuleBatch):
    out = []
    for sheet in model.DATA_SHEETS:
        df = batch.frame(sheet.name)
        if len(df) == 0:
            continue
        fc = schemas.failures(sheet.name, df)
        if not len(fc):   # the common case: no groups to make
            continue
        for (rule_id, column), group in fc.groupby(["rule", "column"], sort=False):
            rows = df.loc[group["index"].to_numpy()]
            col = sheet.col(column)
            if rule_id == "F001":
                out += batch.hits("F001", sheet.name, rows, column)
            elif rule_id == "F002":
                allowed = model.CODE_LISTS[col.codes]
                out += batch.hits("F002", sheet.name, rows, column, codes=col.codes, allowed="、".join(allowed))
            else:
                out += batch.hits("F012", sheet.name, rows, column, problem=rows[column].map(schemas.name_problem))
    return out


# ---------------------------------------------------------------------------------------------- type stage
TYPE_RULES = {"date": "F003", "id_number": "F004", "grade": "F011", "formula": "F013", "int": "F014", "number": "F014"}
ID_AS_NUMBER = ("以数字形式保存，Excel 只保留15位有效数字，后几位已经丢失。请把该列设置为“文本”格式后，对照证件重新录入完整的18位号码。")
NUMBER_PROBLEMS = {"int": "不是整数。请只填写数字，如 2。", "number": "不是数字。请只填写数字，如 2 或 1.5。"}


@rule("F003", "F004", "F011", "F013", "F014")
def type_stage(batch: RuleBatch):
    """Cells the reader could not type (or that hold a formula): reported by their reason."""
    out = []
    for sheet in model.DATA_SHEETS:
        df = batch.frame(sheet.name)
        if len(df) == 0:
            continue
        known = [b.untypable.get(sheet.name) for b in batch.books]
        names = (sheet.column_names if any(k is None for k in known)
                 else [c for c in sheet.column_names if any(c in k for k in known)])
        if not names:
            continue
        cells = df[names].to_numpy(dtype=object)
        flat = cells.ravel()
        hit = np.fromiter((v.__class__ is Invalid for v in flat), dtype=bool, count=flat.size).reshape(cells.shape)
        for j in np.flatnonzero(hit.any(axis=0)):
            column = names[j]
            rows = df[hit[:, j]]
            reasons = pd.Series([v.reason for v in rows[column].tolist()], index=rows.index)
            for reason, part in rows.groupby(reasons, sort=False):
                rule_id = TYPE_RULES.get(reason, "F003")
                fields = {}
                if rule_id == "F004":   # quoted as the clerk's screen shows the number (5.30123E+17)
                    fields["problem"] = ID_AS_NUMBER
                    fields["value"] = part[column].map(id_as_shown)
                elif rule_id == "F014":
                    fields["problem"] = NUMBER_PROBLEMS[reason]
                elif rule_id == "F013":
                    fields["what"] = SHOWN
                out += batch.hits(rule_id, sheet.name, part, column, **fields)
    for i, book in enumerate(batch.books):   # a formula on the cover (=HYPERLINK(…) as 学校名称): F013 at its cell
        for label, value in book.cover.items():
            if value.__class__ is Invalid and value.reason == "formula":
                out.append(batch.hit(i, "F013", model.COVER_SHEET, book.cover_rows.get(label), label, value, what=SHOWN))
    return out


def id_as_shown(v: Invalid) -> str:
    """An ID stored as a number, as Excel shows it in the cell (``5.30123E+17``), not a digit string never typed."""
    return as_excel_shows(int(v.raw)) if v.raw.isdigit() else v.raw


SHOWN = "显示值："
FORMULA_SHOWN = 200   # characters of a formula's text shown in a finding


@rule("F013")
def formulas_elsewhere(batch: RuleBatch):
    """Formula cells anywhere else in the file — headers, extra columns, 月报汇总 (other than the template's own
    formulas), 校验结果, the hidden 代码表, any other sheet — at their sheet and cell address."""
    out = []
    for i, book in enumerate(batch.books):
        for item in book.active:
            if item.kind == "formula":
                text = "=" + item.text if len(item.text) <= FORMULA_SHOWN else "=" + item.text[:FORMULA_SHOWN] + "…"
                address = layout.cell_address(item.row, item.col)
                out.append(batch.hit(i, "F013", item.sheet, item.row or None, address, text, cell=address, what=""))
    return out


# ---------------------------------------------------------------------------------------------- F014 ranges
RANGES = {  # column -> (minimum, inclusive, message)
    "课时": (0, False, "应大于0。请填写本次送教的课时数。"),
    "同行人数": (1, True, "应为不小于1的整数（送教教师人数）。"),
    "本月送教次数": (0, True, "不能为负数（该列由“更新”自动计算）。"),
    "本月送教课时": (0, True, "不能为负数（该列由“更新”自动计算）。"),
}


@rule("F014")
def number_ranges(batch: RuleBatch):
    out = []
    for column, (low, inclusive, problem) in RANGES.items():
        for sheet in batch.sheets_with(column):
            df = batch.frame(sheet.name)
            if len(df) == 0:
                continue
            n = batch.numbers(sheet.name, column)
            bad = (n < low) if inclusive else (n <= low)
            out += batch.hits("F014", sheet.name, bad.fillna(False), column, problem=problem)
    return out


# ---------------------------------------------------------------------------------------------- ID numbers
MALFORMED = "格式不对：应为17位数字加1位数字或X（共18位），当前为{n}位。请对照证件重新录入（该列须为文本格式）。"


def _id_frame(batch: RuleBatch, sheet: model.Sheet) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    ids, well, _ = batch.ids(sheet.name)
    return batch.frame(sheet.name), ids, well


@rule("F004")
def id_format(batch: RuleBatch):
    out = []
    for sheet in batch.sheets_with("身份证号"):
        df, ids, well = _id_frame(batch, sheet)
        bad = ids.notna() & ~well
        if bad.any():
            rows = df[bad]
            out += batch.hits("F004", sheet.name, rows, "身份证号",
                              problem=ids[bad].map(lambda s: MALFORMED.format(n=len(s))))
    return out


@rule("F005")
def id_checksum(batch: RuleBatch):
    out = []
    for sheet in batch.sheets_with("身份证号"):
        df, ids, well = _id_frame(batch, sheet)
        if not well.any():
            continue
        expected = batch.expected_check_digits(sheet.name)
        bad = pd.Series(~batch.check_digit_ok(sheet.name), index=expected.index)
        rows = df.loc[bad[bad].index]
        out += batch.hits("F005", sheet.name, rows, "身份证号", expected=expected[bad])
    return out


@rule("F006")
def id_birth(batch: RuleBatch):
    out = []
    for sheet in batch.sheets_with("身份证号"):
        df, ids, well = _id_frame(batch, sheet)
        if not well.any():
            continue
        born = batch.ids(sheet.name)[2]
        impossible = well & born.isna()
        future = well & (born > df[AS_OF])
        out += batch.hits("F006", sheet.name, impossible, "身份证号", problem=idcard.IMPOSSIBLE_BIRTH)
        later = future.fillna(False)
        out += batch.hits("F006", sheet.name, later, "身份证号", problem=df.loc[later, AS_OF].map(
            lambda d: idcard.LATER_THAN.format(label=idcard.AS_OF_LABEL, date=d.date().isoformat())))
    return out


_DIGITS = np.array(list("0123456789"), dtype=object)
_SEX_OF_DIGIT = np.array(["男" if d % 2 else "女" for d in range(10)], dtype=object)


@rule("F007")
def id_sex(batch: RuleBatch):
    out = []
    for sheet in batch.sheets_with("身份证号", "性别"):
        df, ids, well = _id_frame(batch, sheet)
        if not well.any():
            continue
        mask, d = well.to_numpy(), batch.id_digit_matrix(sheet.name)[:, 16]   # the 17th digit: odd for 男
        digit, implied = np.full(len(df), None, dtype=object), np.full(len(df), None, dtype=object)
        digit[mask], implied[mask] = _DIGITS[d], _SEX_OF_DIGIT[d]
        digit, implied = pd.Series(digit, index=df.index), pd.Series(implied, index=df.index)
        stated = df["性别"]
        bad = well & stated.isin(model.CODE_LISTS["性别"]) & (stated != implied)
        out += batch.hits("F007", sheet.name, bad, "性别", digit=digit[bad], expected=implied[bad])
    return out


@rule("F008")
def birth_matches_id(batch: RuleBatch):
    out = []
    for sheet in batch.sheets_with("身份证号", "出生日期"):
        df, ids, well = _id_frame(batch, sheet)
        if not well.any():
            continue
        born = batch.ids(sheet.name)[2]
        stated = batch.dates(sheet.name, "出生日期")
        bad = (born.notna() & stated.notna() & (born != stated)).fillna(False)
        out += batch.hits("F008", sheet.name, bad, "出生日期", expected=born[bad])
    return out


# ---------------------------------------------------------------------------------------------- 学籍号
TEMP_XJH = re.compile(r"^L[0-9A-Z]{18}$")
G_XJH = re.compile(r"^G\d{17}[\dX]$", re.ASCII)

@rule("F009")
def xjh_format(batch: RuleBatch):
    out = []
    for sheet in batch.sheets_with("学籍号"):
        df = batch.frame(sheet.name)
        if len(df) == 0:
            continue
        xjh = batch.texts(sheet.name, "学籍号")
        ids = batch.texts(sheet.name, "身份证号") if sheet.has("身份证号") else pd.Series(None, index=df.index, dtype=object)
        values, id_values = xjh.tolist(), ids.tolist()
        temporary = pd.Series([v is not None and TEMP_XJH.match(v) is not None for v in values], index=df.index, dtype=bool)
        g_ok = pd.Series([v is not None and G_XJH.match(v) is not None for v in values], index=df.index, dtype=bool)
        same = pd.Series([i is None or (v is not None and v[1:] == i) for v, i in zip(values, id_values)],
                         index=df.index, dtype=bool)
        ok = (g_ok & same) | temporary
        bad = xjh.notna() & ~ok
        problem = pd.Series("格式不对：全国学籍号应为“G”加本人18位身份证号。请按学籍系统核对。", index=df.index)
        problem[g_ok & ~same] = "与本行身份证号不一致（学籍号应为“G”加本人身份证号）。请核对学籍号或身份证号。"
        out += batch.hits("F009", sheet.name, bad, "学籍号", problem=problem[bad])
        out += batch.hits("F009", sheet.name, temporary, "学籍号", severity="warning",
                          problem="是临时学籍号（L开头）。请尽快在学籍系统中办理正式学籍号并替换。")
    return out


# ---------------------------------------------------------------------------------------------- phones
MOBILE = r"1[3-9]\d{9}"
LANDLINE = r"0\d{2,3}-?\d{7,8}(?:-\d{1,6})?"
PHONE_RE = re.compile(rf"^(?:\+?86-?)?(?:{MOBILE}|{LANDLINE})$", re.ASCII)


def phone_ok(v) -> bool:
    return isinstance(v, str) and bool(PHONE_RE.match(v.replace("(", "").replace(")", "-").replace("--", "-")))


@rule("F010")
def phones(batch: RuleBatch):
    out = []
    for sheet in model.DATA_SHEETS:
        columns = [c.name for c in sheet.columns if c.kind == "phone"]
        df = batch.frame(sheet.name)
        if not columns or len(df) == 0:
            continue
        for column in columns:
            bad = pd.Series([v is not None and not phone_ok(v) for v in batch.texts(sheet.name, column).tolist()],
                            index=df.index, dtype=bool)
            out += batch.hits("F010", sheet.name, bad, column)
    for i, book in enumerate(batch.books):
        for field in model.COVER_FIELDS:
            v = book.cover.get(field.label)
            if field.kind == "phone" and isinstance(v, str) and v and not phone_ok(v):
                out.append(batch.hit(i, "F010", model.COVER_SHEET, book.cover_rows.get(field.label), field.label, v))
    return out
