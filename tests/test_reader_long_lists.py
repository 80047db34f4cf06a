"""The reader's shortcuts for a county's long lists (issue 10 item 9) decide exactly what the slower checks decide:
the one-search extent check of a sheet without <dimension>, the "-" search before the far-negative-date fix, and the
typing of a long column whose values all stay as they are."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from baoxue import model, normalize, reader
from baoxue.reader import LIST_MAX_ROWS, MAX_ROWS, _SheetXml


def _sheet(cells: list[bytes], prefix: bytes = b"") -> _SheetXml:
    c, row, data = b"<" + prefix + b"c", b"<" + prefix + b"row", b"<" + prefix + b"sheetData>"
    body = b"".join(row + b' r="1">' + c + cell + b"</" + prefix + b"c></" + prefix + b"row>" for cell in cells)
    return _SheetXml(b"<worksheet>" + data + body + b"</" + prefix + b"sheetData></worksheet>")


PLAIN = [b' r="A1" t="inlineStr"><is><t>x</t></is>', b' r="J12"><v>1</v>', b' r="C12" s="1"><v>2</v>']
FAR = b' r="J999999"><v>1</v>'   # 999,999 rows × 10 columns: within the limits


@pytest.mark.parametrize("prefix", [b"", b"x:"])
def test_a_plain_long_list_passes_with_one_search(prefix):
    assert reader._plain_long_list(_sheet(PLAIN + [FAR], prefix), LIST_MAX_ROWS)
    assert not reader._plain_long_list(_sheet(PLAIN + [FAR], prefix), MAX_ROWS)      # a school's sheet: never the shortcut


@pytest.mark.parametrize("odd", [b' r="K1"><v>1</v>', b' r="AA1"><v>1</v>', b' r="A1000000"><v>1</v>',
                                 b' t="n" r="A1"><v>1</v>', b'><v>1</v>', b' r="a1"><v>1</v>'])
def test_any_other_cell_goes_to_the_full_check(odd):
    """A column beyond J (999,999 × 11 cells would pass the limit), a seven-digit row, a reference not first, none,
    lower case: the shortcut says nothing, and the full check decides as before."""
    sheet = _sheet(PLAIN + [odd])
    assert not reader._plain_long_list(sheet, LIST_MAX_ROWS)
    reader._check_extent(Path("x.xlsx"), "户籍名单", sheet, LIST_MAX_ROWS)           # small in truth: accepted


def test_a_far_cell_is_still_refused():
    sheet = _sheet(PLAIN + [FAR, b' r="K2"><v>1</v>'])   # 999,999 × 11
    with pytest.raises(reader.UnreadableWorkbook):
        reader._check_extent(Path("x.xlsx"), "户籍名单", sheet, LIST_MAX_ROWS)


def test_the_minus_search_is_the_two_substring_tests():
    rnd = random.Random(5)
    cases = [b"", b"-", b">-", b"> -", b">  -", b"a-b", b"x>-y", b" -", b"-" * 10_001, b"-" * 10_001 + b"> -"]
    cases += [bytes(rnd.choice(b"> -a") for _ in range(rnd.randrange(12))) for _ in range(5000)]
    for xml in cases:
        assert reader._has_negative_value(xml) == (b">-" in xml or b"> -" in xml), xml


def test_a_long_column_of_kept_values_and_one_the_memo_changed():
    """The shortcut (every value new and kept) returns the column as it is; a value an earlier column of the same
    kind already typed differently is still taken from the book's memo table."""
    column = model.HOUSEHOLD_LIST.col("姓名")
    names = [f"李{i:04d}" for i in range(500)] + [None]
    typed, bad = reader._typed_column(column, names, {})
    assert typed == names and typed is not names and not bad
    memo: dict = {}
    reader._typed_column(model.HOUSEHOLD_LIST.col("监护人姓名"), [" 王红"] + [f"张{i}" for i in range(100)], memo)
    typed, bad = reader._typed_column(column, names + [" 王红"], memo)
    assert typed == names + ["王红"] and not bad
    assert typed == [normalize.cell(column, v) for v in names + [" 王红"]]
