"""The four buttons through xlwings' own script call path (``custom_scripts_call``, as xlwings Lite and xlwings Server
run them) on ``xw.Book(json=payload)`` built from real .xlsx files; assertions on ``book.json()`` actions, and on the
book as the Excel client would have it after performing them (``apply_actions``).

Test-only: ``XLWINGS_LICENSE_KEY=noncommercial`` (xlwings' own key for noncommercial use) — see test_addin_payload.py.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment

from test_addin_payload import apply_actions, payload_from_xlsx, planted, remote_book, write_book  # noqa: I001

import xlwings as xw  # noqa: E402  (after test_addin_payload set the server runtime)
from xlwings.server import custom_scripts_call  # noqa: E402

from baoxue import edits, model  # noqa: E402
from baoxue.carry import carry_forward  # noqa: E402
from baoxue.policy import DEFAULT  # noqa: E402
from baoxue.reader import parse_grid, read_workbook  # noqa: E402
from baoxue.stamp import verify  # noqa: E402
from baoxue.update import update_workbook  # noqa: E402
from baoxue.validators import validate, validate_file  # noqa: E402

from baoxue.addin import actions as A  # noqa: E402
from baoxue.addin import bridge, scripts  # noqa: E402


def run_script(name: str, payload: dict):
    """Run a button as xlwings Lite / Server does; return (book, actions)."""
    book = remote_book(payload)
    result = asyncio.run(custom_scripts_call(scripts, name, typehint_to_value={xw.Book: book}))
    assert result is book
    return book, book.json()["actions"]


def sheet_rows(payload: dict, name: str) -> list[list]:
    return next(s for s in payload["sheets"] if s["name"] == name)["values"]


def table_rows(payload: dict) -> list[tuple]:
    """The 校验结果 rows as the clerk sees them, under its header (a sheet the add-in created has the template's layout)."""
    rows = sheet_rows(payload, model.FINDINGS_SHEET)
    header = next(i for i, r in enumerate(rows) if "规则编号" in r)
    cols = [rows[header].index(c) for c in model.FINDINGS_COLUMNS]
    out = []
    for r in rows[header + 1:]:
        line = tuple(r[j] if j < len(r) else "" for j in cols)
        if any(v != "" for v in line):
            out.append(line)
    return out


def findings_table(payload: dict) -> list[tuple]:
    """The findings in 校验结果 (without the row saying a check was not run)."""
    return [r for r in table_rows(payload) if r[5] != A.UNCHECKED_LEVEL]


def unchecked_rows(payload: dict) -> list[tuple]:
    return [r for r in table_rows(payload) if r[5] == A.UNCHECKED_LEVEL]


def lite_client(monkeypatch, formulas: dict[str, list[list[str]]] | None = None, fail: dict[str, BaseException] | None = None):
    """The xlwings Lite client's answer to ``await rng.get_formula()`` (getRangeData "formulas"): ``formulas`` per sheet
    (A1-anchored grid; none given: no formula anywhere), or ``fail[sheet]`` raised for that sheet."""
    from xlwings.pro import _xlremote
    formulas, fail = formulas or {}, fail or {}

    async def get_formula(self):
        if self.sheet.name in fail:
            raise fail[self.sheet.name]
        rows, cols_ = self.shape
        grid = formulas.get(self.sheet.name, [])
        return [[grid[r][c] if r < len(grid) and c < len(grid[r]) else ""
                 for c in range(self.column - 1, self.column - 1 + cols_)]
                for r in range(self.row - 1, self.row - 1 + rows)]
    monkeypatch.setattr(_xlremote.Range, "get_formula", get_formula)


def expected_table(findings) -> list[tuple]:
    """The CLI's findings as 校验结果 rows, in the types the Excel client gives back (row numbers as numbers)."""
    return [tuple("" if v is None else v for v in r) for r in edits.findings_rows(findings)]


def reread(payload: dict):
    return bridge.read_book(remote_book(payload))


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    path = write_book(tmp_path_factory.mktemp("messy") / "messy.xlsx", planted)
    return path, payload_from_xlsx(path)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    path = write_book(tmp_path_factory.mktemp("clean") / "4401010001_2026-10.xlsx")
    return path, payload_from_xlsx(path)


# ============================================================================================== 校验
def test_validate_writes_the_cli_findings_and_colours_every_offending_cell(messy):
    path, payload = messy
    _, cli = validate_file(path, DEFAULT)
    assert any(f.is_error for f in cli) and any(not f.is_error for f in cli)
    book, actions = run_script("bx_validate", payload)
    after, record = apply_actions(payload, actions)

    assert findings_table(after) == expected_table(cli)

    parsed = read_workbook(path)
    for f in cli:
        where = edits.cell_of(parsed, f)
        if where is None:
            continue
        key = (f.sheet, *where)
        worst = "error" if any(g.is_error and edits.cell_of(parsed, g) == where and g.sheet == f.sheet for g in cli) \
            else "warning"
        assert record["fills"].get(key) == "#" + edits.MARK_FILLS[worst][2:], key
        assert f.rule in record["notes"][key] and f.message in record["notes"][key]

    n_err = sum(f.is_error for f in cli)
    n_warn = len(cli) - n_err
    assert len(record["alerts"]) == 1
    alert = record["alerts"][0]
    assert f"错误 {n_err} 条" in alert and f"警告 {n_warn} 条" in alert and "不能报送" in alert
    # nothing but marks and the findings table was written: the clerk's data is untouched
    assert [f.to_dict() for f in validate(reread(after), DEFAULT)] == [f.to_dict() for f in cli]


def test_validate_clean_book_says_so(clean, monkeypatch):
    path, payload = clean
    lite_client(monkeypatch)                                   # xlwings Lite: the formulas are read (there are none)
    _, cli = validate_file(path, DEFAULT)
    _, actions = run_script("bx_validate", payload)
    after, record = apply_actions(payload, actions)
    assert table_rows(after) == expected_table(cli) == []
    assert not record["fills"] and not record["notes"]
    assert record["alerts"] == ["校验完成：没有发现问题。可以报送。"]


# ============================================================================================== formulas not read: F013
def test_without_formulas_the_alert_and_the_table_say_f013_was_not_checked(clean):
    """xlwings Server (and any engine without on-demand reads) never gives the formulas: say so, do not look clean."""
    path, payload = clean
    _, actions = run_script("bx_validate", payload)
    after, record = apply_actions(payload, actions)
    alert = record["alerts"][0]
    assert alert.startswith("校验完成：没有发现问题。") and "F013" in alert and "没有检查" in alert
    note = A.formulas_note(model.CLERK_SHEETS)
    assert alert.endswith(note) and "封面和各数据表" in note
    assert unchecked_rows(after) == [("", "", "", "", "F013", A.UNCHECKED_LEVEL, "", note)]
    assert table_rows(after)[0] == unchecked_rows(after)[0]    # first, where the clerk looks
    # 更新 and 报送 say it as well
    _, actions = run_script("bx_update", payload)
    after, record = apply_actions(payload, actions)
    assert "F013" in record["alerts"][0] and unchecked_rows(after)
    _, actions = run_script("bx_submit", payload)
    after, record = apply_actions(payload, actions)
    assert "F013" in record["alerts"][0] and "另存为" in record["alerts"][0] and unchecked_rows(after)


def _formula_book(tmp_path, lo_convert):
    """A book with formula cells on 辍学 (rows 4, 5) and 送教记录 (row 4), as Excel saves it (cached values)."""
    src = write_book(tmp_path / "src.xlsx")
    wb = openpyxl.load_workbook(src)
    parsed = read_workbook(src)
    cols = parsed.header_columns["辍学"]
    wb["辍学"].cell(4, cols["监护人电话"]).value = "=13900001111+0"
    wb["辍学"].cell(5, cols["姓名"]).value = '="李"&"小红"'
    wb["送教记录"].cell(4, parsed.header_columns["送教记录"]["送教教师"]).value = '="王"&"老师"'
    wb.save(src)
    path = lo_convert(src, "xlsx", tmp_path / "lo")
    formulas = {ws.title: [[c.value if isinstance(c.value, str) and c.value.startswith("=") else "" for c in row]
                           for row in ws.iter_rows()] for ws in openpyxl.load_workbook(path).worksheets}
    return path, formulas


def test_a_failed_lite_formula_read_is_named_and_the_other_sheets_still_checked(tmp_path, monkeypatch, lo_convert):
    class JsException(Exception):                              # pyodide.ffi.JsException, as xlwings Lite raises it
        pass
    monkeypatch.setattr(bridge, "FORMULA_READ_ERRORS", (NotImplementedError, JsException))
    path, formulas = _formula_book(tmp_path, lo_convert)
    lite_client(monkeypatch, formulas, fail={"辍学": JsException("getRangeData failed")})
    _, cli = validate_file(path, DEFAULT)
    assert sorted((f.sheet, f.row) for f in cli if f.rule == "F013") == [("辍学", 4), ("辍学", 5), ("送教记录", 4)]
    payload = payload_from_xlsx(path)
    _, actions = run_script("bx_validate", payload)
    after, record = apply_actions(payload, actions)
    assert findings_table(after) == expected_table([f for f in cli if not (f.rule == "F013" and f.sheet == "辍学")])
    assert "“辍学”" in record["alerts"][0] and "F013" in record["alerts"][0]
    assert [r[7] for r in unchecked_rows(after)] == [A.formulas_note(("辍学",))]


def test_an_unexpected_error_while_reading_formulas_is_not_a_silent_clean_read(clean, monkeypatch):
    """Formerly any exception fell back to a read without formulas, and the F013 findings vanished without a word."""
    _, payload = clean
    lite_client(monkeypatch, fail={"辍学": RuntimeError("bug")})
    _, actions = run_script("bx_validate", payload)
    assert [a["func"] for a in actions] == ["alert"]                     # nothing written from a partial read
    assert actions[0]["args"][0].startswith("操作未完成") and "RuntimeError" in actions[0]["args"][0]


def test_revalidate_clears_old_marks_but_keeps_the_clerks_own(tmp_path):
    """After a fix, the old mark goes (fill reset, baoxue's note deleted); a clerk's own note on an offending cell stays."""
    def edit(cover, rows):
        planted(cover, rows)
    path = write_book(tmp_path / "b.xlsx", edit)
    parsed = read_workbook(path)
    cli = validate(parsed, DEFAULT)
    f_phone = next(f for f in cli if f.rule == "F010")
    f_status = next(f for f in cli if f.rule == "F002")
    phone_cell = edits.cell_of(parsed, f_phone)
    status_cell = edits.cell_of(parsed, f_status)
    wb = openpyxl.load_workbook(path)
    wb["辍学"].cell(*status_cell).comment = Comment("家长说下周回来", "王芳")   # the clerk's own note
    wb.save(path)

    payload = payload_from_xlsx(path)
    _, actions = run_script("bx_validate", payload)
    first, record = apply_actions(payload, actions)
    assert ("辍学", *status_cell) not in record["notes"]                # the clerk's note was not replaced
    assert ("辍学", *status_cell) not in record["deleted_notes"]
    assert record["fills"][("辍学", *status_cell)] == "#FFC7CE"          # but the cell is coloured
    assert ("辍学", *phone_cell) in record["notes"]

    # the clerk fixes the phone number in Excel, then validates again
    sheet_rows(first, "辍学")[phone_cell[0] - 1][phone_cell[1] - 1] = "13912345678"
    _, actions = run_script("bx_validate", first)
    second, record2 = apply_actions(first, actions)
    assert record2["fills"][("辍学", *phone_cell)] is None              # old mark cleared
    assert ("辍学", *phone_cell) in record2["deleted_notes"]
    assert ("辍学", *phone_cell) not in record2["notes"]
    assert ("辍学", *status_cell) not in record2["deleted_notes"]       # still the clerk's
    assert all(r[4] != "F010" for r in findings_table(second))


# ============================================================================================== 更新
def test_update_writes_what_baoxue_update_writes(tmp_path):
    path = write_book(tmp_path / "u.xlsx", planted)
    file_copy = tmp_path / "u-cli.xlsx"
    shutil.copy(path, file_copy)
    payload = payload_from_xlsx(path)
    _, actions = run_script("bx_update", payload)
    after, record = apply_actions(payload, actions)

    result = update_workbook(file_copy, policy=DEFAULT)       # the command on the same file
    assert result.filled > 0
    live = reread(after)
    on_file = read_workbook(file_copy)
    for name in model.SHEETS:
        for column in model.SHEETS[name].column_names:
            assert live.frame(name)[column].tolist() == on_file.frame(name)[column].tolist(), (name, column)
    assert findings_table(after) == expected_table(result.findings)
    # the derived birth date landed in the dropout row that lacked it, as a date
    row = live.frame("辍学").iloc[2]
    assert isinstance(row["出生日期"], dt.date)
    col = live.header_columns["辍学"]["出生日期"]
    assert record["formats"][("辍学", int(row["_row"]), col)] == edits.DATE_FORMAT
    assert "补填" in record["alerts"][0] and f"{result.filled} 个单元格" in record["alerts"][0]
    summary = sheet_rows(after, model.SUMMARY_SHEET)
    assert any(edits.PYTHON_VALUE_HEADER in r for r in summary)


# ============================================================================================== 报送
def test_submit_refuses_a_book_with_errors(messy):
    _, payload = messy
    _, actions = run_script("bx_submit", payload)
    after, record = apply_actions(payload, actions)
    assert model.STAMP_SHEET not in [s["name"] for s in after["sheets"]]
    assert record["alerts"][0].startswith("不能报送") and record["fills"]


def test_submit_stamps_the_live_book_and_says_how_to_save_it(clean):
    path, payload = clean
    _, actions = run_script("bx_submit", payload)
    after, record = apply_actions(payload, actions)
    stamp_sheet = next(s for s in after["sheets"] if s["name"] == model.STAMP_SHEET)
    assert stamp_sheet["visibility"] == "Hidden"
    alert = record["alerts"][0]
    assert "另存为" in alert and "4401010001_2026-10.xlsx" in alert

    saved = reread(after)                       # the copy the clerk saves: exactly this content
    check = verify(saved)
    assert check.ok, check.reason_zh
    # any data edit after stamping breaks it
    rows = sheet_rows(after, "辍学")
    header = saved.header_rows["辍学"]
    col = saved.header_columns["辍学"]["监护人电话"]
    rows[header][col - 1] = "13800000000"
    assert not verify(reread(after)).ok


# ============================================================================================== 生成下月
def test_next_month_refuses_to_touch_this_months_book(clean):
    _, payload = clean
    _, actions = run_script("bx_next_month", payload)
    assert [a["func"] for a in actions] == ["alert"]
    assert "另存为" in actions[0]["args"][0] and "2026-11" in actions[0]["args"][0]


def test_next_month_rewrites_the_saved_copy_like_baoxue_next_month(clean, tmp_path):
    path, payload = clean
    payload = dict(payload, book=dict(payload["book"], name="4401010001_2026-11.xlsx"))
    _, actions = run_script("bx_next_month", payload)
    after, record = apply_actions(payload, actions)
    live = reread(after)
    expected = carry_forward(read_workbook(path))
    assert live.month == "2026-11" and live.cover["零报告"] is None and live.cover["填报日期"] is None
    for name in model.SHEETS:
        got = [tuple(r) for r in live.frame(name)[model.SHEETS[name].column_names].itertuples(index=False)]
        want = [tuple(rec.get(c) for c in model.SHEETS[name].column_names) for rec in expected.rows[name]]
        assert got == want, name
    assert "已转为 2026-11 月工作簿" in record["alerts"][0]
    assert not [f for f in validate(live, DEFAULT) if f.rule in ("F003", "F004", "F013")]


def test_a_crash_becomes_a_chinese_alert(clean, monkeypatch):
    _, payload = clean
    from baoxue.addin import actions as A

    def boom(*a, **k):
        raise RuntimeError("x")
    monkeypatch.setattr(A, "update_book", boom)
    _, actions = run_script("bx_update", payload)
    assert actions[-1]["func"] == "alert" and "操作未完成" in actions[-1]["args"][0]


def test_grid_of_written_payload_round_trips(clean):
    """The client simulator itself: values written as text keep their text, dates become dates."""
    _, payload = clean
    book = remote_book(payload)
    sheet = book.sheets["辍学"]
    sheet.range((4, 1)).value = bridge.xl_value("=HYPERLINK(1)")
    sheet.range((4, 2)).value = bridge.xl_value("2026-10")
    sheet.range((4, 3)).value = bridge.xl_value(dt.date(2026, 10, 9))
    after, _ = apply_actions(payload, book.json()["actions"])
    grid = bridge.grid_from_book(remote_book(after))
    assert grid.sheets["辍学"][3][:3] == ["=HYPERLINK(1)", "2026-10", dt.datetime(2026, 10, 9)]
    assert parse_grid(grid).frame("辍学") is not None


# ============================================================================================== formulas (Lite) and desktop
def test_lite_finds_formula_cells_like_the_file_reader(tmp_path, monkeypatch, lo_convert):
    """xlwings Lite fetches formulas on demand (``await get_formula()``); with the client's answer simulated from the
    file, the button reports the same F013 findings as ``baoxue validate`` — and no "not checked" note."""
    path, formulas = _formula_book(tmp_path, lo_convert)
    lite_client(monkeypatch, formulas)
    _, cli = validate_file(path, DEFAULT)
    assert sorted((f.sheet, f.row, f.column) for f in cli if f.rule == "F013") == [
        ("辍学", 4, "监护人电话"), ("辍学", 5, "姓名"), ("送教记录", 4, "送教教师")]
    payload = payload_from_xlsx(path)
    _, actions = run_script("bx_validate", payload)
    after, record = apply_actions(payload, actions)
    assert table_rows(after) == expected_table(cli)
    assert "没有检查" not in record["alerts"][0] and not unchecked_rows(after)


class DesktopLike:
    """A workbook as the classic desktop add-in sees it: saved on disk (``fullname`` is a path), not the JSON engine.
    Cell access goes to a remote book built from the same file (no Excel on Linux)."""

    def __init__(self, path: Path):
        self.payload = payload_from_xlsx(path)
        self._book = remote_book(self.payload)
        self.fullname = str(path)
        self.name = path.name
        self.saves = 0
        self.closed = False

        class _Impl:
            api = None
        self.impl = _Impl()

    @property
    def sheets(self):
        return self._book.sheets

    @property
    def app(self):
        return self._book.app

    def save(self):
        self.saves += 1

    def close(self):
        self.closed = True

    def alerts(self):
        return [a["args"][0] for a in self._book.json()["actions"] if a["func"] == "alert"]


def test_desktop_submit_saves_and_writes_the_stamped_copy_like_baoxue_submit(tmp_path):
    from baoxue.addin import actions
    from baoxue.submit import verify_file
    path = write_book(tmp_path / "4401010001_2026-10.xlsx")
    book = DesktopLike(path)
    out = actions.submit_book(book)
    assert out.ok and book.saves == 2                      # saved before the copy, and with the stamp after it
    added = [a["args"][1] for a in book._book.json()["actions"] if a["func"] == "addSheet"]
    assert added == [model.STAMP_SHEET]
    copy = tmp_path / "报送" / "4401010001_2026-10.xlsx"
    assert out.details["out_path"] == copy and verify_file(copy).ok
    assert book.alerts() == [out.message] and str(copy) in out.message


VBA = b"\xd0\xcf\x11\xe0 a VBA project: baoxue_buttons, xlwings_udfs"


def workbook_with_macros(tmp_path: Path, name: str) -> Path:
    """This month's workbook as the desktop route has it: an .xlsm carrying a VBA project (xl/vbaProject.bin)."""
    xlsx = write_book(tmp_path / "plain.xlsx")
    path = tmp_path / name
    with zipfile.ZipFile(xlsx) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        if path.suffix == ".xlsm":
            dst.writestr("xl/vbaProject.bin", VBA)
    xlsx.unlink()
    return path


@pytest.mark.parametrize("suffix", [".xlsm", ".xlsx"])
def test_desktop_next_month_is_a_copy_of_this_workbook_rewritten_for_next_month(tmp_path, monkeypatch, suffix):
    """The new month keeps what this workbook carries (an .xlsm's VBA buttons and imported functions): it is this
    file copied, opened in Excel and rewritten exactly as the Lite route rewrites its copy; this month is untouched."""
    from baoxue.addin import actions
    path = workbook_with_macros(tmp_path, f"本月{suffix}")
    before = path.read_bytes()
    opened = []

    def open_book(p):
        assert Path(p).read_bytes() == before                  # byte for byte: VBA project, shapes, layout
        opened.append(DesktopLike(Path(p)))
        return opened[-1]
    monkeypatch.setattr(bridge, "open_book", open_book)
    this = DesktopLike(path)
    out = actions.next_month_book(this)
    target = tmp_path / f"4401010001_2026-11{suffix}"
    assert out.ok and out.details["out_path"] == target and target.exists()
    with zipfile.ZipFile(target) as zf:
        assert (zf.read("xl/vbaProject.bin") == VBA) if suffix == ".xlsm" else "xl/vbaProject.bin" not in zf.namelist()
    new = opened[0]
    assert new.saves == 1 and not new.closed
    after, _ = apply_actions(new.payload, new._book.json()["actions"])
    live = reread(after)
    expected = carry_forward(read_workbook(path))
    assert live.month == "2026-11" and live.cover["零报告"] is None and live.cover["填报日期"] is None
    for name in model.SHEETS:
        got = [tuple(r) for r in live.frame(name)[model.SHEETS[name].column_names].itertuples(index=False)]
        assert got == [tuple(rec.get(c) for c in model.SHEETS[name].column_names) for rec in expected.rows[name]], name
    # this month's workbook: nothing but the alert, and its file unchanged
    # (the simulated remote App sends alerts with the newest book, so only "no writes" is checked on this one)
    assert [a for a in this._book.json()["actions"] if a["func"] != "alert"] == [] and this.saves == 0
    assert path.read_bytes() == before
    assert str(target) in out.message and "本月工作簿没有改动" in out.message
    assert ("按钮" in out.message) == (suffix == ".xlsm")
    # never overwritten
    again = actions.next_month_book(DesktopLike(path))
    assert not again.ok and "已存在" in again.message and len(opened) == 1


def test_desktop_next_month_leaves_no_half_made_copy(tmp_path, monkeypatch):
    from baoxue.addin import actions
    path = workbook_with_macros(tmp_path, "本月.xlsm")
    opened = []

    def open_book(p):
        opened.append(DesktopLike(Path(p)))
        return opened[-1]
    monkeypatch.setattr(bridge, "open_book", open_book)

    def broken(*a, **k):
        raise OSError("Excel stopped")
    monkeypatch.setattr(bridge, "rewrite_for_month", broken)
    out = actions.safe(actions.next_month_book, DesktopLike(path))
    assert not out.ok and out.message.startswith("操作未完成")
    assert not (tmp_path / "4401010001_2026-11.xlsm").exists() and opened[0].closed and opened[0].saves == 0


def test_findings_caption_names_the_policy_fingerprint(messy):
    _, payload = messy
    after, _ = apply_actions(payload, run_script("bx_validate", payload)[1])
    rows = sheet_rows(after, model.FINDINGS_SHEET)
    header = next(i for i, r in enumerate(rows) if "规则编号" in r)
    assert rows[header - 1][0] == edits.findings_caption(DEFAULT)


def test_findings_table_equals_baoxue_validate_json(messy):
    """The 校验结果 rows the button writes are the findings `baoxue validate --json` prints for the same file."""
    import json
    import subprocess
    import sys
    path, payload = messy
    done = subprocess.run([sys.executable, "-m", "baoxue", "validate", str(path), "--json"], capture_output=True,
                          text=True, encoding="utf-8", timeout=300)
    assert done.returncode == 1, done.stderr            # errors present
    printed = json.loads(done.stdout)
    _, actions = run_script("bx_validate", payload)
    after, record = apply_actions(payload, actions)
    as_rows = sorted((f["sheet"] or "", "" if f["row"] is None else f["row"], f["column"] or "", f["cell"] or "", f["rule"],
                      model.SEVERITY_LABELS[f["severity"]], "" if f["value"] is None else f["value"], f["message"])
                     for f in printed["findings"])
    assert sorted(findings_table(after)) == as_rows
    s = printed["summary"]
    assert f"错误 {s['errors']} 条，警告 {s['warnings']} 条" in record["alerts"][0]


def test_cleared_mark_on_a_computed_column_gets_its_grey_back(tmp_path):
    def edit(cover, rows):
        rows["送教上门"][0]["本月送教次数"] = -1                   # F014 on a computed (grey) column
    path = write_book(tmp_path / "c.xlsx", edit)
    parsed = read_workbook(path)
    f014 = next(f for f in validate(parsed, DEFAULT) if f.rule == "F014" and f.column == "本月送教次数")
    cell = ("送教上门", *edits.cell_of(parsed, f014))
    payload = payload_from_xlsx(path)
    first, record = apply_actions(payload, run_script("bx_validate", payload)[1])
    assert record["fills"][cell] == "#FFC7CE"
    sheet_rows(first, "送教上门")[cell[1] - 1][cell[2] - 1] = 2
    _, record2 = apply_actions(first, run_script("bx_validate", first)[1])
    from baoxue.template import COMPUTED_FILL
    assert record2["fills"][cell] == "#" + str(COMPUTED_FILL.fgColor.rgb)[2:]


def test_a_broken_county_policy_is_named_not_a_crash(clean, monkeypatch, tmp_path):
    bad = tmp_path / "county.toml"
    bad.write_text("[deadlines\nnotice_to_next_step_days = ", encoding="utf-8")
    monkeypatch.setenv("BAOXUE_POLICY", str(bad))
    _, payload = clean
    _, actions = run_script("bx_validate", payload)
    assert [a["func"] for a in actions] == ["alert"] and "策略文件" in actions[0]["args"][0]


def test_validate_creates_the_findings_sheet_when_the_clerk_deleted_it(messy):
    path, payload = messy
    payload = dict(payload, sheets=[s for s in payload["sheets"] if s["name"] not in (model.FINDINGS_SHEET, "劝返记录")])
    _, actions = run_script("bx_validate", payload)
    after, _ = apply_actions(payload, actions)
    assert [s["name"] for s in after["sheets"]][-1] == model.FINDINGS_SHEET
    rows = sheet_rows(after, model.FINDINGS_SHEET)
    header = next(i for i, r in enumerate(rows) if "规则编号" in r)
    assert rows[header][:8] == list(model.FINDINGS_COLUMNS)
    assert header >= 1 and f"策略指纹 {DEFAULT.fingerprint}" in rows[header - 1][0]   # the caption above the header
    rules = {r[4] for r in findings_table(after)}
    assert "S001" in rules                                   # 劝返记录 missing, reported, not a crash
