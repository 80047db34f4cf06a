"""Times a person reads are Beijing time (UTC+8) and say so; machine-readable output (JSON, the stamp) keeps ISO-8601
with its offset.

    beijing(stamp.stamped_at)          # '2026-10-30 10:05（北京时间）'
    now_iso()                          # '2026-10-30T10:05:00+08:00' (for JSON and the history store)
"""
from __future__ import annotations

import datetime as dt

CHINA = dt.timezone(dt.timedelta(hours=8))
LABEL = "北京时间"


def to_beijing(t: dt.datetime | str) -> dt.datetime:
    """An aware time (or ISO text) as Beijing time; a naive one is taken to be Beijing time already."""
    if isinstance(t, str):
        t = dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
    return t.astimezone(CHINA) if t.tzinfo is not None else t.replace(tzinfo=CHINA)


def beijing(t: dt.datetime | str | None, seconds: bool = False, label: bool = True) -> str:
    """``2026-10-30 10:05（北京时间）`` — the form every message, sheet and screen shows; "" for no time."""
    if t is None or t == "":
        return ""
    try:
        local = to_beijing(t)
    except (ValueError, TypeError):
        return str(t)
    text = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{text}（{LABEL}）" if label else text


def now_iso() -> str:
    """The current time in Beijing, ISO-8601 with its +08:00 offset."""
    return dt.datetime.now(CHINA).isoformat(timespec="seconds")
