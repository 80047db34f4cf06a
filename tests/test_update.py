"""`baoxue update` on real files: derived values, marks that appear and disappear, 校验结果, 月报汇总, idempotence,
nothing of the clerk's lost, atomic write with a backup, locked files, exit codes.

``school_book()`` (a clean, realistic October workbook written with the template filler) is shared with
test_stamp.py and test_next_month.py."""
from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from pathlib import Path

import openpyxl
import pytest

from baoxue import cli, edits, idcard, model
from baoxue.policy import load_policy
from baoxue.reader import read_workbook
from baoxue.update import update_workbook

D = dt.date
MONTH = "2026-10"
SCHOOL = "4401010001"

# Children: (area, birth date, sequence, male). Ages fit the grades (age on 31 August ≈ grade + 5).
CASE_OPEN = idcard.make("440101", D(2013, 3, 15), 11, True)        # 八年级, 劝返中
CASE_UNKNOWN = idcard.make("440101", D(2012, 6, 2), 12, False)     # 九年级, 去向不明
CASE_CLOSED = idcard.make("440101", D(2014, 1, 20), 13, True)      # 七年级, 已复学 in September
LEAVE_ON = idcard.make("440101", D(2016, 4, 9), 14, False)         # 五年级, 休学中
LEAVE_BACK = idcard.make("440101", D(2017, 2, 3), 15, True)        # 四年级, 已复学
DEFER_ON = idcard.make("440101", D(2020, 5, 6), 16, True)          # 6 years old, 缓学中
HOME_ON = idcard.make("440101", D(2015, 8, 1), 17, False)          # 五年级, 送教中
HOME_LEFT = idcard.make("440101", D(2015, 3, 1), 18, True)         # 六年级, 转随班就读


def _case(pid, name, grade, status, found, **kw):
    row = {"姓名": name, "性别": idcard.sex(pid), "民族": "汉族", "身份证号": pid, "学籍号": "G" + pid,
           "出生日期": idcard.birth_date(pid), "年级": grade, "班级": "1班", "户籍乡镇": "城关镇", "户籍村(社区)": "东村",
           "监护人姓名": name[0] + "大山", "监护人电话": "13900001111", "类型": "疑似辍学", "发现日期": found,
           "上报日期": found, "辍学原因": "厌学或学习困难", "脱贫家庭或监测户": "否", "残疾": "否", "留守儿童": "是",
           "随迁子女": "否", "包保责任人": "李老师", "状态": status}
    row.update(kw)
    return row


def _visit(pid, name, day, hours=2):
    return {"身份证号": pid, "姓名": name, "送教日期": day, "课时": hours, "送教教师": "王老师、刘老师", "同行人数": 2,
            "有男教师": "是", "送教内容": "语文、生活适应", "家长签字": "是"}


def _persuasion(pid, name, day):
    return {"身份证号": pid, "姓名": name, "劝返日期": day, "劝返方式": "入户走访", "劝返人员": "李老师、村干部",
            "劝返结果": "拒绝"}


def school_data(month: str = MONTH) -> tuple[dict, dict[str, list[dict]]]:
    """A clean October workbook's cover and rows (dates fit the month 2026-10)."""
    cover = {"学校标识码": SCHOOL, "学校名称": "城关镇第一中学", "所属乡镇": "城关镇", "学校类型": "九年一贯制学校",
             "城乡类别": "镇区", "报送月份": month, **{label: 40 + i for i, label in enumerate(model.ENROLMENT_LABELS)},
             "零报告": "否", "填报人": "王芳", "联系电话": "13812345678", "审核人": "李明", "填报日期": D(2026, 10, 30),
             "模板版本": model.TEMPLATE_VERSION}
    rows = {
        "辍学": [
            _case(CASE_OPEN, "张小明", "八年级", "劝返中", D(2026, 10, 8), 劝返动员日期=D(2026, 10, 9)),
            _case(CASE_UNKNOWN, "李小红", "九年级", "去向不明", D(2026, 9, 10), 劝返动员日期=D(2026, 9, 11),
                  去向说明="全家外出，经村委会、派出所核查去向不明，已出具调查报告"),
            _case(CASE_CLOSED, "赵小刚", "七年级", "已复学", D(2026, 9, 5), 劝返动员日期=D(2026, 9, 6),
                  复学日期=D(2026, 9, 20), 销号日期=D(2026, 9, 20)),
        ],
        "休学": [
            {"姓名": "陈小玲", "性别": "女", "身份证号": LEAVE_ON, "学籍号": "G" + LEAVE_ON,
             "出生日期": idcard.birth_date(LEAVE_ON), "年级": "五年级", "班级": "2班", "休学原因": "身体疾病",
             "申请日期": D(2026, 8, 20), "批准日期": D(2026, 8, 25), "休学起始日期": D(2026, 9, 1),
             "预计复学日期": D(2027, 3, 1), "证明材料": "有", "教育局备案": "是", "状态": "休学中"},
            {"姓名": "周小军", "性别": "男", "身份证号": LEAVE_BACK, "学籍号": "G" + LEAVE_BACK,
             "出生日期": idcard.birth_date(LEAVE_BACK), "年级": "四年级", "休学原因": "身体疾病",
             "申请日期": D(2026, 3, 1), "批准日期": D(2026, 3, 5), "休学起始日期": D(2026, 3, 10),
             "预计复学日期": D(2026, 10, 10), "实际复学日期": D(2026, 10, 10), "证明材料": "有", "教育局备案": "是",
             "状态": "已复学"},
        ],
        "缓学": [
            {"姓名": "吴小宝", "性别": "男", "身份证号": DEFER_ON, "出生日期": idcard.birth_date(DEFER_ON),
             "户籍乡镇": "城关镇", "户籍村(社区)": "西村", "监护人姓名": "吴大海", "监护人电话": "13700002222",
             "缓学原因": "身体疾病", "申请日期": D(2026, 8, 1), "批准日期": D(2026, 8, 10), "批准机关": "乡镇人民政府",
             "缓学起始日期": D(2026, 9, 1), "缓学截止日期": D(2027, 8, 31), "证明材料": "有", "残疾": "否",
             "脱贫家庭或监测户": "否", "状态": "缓学中"},
        ],
        "送教上门": [
            {"姓名": "孙小雨", "性别": "女", "身份证号": HOME_ON, "学籍号": "G" + HOME_ON,
             "出生日期": idcard.birth_date(HOME_ON), "年级": "五年级", "残疾类别": "智力残疾", "残疾等级": "二级",
             "残疾证号": HOME_ON + "42", "户籍乡镇": "城关镇", "户籍村(社区)": "南村", "监护人姓名": "孙大林",
             "监护人电话": "13600003333", "送教协议日期": D(2026, 9, 1), "个别化教育计划日期": D(2026, 9, 5),
             "负责教师": "王老师", "状态": "送教中"},
            {"姓名": "郑小川", "性别": "男", "身份证号": HOME_LEFT, "学籍号": "G" + HOME_LEFT,
             "出生日期": idcard.birth_date(HOME_LEFT), "年级": "六年级", "残疾类别": "肢体残疾", "残疾等级": "三级",
             "户籍乡镇": "城关镇", "户籍村(社区)": "北村", "监护人姓名": "郑大江", "监护人电话": "13600004444",
             "送教协议日期": D(2026, 9, 1), "个别化教育计划日期": D(2026, 9, 5), "负责教师": "刘老师",
             "状态": "转随班就读"},
        ],
        "送教记录": [
            _visit(HOME_ON, "孙小雨", D(2026, 9, 10)), _visit(HOME_ON, "孙小雨", D(2026, 9, 24)),
            _visit(HOME_LEFT, "郑小川", D(2026, 9, 12)),
            _visit(HOME_ON, "孙小雨", D(2026, 10, 8), 2), _visit(HOME_ON, "孙小雨", D(2026, 10, 22), 3),
        ],
        "劝返记录": [
            _persuasion(CASE_CLOSED, "赵小刚", D(2026, 9, 6)),
            _persuasion(CASE_UNKNOWN, "李小红", D(2026, 9, 11)),
            _persuasion(CASE_OPEN, "张小明", D(2026, 10, 15)), _persuasion(CASE_OPEN, "张小明", D(2026, 10, 9)),
        ],
    }
    return cover, rows


def write_book(path: Path, cover: dict, rows: dict) -> Path:
    from baoxue.fill import write_school_workbook
    return write_school_workbook(path, cover, rows, backup=False)


def school_book(path: Path) -> Path:
    cover, rows = school_data()
    return write_book(path, cover, rows)


def snapshot(path: Path) -> dict:
    """Every cell of every sheet: value, fill colour, comment (author, text) — what a clerk would see."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                fill = c.fill.fgColor.rgb if c.fill is not None and c.fill.fill_type else None
                comment = (c.comment.author, c.comment.text) if c.comment else None
                if c.value is not None or fill or comment:
                    cells[c.coordinate] = (c.value, c.data_type, fill, comment)
        out[ws.title] = (ws.sheet_state, cells)
    return out


def clerk_values(path: Path) -> dict:
    """The clerk's typed values (computed columns excluded), per sheet and Excel row."""
    book = read_workbook(path)
    out = {"封面": dict(book.cover)}
    for sheet in model.DATA_SHEETS:
        df = book.frame(sheet.name)
        cols = [c.name for c in sheet.columns if not c.computed]
        out[sheet.name] = {r: tuple(vals) for r, *vals in zip(df["_row"], *(df[c] for c in cols))}
    return out


POLICY = load_policy()


# ---------------------------------------------------------------------------------------------- derived values
def test_update_fills_derived_values_only_where_blank(tmp_path):
    cover, rows = school_data()
    for r in rows["辍学"]:
        del r["出生日期"], r["性别"]
    rows["辍学"][0]["劝返动员日期"] = None           # filled from the earliest 劝返记录 of that ID (10-09, not 10-15)
    rows["辍学"][1]["劝返动员日期"] = D(2026, 9, 12)  # typed by the clerk: kept although the log says 09-11
    rows["送教上门"][0]["本月送教次数"] = 9           # computed column: always recomputed
    path = write_book(tmp_path / "a.xlsx", cover, rows)

    result = update_workbook(path, POLICY)
    assert result.exit_code == 0, result.findings
    book = read_workbook(path)
    drop = book.frame("辍学")
    assert list(drop["出生日期"]) == [idcard.birth_date(r["身份证号"]) for r in rows["辍学"]]
    assert list(drop["性别"]) == [idcard.sex(r["身份证号"]) for r in rows["辍学"]]
    first = min(p["劝返日期"] for p in rows["劝返记录"] if p["身份证号"] == CASE_OPEN)
    assert drop["劝返动员日期"].iloc[0] == first
    assert drop["劝返动员日期"].iloc[1] == D(2026, 9, 12)

    october = [v for v in rows["送教记录"] if v["送教日期"].strftime("%Y-%m") == MONTH]
    home = book.frame("送教上门").set_index("身份证号")
    assert home.loc[HOME_ON, "本月送教次数"] == sum(v["身份证号"] == HOME_ON for v in october)
    assert home.loc[HOME_ON, "本月送教课时"] == sum(v["课时"] for v in october if v["身份证号"] == HOME_ON)
    assert home.loc[HOME_LEFT, "本月送教次数"] == 0
    assert result.backup is not None and result.backup.exists() and result.backup.parent == path.parent

    # a filled cell stays editable under the sheet protection (it takes the template's unlocked input style)
    wb = openpyxl.load_workbook(path)
    ws = wb["辍学"]
    col = book.header_columns["辍学"]["出生日期"]
    assert ws.cell(int(drop["_row"].iloc[0]), col).protection.locked is False


# ---------------------------------------------------------------------------------------------- idempotent, lossless
def test_update_is_idempotent_and_loses_nothing(tmp_path):
    cover, rows = school_data()
    rows["辍学"][0]["身份证号"] = CASE_OPEN[:-1] + ("0" if CASE_OPEN[-1] != "0" else "1")   # F005 error
    rows["辍学"][0]["学籍号"] = "G" + rows["辍学"][0]["身份证号"]
    rows["辍学"][0]["备注"] = "=HYPERLINK(\"http://x\")"   # text that looks like a formula
    rows["休学"][0]["出生日期"] = None
    path = write_book(tmp_path / "b.xlsx", cover, rows)
    before = clerk_values(path)

    first = update_workbook(path, POLICY)
    snap1 = snapshot(path)
    second = update_workbook(path, POLICY)
    snap2 = snapshot(path)
    assert first.exit_code == second.exit_code == 1
    assert [f.to_dict() for f in first.findings] == [f.to_dict() for f in second.findings]
    assert snap1 == snap2
    assert second.filled == 0

    after = clerk_values(path)
    for sheet, values in before.items():
        if sheet == "封面":
            assert after[sheet] == values
            continue
        assert set(after[sheet]) == set(values), sheet
        names = [c.name for c in model.SHEETS[sheet].columns if not c.computed]
        for r, vals in values.items():
            for name, old, new in zip(names, vals, after[sheet][r]):
                assert old == new or (old is None and name in ("出生日期", "性别", "劝返动员日期")), (sheet, r, name)
    wb = openpyxl.load_workbook(path)
    ws = wb["辍学"]
    note = ws.cell(4, read_workbook(path).header_columns["辍学"]["备注"])
    assert note.data_type == "s" and note.value.startswith("=")


# ---------------------------------------------------------------------------------------------- marks
def _marks(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.comment is not None and edits.is_mark_comment(c.comment.text, c.comment.author):
                    out[(ws.title, c.coordinate)] = (c.fill.fgColor.rgb, c.comment.text)
    return out


def test_marks_appear_on_offending_cells_and_disappear_once_fixed(tmp_path):
    cover, rows = school_data()
    bad_id = CASE_OPEN[:-1] + ("0" if CASE_OPEN[-1] != "0" else "1")
    rows["辍学"][0].update(身份证号=bad_id, 学籍号="G" + bad_id)
    rows["休学"][0]["批准日期"] = "2026年13月1日"   # not a date
    cover["联系电话"] = "12345"                     # implausible phone on the cover (a warning)
    path = write_book(tmp_path / "c.xlsx", cover, rows)
    wb = openpyxl.load_workbook(path)   # the clerk's own comment and colour, which baoxue must never touch
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill
    wb["缓学"]["B4"].comment = Comment("家长已提交医院证明", "王芳")
    clerk_note_cell = openpyxl.utils.get_column_letter(model.LEAVE.column_names.index("批准日期") + 1) + "4"
    wb["休学"][clerk_note_cell].comment = Comment("批准文件在档案室", "王芳")   # on a cell baoxue will flag
    wb["缓学"]["C4"].fill = PatternFill("solid", fgColor="FF00B050")
    wb.save(path)

    result = update_workbook(path, POLICY)
    assert result.exit_code == 1
    book = read_workbook(path)
    cols = book.header_columns
    id_cell = openpyxl.utils.get_column_letter(cols["辍学"]["身份证号"]) + "4"
    date_cell = openpyxl.utils.get_column_letter(cols["休学"]["批准日期"]) + "4"
    marks = _marks(path)
    assert marks[("辍学", id_cell)][0] == edits.MARK_FILLS["error"]
    assert "F005" in marks[("辍学", id_cell)][1]
    assert date_cell == clerk_note_cell
    wb = openpyxl.load_workbook(path)
    assert wb["休学"][date_cell].fill.fgColor.rgb == edits.MARK_FILLS["error"]      # flagged by its colour …
    assert wb["休学"][date_cell].comment.text == "批准文件在档案室"                 # … the clerk's comment kept
    # every finding with a cell is marked, and 校验结果 lists every finding once
    worst: dict[tuple[str, str], str] = {}
    for f in result.findings:
        where = edits.cell_of(book, f)
        if where:
            coord = openpyxl.utils.get_column_letter(where[1]) + str(where[0])
            worst[(f.sheet, coord)] = "error" if f.is_error else worst.get((f.sheet, coord), "warning")
            assert (f.sheet, coord) == ("休学", clerk_note_cell) or f.rule in marks[(f.sheet, coord)][1]
    assert len(worst) >= 3
    assert worst[("封面", f"B{book.cover_rows['联系电话']}")] == "warning"   # cover values sit in column B
    for (sheet, coord), severity in worst.items():
        assert wb[sheet][coord].fill.fgColor.rgb == edits.MARK_FILLS[severity], (sheet, coord)
    wb = openpyxl.load_workbook(path)
    ws = wb[model.FINDINGS_SHEET]
    header_row = next(r for r in range(1, 11) if ws.cell(r, 5).value == "规则编号")
    listed = [tuple(c.value for c in row[:6]) for row in ws.iter_rows(min_row=header_row + 1) if row[4].value]
    assert sorted((s, int(r) if r not in (None, "") else None, c, a or None, rule, sev)
                  for s, r, c, a, rule, sev in listed) == \
        sorted((f.sheet or "", f.row, f.column or "", f.cell, f.rule, model.SEVERITY_LABELS[f.severity])
               for f in result.findings)
    # 单元格 is the marked cell's address (what the clerk types into the Name Box), also in the printed message
    from baoxue.commands.update import finding_line
    for f in result.findings:
        where = edits.cell_of(book, f)
        if where:
            assert f.cell == openpyxl.utils.get_column_letter(where[1]) + str(where[0])
            assert finding_line(f).endswith(f"（单元格 {f.cell}）")
    assert any(f.cell == id_cell for f in result.findings)

    # the clerk fixes both cells; the next update removes exactly baoxue's marks
    wb["辍学"][id_cell].value = CASE_OPEN
    wb["辍学"][openpyxl.utils.get_column_letter(cols["辍学"]["学籍号"]) + "4"].value = "G" + CASE_OPEN
    wb["休学"][date_cell].value = D(2026, 8, 25)
    wb.save(path)
    result = update_workbook(path, POLICY)
    assert result.exit_code == 0, result.findings
    assert not any(f.is_error for f in result.findings)
    assert ("辍学", id_cell) not in _marks(path) and ("休学", date_cell) not in _marks(path)
    wb = openpyxl.load_workbook(path)
    assert wb["辍学"][id_cell].fill.fill_type is None and wb["休学"][date_cell].fill.fill_type is None
    assert wb["休学"][date_cell].comment.text == "批准文件在档案室"
    assert wb["缓学"]["B4"].comment.text == "家长已提交医院证明"
    assert wb["缓学"]["C4"].fill.fgColor.rgb == "FF00B050"
    ws = wb[model.FINDINGS_SHEET]
    assert not [row for row in ws.iter_rows(min_row=header_row + 1) if row[4].value and row[5].value == "错误"]


def test_marks_disappear_after_a_libreoffice_resave(tmp_path, lo_convert):
    """LibreOffice rewrites comment authors when it saves ("baoxue" → " "). The clerk opens the marked book in
    LibreOffice, fixes the cells there and saves; the next update still removes every baoxue comment, keeps the
    clerk's own, and the submitted copy carries no stale comment."""
    from openpyxl.comments import Comment
    from baoxue.submit import submit_file
    cover, rows = school_data()
    bad_id = CASE_OPEN[:-1] + ("0" if CASE_OPEN[-1] != "0" else "1")
    rows["辍学"][0].update(身份证号=bad_id, 学籍号="G" + bad_id)
    rows["休学"][0]["批准日期"] = "2026年13月1日"
    cover["联系电话"] = "12345"
    path = write_book(tmp_path / "lo.xlsx", cover, rows)
    wb = openpyxl.load_workbook(path)
    wb["缓学"]["B4"].comment = Comment("家长已提交医院证明", "王芳")
    wb.save(path)
    assert update_workbook(path, POLICY).exit_code == 1
    marked = set(_marks(path))
    assert len(marked) >= 3

    resaved = lo_convert(path, "xlsx", tmp_path / "lo1")          # LibreOffice opens and saves it
    assert set(_marks(resaved)) == marked                         # still recognised as baoxue's marks
    book = read_workbook(resaved)
    cols = book.header_columns
    wb = openpyxl.load_workbook(resaved)                          # the clerk's fixes
    wb["辍学"].cell(4, cols["辍学"]["身份证号"]).value = CASE_OPEN
    wb["辍学"].cell(4, cols["辍学"]["学籍号"]).value = "G" + CASE_OPEN
    wb["休学"].cell(4, cols["休学"]["批准日期"]).value = D(2026, 8, 25)
    wb["封面"].cell(book.cover_rows["联系电话"], 2).value = "13812345678"
    wb.save(resaved)
    fixed = lo_convert(resaved, "xlsx", tmp_path / "lo2")         # … saved by LibreOffice once more
    result = update_workbook(fixed, POLICY)
    assert result.exit_code == 0, result.findings
    assert _marks(fixed) == {}
    comments = {(ws.title, c.coordinate): c.comment.text for ws in openpyxl.load_workbook(fixed).worksheets
                for row in ws.iter_rows() for c in row if c.comment is not None}
    assert comments == {("缓学", "B4"): "家长已提交医院证明"}
    out = submit_file(fixed, tmp_path / "报送", POLICY)
    assert out.ok, out.message
    submitted = openpyxl.load_workbook(out.out_path)
    assert not [c for ws in submitted.worksheets for row in ws.iter_rows() for c in row
                if c.comment is not None and edits.MARK_TAG in c.comment.text]


# ---------------------------------------------------------------------------------------------- computed sheets
def test_update_recreates_missing_computed_sheets_and_writes_python_figures(tmp_path):
    path = school_book(tmp_path / "d.xlsx")
    wb = openpyxl.load_workbook(path)
    for name in (model.SUMMARY_SHEET, model.FINDINGS_SHEET, model.CODES_SHEET):
        del wb[name]
    wb.save(path)
    result = update_workbook(path, POLICY)
    assert result.exit_code == 0, result.findings
    wb = openpyxl.load_workbook(path)
    assert {model.SUMMARY_SHEET, model.FINDINGS_SHEET, model.CODES_SHEET} <= set(wb.sheetnames)
    ws = wb[model.SUMMARY_SHEET]
    header = {c.value: c.column for row in ws.iter_rows(max_row=10) for c in row if isinstance(c.value, str)}
    value_col = header[edits.PYTHON_VALUE_HEADER]
    figures = {}
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.column < value_col:
                figures.setdefault(c.value, ws.cell(c.row, value_col).value)
    _cover, rows = school_data()
    open_cases = [r for r in rows["辍学"] if r["状态"] in model.DROPOUT_OPEN_STATUSES]
    assert figures["open_cases"] == len(open_cases)
    assert figures["open_unknown"] == sum(r["状态"] == "去向不明" for r in open_cases)
    assert figures["home_visits"] == sum(v["送教日期"].month == 10 for v in rows["送教记录"])
    assert figures["on_leave"] == sum(r["状态"] == "休学中" for r in rows["休学"])


def test_findings_sheet_names_the_policy_in_effect(tmp_path):
    path = school_book(tmp_path / "p.xlsx")
    county = tmp_path / "县策略.toml"
    county.write_text("[home_teaching]\nvisits_per_month = 4\n", encoding="utf-8")
    results = {}
    for name, policy in (("default", POLICY), ("county", load_policy(county))):
        update_workbook(path, policy)
        ws = openpyxl.load_workbook(path)[model.FINDINGS_SHEET]
        header_row = next(r for r in range(1, 11) if ws.cell(r, 5).value == "规则编号")
        results[name] = ws.cell(header_row - 1, 1).value
        assert policy.fingerprint in results[name]
    assert results["default"] != results["county"]


def test_update_keeps_live_formulas_validations_protection_and_names(tmp_path):
    path = school_book(tmp_path / "e.xlsx")
    before = openpyxl.load_workbook(path)
    update_workbook(path, POLICY)
    after = openpyxl.load_workbook(path)
    formulas = lambda wb: {c.coordinate: c.value for row in wb[model.SUMMARY_SHEET].iter_rows() for c in row
                           if isinstance(c.value, str) and c.value.startswith("=")}
    assert formulas(before) and formulas(before) == formulas(after)
    assert set(before.defined_names) == set(after.defined_names)
    for name in model.CLERK_SHEETS:
        b, a = before[name], after[name]
        assert a.protection.sheet == b.protection.sheet
        assert [(str(v.sqref), v.formula1) for v in a.data_validations.dataValidation] == \
            [(str(v.sqref), v.formula1) for v in b.data_validations.dataValidation]
    assert after[model.CODES_SHEET].sheet_state == before[model.CODES_SHEET].sheet_state


# ---------------------------------------------------------------------------------------------- errors and exit codes
def test_locked_file_gets_a_clear_message_and_is_left_alone(tmp_path):
    path = school_book(tmp_path / "f.xlsx")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (tmp_path / "~$f.xlsx").write_bytes(b"locked by Excel")
    result = update_workbook(path, POLICY)
    assert result.exit_code == 2
    assert "正在被其他程序" in result.message
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".baoxue-")] == []


def test_cli_exit_codes(tmp_path, capsys):
    good = school_book(tmp_path / "good.xlsx")
    cover, rows = school_data()
    rows["辍学"][0]["状态"] = None        # required value empty → error
    bad = write_book(tmp_path / "bad.xlsx", cover, rows)
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a workbook")
    assert cli.main(["update", str(good)]) == 0
    assert cli.main(["update", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "F001" in out and "状态" in out
    assert cli.main(["update", str(junk)]) == 2
    assert "无法作为工作簿读取" in capsys.readouterr().err


def test_update_prints_only_chinese_for_a_number_in_a_date_cell(tmp_path):
    """The command a clerk runs shows no English library warning (openpyxl's date-serial UserWarning)."""
    import subprocess
    import sys
    path = school_book(tmp_path / "w.xlsx")
    book = read_workbook(path)
    wb = openpyxl.load_workbook(path)
    cell = wb["辍学"].cell(int(book.frame("辍学")["_row"].iloc[0]), book.header_columns["辍学"]["发现日期"])
    cell.value, cell.number_format = 20260903, "yyyy-mm-dd"
    wb.save(path)
    run = subprocess.run([sys.executable, "-m", "baoxue", "update", str(path)], capture_output=True, text=True)
    assert run.returncode in (0, 1), run.stderr
    assert "Warning" not in run.stderr + run.stdout and "openpyxl" not in run.stderr + run.stdout
    assert "已更新" in run.stdout


def test_a_number_typed_into_a_date_cell_survives_update(tmp_path):
    """20260903 typed into a 日期 cell is stored as a number with a date format (Excel shows ####); the reader reads
    the date it spells, and update must write the clerk's number back, not openpyxl's #VALUE!."""
    path = school_book(tmp_path / "n.xlsx")
    book = read_workbook(path)
    wb = openpyxl.load_workbook(path)
    row, col = int(book.frame("辍学")["_row"].iloc[0]), book.header_columns["辍学"]["发现日期"]
    cell = wb["辍学"].cell(row, col)
    cell.value, cell.number_format = 20260903, "yyyy-mm-dd"
    wb.save(path)
    assert read_workbook(path).frame("辍学")["发现日期"].iloc[0] == D(2026, 9, 3)
    result = update_workbook(path, POLICY)
    assert result.exit_code in (0, 1)
    assert read_workbook(path).frame("辍学")["发现日期"].iloc[0] == D(2026, 9, 3)
    with zipfile.ZipFile(path) as z:
        names = {n for n in z.namelist() if n.startswith("xl/worksheets/sheet")}
        xml = "".join(z.read(n).decode() for n in names)
    assert "#VALUE!" not in xml and ">20260903<" in xml


def test_an_older_findings_sheet_gets_the_cell_column_beside_its_table(tmp_path):
    """A book made before 校验结果 had 单元格 (header 工作表…说明 in A3:G3): update keeps that header and its note row,
    writes 单元格 beside it, and fills every column under the right header."""
    cover, rows = school_data()
    cover["联系电话"] = "12345"                                      # one finding (F010) on the cover
    path = write_book(tmp_path / "old.xlsx", cover, rows)
    wb = openpyxl.load_workbook(path)
    ws = wb[model.FINDINGS_SHEET]
    header_row = next(r for r in range(1, 11) if ws.cell(r, 1).value == "工作表")
    ws.delete_cols(model.FINDINGS_COLUMNS.index("单元格") + 1)
    assert [ws.cell(header_row, j).value for j in range(1, 8)] == [c for c in model.FINDINGS_COLUMNS if c != "单元格"]
    wb.save(path)
    update_workbook(path, POLICY)
    ws = openpyxl.load_workbook(path)[model.FINDINGS_SHEET]
    head = {ws.cell(header_row, j).value: j for j in range(1, 10) if ws.cell(header_row, j).value}
    assert set(head) == set(model.FINDINGS_COLUMNS) and head["单元格"] == 8
    assert "策略指纹" in ws.cell(header_row - 1, 1).value and ws.cell(1, 1).value.startswith("校验结果")
    line = {name: ws.cell(header_row + 1, j).value for name, j in head.items()}
    assert line["规则编号"] == "F010" and line["单元格"] == f"B{read_workbook(path).cover_rows['联系电话']}"


def test_python_figures_show_rates_with_two_decimals(tmp_path):
    path = school_book(tmp_path / "r.xlsx")
    update_workbook(path, POLICY)
    ws = openpyxl.load_workbook(path)[model.SUMMARY_SHEET]
    head = next((r, c) for r in range(1, 6) for c in range(1, 8) if ws.cell(r, c).value == edits.PYTHON_VALUE_HEADER)
    rows = {ws.cell(r, 2).value: r for r in range(head[0] + 1, ws.max_row + 1) if ws.cell(r, 2).value}
    assert ws.cell(rows["dropout_rate_junior"], head[1]).number_format == "0.00"
    assert ws.cell(rows["open_cases"], head[1]).number_format == "General"
