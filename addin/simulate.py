"""A simulated Excel client for the remote engine (xlwings Lite / Server), for tests and benchmarks on any OS.

- ``payload_from_xlsx(path)``: the JSON book an Office.js client sends for a workbook — every sheet's values from A1 to
  the end of its used range, dates as ``Date.toISOString()`` strings, empty cells as "", notes by address, visibility —
  built from the file with openpyxl (cached values; formulas are not part of the payload);
- ``remote_book(payload)``: ``xw.Book(json=payload)`` on xlwings' remote engine (needs ``XLWINGS_LICENSE_KEY``; tests
  and benchmarks use ``noncommercial``, xlwings' own key for noncommercial use);
- ``apply_actions(payload, actions)``: what the client does with ``book.json()["actions"]`` — values (Excel's text
  apostrophe removed, ISO dates typed as dates), sheets added / hidden / deleted, contents cleared — returning the new
  payload and a record of fills, notes, number formats and alerts.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
    import openpyxl
    import xlwings as xw
    from openpyxl.utils import get_column_letter
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
    import xlwings as xw
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
