"""openpyxl loading for files baoxue rewrites (``update``, ``submit``): every clerk value survives the round trip.

openpyxl turns a number in a date-formatted cell into a date, and one outside Excel's date range (e.g. 20260903 typed
into a 日期 cell, which Excel shows as ####) into the error ``#VALUE!``, which a save would then write over the clerk's
number. While loading here, such a cell keeps its number (the reader reads it as the date it spells; Excel keeps its
format)."""
from __future__ import annotations

import contextlib
import io
import re
import threading
import zipfile
import warnings
from pathlib import Path

from .reader import check_package

_LOCK = threading.Lock()


@contextlib.contextmanager
def _numbers_kept():
    from openpyxl.worksheet import _reader as R

    original = R.WorkSheetParser.parse_cell

    def parse_cell(self, element):
        cell = original(self, element)
        if cell["data_type"] == "e" and element.get("t", "n") == "n":   # a number openpyxl could not make a date
            text = element.findtext(R.VALUE_TAG, None)
            if text is not None:
                cell["data_type"], cell["value"] = "n", R._cast_number(text)
        return cell

    with _LOCK, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*is marked as a date but the serial value")  # handled above
        # openpyxl's other English notes on parts it does not model (e.g. x14 extensions) are not for clerks
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")
        R.WorkSheetParser.parse_cell = parse_cell
        try:
            yield
        finally:
            R.WorkSheetParser.parse_cell = original


def load_workbook(path: str | Path, **kwargs):
    """``openpyxl.load_workbook`` without losing out-of-range numbers in date-formatted cells, after the reader's
    guards for a whole-file load (``reader.check_package``: sizes, zip bombs, every sheet's extent, a cell budget), so
    openpyxl never meets a file the reader would refuse. Raises ``UnreadableWorkbook`` for such a file. Loaded from
    the bytes, as the reader does: the content decides, not the extension (a real .xlsx a clerk renamed .xls)."""
    import openpyxl

    data = check_package(path)   # the checked bytes, read once
    with _numbers_kept():
        return openpyxl.load_workbook(io.BytesIO(data), **kwargs)


_VBA_RELATIONSHIP = re.compile(rb"<Relationship\b[^>]*?/relationships/vbaProject\"[^>]*?/>")


def save_workbook(wb, target: str | Path) -> None:
    """``wb.save(target)``, and no relationship to a vbaProject.bin the package does not hold: openpyxl keeps a
    macro-enabled book macro-enabled (Excel needs that for an .xlsm name) by pointing it at a macro part, even when
    the book had none (an .xlsm saved by LibreOffice), which would then be S006 for good."""
    wb.save(target)
    if wb.vba_archive is None or "xl/vbaProject.bin" in wb.vba_archive.namelist():
        return
    with zipfile.ZipFile(target) as zin:
        parts = [(info, zin.read(info)) for info in zin.infolist()]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in parts:
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = _VBA_RELATIONSHIP.sub(b"", data)
            zout.writestr(info, data)
