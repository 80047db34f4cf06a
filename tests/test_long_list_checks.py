"""The whole-column checks of a long list (issue 10 item 9) agree with the one-value functions: the batch's ID
helpers (format, check digit, birth date: F004–F006 and the match's usable IDs) with ``idcard``, F012 with ``name_ok``."""
from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace

import pandas as pd

from baoxue import idcard, model
from baoxue.batch import id_digits
from baoxue.book import SchoolBook
from baoxue.household.checks import ListBatch
from baoxue.policy import DEFAULT


def _values(seed: int, n: int = 3000) -> list:
    rnd = random.Random(seed)
    good = [idcard.make("430102", dt.date(2010, 1, 1) + dt.timedelta(days=rnd.randrange(4000)), rnd.randrange(1000),
                        rnd.random() < 0.5) for _ in range(n // 3)]
    out: list = list(good)
    trouble = ["x", "X", "١", "０", "\n", "\x00", "\ud800", "😀", " ", "-", "9", "0"]
    while len(out) < n:
        v = rnd.choice(good)
        k = rnd.randrange(19)
        out.append(rnd.choice([v[:k] + rnd.choice(trouble) + v[k + 1:], v[:k] + rnd.choice(trouble) + v[k:], v[:k],
                               v + "\n", v + "1", v[:17] + "X", v[:17] + str(rnd.randrange(10)), None]))
    rnd.shuffle(out)
    return out


def test_id_digits_is_the_format_regex():
    for seed in range(3):
        values = _values(seed)
        well, digits = id_digits(values)
        assert well.tolist() == [v is not None and idcard.ID_RE.match(v) is not None for v in values]
        kept = [v for v, ok in zip(values, well.tolist()) if ok]
        assert digits.shape == (len(kept), 18)
        assert ["".join("X" if d == ord("X") - 48 else str(d) for d in row) for row in digits.tolist()] == \
               [v[:18] for v in kept]
    assert id_digits([])[0].shape == (0,)


def test_the_batch_checks_every_id_as_idcard_does():
    values = _values(7)
    book = SchoolBook(path="户籍.xlsx")
    sexes = [random.Random(i).choice(["男", "女", None, "未知"]) for i in range(len(values))]
    book.sheets.set_columns(model.HOUSEHOLD_LIST.name, {"身份证号": values, "性别": sexes,
                                                        "_row": list(range(2, len(values) + 2))})
    book.cover["报送月份"] = "2026-09"
    batch = ListBatch([SimpleNamespace(book=book, sheet=model.HOUSEHOLD_LIST, file="户籍.xlsx")], DEFAULT)
    ids, well, born = batch.ids(model.HOUSEHOLD_LIST.name)
    good = [v for v, ok in zip(values, well.tolist()) if ok]
    assert batch.check_digit_ok(model.HOUSEHOLD_LIST.name).tolist() == [idcard.checksum_ok(v) for v in good]
    assert batch.expected_check_digits(model.HOUSEHOLD_LIST.name).tolist() == [idcard.check_digit(v[:17]) for v in good]
    # within datetime64[ns] (1678–2262: a year like 9010 does not fit it, as before)
    fits = [idcard.birth_date(v) is None or 1678 < idcard.birth_date(v).year < 2262 for v in good]
    shown = [None if pd.isna(d) else d.date() for d in born[well]]
    assert [d for d, f in zip(shown, fits) if f] == [idcard.birth_date(v) for v, f in zip(good, fits) if f]
    as_of = dt.date(2026, 9, 30)
    # beyond those years the date is held at the nearest end: later or earlier than the as-of date as the real one is
    for d, v, f in zip(shown, good, fits):
        if not f:
            assert (d > as_of) == (idcard.birth_date(v) > as_of), v
    usable = batch.usable_ids().tolist()
    for v, u in zip(values, usable):
        born_on = idcard.birth_date(v) if v is not None and idcard.format_ok(v) else None
        assert u == (born_on is not None and idcard.checksum_ok(v) and born_on <= as_of), v
    # F005 and F007 through the validators' rules
    from validators import rules_format
    f005 = {f.row for _i, f in rules_format.id_checksum(batch)}
    assert f005 == {r for r, v in enumerate(values, start=2) if v is not None and idcard.format_ok(v)
                    and not idcard.checksum_ok(v)}
    f007 = {(f.row, f.value) for _i, f in rules_format.id_sex(batch)}
    assert f007 == {(r, s) for r, (v, s) in enumerate(zip(values, sexes), start=2)
                    if v is not None and idcard.format_ok(v) and s in ("男", "女")
                    and s != ("男" if int(v[16]) % 2 else "女")}
    assert f007 and f005


def test_a_birth_year_beyond_pandas_dates_is_later_than_the_month():
    """An ID born in 9010 (or 1500) with a right check digit: F006 and the usable IDs as ``idcard`` says, not a date
    that datetime64[ns] wrapped round to (9010 became 1995)."""
    far = [idcard.make("430102", dt.date(9010, 1, 1), 5, True), idcard.make("430102", dt.date(1500, 1, 1), 5, True),
           idcard.make("430102", dt.date(2015, 3, 1), 5, True)]
    book = SchoolBook(path="户籍.xlsx")
    book.sheets.set_columns(model.HOUSEHOLD_LIST.name, {"身份证号": far, "_row": [2, 3, 4]})
    book.cover["报送月份"] = "2026-09"
    batch = ListBatch([SimpleNamespace(book=book, sheet=model.HOUSEHOLD_LIST, file="户籍.xlsx")], DEFAULT)
    as_of = dt.date(2026, 9, 30)
    assert [p[0] for p in idcard.problems(far[0], as_of)] == ["F006"] and not idcard.problems(far[1], as_of)
    assert batch.usable_ids().tolist() == [False, True, True]
    born = batch.ids(model.HOUSEHOLD_LIST.name)[2]
    assert born[0] > pd.Timestamp(as_of) and born[1] < pd.Timestamp("1700-01-01")
    from validators import rules_format
    assert {f.row for _i, f in rules_format.id_birth(batch)} == {2}


def test_implausible_names_are_those_name_ok_refuses():
    """F012 over a long list's distinct names at once finds exactly the names the one-value check refuses."""
    from validators import schemas
    rnd = random.Random(3)
    chars = ["张", "李", "a", "Z", "·", "•", "・", "．", ".", " ", "1", "１", "\n", "-", "😀", "\U00020001", "\u3400",
             "\u4dc0", "\uf900", "\ufb00", "ß", "_"]
    for _ in range(300):
        strings = ["".join(rnd.choice(chars) for _ in range(rnd.choice([0, 1, 2, 3, 5, 19, 20, 21, 25])))
                   for _ in range(rnd.randrange(1, 60))]
        assert schemas.implausible_names(strings) == [s for s in strings if not schemas.name_ok(s)], strings
    assert schemas.implausible_names(["李\x00明", "王红", "1"]) == ["李\x00明", "1"]
    assert schemas.implausible_names([]) == []

