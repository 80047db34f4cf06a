"""The add-in's reading side, on xlwings' own remote engine: a real .xlsx → the JSON book the Excel client (Office.js,
xlwings Lite) sends → ``xw.Book(json=...)`` → ``bridge.grid_from_book`` → the same SchoolBook and the same findings
as ``baoxue validate`` on the file.

Also the helpers the other add-in tests share:
- ``payload_from_xlsx(path)``: what the Office.js client sends for a workbook (values of each sheet from A1 to the end
  of its used range, dates as ISO strings, empty cells as "", notes by address, visibility) — built from the file with
  openpyxl, the way Excel would show it;
- ``remote_book(payload)``: ``xw.Book(json=payload)`` on the remote engine;
- ``apply_actions(payload, actions)``: what the Excel client does with ``book.json()["actions"]`` (a small client
  simulator: values — with Excel's text apostrophe and date typing —, sheets added/hidden/deleted, colours, notes), so a
  test can read the book again after a button and check it as Excel would have it.

xlwings' remote engine asks for a licence key: these tests run with ``XLWINGS_LICENSE_KEY=noncommercial`` (xlwings'
own key for noncommercial use, which these open-source tests are; set in conftest.py and here) — test-only.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # test-only: xlwings' noncommercial key
os.environ["XLWINGS_ON_SERVER"] = "true"                          # the Lite/Server decorators and engine

import openpyxl  # noqa: E402
import pytest  # noqa: E402
import xlwings as xw  # noqa: E402
from openpyxl.utils import get_column_letter  # noqa: E402

from baoxue import idcard, model  # noqa: E402
from baoxue.fill import write_school_workbook  # noqa: E402
from baoxue.reader import parse_grid, read_workbook  # noqa: E402
from baoxue.validators import validate, validate_file  # noqa: E402

from test_update import school_data  # noqa: E402  (a clean, realistic October workbook)

from baoxue.addin import bridge  # noqa: E402

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ============================================================================================== the Excel client, simulated
def _iso(v: dt.datetime) -> str:
    return v.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _json_value(v):
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return _iso(v)
    if isinstance(v, dt.date):
        return _iso(dt.datetime(v.year, v.month, v.day))
    if isinstance(v, dt.time):
        return v.isoformat()
    return v


def payload_from_xlsx(path: Path, name: str | None = None, client: str = "Office.js") -> dict:
    """The JSON an Office.js client sends for this workbook (cached values; formulas are not part of it)."""
    wb = openpyxl.load_workbook(path, data_only=True)
    sheets = []
    for ws in wb.worksheets:
        max_row, max_col = ws.max_row, ws.max_column
        values = [[""] * max_col for _ in range(max_row)]
        notes = []
        min_row = min_col = None
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None and cell.comment is None:
                    continue
                if cell.value is not None:
                    values[cell.row - 1][cell.column - 1] = _json_value(cell.value)
                    min_row = cell.row if min_row is None else min(min_row, cell.row)
                    min_col = cell.column if min_col is None else min(min_col, cell.column)
                if cell.comment is not None:
                    notes.append({"address": f"${get_column_letter(cell.column)}${cell.row}"})
        used = (f"${get_column_letter(min_col)}${min_row}:${get_column_letter(max_col)}${max_row}"
                if min_row is not None else None)
        sheets.append({"name": ws.title, "values": values, "pictures": [], "tables": [], "shapes": [], "charts": [],
                       "notes": notes, "notes_supported": True, "used_range_address": used,
                       "visibility": {"visible": "Visible", "hidden": "Hidden"}.get(ws.sheet_state, "VeryHidden")})
    payload = {"client": client, "version": xw.__version__,
               "book": {"name": name or Path(path).name, "active_sheet_index": 0, "selection": "A1"},
               "names": [], "sheets": sheets}
    return json.loads(json.dumps(payload, ensure_ascii=False))   # exactly what travels over the wire


def remote_book(payload: dict):
    return xw.Book(json=copy.deepcopy(payload))


def _cell_text(v):
    """What Excel stores for a value written through the API (text prefix removed, ISO dates become dates)."""
    if isinstance(v, str):
        if v.startswith("'"):
            return v[1:]
        if ISO_DATE.match(v):
            return v + "T00:00:00.000Z"
    if v is None:
        return ""
    return v


def _grow(values, rows, cols):
    width = max([cols] + [len(r) for r in values])
    while len(values) < rows:
        values.append([""] * width)
    for r in values:
        r.extend([""] * (width - len(r)))


def apply_actions(payload: dict, actions: list[dict]) -> tuple[dict, dict]:
    """Perform a script's actions on a copy of the payload as the Excel client would. Returns (new payload, record)
    where record holds what is not a value: fills {(sheet, row, col): colour}, notes {(sheet, row, col): text},
    number formats, alerts."""
    p = copy.deepcopy(payload)
    record = {"fills": {}, "notes": {}, "deleted_notes": [], "formats": {}, "alerts": []}
    sheets = p["sheets"]
    for a in actions:
        f = a["func"]
        if f == "alert":
            record["alerts"].append(a["args"][0])
            continue
        if f == "addSheet":
            ix, name = a["args"]
            sheets.insert(ix, {"name": name, "values": [[]], "pictures": [], "tables": [], "shapes": [], "charts": [],
                               "notes": [], "notes_supported": True, "visibility": "Visible"})
            continue
        sheet = sheets[a["sheet_position"]] if a.get("sheet_position") is not None else None
        if f == "sheetDelete":
            sheets.remove(sheet)
            continue
        if f == "setSheetVisibility":
            sheet["visibility"] = a["args"][0]
            continue
        if f == "sheetClearContents":
            sheet["values"] = [[]]
            continue
        r0, c0, nr, nc = a["start_row"], a["start_column"], a["row_count"], a["column_count"]
        name = sheet["name"]
        if f == "setValues":
            block = a["values"]
            _grow(sheet["values"], r0 + len(block), c0 + max(len(r) for r in block))
            for i, row in enumerate(block):
                for j, v in enumerate(row):
                    sheet["values"][r0 + i][c0 + j] = _cell_text(v)
        elif f == "rangeClearContents":
            for i in range(r0, min(r0 + nr, len(sheet["values"]))):
                for j in range(c0, min(c0 + nc, len(sheet["values"][i]))):
                    sheet["values"][i][j] = ""
        elif f == "setRangeColor":
            for i in range(nr):
                for j in range(nc):
                    record["fills"][(name, r0 + i + 1, c0 + j + 1)] = a["args"][0]
        elif f == "addNote":
            record["notes"][(name, r0 + 1, c0 + 1)] = a["args"][1]
            sheet["notes"].append({"address": a["args"][0]})
        elif f == "deleteNote":
            record["notes"].pop((name, r0 + 1, c0 + 1), None)
            record["deleted_notes"].append((name, r0 + 1, c0 + 1))
            sheet["notes"] = [n for n in sheet["notes"] if n["address"] != a["args"][0]]
        elif f == "setNumberFormat":
            for i in range(nr):
                for j in range(nc):
                    record["formats"][(name, r0 + i + 1, c0 + j + 1)] = a["args"][0]
        else:
            raise AssertionError(f"the client simulator does not know action {f!r}")
    for sheet in sheets:  # the client sends the used range again: rectangular, from A1
        values = sheet["values"]
        width = max((len(r) for r in values), default=0)
        for r in values:
            r.extend([""] * (width - len(r)))
        while values and len(values) > 1 and all(v == "" for v in values[-1]):
            values.pop()
        sheet.pop("used_range_address", None)
    return p, record


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
    _, on_file = validate_file(messy_file)
    live = validate(bridge.read_book(remote_book(payload_from_xlsx(messy_file))))
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
    assert [f.to_dict() for f in validate(live)] == [f.to_dict() for f in validate(on_file)]


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
