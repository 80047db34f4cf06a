"""Values as clerks really type them (SPEC §2.9): normalise before checking, never silently change meaning.

Every function takes a raw cell value (str, int, float, bool, datetime, date, None) and returns the normalised
value, or an ``Invalid`` when the value cannot be typed (the validators report it; nothing is coerced).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from . import model

_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"   # zero-width characters pasted from web pages and chat apps: spaces
_SPACES = re.compile(rf"[\s{INVISIBLE}]+")
EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass(frozen=True)
class Invalid:
    """A cell value that failed the type stage. ``raw`` is the value as found (as text)."""
    raw: str
    reason: str  # "date", "int", "number", "id_number" (ID stored as a number), "grade", "formula", "month", "code"

    def __str__(self) -> str:
        return self.raw

    def __bool__(self) -> bool:  # an invalid value is present, not empty
        return True


_HAS_FULLWIDTH = re.compile("[\uff01-\uff5e\u3000]")


def halfwidth(s: str) -> str:
    return s.translate(_FULLWIDTH) if _HAS_FULLWIDTH.search(s) else s


def clean_header(s: Any) -> str:
    """Header text for matching: half-width, no spaces at all, full-width brackets made ASCII."""
    if s is None:
        return ""
    return _SPACES.sub("", halfwidth(str(s)))


def is_empty(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "") or (isinstance(v, float) and v != v)


def raw_text(v: Any) -> str | None:
    """The value as found, as text (what findings show as ``value``)."""
    if is_empty(v):
        return None
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S") if (v.hour or v.minute or v.second) else v.strftime("%Y-%m-%d")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).strip()


def text(v: Any) -> str | None:
    """Free text: half-width digits/letters, trimmed. Text that starts with '=' stays text."""
    if v.__class__ is str:  # the common case, kept fast
        s = halfwidth(v).strip()
        return s or None
    if is_empty(v):
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, (int, float)) or isinstance(v, dt.date):
        return raw_text(v)
    return halfwidth(str(v)).strip()


def compact(v: Any) -> str | None:
    """Text with every space removed (IDs, 学籍号, phone numbers)."""
    t = text(v)
    return None if t is None else _SPACES.sub("", t)


def as_excel_shows(number: int | float) -> str:
    """A number as Excel's General format shows it in a cell (at most 11 characters): 530123201305100011 →
    ``5.30123E+17``; 12345 → ``12345``. Used to quote an ID stored as a number the way the clerk's screen shows it."""
    v = float(number)
    if v.is_integer() and abs(v) < 1e11:
        return str(int(v))
    mantissa, exponent = f"{v:.5E}".split("E")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E{exponent[0]}{int(exponent[1:]):02d}"


SCREEN_NUMBER_RE = re.compile(r"^-?\d(\.\d+)?E[+-]\d{2,3}$")   # what ``as_excel_shows`` writes for a long number


def id_number(v: Any) -> str | Invalid | None:
    """身份证号: spaces removed, lowercase x → X. A number cell is ``Invalid(reason="id_number")``: Excel has already
    kept only 15 significant digits, so the value can never be trusted (F004 tells the clerk to retype it as text)."""
    if is_empty(v):
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return Invalid(str(int(v)), "id_number")
    s = compact(v).upper()
    return s


def xjh(v: Any) -> str | None:
    """学籍号: like an ID, with its leading G or L upper-cased."""
    if is_empty(v):
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return raw_text(v)
    return compact(v).upper()


def phone(v: Any) -> str | None:
    if is_empty(v):
        return None
    s = compact(v)
    return s.replace("－", "-").replace("—", "-")


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def date(v: Any) -> dt.date | Invalid | None:
    """A date from a date cell, an Excel serial number, or 2026-09-03, 2026/9/3, 2026.9.3, 2026年9月3日, 20260903."""
    if is_empty(v):
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, bool):
        return Invalid(raw_text(v), "date")
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not v.is_integer():
            v = int(v)  # a date-time serial: the date part
        n = int(v)
        if 19000101 <= n <= 29991231:  # 20260903 typed as a number
            return date(str(n))
        if 1 <= n <= 109574:  # 1900-01-01 … 2199-12-31
            return EXCEL_EPOCH + dt.timedelta(days=n)
        return Invalid(raw_text(v), "date")
    s = _SPACES.sub("", halfwidth(str(v)))
    for pat in _DATE_PATTERNS:
        m = pat.match(s)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return Invalid(str(v).strip(), "date")
    return Invalid(str(v).strip(), "date")


def integer(v: Any) -> int | Invalid | None:
    if is_empty(v):
        return None
    if isinstance(v, bool):
        return Invalid(raw_text(v), "int")
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v) if v.is_integer() else Invalid(raw_text(v), "int")
    s = compact(v)
    if re.fullmatch(r"[+-]?\d+(\.0+)?", s):
        return int(float(s))
    return Invalid(str(v).strip(), "int")


def number(v: Any) -> int | float | Invalid | None:
    if is_empty(v):
        return None
    if isinstance(v, bool):
        return Invalid(raw_text(v), "number")
    if isinstance(v, (int, float)):
        return int(v) if isinstance(v, float) and v.is_integer() else v
    s = compact(v)
    try:
        f = float(s)
    except ValueError:
        return Invalid(str(v).strip(), "number")
    return int(f) if f.is_integer() else f


def code(list_name: str, v: Any) -> str | None:
    """A code-list value: canonical value when an accepted alias was typed, else the normalised text (F002 judges)."""
    t = text(v)
    if t is None:
        return None
    t = _SPACES.sub("", t)
    aliases = model.CODE_ALIASES.get(list_name)
    if aliases:
        return aliases.get(t.upper(), aliases.get(t, t))
    return t


def grade(v: Any) -> str | Invalid | None:
    """年级: 一年级…九年级, 1–9, 初一/初二/初三 → canonical; anything else is ``Invalid(reason="grade")`` (F011)."""
    if is_empty(v):
        return None
    t = code("年级", v)
    if t in model.GRADES:
        return t
    return Invalid(raw_text(v), "grade")


def month(v: Any) -> str | Invalid | None:
    """报送月份 as 'YYYY-MM' from text (2026-09, 2026/9, 2026年9月, 202609) or a date cell."""
    if is_empty(v):
        return None
    if isinstance(v, (dt.date, dt.datetime)):
        return f"{v.year:04d}-{v.month:02d}"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        n = int(v)
        if 190001 <= n <= 299912 and 1 <= n % 100 <= 12:
            return f"{n // 100:04d}-{n % 100:02d}"
        d = date(v)
        return f"{d.year:04d}-{d.month:02d}" if isinstance(d, dt.date) else Invalid(raw_text(v), "month")
    s = _SPACES.sub("", halfwidth(str(v)))
    m = re.fullmatch(r"(\d{4})(?:[-/.年]|)(\d{1,2})月?(?:[-/.]\d{1,2}日?)?", s)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    return Invalid(str(v).strip(), "month")


BY_KIND = {
    "text": text, "name": text, "cert": compact, "schoolcode": compact, "id": id_number, "xjh": xjh, "phone": phone, "date": date,
    "int": integer, "number": number, "grade": grade,
}


# ---------------------------------------------------------------------------------------------- whole columns at once
# A string matching none of its kind's pattern is returned unchanged by the kind's function (``BY_KIND``): free text
# and names without full-width characters and without spaces at either end; IDs, 学籍号 already compact, half-width and
# upper-case; codes of schools and certificates and phone numbers without any space or full-width character. In a
# long list almost every value is such a string, so a column's strings are checked at once (one regex over their
# join) and only the others go through the function, one by one.
_SEP = "\x00"
_TRIM = r"[\uff01-\uff5e\u3000]|(?:^|\x00)\s|\s(?=\x00|$)"
_UNCHANGED_UNLESS = {
    "text": re.compile(_TRIM), "name": re.compile(_TRIM),
    "id": re.compile(r"[^0-9A-Z\x00]"), "xjh": re.compile(r"[^0-9A-Z\x00]"),
    "cert": re.compile(rf"[\uff01-\uff5e\u3000{INVISIBLE}]|\s"),
    "schoolcode": re.compile(rf"[\uff01-\uff5e\u3000{INVISIBLE}]|\s"),
    "phone": re.compile(rf"[\uff01-\uff5e\u3000\u2014{INVISIBLE}]|\s"),
}


def unchanged_strings(kind: str, strings: list[str]) -> list[str]:
    """Non-empty ``strings`` (exact ``str``, in their order) that ``BY_KIND[kind]`` returns unchanged, found at C speed;
    [] for a kind without the shortcut. For text, names, codes of schools and certificates and phone numbers these are
    all of them; for IDs and 学籍号 those made of digits and capital letters only (the rest go through the function)."""
    pattern = _UNCHANGED_UNLESS.get(kind)
    if pattern is None or not strings:
        return []
    joined = _SEP.join(strings)
    if joined.count(_SEP) != len(strings) - 1 or "" in strings:   # a value holding the separator, or an empty one
        return [s for s in strings if s and BY_KIND[kind](s) == s]
    changed = pattern.finditer(joined)
    first = next(changed, None)
    if first is None:
        return list(strings)
    import numpy as np
    starts = np.cumsum([0] + [len(s) + 1 for s in strings[:-1]])
    at = [first.end() - 1] + [m.end() - 1 for m in changed]   # the last character of a match is in the value
    keep = np.ones(len(strings), dtype=bool)
    keep[np.searchsorted(starts, at, side="right") - 1] = False
    return [s for s, k in zip(strings, keep.tolist()) if k]


def cell(column: model.Column, v: Any) -> Any:
    """Normalise one cell of a data-sheet column per its kind."""
    if column.kind == "code":
        return code(column.codes, v)
    return BY_KIND[column.kind](v)


def cover_value(field: model.CoverField, v: Any) -> Any:
    kind = field.kind
    if kind == "code":
        return code(field.codes, v)
    if kind == "month":
        return month(v)
    if kind == "int":
        return integer(v)
    if kind == "date":
        return date(v)
    if kind in ("phone",):
        return phone(v)
    if kind == "schoolcode":
        return compact(v)
    return text(v)


# ---------------------------------------------------------------------------------------------- writing text back
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def excel_escaped(value: str) -> str:
    """Text as a cell can hold it: the control characters XML cannot carry (Excel reads ``_x0007_`` in a file as BEL)
    written back as Excel's own ``_xHHHH_`` escapes, so the cell reads back exactly as it was read. Other text as is."""
    return _XML_ILLEGAL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", value)


def has_control_characters(value) -> bool:
    return isinstance(value, str) and _XML_ILLEGAL.search(value) is not None
