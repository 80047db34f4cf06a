"""The catalogue is complete and consistent; the generated rule reference is up to date; every implemented rule has a
failing and a passing example in the rule tests; S005 for unreadable files; batch validation equals one-by-one."""
from __future__ import annotations

import datetime as dt
import re
import zipfile

import pytest

from baoxue import model
from baoxue.reader import read_workbook
from baoxue.validators import CHECKS, RULES, validate, validate_books, validate_file
from baoxue.validators import docs
from baoxue.policy import DEFAULT
from rules_helpers import DROP_ID, ROW1, clean, where, write

import test_rules_cases
import test_rules_format
import test_rules_home

ALL_CASES = test_rules_format.CASES + test_rules_cases.CASES + test_rules_home.CASES
SPEC_IDS = ([f"S00{i}" for i in range(1, 6)] + [f"F0{i:02d}" for i in range(1, 14)] + ["A001", "A002", "A003"]
            + [f"D00{i}" for i in range(1, 6)] + [f"C00{i}" for i in range(1, 9)] + [f"T00{i}" for i in range(1, 8)]
            + ["P001", "P002", "X001", "X002", "X003"] + [f"R00{i}" for i in range(1, 8)])


def test_catalogue_holds_every_spec_rule_with_its_words():
    assert set(SPEC_IDS) <= set(RULES)
    for r in RULES.values():
        assert r.severity in ("error", "warning")
        for text in (r.title, r.title_en, r.message, r.why, r.bad, r.good):
            assert text.strip(), r.id
        assert re.search(r"[\u4e00-\u9fff]", r.title), r.id
        if r.id != "S005":   # S005's message is the reader's own Chinese text: "{reason}"
            assert re.search(r"[\u4e00-\u9fff]", r.message), r.id


def test_spec_severities():
    warnings = {"S003", "F010", "A001", "A002", "A003", "D003", "D004", "D005", "C003", "C004", "C005", "C006",
                "T001", "T002", "T003", "T004", "T007", "R002", "R006", "R007"}
    for rid in SPEC_IDS:
        assert RULES[rid].severity == ("warning" if rid in warnings else "error"), rid


def test_every_book_rule_is_implemented_and_exemplified():
    book_rules = {rid for rid in RULES if rid[0] not in "RH" and rid != "S005"}   # R: roll-up, H: household line
    assert book_rules == set(CHECKS)
    tested = {c.rule for c in ALL_CASES}
    assert book_rules <= tested
    passing = {c.rule for c in ALL_CASES if c.good or c.good_file}
    assert book_rules - passing <= {"S003"}   # the clean book is S003's passing example


def test_rule_reference_is_up_to_date():
    assert docs.DOC.read_text(encoding="utf-8") == docs.render(), "run: python -m baoxue.validators.docs"
    assert docs.WORKBOOK_DOC.read_text(encoding="utf-8") == docs.render_workbook(), "run: make docs"
    text = docs.DOC.read_text(encoding="utf-8")
    for rid, r in RULES.items():
        assert f"### {rid}" in text and r.title_en in text


def test_guides_quote_code_lists_as_generated_text():
    """The clerk guide's 劝返方式 are the dropdown's values (it once said 上门, which the list does not have); every
    guide's code-list block is up to date, and a stale block is rewritten from the model."""
    from baoxue import model
    for path, make in docs.GENERATED.items():
        assert path.read_text(encoding="utf-8") == make(), f"{path.name} is stale: run make docs"
    guide = docs.DOC.with_name("clerk-guide.md").read_text(encoding="utf-8")
    assert "、".join(model.CODE_LISTS["劝返方式"]) in guide and "上门、电话" not in guide
    stale = "方式：<!-- 代码表:劝返方式 -->上门、电话<!-- /代码表 -->。"
    assert docs.fill_code_lists(stale) == f"方式：<!-- 代码表:劝返方式 -->{'、'.join(model.CODE_LISTS['劝返方式'])}<!-- /代码表 -->。"


def test_workbook_reference_lists_every_sheet_column_and_code():
    from baoxue import model
    text = docs.render_workbook()
    for sheet in model.DATA_SHEETS:
        section = text.split(f"## {sheet.name} — ", 1)[1].split("\n## ", 1)[0]
        rows = [line.split(" | ")[0].strip("| ") for line in section.splitlines() if line.startswith("| ")][1:]
        assert rows == sheet.column_names
    for name, values in model.CODE_LISTS.items():
        assert f"| {name} | {'、'.join(values)} |" in text


# ---------------------------------------------------------------------------------------------- S005
def _unreadable(tmp_path):
    files = {}
    (tmp_path / "empty.xlsx").write_bytes(b"")
    files["empty"] = tmp_path / "empty.xlsx"
    (tmp_path / "corrupt.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    files["corrupt zip"] = tmp_path / "corrupt.xlsx"
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000)
    files["xls"] = tmp_path / "old.xls"
    (tmp_path / "export.xls").write_text("<html><body><table><tr><td>姓名</td></tr></table></body></html>",
                                         encoding="utf-8")
    files["html"] = tmp_path / "export.xls"
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\x00" * (60 * 1024 * 1024))
    files["zip bomb"] = bomb
    (tmp_path / "note.xlsx").write_text("这不是工作簿", encoding="utf-8")
    files["text"] = tmp_path / "note.xlsx"
    return files


def test_unreadable_files_give_one_s005(tmp_path):
    for kind, path in _unreadable(tmp_path).items():
        book, findings = validate_file(path, DEFAULT)
        assert book is None, kind
        assert [(f.rule, f.severity) for f in findings] == [("S005", "error")], kind
        assert re.search(r"[\u4e00-\u9fff]", findings[0].message), kind


# ---------------------------------------------------------------------------------------------- batches
def test_batch_equals_one_by_one(tmp_path):
    """Books with different months and problems validated together give each book exactly its own findings."""
    c1, r1 = clean()
    c2, r2 = clean()
    c2["报送月份"] = "2026-10"
    c2["填报日期"] = dt.date(2026, 10, 31)
    r2["送教记录"][1]["课时"] = 1                   # September visit: not checked in October, T001 instead
    r2["辍学"][0]["限期复学通知日期"] = dt.date(2026, 10, 1)
    c3, r3 = clean()
    r3["劝返记录"][0]["身份证号"] = r3["送教上门"][0]["身份证号"]   # P001, and C004 nowhere (dropout has step 1)
    paths = [write(tmp_path, c, r, f"b{i}.xlsx") for i, (c, r) in enumerate([(c1, r1), (c2, r2), (c3, r3)])]
    books = [read_workbook(p) for p in paths]
    together = validate_books(books, DEFAULT)
    alone = [validate(b, DEFAULT) for b in books]
    assert together == alone
    assert together[0] == []
    assert {f.rule for f in together[1]} == {"C003", "T001"}
    assert where(together[2], "P001") == [("error", "劝返记录", ROW1, "身份证号")]


def test_same_id_in_two_books_is_not_a_duplicate(tmp_path):
    """X001/X002 and P001 look inside one book only: the same child in two schools' books is R004's business."""
    c, r = clean()
    paths = [write(tmp_path, c, r, f"s{i}.xlsx") for i in range(2)]
    assert validate_books([read_workbook(p) for p in paths], DEFAULT) == [[], []]


def test_findings_are_sorted_by_sheet_row_and_column(tmp_path):
    c, r = clean()
    r["辍学"][0].update(性别="女", 身份证号=DROP_ID[:17] + ("0" if DROP_ID[17] != "0" else "1"))
    r["休学"][0]["预计复学日期"] = dt.date(2026, 9, 20)
    c["零报告"] = "是"
    _, findings = validate_file(write(tmp_path, c, r), DEFAULT)
    order = {name: i for i, name in enumerate(model.ALL_SHEETS)}
    keys = [(order[f.sheet], f.row or 0) for f in findings]
    assert keys == sorted(keys)
    drop_row = [f.column for f in findings if f.sheet == "辍学" and f.row == ROW1]
    cols = model.DROPOUT.column_names
    assert drop_row == sorted(drop_row, key=cols.index)
    assert findings[0].sheet == "封面"


def test_messy_but_valid_input_gives_no_error(tmp_path):
    """SPEC §2.9 forms: full-width digits, spaces in IDs/phones, lowercase x, dates as text in every accepted form,
    serial numbers, aliases for codes and grades."""
    c, r = clean()
    drop = r["辍学"][0]
    drop.update(身份证号=" ".join([drop["身份证号"][:6], drop["身份证号"][6:14], drop["身份证号"][14:]]),
                监护人电话="139 1234 5678", 发现日期="2026/9/3", 上报日期="2026.9.3", 劝返动员日期="20260905",
                年级="８", 残疾="×", 留守儿童="√", 随迁子女="N", 出生日期="2013年5月10日")
    r["休学"][0].update(年级="初一", 申请日期=46254, 批准日期="2026-08-25")   # 46254 = 2026-08-20 as an Excel serial
    r["送教记录"][0].update(有男教师="Y", 家长签字="yes")
    c.update(报送月份="2026/09", 学校标识码="５３０１２３０００１", 联系电话="138-1234-5678")
    _, findings = validate_file(write(tmp_path, c, r), DEFAULT)
    assert [f for f in findings if f.is_error] == [], [str(f) for f in findings]


def test_messages_never_carry_a_full_id_or_name(tmp_path):
    """Messages travel (reports, e-mails, logs): IDs and names in them are masked; ``value`` keeps the cell as found."""
    c, r = clean()
    wrong = DROP_ID[:17] + ("0" if DROP_ID[17] != "0" else "1")
    r["辍学"][0].update(身份证号=wrong, 姓名="张三3")
    r["辍学"].append({**r["辍学"][0]})
    r["送教记录"][0]["身份证号"] = wrong
    _, findings = validate_file(write(tmp_path, c, r), DEFAULT)
    by_rule = {f.rule: f for f in findings}
    assert {"F005", "F012", "X001", "T005", "P001"} <= set(by_rule)
    for f in findings:
        assert not re.search(r"\d{15}", f.message), f.message
        assert "张三3" not in f.message
    assert by_rule["F005"].value == wrong and by_rule["F012"].value == "张三3"
    assert "530123********" in by_rule["F005"].message
