"""The household lists through the reader (SPEC §8.1): a long list written without a <dimension> (as some system
exports are) is sized from its cells' references, read whole, and a stray far cell in one is still refused (S005)."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from baoxue import model
from baoxue.book import UnreadableWorkbook
from baoxue.reader import read_list

from household_helpers import person_id, write_list


def _without_dimension(src: Path, dst: Path, stray: str | None = None) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb"<dimension[^>]*/>", b"", data)
                if stray:
                    data = data.replace(b"</sheetData>", f'<row r="{stray[1]}"><c r="{stray[0]}{stray[1]}" t="inlineStr">'
                                        f"<is><t>x</t></is></c></row></sheetData>".encode())
            zout.writestr(item, data)
    return dst


def test_list_without_dimension_is_read_whole(tmp_path):
    ids = [person_id(i, 10) for i in range(1, 301)]
    src = write_list(tmp_path / "a.xlsx", ["姓名", "性别", "身份证号", "户籍乡镇", "户籍村(社区)"],
                     [["张三", "男", pid, "城关镇", "东风村"] for pid in ids])
    bare = _without_dimension(src, tmp_path / "b.xlsx")
    assert b"<dimension" not in zipfile.ZipFile(bare).read("xl/worksheets/sheet1.xml")
    book, sheet = read_list(bare, model.HOUSEHOLD_LIST)
    df = book.sheets[model.HOUSEHOLD_LIST.name]
    assert list(df["身份证号"]) == ids and list(df["_row"]) == list(range(2, 302))


def test_stray_far_cell_in_a_list_without_dimension_is_refused(tmp_path):
    src = write_list(tmp_path / "a.xlsx", ["姓名", "身份证号"], [["张三", person_id(1, 10)]])
    bad = _without_dimension(src, tmp_path / "far.xlsx", stray=("ALL", 1_048_000))
    with pytest.raises(UnreadableWorkbook, match="过大"):
        read_list(bad, model.HOUSEHOLD_LIST)


def test_list_rows_get_f002_f004_f007_f012_with_file_and_row(tmp_path):
    """The workbook's F rules on a 户籍名单: a name with a digit (F012), a 性别 not in its list (F002), an ID stored as
    a number (F004), a 性别 the ID contradicts (F007) — each at its file and Excel row; a clean row has none."""
    from baoxue.household.checks import ListBatch, input_findings
    from baoxue.household.inputs import load
    from baoxue.policy import DEFAULT
    good, girl = person_id(1, 10, male=True), person_id(2, 10, male=False)
    path = write_list(tmp_path / "户籍.xlsx", ["姓名", "性别", "身份证号", "户籍乡镇", "户籍村(社区)"], [
        ["张三", "男", good, "城关镇", "东风村"],
        ["李4", "男", person_id(3, 10), "城关镇", "东风村"],
        ["王五", "男孩", person_id(4, 10), "城关镇", "东风村"],
        ["赵六", "男", 431021201603100010, "城关镇", "东风村"],
        ["钱七", "男", girl, "城关镇", "东风村"],
    ], title="户籍名单")
    lf = load(path, model.HOUSEHOLD_LIST, "2026-09", file="户籍.xlsx")
    found = {(f.rule, f.row, f.column) for f in input_findings(ListBatch([lf], DEFAULT))}
    assert found == {("F012", 4, "姓名"), ("F002", 5, "性别"), ("F004", 6, "身份证号"), ("F007", 7, "性别")}
    assert all(f.file == "户籍.xlsx" and f.sheet == "户籍名单" for f in input_findings(ListBatch([lf], DEFAULT)))


@pytest.mark.parametrize("sheet", [model.HOUSEHOLD_LIST, model.XUEJI_LIST, model.ELSEWHERE_LIST, model.KEY_GROUP_LIST])
def test_damaged_county_list_asks_its_department_not_a_school(tmp_path, sheet):
    """A list is an export of a department's system: the advice for a damaged one names that sender, not a school;
    the reader's own message (a school book) still asks the school."""
    from baoxue.household.inputs import InputError, load_required
    from baoxue.reader import read_workbook
    good = write_list(tmp_path / "good.xlsx", [c.name for c in sheet.columns], [[None] * len(sheet.columns)]).read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good[: len(good) // 2])
    with pytest.raises(InputError) as info:
        load_required(cut, sheet, "2026-09")
    assert "损坏" in str(info.value) and "重新导出" in str(info.value) and "学校" not in str(info.value)
    with pytest.raises(UnreadableWorkbook) as school:
        read_workbook(cut)
    assert "请让学校重新保存并发送。" in school.value.message
