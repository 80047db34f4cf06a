"""The 双线比对 notebook: ``MatchApp`` driven from Python (widget values, button clicks) and ``notebooks/双线比对.ipynb``
run headless by papermill with a real kernel, on a generated, really submitted county with its household lists.
Expected figures come from the generator's ground truth (``HouseholdDemo.status``), not from the match."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import openpyxl
import papermill
import pytest

from baoxue import idcard, model
from baoxue.household.notebook import MatchApp, path_list
from baoxue.notebook import ALL, RollupApp
from notebook_helpers import HOUSEHOLD_MONTH as MONTH, Line, html_rows, shared_line

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "双线比对.ipynb"
PARAMETERS = ("household", "xueji", "inbox", "register", "month", "out", "elsewhere", "key_groups", "returns")


@pytest.fixture(scope="module")
def line(tmp_path_factory) -> Line:
    return shared_line(tmp_path_factory)


@pytest.fixture(scope="module")
def app(line, tmp_path_factory) -> MatchApp:
    app = line.fill(MatchApp(), tmp_path_factory.mktemp("store") / "baoxue-store")
    app.run_button.click()
    assert "比对完成" in app.status.value, app.status.value
    return app


def _checksums(paths) -> dict[str, str]:
    return {str(p): hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}


def _full_ids(demo) -> set[str]:
    return {r["身份证号"] for rows in demo.household.values() for r in rows}


# ------------------------------------------------------------------------------------------------ widgets
def test_run_button_fills_the_summary_tab_from_the_ground_truth(line, app):
    demo = line.demo
    assert app.progress.value == app.progress.max >= 1
    rows = html_rows(app.summary_table.value)
    town_rows = {r["乡镇"]: r for r in rows if r["村(社区)"] == "（乡镇合计）"}
    assert set(town_rows) == set(line.county.townships)
    for town, r in town_rows.items():
        truth = demo.counts(town)
        assert int(r["待核查"]) == truth["待核查"] and int(r["在校"]) == truth["在校"]
        assert int(r["适龄儿童少年数"]) == sum(truth.values())
    villages = [r for r in rows if r["村(社区)"] not in ("（乡镇合计）", "")]
    for r in villages:
        assert int(r["待核查"]) == demo.counts(r["乡镇"], r["村(社区)"])["待核查"]
    total = next(r for r in rows if r["乡镇"] == "全县合计")
    assert int(total["适龄儿童少年数"]) == len(demo.status)
    assert total["在籍但不在户籍名单"] == str(len(demo.not_in_household))
    assert app.chart.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"待核查 {sum(1 for s in demo.status.values() if s == '待核查')} 人" in app.status.value


def test_to_verify_tab_filters_by_township_and_village_key_groups_first(line, app):
    demo = line.demo
    town = demo.township_of[demo.key_group_child]
    app.township.value = town
    assert set(app.village.options) - {ALL} == {v["name"] for v in app.result.villages if v["township"] == town}
    rows = html_rows(app.verify_table.value)
    assert {r["户籍乡镇"] for r in rows} == {town}
    assert len(rows) == demo.counts(town)["待核查"]
    assert rows[0]["重点人群"] and all(not r["重点人群"] for r in rows[1:])   # the one key-group child first
    app.village.value = demo.village_of[demo.key_group_child]
    rows = html_rows(app.verify_table.value)
    assert {r["户籍村(社区)"] for r in rows} == {demo.village_of[demo.key_group_child]}
    app.township.value = ALL
    assert app.village.value == ALL and app.village.options == (ALL,) and app.village.disabled
    assert len(html_rows(app.verify_table.value)) == sum(1 for s in demo.status.values() if s == "待核查")


def test_screen_is_masked_unless_full_view_is_ticked(line, app):
    ids = _full_ids(line.demo)
    masked = app.verify_table.value + app.findings_table.value + app.mismatch_table.value
    assert not [i for i in ids if i in masked]
    assert line.demo.key_group_of[line.demo.key_group_child] not in app.verify_table.value
    heads = {r["户主姓名"] for rows in line.demo.household.values() for r in rows}
    assert not [h for h in heads if f"<td>{h}</td>" in app.verify_table.value]
    app.unmasked.value = True
    try:
        shown = app.verify_table.value
        assert line.demo.key_group_child in shown and line.demo.hidden[-1] in shown
    finally:
        app.unmasked.value = False


def test_mismatch_and_findings_tabs(line, app):
    demo = line.demo
    mismatch = html_rows(app.mismatch_table.value)
    assert {r["规则编号"] for r in mismatch} == {"H002", "H008"}
    h008 = [r for r in mismatch if r["规则编号"] == "H008"]
    assert [r["学校标识码"] for r in h008] == [demo.count_mismatch[0]]
    findings = html_rows(app.findings_table.value)
    h001 = [r for r in findings if r["规则编号"] == "H001"]
    assert len(h001) == 1 and h001[0]["文件"] == line.paths["household"][0].name and h001[0]["行号"]
    assert any(r["规则编号"] == "F005" and r["工作表"] == model.HOUSEHOLD_LIST.name for r in findings)


def test_export_button_writes_the_ledger_and_the_lists(line, app, tmp_path):
    app.out.value = str(tmp_path / "输出")
    before = _checksums(line.inputs())
    app.export_button.click()
    assert "已导出" in app.status.value, app.status.value
    written = app.written
    ledger = openpyxl.load_workbook(written["ledger"])
    assert {"汇总", "台账", "待核查", "失学辍学", "人籍不一致", "问题清单"} <= set(ledger.sheetnames)
    towns = {t for t in line.county.townships if line.demo.counts(t)["待核查"]}
    assert set(written["checklists"]) == towns
    for town, path in written["checklists"].items():
        assert Path(path).parent == tmp_path / "输出" and town in Path(path).name
    assert _checksums(line.inputs()) == before, "the match must never modify its inputs"


def test_bad_input_is_a_chinese_message_in_the_status_line(line, tmp_path):
    app = line.fill(MatchApp(), tmp_path / "store")
    app.xueji.value = str(tmp_path / "没有这个文件.xlsx")
    assert app.run() is None
    assert "找不到学籍名单文件" in app.status.value and app.export_button.disabled
    app.xueji.value = str(line.paths["xueji"])
    app.household.value = ""
    app.run_button.click()
    assert "户籍名单" in app.status.value and app.result is None
    assert not (tmp_path / "store").exists()


def _status_text(app: MatchApp) -> str:
    return re.sub(r"<style.*?</style>|<[^>]+>", "", app.status.value, flags=re.S)


def test_wrong_paths_and_wrong_kinds_of_file_are_chinese_messages(line, tmp_path):
    """Each field given a wrong path or a file of the wrong kind, as an officer might paste it: the status line says in
    Chinese what is wrong and with which file; no traceback, no operating-system English, nothing written."""
    pdf = tmp_path / "学籍名单.pdf"
    pdf.write_bytes(b"%PDF-1.4 not a workbook")
    csv = tmp_path / "重点人群.csv"
    csv.write_text("身份证号,类别\n1,脱贫户\n", encoding="utf-8")
    text = tmp_path / "说明.txt"
    text.write_text("x", encoding="utf-8")
    household, xueji = line.paths["household"][0], line.paths["xueji"]
    cases = [  # field, value, what the message must say
        ("household", str(tmp_path), ["户籍名单", "是一个文件夹"]),
        ("household", str(xueji), ["户籍名单", "学籍名单.xlsx", "缺少必需的列", "户籍乡镇"]),   # the 学籍 export instead
        ("xueji", str(household), ["学籍名单", household.name, "缺少必需的列", "学校标识码"]),
        ("xueji", str(pdf), ["学籍名单无法读取", "学籍名单.pdf", "不是 Excel 工作簿"]),
        ("register", str(household), ["学校名录", household.name, "找不到表头"]),
        ("inbox", str(text), ["收件夹应是一个文件夹", "说明.txt"]),
        ("elsewhere", str(xueji), ["异地就读名单", "缺少必需的列", "就读学校"]),
        ("key_groups", str(csv), ["重点人群名单无法读取", "重点人群.csv"]),
        ("returns", str(text), ["核查清单返回", "是一个文件"]),
        ("store", str(text), ["历史库应是一个文件夹", "说明.txt"]),
    ]
    for field, value, words in cases:
        store = tmp_path / f"store-{field}"
        app = line.fill(MatchApp(), store)
        getattr(app, field).value = value
        app.run_button.click()
        shown = _status_text(app)
        assert all(w in shown for w in words), (field, value, shown)
        assert "Traceback" not in shown and "Errno" not in shown and "比对完成" not in shown, shown
        assert app.result is None and app.export_button.disabled
        assert not store.exists() or field == "store"
    # export into a file, not a folder
    app = line.fill(MatchApp(), tmp_path / "store-ok")
    app.run_button.click()
    assert "比对完成" in app.status.value
    app.out.value = str(text)
    app.export_button.click()
    shown = _status_text(app)
    assert "导出到文件夹" in shown and "说明.txt" in shown and "是一个文件" in shown and "Errno" not in shown, shown
    assert text.read_text(encoding="utf-8") == "x" and app.written is None


def test_path_lists_accept_lines_semicolons_lists_and_quotes():
    assert path_list('"a.xlsx"\n b.xlsx ;c.xlsx；d.xlsx') == [Path("a.xlsx"), Path("b.xlsx"), Path("c.xlsx"), Path("d.xlsx")]
    assert path_list(["x.xlsx", ""]) == [Path("x.xlsx")] and path_list("") == [] and path_list(None) == []


# ------------------------------------------------------------------------------------------------ papermill
def _execute(tmp_path: Path, **parameters) -> str:
    executed = tmp_path / "executed.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(executed), parameters=parameters, kernel_name="python3",
                               cwd=str(tmp_path), progress_bar=False, execution_timeout=600)
    return executed.read_text(encoding="utf-8")


def test_parameters_cell_names_exactly_the_spec_parameters():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    names = [line.split("=")[0].strip() for line in "".join(cell["source"]).splitlines()
             if "=" in line and not line.lstrip().startswith("#")]
    assert tuple(names) == PARAMETERS


def test_headless_run_writes_the_ledger_and_the_lists(line, tmp_path):
    out = tmp_path / "输出"
    before = _checksums(line.inputs())
    text = _execute(tmp_path, household=[str(p) for p in line.paths["household"]], xueji=str(line.paths["xueji"]),
                    inbox=str(line.inbox), register=str(line.register), month=MONTH, out=str(out),
                    elsewhere=str(line.paths["elsewhere"]), key_groups=str(line.paths["key_groups"]), returns="")
    assert "比对完成" in text and "适龄儿童台账" in text
    ledger = out / f"适龄儿童台账_{MONTH}.xlsx"
    assert ledger.exists()
    ws = openpyxl.load_workbook(ledger)["台账"]
    header_row = next(r for r in range(1, 6) if ws.cell(r, 1).value == model.LEDGER_COLUMNS[0])
    ids = {ws.cell(r, model.LEDGER_COLUMNS.index("身份证号") + 1).value for r in range(header_row + 1, ws.max_row + 1)}
    assert ids - {None} == set(line.demo.status)
    towns = {t for t in line.county.townships if line.demo.counts(t)["待核查"]}
    assert {p.name for p in out.glob("核查清单_*.xlsx")} == {f"核查清单_{t}_{MONTH}.xlsx" for t in towns}
    assert _checksums(line.inputs()) == before


def _listing(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*")) if folder.exists() else []


def test_headless_run_with_a_bad_parameter_fails_in_chinese_and_writes_nothing(line, tmp_path):
    out = tmp_path / "输出"
    store = line.inbox.parent / "baoxue-store"
    before = _listing(store)
    with pytest.raises(papermill.PapermillExecutionError) as err:
        _execute(tmp_path, household=";".join(str(p) for p in line.paths["household"]), xueji=str(line.paths["xueji"]),
                 inbox=str(line.inbox), register=str(line.register), month="2026-13", out=str(out))
    assert "报送月份" in str(err.value) and "YYYY-MM" in str(err.value)
    assert not out.exists()
    with pytest.raises(papermill.PapermillExecutionError) as err:
        _execute(tmp_path, household=str(tmp_path / "无.xlsx"), xueji=str(line.paths["xueji"]), inbox=str(line.inbox),
                 register=str(line.register), month=MONTH, out=str(out))
    assert "找不到户籍名单文件" in str(err.value)
    assert not out.exists() and _listing(store) == before


def test_notebook_without_out_only_builds_the_app(tmp_path):
    text = _execute(tmp_path)
    assert "比对完成" not in text and "Traceback" not in text


# ------------------------------------------------------------------------------------------------ roll-up trend
def test_rollup_trend_adds_to_verify_and_enrolment_rate_from_stored_ledgers(line, app, tmp_path):
    from baoxue.rollup import Store
    from baoxue.rollup.trend import trend_with_ledger, with_ledger
    store = Store(app.result.store_dir)
    assert MONTH in store.ledger_months()
    rollup = RollupApp(inbox=str(line.inbox), register=str(line.register), month=MONTH, store=app.result.store_dir)
    rollup.run_button.click()
    assert "汇总完成" in rollup.status.value, rollup.status.value
    trend = trend_with_ledger(rollup.result)        # the ledgers read once by the roll-up, into its result
    row = trend[trend["month"] == MONTH].iloc[0]
    assert int(row["to_verify"]) == sum(1 for s in line.demo.status.values() if s == "待核查")
    assert row["enrolment_rate"] == app.result.county["enrolment_rate"]
    assert "open_cases" in trend.columns          # the roll-up's own figures stay
    town = line.county.townships[0]
    by_town = with_ledger(None, rollup.result, town)
    assert int(by_town.iloc[0]["to_verify"]) == line.demo.counts(town)["待核查"]
    assert rollup.trend_image.value[:8] == b"\x89PNG\r\n\x1a\n"
