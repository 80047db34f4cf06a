"""Resident ID numbers (GB 11643-1999): format, check digit, birth date, sex; ``problems``: the F004/F005/F006 checks of
one number, as the validator makes them (``validators/rules_format.py``) — BX_ID_CHECK calls it."""
from __future__ import annotations

import datetime as dt
import re

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
ID_RE = re.compile(r"^\d{17}[\dX]$", re.ASCII)   # ASCII digits only: "١" is a digit to \d, not to an ID


def check_digit(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def format_ok(value: str) -> bool:
    """17 digits then a digit or X (F004)."""
    return bool(ID_RE.match(value))


def checksum_ok(value: str) -> bool:
    """The check digit agrees with the first 17 digits (F005). Assumes ``format_ok``."""
    return check_digit(value[:17]) == value[17]


def birth_date(value: str) -> dt.date | None:
    """Digits 7–14 as a date, or None when they are not a real date (F006)."""
    try:
        return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except (ValueError, IndexError):
        return None


IMPOSSIBLE_BIRTH = "不是真实存在的日期"          # F006's {problem} (the validator and BX_ID_CHECK)
LATER_THAN = "晚于{label} {date}"                # F006's {problem} for a birth date after the as-of date
AS_OF_LABEL = "报送月末"                          # what the validator measures against (SPEC §1: the as-of date)


def problems(value: str, as_of: dt.date | None, as_of_label: str = AS_OF_LABEL) -> list[tuple[str, dict[str, str]]]:
    """The ID rules one (normalised, text) ID number fails, in the validator's order, as (rule ID, message fields):
    F004 (not 17 digits + digit/X; ``n`` = its length — nothing else is checked then); otherwise F005 (``expected``
    check digit) and F006 (``problem``: an impossible date, or later than ``as_of``), each independently, as the
    validator reports them. ``as_of`` None skips the later-than check (the validator without a report month)."""
    if not format_ok(value):
        return [("F004", {"n": str(len(value))})]
    out: list[tuple[str, dict[str, str]]] = []
    if not checksum_ok(value):
        out.append(("F005", {"expected": check_digit(value[:17])}))
    born = birth_date(value)
    if born is None:
        out.append(("F006", {"problem": IMPOSSIBLE_BIRTH}))
    elif as_of is not None and born > as_of:
        out.append(("F006", {"problem": LATER_THAN.format(label=as_of_label, date=as_of.isoformat())}))
    return out


def usable(value) -> bool:
    """A text ID whose birth date and sex can be trusted: well formed, right check digit, a real birth date (what
    ``update`` fills 出生日期/性别 from, and the add-in's BX_ID_BIRTHDATE / BX_ID_SEX read)."""
    return isinstance(value, str) and not problems(value, None)


def age_on(born: dt.date, on: dt.date) -> int:
    """Full years (周岁) on a date (a birthday on ``on`` counts)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def sex(value: str) -> str:
    """17th digit odd = 男, even = 女 (F007)."""
    return "男" if int(value[16]) % 2 else "女"


def make(area: str, birth: dt.date, seq: int, male: bool) -> str:
    """Build a valid ID: 6-digit area, birth date, 2-digit sequence + sex digit, check digit (for demos and tests)."""
    sex_digit = (seq % 5) * 2 + (1 if male else 0)
    first17 = f"{area}{birth:%Y%m%d}{seq % 100:02d}{sex_digit}"
    return first17 + check_digit(first17)


def mask(value: str | None) -> str | None:
    """First 6 and last 4 characters shown: 110101********1234."""
    if not value:
        return value
    s = str(value)
    if len(s) <= 10:
        return s[:2] + "*" * max(len(s) - 2, 0)
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


def mask_name(name: str | None) -> str | None:
    """张*明 / 李* : keep the first and (for 3+ characters) the last character."""
    if not name:
        return name
    s = str(name)
    if len(s) == 1:
        return "*"
    if len(s) == 2:
        return s[0] + "*"
    return s[0] + "*" * (len(s) - 2) + s[-1]
