"""Writing the county's 适龄儿童台账 workbook (SPEC §8.5) and one 核查清单 per township that needs one (§8.4).

Both are internal (full IDs, for the door-to-door check and the county's own ledger) and every sheet says so. Both are
written atomically; an existing file of the same name is kept as a backup. Nothing is written into the inputs: an
output folder inside the inbox or the returns folder is refused.
"""
from __future__ import annotations

import re
from pathlib import Path

from openpyxl import Workbook

from .. import model, template
from ..cells import write as write_cell
from ..atomic import atomic_save
from ..paths import OutputPathError, guard_output  # noqa: F401  (OutputPathError: what write_outputs raises)
from ..rollup.report import BORDER, DATE_FORMAT, FIRST_DATA_ROW, _Formats, _safe, _Sheet
from ..xlsx_rows import LongTables
from ..validators.catalogue import info
from .result import INDICATOR_LABELS, INDICATOR_KEYS, MatchResult
from .returns import LEDGER_PREFIX

INTERNAL = "内部资料：含完整身份证号，仅限县内使用，不得外传。"
LEDGER_SHEETS = ("汇总", "台账", "待核查", "失学辍学", "人籍不一致", "问题清单")
SEVERITY_ZH = model.SEVERITY_LABELS
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def ledger_name(month: str) -> str:
    return f"{LEDGER_PREFIX}{month}.xlsx"


def checklist_name(township: str, month: str) -> str:
    return f"核查清单_{_UNSAFE.sub('_', township).strip('_') or '未填乡镇'}_{month}.xlsx"


def _guard(result: MatchResult, paths: list[Path]) -> None:
    """``paths.guard_output`` for every file about to be written: none inside the inbox, the returns folder or the
    store, none equal to an input list, the register or the policy file (``OutputPathError``, Chinese)."""
    inputs = result.inputs
    inside = [inputs.get("inbox"), inputs.get("returns"), result.store_dir]
    equal = [*inputs.get("household", ()), inputs.get("xueji"), inputs.get("elsewhere"), *inputs.get("key_groups", ()),
             inputs.get("register"), inputs.get("policy")]
    for path in paths:
        guard_output(path, inside=inside, equal=equal)


def write_outputs(result: MatchResult, out_dir: Path) -> dict:
    """Write the ledger and the checklists into ``out_dir``; returns (and stores in ``result.files``)
    ``{"ledger": Path, "checklists": {乡镇: Path}}``."""
    out_dir = Path(out_dir)
    ledger = out_dir / ledger_name(result.month)
    rows = result.to_verify
    parts = dict(tuple(rows.groupby(rows["户籍乡镇"].fillna("（未填乡镇）"), sort=False)))
    checklists = {township: out_dir / checklist_name(township, result.month) for township in parts}
    _guard(result, [ledger, *checklists.values()])     # before anything is written
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_save(lambda tmp: build_ledger_workbook(result, tmp), ledger)
    for township, path in checklists.items():
        atomic_save(build_checklist(parts[township], township, result.month).save, path)
    result.files = {"ledger": ledger, "checklists": checklists}
    return result.files


# ============================================================================================== the ledger workbook
def _area_values(d: dict) -> list:
    return [d.get(k) for k in INDICATOR_KEYS]


def build_ledger_workbook(result: MatchResult, target) -> None:
    """Write the ledger workbook to ``target`` (a path or a binary file object) through the report's table helpers;
    the long tables' rows (a row per child) are streamed into their sheets (``xlsx_rows``)."""
    import io
    import xlsxwriter
    package = io.BytesIO()
    wb = xlsxwriter.Workbook(package, {"in_memory": True, "nan_inf_to_errors": True})
    long = LongTables()
    wb.baoxue_formats = _Formats(wb)
    wb.baoxue_tables = long   # the small tables' rows (``_Sheet.add``) are spliced in by ``long`` too
    m = result.month
    labels = [INDICATOR_LABELS[k] for k in INDICATOR_KEYS]
    s = _Sheet(wb, "汇总", f"{m} 适龄儿童台账 汇总（户籍线）", INTERNAL + "入学率 =（在校+休学+送教上门+县外就读）÷"
               "（适龄儿童少年数−不计入−缓学）×100。", ["层级", "乡镇", "村(社区)", *labels],
               [6, 12, 14, *([9] * len(labels))])
    s.add(["全县", "全县", "", *_area_values(result.county)], bold=True)
    villages = {}
    for v in result.villages:
        villages.setdefault(v["township"], []).append(v)
    for t in result.townships:
        s.add(["乡镇", t["name"], "", *_area_values(t)], bold=True)
        for v in villages.get(t["name"], ()):
            s.add(["村", t["name"], v["name"], *_area_values(v)])
    s.finish()

    _frame_sheet(wb, long, "台账", f"{m} 适龄儿童台账（一人一行）", INTERNAL, result.ledger, list(model.LEDGER_COLUMNS))
    listed = [c.name for c in model.CHECKLIST.columns if c.computed]
    _frame_sheet(wb, long, "待核查", f"{m} 待核查儿童（核查清单全部行）",
                 INTERNAL + "各乡镇的核查清单另见 核查清单_<乡镇>_<月份>.xlsx。", result.to_verify, listed)
    out = result.ledger[result.ledger["台账状态"] == "失学辍学"]
    _frame_sheet(wb, long, "失学辍学", f"{m} 失学辍学儿童", INTERNAL, out, list(model.LEDGER_COLUMNS))
    _frame_sheet(wb, long, "人籍不一致", f"{m} 人籍不一致（H002 姓名或性别不一致、H008 学籍人数与学校报表不符）", INTERNAL,
                 result.mismatch, list(result.mismatch.columns))
    _findings_sheet(wb, result)
    wb.set_properties({"title": f"{m} 适龄儿童台账", "author": "baoxue"})
    wb.close()
    long.save(package.getvalue(), target)


def _frame_sheet(wb, long: LongTables, name: str, title: str, note: str, df, columns: list[str]) -> None:
    """A plain table of ``df``'s ``columns`` (bordered cells, as ``_Sheet.add`` writes a plain row), its rows streamed
    in by ``long``: every string, an ID included, is written as text."""
    widths = [max(6, min(24, 2 * len(c) + 4)) for c in columns]
    for j, c in enumerate(columns):
        if c == "身份证号":
            widths[j] = 21
    s = _Sheet(wb, name, title, note, columns, widths)
    long.add(s.ws, FIRST_DATA_ROW, [df[c].tolist() for c in columns], s.formats(dict(BORDER)),
             s.formats({**BORDER, "num_format": DATE_FORMAT}), _safe)
    s.row = FIRST_DATA_ROW + len(df)    # as after writing the rows: the filter and print area cover them
    s.finish()


def _findings_sheet(wb, result: MatchResult) -> None:
    s = _Sheet(wb, "问题清单", f"{result.month} 问题清单（户籍线比对与名单校验）", INTERNAL,
               ["规则编号", "级别", "规则", "工作表", "文件", "行号", "列名", "学校标识码", "值", "说明"],
               [8, 6, 18, 12, 30, 6, 12, 13, 20, 80])
    for f in result.findings:
        s.add([f.rule, SEVERITY_ZH.get(f.severity, f.severity), info(f.rule).title, f.sheet, f.file, f.row,
               f.column, f.school, f.value, f.message], warn=(2,) if f.severity == "error" else ())
    s.finish()


# ============================================================================================== the 核查清单
CHECKLIST_LISTS = tuple(dict.fromkeys(c.codes for c in model.CHECKLIST.columns if c.codes))


def build_checklist(rows, township: str, month: str) -> Workbook:
    """One township's 核查清单 in the standard sheet layout of ``template.add_data_sheet`` (title, note, header in row
    3, text-format ID column, dropdowns from the hidden 代码表, date validation, locked header, printable); the rows
    ``match`` fills are locked, the township's input columns stay unlocked."""
    sheet = model.CHECKLIST
    wb = Workbook()
    wb.remove(wb.active)
    ws = template.add_data_sheet(wb, sheet)
    ws.cell(template.TITLE_ROW, 1).value = f"{sheet.title}（{township}，{month}）"
    template.ensure_codes_sheet(wb, CHECKLIST_LISTS)
    columns = sheet.columns
    for i, values in enumerate(rows[[c.name for c in columns if c.computed]].itertuples(index=False, name=None)):
        r = template.FIRST_INPUT_ROW + i
        cells = dict(zip([c.name for c in columns if c.computed], values))
        for j, column in enumerate(columns, start=1):
            if not column.computed:
                continue
            cell = ws.cell(r, j)
            write_cell(cell, _safe(cells.get(column.name)))
            cell.protection = template.LOCKED
            if column.is_text_format:
                cell.number_format = template.TEXT_FORMAT
            elif column.kind == "date":
                cell.number_format = template.DATE_FORMAT
    wb.active = 0
    wb.properties.title = f"核查清单 {township} {month}"
    wb.properties.creator = "baoxue"
    return wb
