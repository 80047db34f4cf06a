"""Fill the standard template with a cover and data rows, the way a clerk would have typed them.

Used by the demo county, the tests and the benchmarks (`next-month` applies its plan to a fresh template). Values are written as given:
- ``str`` always as text (IDs, 学籍号, phone numbers keep every digit; text starting with = + - @ never becomes a formula);
- ``datetime.date`` as a date cell with a date format; ``int`` / ``float`` as numbers; ``None`` leaves the cell empty;
- anything else is written as its text.
Every data cell written is unlocked (the template's input area), so sheet protection never blocks the clerk.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from copy import copy
from pathlib import Path
from typing import Any, Iterable, Mapping

from openpyxl.cell.cell import Cell
from openpyxl.styles import Protection

from . import model, normalize, template
from .atomic import atomic_save
from .cells import write as write_cell
from .policy import DEFAULT, Policy


class FillError(ValueError):
    """Rows name a sheet or column the model does not know (a programming error in the caller)."""


def _style_prototypes(ws, sheet: model.Sheet) -> dict[str, Any]:
    """One StyleArray per column (unlocked; text, date or general format), built once and copied to each cell."""
    protos = {}
    scratch_row = template.LAST_INPUT_ROW + 10
    for j, column in enumerate(sheet.columns, start=1):
        cell = Cell(ws, row=scratch_row, column=j)
        if column.is_text_format:
            cell.number_format = template.TEXT_FORMAT
        elif column.kind == "date":
            cell.number_format = template.DATE_FORMAT
        cell.protection = Protection(locked=False)
        if column.computed:
            cell.fill = copy(template.COMPUTED_FILL)
        protos[column.name] = cell._style
    return protos


def _date_style(ws) -> Any:
    cell = Cell(ws, row=1, column=1)
    cell.number_format = template.DATE_FORMAT
    cell.protection = Protection(locked=False)
    return cell._style


def _typed(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        return normalize.excel_escaped(value)   # a control character (read from _x0007_) goes back as _x0007_
    if isinstance(value, (int, float, dt.date)) or value is None:
        return value
    return normalize.excel_escaped(str(value))


def fill_rows(ws, sheet: model.Sheet, rows: Iterable[Mapping[str, Any]], first_row: int = template.FIRST_INPUT_ROW) -> int:
    """Write ``rows`` (dicts keyed by canonical column names) under the sheet's header; returns the rows written."""
    columns = {c.name: j for j, c in enumerate(sheet.columns, start=1)}
    protos = _style_prototypes(ws, sheet)
    date_style = None
    cells = ws._cells
    n = 0
    for i, row in enumerate(rows):
        r = first_row + i
        n += 1
        for name, value in row.items():
            if value is None:
                continue
            j = columns.get(name)
            if j is None:
                raise FillError(f"sheet {sheet.name} has no column {name!r}")
            value = _typed(value)
            cell = Cell(ws, row=r, column=j, style_array=copy(protos[name]))
            write_cell(cell, value)   # a str stays text
            if isinstance(value, dt.date) and not sheet.col(name).kind == "date":
                if date_style is None:
                    date_style = _date_style(ws)
                cell._style = copy(date_style)
            cells[(r, j)] = cell
    return n


def fill_cover(ws, cover: Mapping[str, Any]) -> None:
    for label, value in cover.items():
        if label not in model.COVER:
            raise FillError(f"unknown cover field {label!r}")
        cell = ws.cell(template.cover_row(label), 2)
        if value is None:
            cell.value = None
            continue
        write_cell(cell, _typed(value))


def fill_workbook(wb, cover: Mapping[str, Any] | None, rows: Mapping[str, Iterable[Mapping[str, Any]]] | None) -> None:
    """Fill a workbook built by ``template.build_school_workbook`` (cover values, then data rows per sheet)."""
    if cover:
        fill_cover(wb[model.COVER_SHEET], cover)
    for sheet_name, sheet_rows in (rows or {}).items():
        if sheet_name not in model.SHEETS:
            raise FillError(f"unknown data sheet {sheet_name!r}")
        fill_rows(wb[sheet_name], model.SHEETS[sheet_name], sheet_rows)


def write_school_workbook(path: str | Path, cover: Mapping[str, Any] | None,
                          rows: Mapping[str, Iterable[Mapping[str, Any]]] | None, policy: Policy = DEFAULT,
                          backup: bool = True) -> Path:
    """Build the standard template, fill it and save it atomically (an existing file is backed up first)."""
    wb = template.build_school_workbook(policy=policy)
    fill_workbook(wb, cover, rows)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_save(wb.save, path, backup=backup)
    return path


# ============================================================================================== fast path (many files)
_EPOCH = dt.datetime(1899, 12, 30)


def _xml_text(s: str) -> str:
    from xml.sax.saxutils import escape
    return escape(normalize.excel_escaped(s))


def _cell_xml(ref: str, style: int, value: Any) -> str:
    """One <c> element as a spreadsheet client would store what the clerk typed (strings inline, never formulas)."""
    value = _typed(value)
    if isinstance(value, str):
        return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{_xml_text(value)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" s="{style}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.datetime):
        serial = (value - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{style}"><v>{serial!r}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="{style}"><v>{(value - _EPOCH.date()).days}</v></c>'
    return f'<c r="{ref}" s="{style}"><v>{value!r}</v></c>'


class TemplateCopier:
    """Writes many filled workbooks fast: the standard template is built and saved once, then each file is that
    package with only the cover and data-sheet XML regenerated (cells styled with their column's style, exactly as a
    spreadsheet client stores typed input). The result reads, validates and opens like ``write_school_workbook``'s;
    use it for bulk generation (benchmarks' 2,000 schools), not for clerks' files."""

    def __init__(self, policy: Policy = DEFAULT):
        from openpyxl.utils import get_column_letter

        buf = io.BytesIO()
        template.build_school_workbook(policy=policy).save(buf)
        self._members: list[tuple[zipfile.ZipInfo, bytes]] = []
        with zipfile.ZipFile(buf) as zf:
            for info in zf.infolist():
                self._members.append((info, zf.read(info.filename)))
        # openpyxl stores the sheets in workbook order: sheet1.xml is 封面 … (``model.ALL_SHEETS``)
        self._sheet_member = {name: f"xl/worksheets/sheet{i}.xml" for i, name in enumerate(model.ALL_SHEETS, start=1)}
        data = dict((info.filename, blob) for info, blob in self._members)
        listed = re.findall(r'<sheet [^>]*?name="([^"]+)"', data["xl/workbook.xml"].decode("utf-8"))
        if listed != list(model.ALL_SHEETS) or any(m not in data for m in self._sheet_member.values()):
            raise RuntimeError(f"unexpected template package layout: {listed}")
        self._letters = {j: get_column_letter(j) for j in range(1, 100)}
        self._parts: dict[str, tuple[str, dict[int, str], str, dict[int, int]]] = {}
        row_re = re.compile(r'<row r="(\d+)"[^>]*?(?:/>|>.*?</row>)', re.S)
        col_re = re.compile(r'<col [^>]*?style="(\d+)"[^>]*?min="(\d+)" max="(\d+)"')
        for name in model.SHEETS:
            xml = data[self._sheet_member[name]].decode("utf-8")
            start = xml.index("<sheetData>") + len("<sheetData>")
            end = xml.index("</sheetData>")
            rows = {int(m.group(1)): m.group(0) for m in row_re.finditer(xml, start, end)}
            styles = {}
            for m in col_re.finditer(xml):
                for j in range(int(m.group(2)), int(m.group(3)) + 1):
                    styles[j] = int(m.group(1))
            self._parts[name] = (xml[:start], rows, xml[end:], styles)
        self._cover_xml = data[self._sheet_member[model.COVER_SHEET]].decode("utf-8")
        self._cover_cell = {
            label: re.search(rf'<c r="B{template.cover_row(label)}" s="(\d+)"[^>]*?(?:/>|>.*?</c>)', self._cover_xml, re.S)
            for label in model.COVER}

    def _sheet_xml(self, name: str, rows: list[Mapping[str, Any]]) -> str:
        head, template_rows, tail, styles = self._parts[name]
        sheet = model.SHEETS[name]
        col_of = {c.name: j for j, c in enumerate(sheet.columns, start=1)}
        text_cols = [j for j, c in enumerate(sheet.columns, start=1) if c.is_text_format]
        out = []
        last = template.HEADER_ROW
        for r in sorted(k for k in template_rows if k < template.FIRST_INPUT_ROW):
            out.append(template_rows[r])
        for i, row in enumerate(rows):
            r = template.FIRST_INPUT_ROW + i
            cells = {}
            for key, value in row.items():
                if value is None:
                    continue
                j = col_of.get(key)
                if j is None:
                    raise FillError(f"sheet {name} has no column {key!r}")
                cells[j] = _cell_xml(f"{self._letters[j]}{r}", styles.get(j, 0), value)
            if r in template_rows:   # keep the template's empty text-format cells in this row
                for j in text_cols:
                    cells.setdefault(j, f'<c r="{self._letters[j]}{r}" s="{styles.get(j, 0)}" t="n" />')
            out.append(f'<row r="{r}">' + "".join(cells[j] for j in sorted(cells)) + "</row>")
            last = r
        for r in sorted(k for k in template_rows if k > last):
            out.append(template_rows[r])
        max_row = max([last] + list(template_rows))
        head = re.sub(r'<dimension ref="A1:([A-Z]+)\d+"',
                                    lambda m: f'<dimension ref="A1:{m.group(1)}{max_row}"', head, count=1)
        return head + "".join(out) + tail

    def _cover(self, cover: Mapping[str, Any]) -> str:
        xml = self._cover_xml
        edits = []
        for label, value in cover.items():
            m = self._cover_cell.get(label)
            if m is None:
                raise FillError(f"unknown cover field {label!r}")
            ref = f"B{template.cover_row(label)}"
            new = f'<c r="{ref}" s="{m.group(1)}" t="n" />' if value is None else _cell_xml(ref, int(m.group(1)), value)
            edits.append((m.start(), m.end(), new))
        for start, end, new in sorted(edits, reverse=True):
            xml = xml[:start] + new + xml[end:]
        return xml

    def write(self, path: str | Path, cover: Mapping[str, Any] | None,
              rows: Mapping[str, Iterable[Mapping[str, Any]]] | None) -> Path:
        replaced = {self._sheet_member[model.COVER_SHEET]: self._cover(cover or {}).encode("utf-8")}
        for name, sheet_rows in (rows or {}).items():
            if name not in model.SHEETS:
                raise FillError(f"unknown data sheet {name!r}")
            replaced[self._sheet_member[name]] = self._sheet_xml(name, list(sheet_rows)).encode("utf-8")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)

        def save(tmp):
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
                for info, blob in self._members:
                    zf.writestr(info, replaced.get(info.filename, blob), compress_type=zipfile.ZIP_DEFLATED)
        atomic_save(save, path, backup=False)
        return path
