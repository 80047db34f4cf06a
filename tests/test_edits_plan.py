"""Decide once, apply dumbly: the plans address every cell from what the reader found in the book, and the two
appliers (openpyxl for files, xlwings for a live book) write the same cells from the same plan.

Real files throughout: the standard workbook, and the same workbook with two rows inserted above the cover, the data
sheets and 校验结果 (a clerk's title block) — its headers sit two rows lower, so every planned cell must move with them.
The live side is xlwings' own remote engine (``XLWINGS_LICENSE_KEY=noncommercial``, test-only, as in the other add-in
tests) on the JSON book a simulated Excel client sends.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from test_addin_payload import apply_actions, payload_from_xlsx, planted, remote_book, write_book  # noqa: I001

from baoxue import edits, model, template  # noqa: E402
from baoxue.carry import carry_forward, next_month_edits  # noqa: E402
from baoxue.edits import SetBlock, SetFill, SetValue, apply_openpyxl  # noqa: E402
from baoxue.policy import DEFAULT  # noqa: E402
from baoxue.reader import read_workbook  # noqa: E402
from baoxue.update import plan  # noqa: E402

from baoxue.addin import bridge  # noqa: E402

SHIFT = 2
SHIFTED_SHEETS = (model.COVER_SHEET, *(s.name for s in model.DATA_SHEETS), model.FINDINGS_SHEET)


def shifted(src: Path, out: Path) -> Path:
    """``src`` with SHIFT rows inserted at the top of the cover, every data sheet and 校验结果."""
    wb = openpyxl.load_workbook(src)
    for name in SHIFTED_SHEETS:
        wb[name].insert_rows(1, SHIFT)
    wb.save(out)
    return out


def without_computed_sheets(src: Path, out: Path) -> Path:
    """``src`` without 月报汇总, 校验结果 and 代码表 (a clerk deleted them)."""
    wb = openpyxl.load_workbook(src)
    for name in (model.SUMMARY_SHEET, model.FINDINGS_SHEET, model.CODES_SHEET):
        del wb[name]
    wb.save(out)
    return out


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    d = tmp_path_factory.mktemp("plan")
    standard = write_book(d / "标准.xlsx", planted)
    return standard, shifted(standard, d / "标题下移.xlsx"), without_computed_sheets(standard, d / "无计算表.xlsx")


def cells(edits_: list, kind) -> list[tuple]:
    return [e for e in edits_ if isinstance(e, kind)]


def test_the_plan_moves_with_the_header_the_reader_found(books):
    a, b = (read_workbook(p, computed_sheets=True) for p in books[:2])
    assert b.header_rows[model.DROPOUT.name] == a.header_rows[model.DROPOUT.name] + SHIFT
    assert b.layouts[model.FINDINGS_SHEET].header_row == a.layouts[model.FINDINGS_SHEET].header_row + SHIFT
    pa, pb = plan(a, DEFAULT), plan(b, DEFAULT)

    # derived values (出生日期 filled from the ID): the same cells, SHIFT rows lower
    derived_a = [(e.sheet, e.row, e.col, e.value) for e in pa.edits[:pa.filled]]
    derived_b = [(e.sheet, e.row, e.col, e.value) for e in pb.edits[:pb.filled]]
    assert derived_a and all(isinstance(e, SetValue) for e in pb.edits[:pb.filled])
    assert derived_b == [(s, r + SHIFT, c, v) for s, r, c, v in derived_a]
    # marks: every fill SHIFT rows lower on the shifted sheets
    fills_a = {(e.sheet, e.row, e.col) for e in cells(pa.edits, SetFill)}
    fills_b = {(e.sheet, e.row, e.col) for e in cells(pb.edits, SetFill)}
    assert fills_a and fills_b == {(s, r + SHIFT, c) for s, r, c in fills_a}
    # 校验结果: the caption above the header, the findings from the row below it
    header_a = a.layouts[model.FINDINGS_SHEET].header_row
    caption = edits.findings_caption(DEFAULT)
    for p, header in ((pa, header_a), (pb, header_a + SHIFT)):
        table = [e for e in p.edits if getattr(e, "sheet", None) == model.FINDINGS_SHEET]
        assert SetValue(model.FINDINGS_SHEET, header - 1, 1, caption) in table
        block = next(e for e in table if isinstance(e, SetBlock))
        assert (block.row, block.col) == (header + 1, 1) and len(block.rows) == len(p.findings)
    # 月报汇总 was not moved: its values go to the same cells in both books
    summary = lambda p: [(e.row, e.col) for e in p.edits if isinstance(e, SetValue) and e.sheet == model.SUMMARY_SHEET]
    assert summary(pa) == summary(pb) and len(summary(pa)) >= len(edits.INDICATORS)


def test_the_next_month_plan_moves_with_the_header_the_reader_found(books):
    a, b = (read_workbook(p) for p in books[:2])
    carried = carry_forward(a)
    ea, eb = next_month_edits(carried, a), next_month_edits(carried, b)
    cover = lambda es: {e.row: e.value for e in es if isinstance(e, SetValue) and e.sheet == model.COVER_SHEET}
    assert cover(eb) == {r + SHIFT: v for r, v in cover(ea).items()} and len(cover(ea)) == len(carried.cover)
    blocks = lambda es: [(e.sheet, e.row, e.col, e.rows) for e in es if isinstance(e, SetBlock)]
    assert blocks(ea) and blocks(eb) == [(s, r + SHIFT, c, rows) for s, r, c, rows in blocks(ea)]


def test_a_fresh_template_has_the_layout_the_next_month_plan_assumes(tmp_path):
    path = tmp_path / "模板.xlsx"
    template.build_school_workbook().save(path)
    found, assumed = read_workbook(path, computed_sheets=True), template.standard_layout()
    assert found.cover_rows == assumed.cover_rows
    assert found.header_rows == assumed.header_rows and found.header_columns == assumed.header_columns
    table = found.layouts[model.FINDINGS_SHEET]
    expected = assumed.layouts[model.FINDINGS_SHEET]
    assert (table.header_row, table.columns) == (expected.header_row, expected.columns)


def _typed(v):
    """A cell value as both clients hold it, compared by type: dates as dates, empty as None."""
    v = bridge._remote_value(v) if isinstance(v, str) else v
    if isinstance(v, dt.datetime):
        return v.date()
    return None if v == "" else v


def _planned_cells(edits_: list) -> set[tuple[str, int, int]]:
    out = set()
    for e in edits_:
        if isinstance(e, SetValue):
            out.add((e.sheet, e.row, e.col))
        elif isinstance(e, SetBlock):
            out |= {(e.sheet, e.row + i, e.col + j) for i, r in enumerate(e.rows) for j in range(len(r))}
    return out


@pytest.mark.parametrize("which", [0, 1, 2], ids=["standard", "header-moved", "computed-sheets-deleted"])
def test_both_appliers_write_the_same_cells_from_one_plan(books, tmp_path, which):
    path = books[which]
    payload = payload_from_xlsx(path)
    live = remote_book(payload)
    parsed_file, parsed_live = read_workbook(path, computed_sheets=True), bridge.read_book(live)
    p = plan(parsed_file, DEFAULT)
    assert plan(parsed_live, DEFAULT).edits == p.edits          # decided once, from the reader: the same plan

    wb = openpyxl.load_workbook(path)
    apply_openpyxl(wb, p.edits)
    out = tmp_path / "applied.xlsx"
    wb.save(out)
    bridge.apply_xlwings(live, p.edits, parsed_live)
    after, record = apply_actions(payload, live.json()["actions"])

    written = openpyxl.load_workbook(out)
    sheets = {s["name"]: s["values"] for s in after["sheets"]}
    planned = _planned_cells(p.edits)
    assert len(planned) > 100
    for sheet, r, c in sorted(planned):
        rows = sheets[sheet]
        remote = rows[r - 1][c - 1] if r - 1 < len(rows) and c - 1 < len(rows[r - 1]) else ""
        assert _typed(written[sheet].cell(r, c).value) == _typed(remote), (sheet, r, c)
    fills = {(e.sheet, e.row, e.col): "#" + e.color[2:] for e in p.edits if isinstance(e, SetFill)}
    assert {k: v for k, v in record["fills"].items() if k in fills} == fills
    assert all(written[s].cell(r, c).fill.fgColor.rgb == "FF" + v[1:] for (s, r, c), v in fills.items())
    hidden = {s["name"] for s in after["sheets"] if s["visibility"] != "Visible"}
    assert model.CODES_SHEET in hidden and written[model.CODES_SHEET].sheet_state == "hidden"
    # and the two books read back alike
    back_file, back_live = read_workbook(out, computed_sheets=True), bridge.read_book(remote_book(after))
    assert back_file.cover == back_live.cover and back_file.header_rows == back_live.header_rows
    for name in model.SHEETS:
        assert back_file.frame(name).equals(back_live.frame(name)), name
