"""The two notebooks executed headless by papermill with a real kernel, as a scheduled job would run them."""
from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import papermill
import pytest

from notebook_helpers import shared_county

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    return shared_county(tmp_path_factory)


def _execute(name: str, tmp_path: Path, **parameters) -> str:
    executed = tmp_path / f"executed-{name}"
    papermill.execute_notebook(str(NOTEBOOKS / name), str(executed), parameters=parameters, kernel_name="python3",
                               cwd=str(tmp_path), progress_bar=False, execution_timeout=300)
    return executed.read_text(encoding="utf-8")


def _header_row(ws, first: str) -> tuple[int, list]:
    for row in ws.iter_rows(min_row=1, max_row=10):
        values = [c.value for c in row]
        if values and values[0] == first:
            return row[0].row, values
    raise AssertionError(f"no header starting with {first!r} in {ws.title}")


def _checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_rollup_notebook_headless_writes_the_report(county, tmp_path):
    out = tmp_path / "月报表" / f"月报表_{county.month}.xlsx"
    before = _checksums(county.inbox)
    text = _execute("月度汇总.ipynb", tmp_path, inbox=str(county.inbox), register=str(county.register),
                    month=county.month, out=str(out))
    assert out.exists()
    assert "汇总完成" in text and "月报表：" in text
    assert _checksums(county.inbox) == before, "a roll-up must never modify its inputs"
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["报送情况", "收到的文件", "乡镇汇总", "学校明细", "在册辍学名单", "逾期预警", "问题清单", "趋势"]
    ws = wb["乡镇汇总"]
    hr, header = _header_row(ws, "乡镇")
    col = header.index("月末在册未销号")
    figures = {r[0].value: r[col].value for r in ws.iter_rows(min_row=hr + 1) if r[0].value}
    open_cases = county.open_cases()
    for town in {s.township for s in county.demo.schools}:
        assert figures[town] == sum(1 for r in open_cases if county.township_of(r["_school"]) == town)
    cells = "\n".join(str(c.value) for s in wb.worksheets for row in s.iter_rows() for c in row if c.value is not None)
    assert not [i for i in county.all_ids() if i in cells], "the report must be masked"


def test_followup_notebook_headless_writes_the_list(county, tmp_path):
    out = tmp_path / "个案跟踪.xlsx"
    text = _execute("个案跟踪.ipynb", tmp_path, inbox=str(county.inbox), register=str(county.register),
                    month=county.month, out=str(out))
    assert out.exists() and "个案名单：" in text
    ws = openpyxl.load_workbook(out)["在册未销号"]
    header = [c.value for c in ws[1]]
    ids = [row[header.index("身份证号")] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert len(ids) == len(county.open_cases())
    assert not set(ids) & county.all_ids() and all("*" in i for i in ids)


def test_notebook_without_out_only_builds_the_app(tmp_path):
    """Opened interactively (no parameters) the notebook shows the app and runs nothing."""
    text = _execute("月度汇总.ipynb", tmp_path)
    assert "汇总完成" not in text and "Traceback" not in text


def test_headless_run_with_bad_inputs_fails_with_a_chinese_message(county, tmp_path):
    with pytest.raises(papermill.PapermillExecutionError) as err:
        _execute("月度汇总.ipynb", tmp_path, inbox=str(tmp_path / "无"), register=str(county.register),
                 month=county.month, out=str(tmp_path / "r.xlsx"))
    assert "收件夹不存在" in str(err.value)
    assert not (tmp_path / "r.xlsx").exists()


def test_headless_run_with_a_malformed_month_fails_and_writes_nothing(county, tmp_path):
    """``-p month 2026-9`` is a Chinese error with a non-zero exit: no report, no month added to the history store
    (it used to roll up the current month silently)."""
    from baoxue.rollup import Store
    store = tmp_path / "库"
    with pytest.raises(papermill.PapermillExecutionError) as err:
        _execute("月度汇总.ipynb", tmp_path, inbox=str(county.inbox), register=str(county.register),
                 month="2026-9", out=str(tmp_path / "r.xlsx"), store=str(store))
    assert "报送月份“2026-9”格式不对" in str(err.value)
    assert not (tmp_path / "r.xlsx").exists()
    assert not store.exists() or Store(store).months() == []
