"""月报汇总's live formulas, recalculated by an independent spreadsheet client (headless LibreOffice), equal the
indicators baoxue computes in Python (``school_indicators``) on the same data: demo-county workbooks with a realistic
mix, plus one workbook built around the boundaries (first/last day of the month, exactly-at-deadline dates, short
visits, visits of children not on the roster) and one under a county's own policy."""
from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from baoxue import model, template
from baoxue.demo import generate_county
from baoxue.fill import TemplateCopier, write_school_workbook
from baoxue.indicators import COUNT_KEYS, KEYS, school_indicators
from baoxue.policy import DEFAULT, load_policy
from baoxue.reader import read_workbook

D = dt.date
MONTH = "2026-10"
AS_OF = D(2026, 10, 31)


def edge_rows() -> tuple[dict, dict]:
    def case(n, **kw):
        row = {"姓名": f"学生{'甲乙丙丁戊己庚辛壬癸'[n]}", "身份证号": f"ID{n:02d}", "类型": "疑似辍学", "年级": "八年级",
               "发现日期": D(2026, 9, 20), "状态": "劝返中"}
        row.update(kw)
        return row
    dropout = [
        case(0, 发现日期=D(2026, 10, 1)),                                        # new on the first day
        case(1, 发现日期=D(2026, 10, 31), 类型="辍学", 年级="三年级", 状态="核查中"),   # new on the last day
        case(2, 发现日期=D(2026, 9, 30)),                                        # last month: not new
        case(3, 状态="已复学", 复学日期=D(2026, 10, 12), 销号日期=D(2026, 10, 31)),
        case(4, 状态="已复学", 复学日期=D(2026, 9, 28), 销号日期=D(2026, 10, 1)),     # returned last month, closed now
        case(5, 限期复学通知日期=AS_OF - dt.timedelta(days=7)),                    # exactly at the deadline: not overdue
        case(6, 限期复学通知日期=AS_OF - dt.timedelta(days=8), 年级="六年级"),       # overdue
        case(7, 限期复学通知日期=D(2026, 9, 25), 行政处罚日期=D(2026, 10, 3)),       # escalated
        case(8, 限期复学通知日期=D(2026, 9, 1), 状态="转学就读", 销号日期=D(2026, 10, 9), 去向说明="已转学"),
        case(9, 状态="去向不明", 去向说明="多次入户未见到本人", 年级="一年级"),
    ]
    leave = [
        {"姓名": "休一", "状态": "休学中", "休学起始日期": D(2026, 10, 1), "预计复学日期": AS_OF},           # due today
        {"姓名": "休二", "状态": "休学中", "休学起始日期": D(2026, 9, 30), "预计复学日期": AS_OF - dt.timedelta(days=1)},
        {"姓名": "休三", "状态": "已复学", "休学起始日期": D(2026, 5, 1), "预计复学日期": D(2026, 9, 1),
         "实际复学日期": D(2026, 10, 8)},
    ]
    defer = [
        {"姓名": "缓一", "状态": "缓学中", "缓学截止日期": AS_OF},
        {"姓名": "缓二", "状态": "缓学中", "缓学截止日期": AS_OF - dt.timedelta(days=1)},
        {"姓名": "缓三", "状态": "已入学", "缓学截止日期": D(2026, 9, 30), "入学日期": D(2026, 10, 10)},
    ]
    home = [{"姓名": "送一", "身份证号": "H1", "状态": "送教中"}, {"姓名": "送二", "身份证号": "H2", "状态": "送教中"},
            {"姓名": "送三", "身份证号": "H3", "状态": "转随班就读"}]
    visits = [
        {"身份证号": "H1", "送教日期": D(2026, 10, 1), "课时": 2}, {"身份证号": "H1", "送教日期": D(2026, 10, 31), "课时": 2},
        {"身份证号": "H2", "送教日期": D(2026, 10, 9), "课时": 2}, {"身份证号": "H2", "送教日期": D(2026, 10, 16), "课时": 1.5},
        {"身份证号": "H2", "送教日期": D(2026, 9, 30), "课时": 2},                 # last month
        {"身份证号": "H3", "送教日期": D(2026, 10, 5), "课时": 3},                  # on the roster, not 送教中
        {"身份证号": "X9", "送教日期": D(2026, 10, 5), "课时": 2},                  # not on the roster
    ]
    cover = {"学校标识码": "3609999999", "学校名称": "边界测试学校", "所属乡镇": "青石镇", "报送月份": MONTH,
             "一年级在校生数": 40, "三年级在校生数": 35, "六年级在校生数": 38, "八年级在校生数": 120, "零报告": "否"}
    return cover, {model.DROPOUT.name: dropout, model.LEAVE.name: leave, model.DEFER.name: defer,
                   model.HOME.name: home, model.VISITS.name: visits}


COUNTY_POLICY = """
[deadlines]
notice_to_next_step_days = 3
[home_teaching]
visits_per_month = 1
hours_per_visit = 1
"""


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory, lo_profile):
    """Source workbooks, their policies, and LibreOffice's recalculated copies (one soffice run for all)."""
    root = tmp_path_factory.mktemp("summary")
    county = generate_county(root / "county", townships=2, schools_per_township=3,
                             months=("2026-09", "2026-10", "2026-11"), seed=11, mistakes=False)
    sources = [(p, DEFAULT) for p in county.files()]
    cover, rows = edge_rows()
    sources.append((write_school_workbook(root / "edge.xlsx", cover, rows), DEFAULT))
    sources.append((TemplateCopier().write(root / "edge-bulk-writer.xlsx", cover, rows), DEFAULT))
    policy_file = root / "county.toml"
    policy_file.write_text(COUNTY_POLICY, encoding="utf-8")
    policy = load_policy(policy_file)
    sources.append((write_school_workbook(root / "edge-county-policy.xlsx", cover, rows, policy=policy), policy))
    flat = root / "flat"
    flat.mkdir()
    inputs = []
    for i, (path, _) in enumerate(sources):   # unique names: LibreOffice writes <stem>.xlsx into one folder
        link = flat / f"{i:03d}.xlsx"
        link.write_bytes(Path(path).read_bytes())
        inputs.append(link)
    out = root / "lo"
    subprocess.run(["soffice", lo_profile, "--headless", "--norestore", "--convert-to", "xlsx", "--outdir", str(out),
                    *map(str, inputs)], check=True, capture_output=True, timeout=600)
    return [(path, policy, out / f"{i:03d}.xlsx") for i, (path, policy) in enumerate(sources)]


def sheet_figures(path: Path) -> dict:
    wb = CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_name(model.SUMMARY_SHEET).to_python()
    out = {}
    for row in rows[template.HEADER_ROW:]:
        if len(row) > 2 and row[1] in KEYS:
            out[row[1]] = row[2]
    return out


def same(formula_value, python_value) -> bool:
    if python_value is None:
        return formula_value in ("", None)
    if isinstance(python_value, str):
        return formula_value == python_value
    return isinstance(formula_value, (int, float)) and abs(float(formula_value) - float(python_value)) < 1e-9


def test_every_file_was_recalculated(recalculated):
    for _src, _policy, converted in recalculated:
        assert converted.exists(), converted
        assert set(sheet_figures(converted)) == set(KEYS)


def test_formulas_equal_python_indicators(recalculated):
    mismatches = []
    for src, policy, converted in recalculated:
        expected = school_indicators(read_workbook(src), policy)
        got = sheet_figures(converted)
        for key in KEYS:
            if not same(got[key], expected[key]):
                mismatches.append(f"{Path(src).name} {key}: 公式 {got[key]!r} ≠ Python {expected[key]!r}")
    assert not mismatches, "\n".join(mismatches)


def test_edge_workbook_exercises_every_indicator(recalculated):
    """The boundary workbook makes every count non-zero, so the comparison above means something for each key."""
    src, policy, _ = next(r for r in recalculated if Path(r[0]).name == "edge.xlsx")
    figures = school_indicators(read_workbook(src), policy)
    assert [k for k in COUNT_KEYS if not figures[k]] == []
    assert figures["dropout_rate_primary"] is not None and figures["dropout_rate_junior"] is not None
    # the boundaries themselves (SPEC §4/§5 definitions)
    assert figures["new_suspected"] == 1 and figures["new_dropout"] == 1      # first and last day of the month
    assert figures["escalation_overdue"] == 1                                  # 8 days yes, exactly 7 no
    assert figures["leave_overdue"] == 1 and figures["deferred_expired"] == 1  # due on the as-of date: not overdue
    assert figures["home_visits"] == 5 and figures["home_hours"] == 10.5       # roster IDs only, this month only
    assert figures["home_meeting_min"] == 1                                    # the 1.5-hour visit does not count


def test_county_policy_changes_the_formulas(recalculated):
    by_name = {Path(src).name: (policy, converted) for src, policy, converted in recalculated}
    default = sheet_figures(by_name["edge.xlsx"][1])
    county = sheet_figures(by_name["edge-county-policy.xlsx"][1])
    assert county["escalation_overdue"] > default["escalation_overdue"]   # 3-day deadline: more cases overdue
    assert county["home_meeting_min"] > default["home_meeting_min"]       # one visit of ≥ 1 hour is enough


def test_demo_mix_is_not_trivial(recalculated):
    """Across the demo files the formulas see open cases, returns, closings, leaves, home visits and zero reports."""
    totals: dict = {}
    zero = set()
    for src, _policy, converted in recalculated:
        got = sheet_figures(converted)
        for key in COUNT_KEYS:
            totals[key] = totals.get(key, 0) + (got[key] or 0)
        zero.add(got["zero_report"])
    for key in ("new_suspected", "returned", "closed", "open_cases", "on_leave", "home_taught", "home_visits",
                "home_meeting_min", "escalation_overdue"):
        assert totals[key] > 0, key
    assert {"是", "否"} <= zero


def _partly_filled(root: Path) -> dict[str, Path]:
    """The blank template and books a clerk has only begun: month only, odd entries (text where dates and numbers
    belong), a month that is no month."""
    import openpyxl
    from baoxue import template as T
    out = {}
    blank = root / "blank.xlsx"
    T.build_school_workbook().save(blank)
    out["blank"] = blank
    for name, month, odd in (("month-only", "2026-10", False), ("odd-entries", "2026年10月", True),
                             ("bad-month", "2026-13", True)):
        wb = openpyxl.load_workbook(blank)
        wb[model.COVER_SHEET].cell(T.cover_row("报送月份"), 2).value = month
        if odd:
            wb[model.COVER_SHEET].cell(T.cover_row(model.ENROLMENT_LABELS[0]), 2).value = "四十"
            d = wb[model.DROPOUT.name]
            for col, value in (("姓名", "张三"), ("状态", "劝返中"), ("年级", "八年级"), ("限期复学通知日期", "十月初"),
                               ("发现日期", "2026-10-08")):
                d.cell(T.FIRST_INPUT_ROW, model.DROPOUT.column_names.index(col) + 1).value = value
            v = wb[model.VISITS.name]
            for col, value in (("身份证号", "x"), ("送教日期", "十月"), ("课时", "两")):
                v.cell(T.FIRST_INPUT_ROW, model.VISITS.column_names.index(col) + 1).value = value
        out[name] = root / f"{name}.xlsx"
        wb.save(out[name])
    return out


def test_blank_and_partly_filled_books_show_no_error_values(tmp_path, lo_profile):
    """LibreOffice recalculates the blank template and half-filled books: no #VALUE! (or any error) in 月报汇总."""
    books = _partly_filled(tmp_path)
    out = tmp_path / "lo"
    subprocess.run(["soffice", lo_profile, "--headless", "--norestore", "--convert-to", "xlsx", "--outdir", str(out),
                    *map(str, books.values())], check=True, capture_output=True, timeout=600)
    import openpyxl
    for name, src in books.items():
        ws = openpyxl.load_workbook(out / src.name, data_only=True)[model.SUMMARY_SHEET]   # errors read as "#VALUE!"
        rows = [[c.value for c in row] for row in ws.iter_rows()]
        figures = {row[1]: row[2] for row in rows[template.HEADER_ROW:] if len(row) > 2 and row[1] in KEYS}
        assert set(figures) == set(KEYS), name
        errors = [(ws.title, c.coordinate, c.value) for row in ws.iter_rows() for c in row
                  if c.data_type == "e" or (isinstance(c.value, str) and c.value.startswith(("#", "Err:")))]
        assert not errors, (name, errors)
