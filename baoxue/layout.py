"""Where the standard workbook puts things, as text: row numbers, cell addresses, input ranges and the 月报汇总
formulas. No openpyxl here: ``template`` writes these cells, and the reader compares the formulas it finds in a book
with them (``is_template_formula``) without loading a spreadsheet library.

Every formula a book may hold is one of ``summary_formulas()``, at its cell on 月报汇总; anything else is F013.
"""
from __future__ import annotations

import re
from functools import lru_cache

from . import model, normalize
from .indicator_definitions import INDICATORS, RATES
from .policy import DEFAULT, Policy

TITLE_ROW, NOTE_ROW, HEADER_ROW = 1, 2, 3
FIRST_INPUT_ROW = 4
INPUT_ROWS = 5000                       # rows covered by validations and the 月报汇总 formulas
LAST_INPUT_ROW = FIRST_INPUT_ROW + INPUT_ROWS - 1
SUMMARY_FORMULA_COLUMN = 3              # 月报汇总: column C holds each indicator's live formula
PERIOD_START, PERIOD_END = "$B$2", "$C$2"   # 月报汇总: the first and last day of the report month


def get_column_letter(n: int) -> str:
    """1 → A, 27 → AA (as Excel names columns)."""
    letters = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_address(row: int | None, col: int | None) -> str:
    """A1-style address of a cell ("" when unknown; 第5行 when only the row is known)."""
    if not col:
        return f"第{row}行" if row else ""
    return f"{get_column_letter(col)}{row}"


def quote_sheetname(name: str) -> str:
    """A sheet name as a formula writes it: always quoted, inner quotes doubled (as openpyxl writes it)."""
    return "'" + name.replace("'", "''") + "'"


def column_letter(sheet: model.Sheet, column: str) -> str:
    return get_column_letter(sheet.column_names.index(column) + 1)


def input_range(sheet: model.Sheet, column: str, absolute: bool = True) -> str:
    """``'辍学'!$N$4:$N$5003`` — the input cells of a data-sheet column."""
    c = column_letter(sheet, column)
    d = "$" if absolute else ""
    return f"{quote_sheetname(sheet.name)}!{d}{c}{d}{FIRST_INPUT_ROW}:{d}{c}{d}{LAST_INPUT_ROW}"


def cover_row(label: str) -> int:
    """Excel row of a cover field (title in row 1, header in row 2, fields from row 3)."""
    return 3 + [f.label for f in model.COVER_FIELDS].index(label)


def cover_cell(label: str) -> str:
    return f"{quote_sheetname(model.COVER_SHEET)}!$B${cover_row(label)}"


def _or_match(rng: str, values) -> str:
    """1/0 array: the cell value is one of ``values`` (blank never matches)."""
    listed = ",".join(f'"{v}"' for v in values)
    return f"ISNUMBER(MATCH({rng},{{{listed}}},0))"


def indicator_formulas(policy: Policy = DEFAULT, period_start: str = "$B$2", period_end: str = "$C$2",
                       row_of: dict[str, int] | None = None, released: str | None = None) -> dict[str, str]:
    """Live Excel formulas (without the leading '=') for every SPEC §5 indicator, keyed by JSON key.

    ``period_start`` / ``period_end`` are the cells holding the first and last day of the report month; ``row_of``
    maps keys to their 月报汇总 rows (rates refer to the counts' cells in column C). ``released``: the formulas as an
    earlier release wrote them (``EARLIER_RELEASES``), so that books made from its template are still recognised."""
    D, L, F, H, V = model.DROPOUT, model.LEAVE, model.DEFER, model.HOME, model.VISITS
    S, E = period_start, period_end

    def r(sheet, col):
        return input_range(sheet, col)

    def in_month(sheet, col):
        return f'{r(sheet, col)},">="&{S},{r(sheet, col)},"<="&{E}'

    def enrol(grades):
        return "SUM(" + ",".join(cover_cell(f"{g}在校生数") for g in grades) + ")"

    open_status = _or_match(r(D, "状态"), model.DROPOUT_OPEN_STATUSES)
    notice_days = int(policy.deadlines.notice_to_next_step_days)
    hours = policy.home_teaching.hours_per_visit
    need = int(policy.home_teaching.visits_per_month)
    vid, hid = r(V, "身份证号"), r(H, "身份证号")
    vdate = r(V, "送教日期")
    in_period = f"({vdate}>={S})*({vdate}<={E})*ISNUMBER({vdate})"
    on_roster = f'({vid}<>"")*ISNUMBER(MATCH({vid},{hid},0))'
    f = {
        "enrolled_primary": enrol(model.PRIMARY_GRADES),
        "enrolled_junior": enrol(model.JUNIOR_GRADES),
        "new_suspected": f'COUNTIFS({r(D, "类型")},"疑似辍学",{in_month(D, "发现日期")})',
        "new_dropout": f'COUNTIFS({r(D, "类型")},"辍学",{in_month(D, "发现日期")})',
        "returned": f'COUNTIFS({r(D, "状态")},"已复学",{in_month(D, "复学日期")})',
        "closed": f'COUNTIFS({in_month(D, "销号日期")})',
        "open_cases": f"SUMPRODUCT({open_status}*1)",
        "open_primary": f'SUMPRODUCT({open_status}*{_or_match(r(D, "年级"), model.PRIMARY_GRADES)})',
        "open_junior": f'SUMPRODUCT({open_status}*{_or_match(r(D, "年级"), model.JUNIOR_GRADES)})',
        "open_unknown": f'COUNTIFS({r(D, "状态")},"去向不明")',
        "escalation_overdue": (   # no report month yet (E blank): 0, never #VALUE! from ""-days
            f'IF(ISNUMBER({E}),SUMPRODUCT({open_status}*ISNUMBER({r(D, "限期复学通知日期")})'
            f'*({r(D, "限期复学通知日期")}<{E}-{notice_days})*({r(D, "行政处罚日期")}="")),0)'),
        "on_leave": f'COUNTIFS({r(L, "状态")},"休学中")',
        "new_leave": f'COUNTIFS({in_month(L, "休学起始日期")})',
        "leave_overdue": f'COUNTIFS({r(L, "状态")},"休学中",{r(L, "预计复学日期")},"<"&{E})',
        "deferred": f'COUNTIFS({r(F, "状态")},"缓学中")',
        "deferred_expired": f'COUNTIFS({r(F, "状态")},"缓学中",{r(F, "缓学截止日期")},"<"&{E})',
        "home_taught": f'COUNTIFS({r(H, "状态")},"送教中")',
        "home_visits": f"SUMPRODUCT({in_period}*{on_roster})",
        "home_hours": f'SUMPRODUCT({in_period}*{on_roster},{r(V, "课时")})',
        "home_meeting_min": (
            f'SUMPRODUCT(({r(H, "状态")}="送教中")*({hid}<>"")*(COUNTIFS({vid},{hid},'
            f'{vdate},">="&{S},{vdate},"<="&{E},{r(V, "课时")},">="&{hours})>={need}))'),
        "zero_report": f'IF({cover_cell("零报告")}="","",{cover_cell("零报告")})',
    }
    if released == "0.1.0":   # #VALUE! while the report month was blank; schools' books still carry it
        f["escalation_overdue"] = (f'SUMPRODUCT({open_status}*ISNUMBER({r(D, "限期复学通知日期")})'
                                   f'*({r(D, "限期复学通知日期")}<{E}-{notice_days})*({r(D, "行政处罚日期")}=""))')
    rows = row_of or {}
    for key, (num, enrolled) in RATES.items():
        if num in rows and enrolled in rows:
            n, e = f"$C${rows[num]}", f"$C${rows[enrolled]}"
            f[key] = f'IF(({e}+{n})=0,"",ROUND({n}/({e}+{n})*100,2))'
    return f


def summary_rows() -> dict[str, int]:
    """月报汇总: indicator key → its row (one per indicator, below the header)."""
    return {key: HEADER_ROW + i for i, (key, _label) in enumerate(INDICATORS, start=1)}


EARLIER_RELEASES = ("0.1.0",)   # releases whose 月报汇总 formulas differ from today's somewhere


def summary_formulas(policy: Policy = DEFAULT, released: str | None = None) -> dict[tuple[int, int], str]:
    """Every formula the template puts on 月报汇总 (without the leading '='), by (row, column): the report period from
    封面 报送月份 in B2:C2, then one live formula per indicator in column C."""
    month = cover_cell("报送月份")
    norm = (f'SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(SUBSTITUTE(TRIM({month}),"年","-"),"月",""),"/","-"),".","-")')
    start = f'IFERROR(IF(ISNUMBER({month}),DATE(YEAR({month}),MONTH({month}),1),' \
            f'DATE(VALUE(LEFT({norm},4)),VALUE(MID({norm},6,2)),1)),"")'
    cells = {(NOTE_ROW, 2): start, (NOTE_ROW, 3): f'IF({PERIOD_START}="","",EOMONTH({PERIOD_START},0))'}
    rows = summary_rows()
    formulas = indicator_formulas(policy, PERIOD_START, PERIOD_END, row_of=rows, released=released)
    for key, _label in INDICATORS:
        cells[(rows[key], SUMMARY_FORMULA_COLUMN)] = formulas[key]
    return cells


# ---------------------------------------------------------------------------------------------- recognising them
def _holes() -> Policy:
    """A policy whose every number is a distinct sentinel: the formulas built with it show where a county's own
    settings (deadline days, hours, visits) go, so a book built under any policy is recognised."""
    def hole(dotted: str, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value
        return _SENTINELS.setdefault(dotted, 987_650_000 + len(_SENTINELS))
    data = {section: {k: hole(f"{section}.{k}", v) for k, v in values.items()}
            for section, values in DEFAULT.data.items()}
    return Policy(data, source="sentinels")


_SENTINELS: dict[str, int] = {}
_NUMBER = r"\d+(?:\.\d+)?"
_TEXT_OR_QUOTED_NAME = re.compile(r'"(?:[^"]|"")*"|\'((?:[^\']|\'\')+)\'!')


def canonical_formula(text: str) -> str:
    """A formula as text that differs only in what spreadsheet clients change on saving: sheet names quoted or not
    (LibreOffice drops the quotes), the ``_xlfn.`` prefix Excel adds to newer functions, a leading '='. String literals
    are left exactly as they are."""
    text = text[1:] if text.startswith("=") else text
    out, last = [], 0
    for m in _TEXT_OR_QUOTED_NAME.finditer(text):
        out.append(text[last:m.start()].replace("_xlfn.", ""))
        out.append(m.group(0) if m.group(1) is None else _sheet_named(m.group(1).replace("\'\'", "\'")) + "!")
        last = m.end()
    out.append(text[last:].replace("_xlfn.", ""))
    return "".join(out)


def _sheet_named(name: str) -> str:
    """The standard sheet a quoted sheet name stands for, as the reader takes it (spaces and full-width characters
    aside: a sheet renamed "辍学 " is still 辍学, and Excel and LibreOffice rewrite the formulas to the new name)."""
    return _STANDARD_SHEET_KEYS.get(normalize.clean_header(name), name)


_STANDARD_SHEET_KEYS = {normalize.clean_header(n): n for n in model.ALL_SHEETS}


@lru_cache(maxsize=1)
def _template_patterns() -> dict[tuple[int, int], list[re.Pattern]]:
    patterns: dict[tuple[int, int], list[re.Pattern]] = {}
    for released in (None, *EARLIER_RELEASES):
        for cell, text in summary_formulas(_holes(), released=released).items():
            pattern = re.escape(canonical_formula(text))
            for sentinel in _SENTINELS.values():
                pattern = pattern.replace(str(sentinel), _NUMBER)
            known = patterns.setdefault(cell, [])
            if pattern not in (p.pattern for p in known):
                known.append(re.compile(pattern))
    return patterns


def is_template_formula(row: int, col: int, text: str) -> bool:
    """Whether ``text`` at (row, col) of 月报汇总 is the template's own formula there (for any policy's numbers), as
    this release or an earlier one (``EARLIER_RELEASES``) wrote it."""
    canonical = canonical_formula(text)
    return any(p.fullmatch(canonical) for p in _template_patterns().get((row, col), ()))


# A printed page band of a wide sheet is at most BAND_UNITS column-width units wide (140 units at 70 % fill the 28 cm
# of an A4 landscape page in LibreOffice); the school template's wide ledgers and the 月报表's wide tables use it.
BAND_UNITS = 140


def print_bands(widths: list[float], title_columns: int = 0, units: float = BAND_UNITS) -> list[int]:
    """Where the page bands of a sheet start (0-based column indexes after the first band), greedily, each band at most
    ``units`` wide including the repeated ``title_columns``; [] when the sheet fits one band."""
    if sum(widths) <= units:
        return []
    titles = sum(widths[:title_columns])
    starts, used = [], 0.0
    for j, w in enumerate(widths):
        limit = units - (titles if starts else 0)
        if used + w > limit and j > (starts[-1] if starts else 0):
            starts.append(j)
            used = w
        else:
            used += w
    return starts
