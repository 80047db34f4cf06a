"""The data officer's notebook apps (baoxue.notebook) driven from Python, on a generated, really submitted county.

Widgets are set through their ``value`` and buttons pressed with ``button.click()``; assertions read what the officer
sees (the status line, the tab tables) and what the export buttons write. Expected figures come from the generator's
ground truth, not from the roll-up."""
from __future__ import annotations

import datetime as dt
import re

import shutil

import openpyxl
import pytest

from baoxue import idcard, model
from baoxue.months import month_end
from baoxue.notebook import ALL, FollowupApp, RollupApp, month_options
from notebook_helpers import html_rows, shared_county

REPORT_SHEETS = ["报送情况", "收到的文件", "乡镇汇总", "学校明细", "在册辍学名单", "逾期预警", "问题清单", "趋势"]


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    return shared_county(tmp_path_factory)


@pytest.fixture(scope="module")
def rolled(county):
    """A RollupApp that rolled up every month in order (so the store holds the history), ending on the last month."""
    app = RollupApp()
    app.inbox.value = str(county.inbox)
    app.register.value = str(county.register)
    for month in county.months:
        app.month.value = month
        app.run_button.click()
        assert "汇总完成" in app.status.value, app.status.value
    return app


def _cells(path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    return [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def _tab_html(app: RollupApp) -> str:
    return "".join([app.status.value, app.summary.value, app.completeness.value, app.findings.value,
                    app.township_table.value, app.overdue.value])


# ------------------------------------------------------------------------------------------------ 月度汇总
def test_run_button_shows_completeness_and_progress(county, rolled):
    app = rolled
    assert app.month.value == county.month
    files = [p for p in county.inbox.rglob("*.xlsx")]
    assert app.progress.max == len(files) and app.progress.value == app.progress.max
    rows = html_rows(app.completeness.value)
    shown = {r["学校标识码"]: r for r in rows}
    assert set(shown) == {s.code for s in county.demo.schools}
    for s in county.demo.schools:
        expected = "否" if s is county.missing else "是"
        assert shown[s.code]["已报送"] == expected and shown[s.code]["计入汇总"] == expected
        assert shown[s.code]["学校名称"] == s.name
    assert county.missing.name in app.summary.value and "未报送 1 所" in app.summary.value
    assert f"应报 {len(county.demo.schools)} 所" in app.status.value
    assert not app.export_button.disabled


def test_township_table_figures_equal_ground_truth(county, rolled):
    rows = {r["乡镇"]: r for r in html_rows(rolled.township_table.value)}
    towns = sorted({s.township for s in county.demo.schools})
    assert set(rows) == {*towns, "全县合计"}
    open_cases = county.open_cases()
    for town in towns:
        expected = sum(1 for r in open_cases if county.township_of(r["_school"]) == town)
        assert int(rows[town]["月末在册未销号"]) == expected
        assert int(rows[town]["应报学校数"]) == sum(1 for s in county.demo.schools if s.township == town)
        assert int(rows[town]["有效报送数"]) == sum(1 for s in county.sent[county.month] if s.township == town)
    assert int(rows["全县合计"]["月末在册未销号"]) == len(open_cases)


def _confirmed_open(book) -> dict[str, str]:
    """ID -> 年级 of the confirmed dropouts (类型 辍学) open at the book's month end (ground truth)."""
    return {r["身份证号"]: r["年级"] for r in book.rows.get("辍学", [])
            if r["类型"] == "辍学" and r["状态"] in model.DROPOUT_OPEN_STATUSES}


def test_township_and_school_tabs_show_both_rates_and_the_school_year(county, rolled):
    """乡镇汇总 and 学校明细 carry the 学年辍学率 beside the 月末在册辍学率, the cumulative counts and the months counted;
    the figures equal the ground truth (confirmed open dropouts at the month end over the September enrolment)."""
    first, month = county.months[0], county.month
    assert "计入月份：" + "、".join(county.months) in rolled.township_table.value
    assert "月末在册辍学率" in rolled.township_table.value and "学年辍学率" in rolled.school_table.value
    junior = set(model.GRADES[6:])
    start = sum(county.demo.books[(s.code, first)].cover.get(f"{g}在校生数") or 0
                for s in county.sent[month] for g in junior)
    now = sum(g in junior for s in county.sent[month] for g in _confirmed_open(county.demo.books[(s.code, month)]).values())
    ever = sum(len({pid for m in county.months for pid, g in _confirmed_open(county.demo.books[(s.code, m)]).items()
                    if g in junior}) for s in county.sent[month])
    total = {r["乡镇"]: r for r in html_rows(rolled.township_table.value)}["全县合计"]
    assert float(total["初中学年辍学率(%)"]) == round(100 * now / start, 2)
    assert int(total["初中学年初在校生数"]) == start and int(total["初中本学年累计辍学人数"]) == ever
    assert "初中月末在册辍学率(%)" in total and "初中辍学率(%)" not in total
    shown = {r["学校标识码"]: r for r in html_rows(rolled.school_table.value)}
    assert set(shown) == {s.code for s in county.demo.schools}
    assert shown[county.missing.code]["计入汇总"] == "否" and shown[county.missing.code]["小学学年辍学率(%)"] == ""
    for s in county.sent[month]:
        want = sum(g in junior for g in _confirmed_open(county.demo.books[(s.code, month)]).values())
        assert int(shown[s.code]["初中学年辍学人数"]) == want


def test_township_filter_restricts_every_tab(county, rolled):
    app = rolled
    town = county.missing.township
    others = {s.code for s in county.demo.schools if s.township != town}
    try:
        app.township.value = town
        codes = {r["学校标识码"] for r in html_rows(app.completeness.value)}
        assert codes == {s.code for s in county.demo.schools if s.township == town}
        assert not ({r["学校标识码"] for r in html_rows(app.findings.value)} & others)
        assert {r["乡镇"] for r in html_rows(app.township_table.value)} == {town, "全县合计"}
        assert county.missing.name in app.summary.value
        assert f"{town}月度趋势" in app.trend_note.value and app.trend_image.value[:4] == b"\x89PNG"
    finally:
        app.township.value = ALL
    assert {r["学校标识码"] for r in html_rows(app.completeness.value)} == {s.code for s in county.demo.schools}


def test_findings_tab_lists_the_missing_school(county, rolled):
    rows = html_rows(rolled.findings.value)
    assert any(r["规则编号"] == "R001" and r["学校标识码"] == county.missing.code and r["级别"] == "错误" for r in rows)


def test_screen_is_masked_until_the_officer_ticks_unmasked(county, rolled):
    ids = county.all_ids()
    assert ids
    text = _tab_html(rolled)
    assert not [i for i in ids if i in text], "a full ID number is shown on the masked screen"
    cases = county.open_cases()
    assert cases, "the generated county should have open cases"
    follow = FollowupApp(result=rolled.result)
    masked = follow.cases.value
    assert all(idcard.mask(r["身份证号"]) in masked and r["身份证号"] not in masked for r in cases)
    assert all(r["姓名"] not in masked for r in cases if len(r["姓名"]) >= 2)
    follow.unmasked.value = True
    unmasked = follow.cases.value
    assert all(r["身份证号"] in unmasked and r["姓名"] in unmasked for r in cases)


def test_trend_tab_charts_the_store_history(county, rolled):
    assert rolled.trend_image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "全县月度趋势" in rolled.trend_note.value
    assert all(m in rolled.trend_note.value for m in (county.months[0], county.months[-1]))
    assert f"共 {len(county.months)} 个月" in rolled.trend_note.value


def test_trend_of_an_earlier_month_ends_at_that_month(county, rolled):
    """With the later month already in the store, rolling up the first month again shows the trend up to it only."""
    app = RollupApp(inbox=str(county.inbox), register=str(county.register), month=county.months[0])
    app.run_button.click()
    assert "汇总完成" in app.status.value, app.status.value
    assert county.months[0] in app.trend_note.value and county.months[-1] not in app.trend_note.value
    assert "共 1 个月" in app.trend_note.value


def test_export_writes_the_masked_monthly_report(county, rolled, tmp_path):
    rolled.out.value = str(tmp_path / "报表" / "月报表.xlsx")
    rolled.export_button.click()
    out = tmp_path / "报表" / "月报表.xlsx"
    assert out.exists(), rolled.status.value
    assert "已脱敏" in rolled.status.value
    assert openpyxl.load_workbook(out).sheetnames == REPORT_SHEETS
    cells = "\n".join(_cells(out))
    assert not [i for i in county.all_ids() if i in cells]
    assert county.missing.name in cells  # the missing school is listed in 报送情况


def test_files_list_says_what_happened_to_each_file(county, tmp_path):
    """A junk file and an unstamped copy in the inbox are listed with what the roll-up did with them."""
    inbox = tmp_path / "收件夹"
    shutil.copytree(county.inbox, inbox)
    (inbox / "坏文件.xlsx").write_bytes(b"this is not a workbook")
    raw = county.demo.books[(county.missing.code, county.month)].path  # never submitted: no stamp
    shutil.copy(raw, inbox / "未盖戳.xlsx")
    app = RollupApp(inbox=str(inbox), register=str(county.register), month=county.month,
                    store=str(tmp_path / "历史库"))
    assert app.run() is not None, app.status.value
    files = {r["文件"]: r for r in html_rows(app.files.value)}
    assert len(files) == len(list(inbox.rglob("*.xlsx")))
    assert files["坏文件.xlsx"]["处理结果"] == "无法读取"
    assert "戳记无效" in files["未盖戳.xlsx"]["处理结果"]
    assert sum(r["处理结果"] == "计入汇总" for r in files.values()) == len(county.sent[county.month])
    assert "无法读取的文件 1 个" in app.status.value
    shown = [r["报送时间（北京时间）"] for r in files.values() if r["处理结果"] == "计入汇总"]   # Beijing time, no offset
    assert shown and all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", t) for t in shown), shown
    rules = {(r["文件"], r["规则编号"]) for r in html_rows(app.findings.value)}
    assert ("坏文件.xlsx", "S005") in rules and ("未盖戳.xlsx", "R003") in rules


def test_bad_inputs_end_as_chinese_messages(tmp_path, county):
    app = RollupApp(month=county.month)
    app.run_button.click()
    assert "请填写收件夹" in app.status.value
    app.inbox.value = str(tmp_path / "没有这个文件夹")
    app.register.value = str(county.register)
    assert app.run() is None and "收件夹不存在" in app.status.value
    app.inbox.value = str(county.inbox)
    app.register.value = str(tmp_path / "名录.xlsx")
    assert app.run() is None and "找不到学校名录文件" in app.status.value
    bad = tmp_path / "坏名录.xlsx"
    bad.write_text("这不是工作簿", encoding="utf-8")
    app.register.value = str(bad)
    assert app.run() is None and "汇总失败" in app.status.value and "学校名录" in app.status.value
    app.export_button.disabled = False
    app.export_button.click()
    assert "请先运行汇总" in app.status.value
    assert app.export_button.disabled is False and app.result is None


def test_month_picker_offers_recent_months_and_the_given_one():
    options = month_options(today=dt.date(2026, 1, 15), extra=("2023-05",), count=3)
    assert options == ["2026-01", "2025-12", "2025-11", "2023-05"]
    assert RollupApp(month="2023-05").month.value == "2023-05"


def test_month_picker_defaults_to_the_latest_month_with_data(county, tmp_path):
    """Without a month given, the picker proposes the latest month the inbox's submissions (or the store) hold — not
    the current calendar month — and follows the inbox when the officer names one."""
    app = RollupApp(inbox=str(county.inbox), register=str(county.register))
    assert app.month.value == county.month
    app = RollupApp()
    assert app.month.value == month_options()[0]            # nothing known yet: this month
    app.inbox.value = str(county.inbox)
    assert app.month.value == county.month
    app.month.value = county.months[0]                       # the officer's pick is kept
    app.store.value = str(tmp_path)
    assert app.month.value == county.months[0]


def test_a_malformed_month_is_an_error_not_another_month(county):
    app = RollupApp(inbox=str(county.inbox), register=str(county.register), month="2026-9")
    assert "格式不对" in app.status.value
    assert app.run() is None and "报送月份“2026-9”格式不对" in app.status.value and app.result is None


def test_register_fills_the_township_filter(county):
    app = RollupApp()
    assert list(app.township.options) == [ALL]
    app.register.value = str(county.register)
    assert set(app.township.options) == {ALL, *(s.township for s in county.demo.schools)}


# ------------------------------------------------------------------------------------------------ 个案跟踪
def test_followup_run_filters_and_export(county, tmp_path):
    app = FollowupApp(inbox=str(county.inbox), register=str(county.register), month=county.month)
    app.run_button.click()
    assert "在册未销号" in app.status.value, app.status.value
    cases = county.open_cases()
    assert len(html_rows(app.cases.value)) == len(cases)
    per_school = {r["学校标识码"]: r for r in html_rows(app.by_school.value)}
    assert set(per_school) == {s.code for s in county.demo.schools}
    for s in county.demo.schools:
        assert int(per_school[s.code]["在册未销号"]) == sum(1 for r in cases if r["_school"] == s.code)
    assert per_school[county.missing.code]["计入汇总"] == "否"

    school = cases[0]["_school"]
    app.township.value = county.township_of(school)
    assert {o for _label, o in app.school.options} - {ALL} <= {
        s.code for s in county.demo.schools if s.township == app.township.value}
    app.school.value = school
    rows = html_rows(app.cases.value)
    assert len(rows) == sum(1 for r in cases if r["_school"] == school)
    assert all(r["学校标识码"] == school for r in rows)

    status = cases[0]["状态"]
    app.status_filter.value = status
    assert len(html_rows(app.cases.value)) == sum(1 for r in cases if r["_school"] == school and r["状态"] == status)

    app.status_filter.value = ALL
    app.school.value = ALL
    app.township.value = ALL
    app.search.value = cases[0]["姓名"]
    found = html_rows(app.cases.value)
    assert found and all(r["身份证号"] == idcard.mask(r2["身份证号"]) for r in found for r2 in cases[:1]
                         if r["学校标识码"] == r2["_school"])
    app.search.value = ""

    out = tmp_path / "名单.xlsx"
    app.out.value = str(out)
    app.export_button.click()
    assert out.exists() and "已脱敏" in app.status.value
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["在册未销号", "逾期待升级"]
    assert wb["在册未销号"].max_row - 1 == len(cases)
    cells = "\n".join(_cells(out))
    assert not [i for i in county.all_ids() if i in cells]
    assert "监护人电话" not in cells

    app.unmasked.value = True
    app.export(str(out))
    assert "仅限内部使用" in app.status.value
    cells = "\n".join(_cells(out))
    assert all(r["身份证号"] in cells for r in cases)


def test_followup_overdue_only_keeps_overdue_cases(county, rolled):
    """Ground truth for C003: open, 限期复学通知 more than the policy's 7 days before month end, no 行政处罚日期."""
    as_of = month_end(county.month)
    cases = county.open_cases()
    escalation_due = {r["身份证号"] for r in cases
                      if isinstance(r.get("限期复学通知日期"), dt.date) and (as_of - r["限期复学通知日期"]).days > 7
                      and not r.get("行政处罚日期")}
    assert escalation_due, "seed chosen so that the county has an overdue escalation"
    app = FollowupApp(result=rolled.result)
    app.unmasked.value = True
    over = {r["身份证号"]: r for r in html_rows(app.overdue.value)}
    assert escalation_due <= set(over)
    assert all("行政处罚" in over[i]["说明"] and over[i]["规则编号"] == "C003" for i in escalation_due)
    app.overdue_only.value = True
    shown = {r["身份证号"] for r in html_rows(app.cases.value)}
    assert escalation_due <= shown <= {r["身份证号"] for r in cases}
    assert shown <= set(over)
    app.unmasked.value = False
    assert not [i for i in escalation_due if i in app.overdue.value]


def test_rates_show_two_decimals_on_screen():
    """As in the 月报表: 0.1 → 0.10, 0 → 0.00, no rate → empty."""
    from baoxue.notebook import indicator_labels, townships_frame
    labels = indicator_labels()
    df = townships_frame([{"name": "甲镇", "dropout_rate_primary": 0.1, "dropout_rate_junior": 0}],
                         {"dropout_rate_primary": None, "dropout_rate_junior": 0.333})
    shown = lambda col: [v if isinstance(v, str) else None for v in df[labels[col]]]   # empty: shown blank
    assert shown("dropout_rate_primary") == ["0.10", None]
    assert shown("dropout_rate_junior") == ["0.00", "0.33"]
