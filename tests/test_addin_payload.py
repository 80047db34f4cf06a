"""The add-in's reading side, on xlwings' own remote engine: a real .xlsx → the JSON book the Excel client (Office.js,
xlwings Lite) sends → ``xw.Book(json=...)`` → ``bridge.grid_from_book`` → the same SchoolBook and the same findings
as ``baoxue validate`` on the file.

The simulated Excel client (``payload_from_xlsx``, ``remote_book``, ``apply_actions``) is ``baoxue.addin.simulate``;
this module re-exports it with the fixtures the other add-in tests share (``write_book``, ``planted``).

xlwings' remote engine asks for a licence key: these tests run with ``XLWINGS_LICENSE_KEY=noncommercial`` (xlwings'
own key for noncommercial use, which these open-source tests are; set in conftest.py and here) — test-only.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # test-only: xlwings' noncommercial key
os.environ["XLWINGS_ON_SERVER"] = "true"                          # the Lite/Server decorators and engine

import openpyxl  # noqa: E402
import pytest  # noqa: E402

from baoxue import idcard, model  # noqa: E402
from baoxue.fill import write_school_workbook  # noqa: E402
from baoxue.reader import parse_grid, read_workbook  # noqa: E402
from baoxue.validators import validate, validate_file  # noqa: E402

from test_update import school_data  # noqa: E402  (a clean, realistic October workbook)

from baoxue.addin import bridge  # noqa: E402
from baoxue.addin.simulate import apply_actions, payload_from_xlsx, remote_book  # noqa: E402,F401  (shared)
from baoxue.policy import DEFAULT  # noqa: E402


# ============================================================================================== fixtures
def write_book(path: Path, edit=None, month: str = "2026-10") -> Path:
    cover, rows = school_data(month)
    if edit:
        edit(cover, rows)
    return write_school_workbook(path, cover, rows, backup=False)


def planted(cover, rows):
    """A few mistakes of every kind a clerk makes (errors and warnings on several sheets)."""
    d = rows["辍学"][0]
    d["身份证号"] = d["身份证号"][:17] + ("0" if d["身份证号"][17] != "0" else "1")   # F005
    rows["辍学"][1]["监护人电话"] = "12345"                                          # F010 warning
    rows["辍学"][1]["状态"] = "不知道"                                               # F002
    rows["休学"][0]["批准日期"] = dt.date(2026, 8, 1)                                 # D002 (before 申请日期)
    rows["送教记录"][3]["课时"] = 1                                                   # T002 warning (an October visit)
    rows["辍学"][2]["出生日期"] = None                                                # update fills it
    cover["零报告"] = "是"                                                            # X003 with open cases


@pytest.fixture
def clean_file(tmp_path) -> Path:
    return write_book(tmp_path / "clean.xlsx")


@pytest.fixture
def messy_file(tmp_path) -> Path:
    return write_book(tmp_path / "messy.xlsx", planted)


def _frames_equal(a, b) -> None:
    assert a.cover == b.cover
    assert a.cover_rows == b.cover_rows
    assert a.header_rows == b.header_rows and a.header_columns == b.header_columns
    assert a.missing_sheets == b.missing_sheets and a.missing_columns == b.missing_columns
    for name in model.SHEETS:
        left, right = a.frame(name), b.frame(name)
        assert left["_row"].tolist() == right["_row"].tolist(), name
        for column in model.SHEETS[name].column_names:
            assert left[column].tolist() == right[column].tolist(), (name, column)


# ============================================================================================== tests
def test_live_book_reads_exactly_like_the_file(messy_file):
    live = bridge.read_book(remote_book(payload_from_xlsx(messy_file)))
    _frames_equal(live, read_workbook(messy_file))


def test_live_findings_equal_cli_findings(messy_file):
    _, on_file = validate_file(messy_file, DEFAULT)
    live = validate(bridge.read_book(remote_book(payload_from_xlsx(messy_file))), DEFAULT)
    assert [f.to_dict() for f in live] == [f.to_dict() for f in on_file]
    assert {f.rule for f in on_file} >= {"F005", "F010", "F002", "D002", "T002", "X003"}


def test_used_range_offset_keeps_excel_row_numbers(tmp_path):
    """A sheet whose used range starts below/right of A1 (clerk deleted the title rows' content and inserted rows)."""
    path = write_book(tmp_path / "moved.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["辍学"]
    for merged in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(merged))
    ws.insert_rows(1, 3)
    ws.insert_cols(1, 2)
    for row in ws.iter_rows(min_row=1, max_row=5):
        for cell in row:
            cell.value = None          # title and note gone: the used range starts at the header, column C
    wb.save(path)
    payload = payload_from_xlsx(path)
    sheet = next(s for s in payload["sheets"] if s["name"] == "辍学")
    assert sheet["used_range_address"].startswith("$C$6:")
    live = bridge.read_book(remote_book(payload))
    on_file = read_workbook(path)
    assert live.header_rows["辍学"] == on_file.header_rows["辍学"] > 3
    _frames_equal(live, on_file)
    assert [f.to_dict() for f in validate(live, DEFAULT)] == [f.to_dict() for f in validate(on_file, DEFAULT)]


def test_formula_cells_are_found_where_the_engine_gives_them(tmp_path):
    """The remote engine cannot read formulas synchronously (Lite fetches them with ``await get_formula()``): the Grid
    takes formula cells from ``.formula`` where an engine offers it, exactly as the file reader does."""
    path = write_book(tmp_path / "f.xlsx")
    book = remote_book(payload_from_xlsx(path))
    grid = bridge.grid_from_book(book)
    assert grid.formulas == {}                   # remote: unknown, not "none"
    rows = grid.sheets["辍学"]
    cells = {(r, c) for r in range(4, 6) for c in (5,)}
    assert bridge._formula_set((("=A1", "x"), ("", "=B2")), 4, 5) == {(4, 5), (5, 6)}
    grid.formulas["辍学"] = cells
    book_with = parse_grid(grid)
    assert all(getattr(v, "reason", None) == "formula"
               for v in book_with.frame("辍学").set_index("_row").loc[[4, 5], "身份证号"].tolist())
    assert rows  # the sheet itself was read


def test_hidden_sheet_and_other_sheets_are_listed(tmp_path):
    path = write_book(tmp_path / "h.xlsx")
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("草稿")
    wb.save(path)
    book = remote_book(payload_from_xlsx(path))
    grid = bridge.grid_from_book(book)
    assert "草稿" in grid.sheet_names and "草稿" not in grid.sheets
    assert set(grid.sheets) >= set(model.CLERK_SHEETS)
    assert bridge.read_book(book).other_sheets == read_workbook(path).other_sheets


def test_payload_dates_travel_as_iso_strings(clean_file):
    payload = payload_from_xlsx(clean_file)
    sheet = next(s for s in payload["sheets"] if s["name"] == "辍学")
    flat = [v for r in sheet["values"] for v in r]
    assert any(isinstance(v, str) and v.endswith("T00:00:00.000Z") for v in flat)
    ids = [v for v in flat if isinstance(v, str) and len(v) == 18 and idcard.format_ok(v)]
    assert ids, "ID numbers travel as text"
