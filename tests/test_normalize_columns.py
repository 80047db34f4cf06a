"""``normalize.unchanged_strings`` (the whole-column shortcut of the reader's typing) finds exactly the strings each
kind's function leaves as they are — on clerk-typed values with every kind of trouble, and through the reader: a long
list typed with the shortcut reads as every value typed one by one."""
from __future__ import annotations

import random

import pytest
from openpyxl import Workbook

from baoxue import model, normalize
from baoxue.reader import _typed_column, read_list

TROUBLE = ["", " ", "\u3000", "\t", "\n", "\xa0", "\x1c", "\u2003", "\uff21", "\uff11", "\uff08", "（", "—", "－", "x",
           "X", "a", "ß", "é", "_x0041_", "张", "0", "9", "-", "=", "·"]


def _samples(seed: int, n: int = 4000) -> list[str]:
    rnd = random.Random(seed)
    plain = ["430102201401011234", "43010220130202002X", "G430102201401011234", "李小明", "5（3）班", "138-1234-5678",
             "城关镇", "河口村", "在籍", "4310000001"]
    out = set(plain)
    while len(out) < n:
        base = rnd.choice(plain)
        k = rnd.randrange(len(base) + 1)
        junk = "".join(rnd.choice(TROUBLE) for _ in range(rnd.randrange(1, 3)))
        out.add(rnd.choice([base[:k] + junk + base[k:], junk + base, base + junk, base.lower(), base]))
    return sorted(out)


@pytest.mark.parametrize("kind", sorted({"text", "name", "id", "xjh", "cert", "schoolcode", "phone", "date", "code",
                                         "int", "grade"}))
def test_unchanged_strings_are_those_the_kind_leaves_as_they_are(kind):
    fn = normalize.BY_KIND.get(kind)
    for seed in range(3):
        strings = _samples(seed)
        got = normalize.unchanged_strings(kind, strings)
        if kind not in ("text", "name", "id", "xjh", "cert", "schoolcode", "phone"):
            assert got == []
            continue
        unchanged = [s for s in strings if s and fn(s) == s]
        if kind in ("id", "xjh"):   # only those of digits and capitals: the others go through the function
            assert got == [s for s in unchanged if s.isascii() and s.isalnum() and s == s.upper()], kind
            assert "430102201401011234" in got and "43010220130202002X" in got
        else:
            assert got == unchanged, kind
        assert len(got) < len(strings)       # the samples hold values the kind changes


def test_a_value_holding_the_separator_takes_the_slow_road():
    strings = ["ab", "a\x00b", " c", "d"]
    assert normalize.unchanged_strings("text", strings) == ["ab", "a\x00b", "d"]


def test_a_long_column_types_as_value_by_value(tmp_path):
    """The reader's typing with the shortcut gives what typing each value gives (the memo table included)."""
    column = model.HOUSEHOLD_LIST.col("身份证号")
    values = _samples(7) + [12345, 4.5, None, True]
    typed, bad = _typed_column(column, values, {})
    assert typed == [None if v is None or v == "" else normalize.cell(column, v) for v in values]
    assert bad   # 12345 as a number is an Invalid ID (F004)


def test_a_list_read_through_the_shortcut_keeps_its_findings(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append([c.name for c in model.HOUSEHOLD_LIST.columns])
    names = ["李小明", " 王红", "ＡＢ", "张\u3000三"] * 50
    for i, name in enumerate(names):
        ws.append([name, "男", f"43010220140101{i:04d}" if i % 7 else f" 43010220140101{i:04d}x", None, "城关镇",
                   "河口村 ", "一组", "李大", "王五", "１３８00000000"])
    wb.save(tmp_path / "户籍.xlsx")
    book, _ = read_list(tmp_path / "户籍.xlsx", model.HOUSEHOLD_LIST)
    df = book.sheets[model.HOUSEHOLD_LIST.name]
    assert list(df["姓名"]) == [normalize.text(n) for n in names]
    assert df["身份证号"].iloc[7] == "430102201401010007X" and df["身份证号"].iloc[1] == "430102201401010001"
    assert set(df["户籍村(社区)"]) == {"河口村"} and set(df["监护人电话"]) == {"13800000000"}
