"""Masking of minors' personal data in anything that leaves the county (SPEC §6): ID numbers show the first 6 and
last 4 characters, names keep the first (and last) character (张*明). Messages are scrubbed too: any run of 15–18 ID
characters and every known full name found in the month's workbooks is replaced by its masked form. A child's health
and family circumstances (disability, poverty, the reasons for dropping out or leave) are hidden outright."""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable

import pandas as pd

from ..idcard import mask, mask_name

ID_COLUMNS = frozenset({"身份证号", "学籍号"})
NAME_COLUMNS = frozenset({"姓名", "监护人姓名"})
# Health and family circumstances of a child: hidden outright in masked output (SPEC: disability, poverty).
SENSITIVE_COLUMNS = frozenset({"残疾", "残疾类别", "残疾等级", "残疾证号", "脱贫家庭或监测户", "辍学原因", "休学原因", "缓学原因"})
HIDDEN = "（已隐去）"
# Free text that may name a child or quote an ID: scrubbed when masked.
FREE_TEXT_COLUMNS = ("说明", "去向说明", "备注", "值")
# Columns a masked table leaves out altogether: the child's circumstances in the case list (辍学原因, 重点群体) and the
# guardians' phones (not shown masked). The 月报表 and the notebooks leave out the same ones.
LEFT_OUT_WHEN_MASKED = ("辍学原因", "重点群体", "监护人电话")
_ID_RUN = re.compile(r"(?<![0-9])([0-9]{6})([0-9]{5,8})([0-9]{3}[0-9Xx])(?![0-9Xx])")
_SCIENTIFIC = re.compile(r"(?<![0-9])[0-9]\.[0-9]{6,}[eE]\+?[0-9]{1,3}")


def mask_value(column: str | None, value: Any) -> Any:
    if value is None or column is None:
        return value
    if column in ID_COLUMNS:
        s = str(value)
        if s[:1] in ("G", "L") and len(s) > 11:
            return s[0] + mask(s[1:])
        return mask(s)
    if column in NAME_COLUMNS:
        return mask_name(str(value))
    if column in SENSITIVE_COLUMNS:
        return HIDDEN
    return value


class Scrubber:
    """Replaces ID-like digit runs and the given full names inside free text.

    Names are found left to right, the longest name starting at a place first, never overlapping (what one regular
    expression of all names, longest first, would find), but by set look-ups at the places where a name's first
    character occurs: a county has thousands of names, and one expression of them all costs a fifth of a second to
    compile and far more to run over every message."""

    def __init__(self, names: Iterable[str] = ()):
        self._names = {n for n in names if isinstance(n, str) and len(n) >= 2}
        self._lengths = sorted({len(n) for n in self._names}, reverse=True)
        firsts = "".join(sorted({n[0] for n in self._names}))
        self._starts = re.compile("[" + re.escape(firsts) + "]") if firsts else None

    def _mask_names(self, text: str) -> str:
        out, done = [], 0
        for m in self._starts.finditer(text):
            i = m.start()
            if i < done:
                continue
            for length in self._lengths:
                if i + length <= len(text) and text[i:i + length] in self._names:
                    out += (text[done:i], mask_name(text[i:i + length]))
                    done = i + length
                    break
        return "".join(out) + text[done:] if out else text

    def __call__(self, text: Any) -> Any:
        if not isinstance(text, str) or not text:
            return text
        text = _ID_RUN.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)
        text = _SCIENTIFIC.sub("（数字已隐去）", text)
        if self._starts is not None:
            text = self._mask_names(text)
        return text


def mask_frame(df: pd.DataFrame | None, masked: bool = True, scrub: Callable[[Any], Any] | None = None,
               ) -> pd.DataFrame | None:
    """A copy of ``df`` with ID / name columns masked and free-text columns scrubbed (unchanged when not masked).

    ``scrub`` is the roll-up's scrubber (``RollupResult.scrubber()``): it hides ID-like runs and known full names."""
    if not masked or df is None or df.empty:
        return df
    out = df.copy()
    for col in out.columns:
        if col in ID_COLUMNS or col in NAME_COLUMNS:
            out[col] = [mask_value(col, v) for v in out[col]]
        elif col in FREE_TEXT_COLUMNS and scrub is not None:
            out[col] = [scrub(v) for v in out[col]]
    for col in LEFT_OUT_WHEN_MASKED:
        if col in out.columns:
            out = out.drop(columns=col)
    return out
