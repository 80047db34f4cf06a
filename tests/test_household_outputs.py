"""The household line's outputs (SPEC §8.4, §8.5) on real files: the 核查清单 per township opens in headless LibreOffice
with its dropdowns, is read back by the same reader, and a township's filled-in return lowers 待核查 on the next run;
the 适龄儿童台账 workbook has its six sheets, all marked internal; writes keep a backup; outputs never go into inputs."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from baoxue import model, normalize, template
from baoxue.household import run_match, write_outputs
from baoxue.household.outputs import LEDGER_SHEETS, checklist_name, ledger_name
from baoxue.paths import OutputPathError
from baoxue.reader import read_list

from household_helpers import MONTH, build_county


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    c = build_county(tmp_path_factory.mktemp("household-out"))
    result = run_match(**c.kwargs())
    files = write_outputs(result, c.root / "out")
    return c, result, files


def _column(name: str) -> int:
    return model.CHECKLIST.column_names.index(name) + 1


def _covers(dv, row: int, col: int) -> bool:
    from openpyxl.utils.cell import range_boundaries
    for rng in str(dv.sqref).split():
        c1, r1, c2, r2 = range_boundaries(rng)
        if c1 <= col <= c2 and r1 <= row <= r2:
            return True
    return False


def test_one_checklist_per_township_that_needs_one(written):
    c, result, files = written
    assert set(files["checklists"]) == {"城关镇", "河口乡"}
    for township, path in files["checklists"].items():
        assert path.name == checklist_name(township, MONTH) == f"核查清单_{township}_{MONTH}.xlsx"
    assert files["ledger"].name == ledger_name(MONTH)
    assert result.files is files


def test_checklist_layout(written):
    c, result, files = written
    wb = load_workbook(files["checklists"]["城关镇"])
    assert wb.sheetnames == [model.CHECKLIST.name, model.CODES_SHEET]
    assert wb[model.CODES_SHEET].sheet_state == "hidden"
    ws = wb[model.CHECKLIST.name]
    assert "城关镇" in ws.cell(template.TITLE_ROW, 1).value
    assert "不得外传" in ws.cell(template.NOTE_ROW, 1).value
    assert [ws.cell(template.HEADER_ROW, j).value for j in range(1, len(model.CHECKLIST.columns) + 1)] \
        == model.CHECKLIST.column_names
    rows = result.to_verify[result.to_verify["户籍乡镇"] == "城关镇"]
    first = template.FIRST_INPUT_ROW
    ids = [ws.cell(first + i, _column("身份证号")).value for i in range(len(rows))]
    assert ids == list(rows["身份证号"])
    assert all(isinstance(v, str) for v in ids)
    assert ws.cell(first, _column("身份证号")).number_format == "@"
    assert ws.cell(first + len(rows), _column("姓名")).value is None
    # locked header and filled columns, unlocked input columns, protected sheet, printable
    assert ws.protection.sheet
    assert ws.cell(template.HEADER_ROW, _column("核查结果")).protection.locked
    assert ws.cell(first, _column("身份证号")).protection.locked
    for name in ("核查结果", "就读学校", "证明材料", "核查日期", "备注"):
        letter = get_column_letter(_column(name))
        assert ws.column_dimensions[letter].protection.locked is False, name
    assert ws.print_title_rows and ws.page_setup.orientation == "landscape"
    kinds = {(dv.type, dv.formula1) for dv in ws.data_validations.dataValidation
             if _covers(dv, first, _column("核查结果")) or _covers(dv, first, _column("核查日期"))}
    assert ("list", template.code_name("核查结果")) in kinds and any(t == "date" for t, _ in kinds)


def test_checklist_opens_in_libreoffice_and_round_trips_through_the_reader(written, lo_convert):
    c, result, files = written
    converted = lo_convert(files["checklists"]["河口乡"], "xlsx")
    wb = load_workbook(converted)
    assert wb[model.CODES_SHEET].sheet_state == "hidden"
    ws = wb[model.CHECKLIST.name]
    j = _column("核查结果")
    assert any(dv.type == "list" and _covers(dv, 10, j) and template.code_name("核查结果") in (dv.formula1 or "")
               for dv in ws.data_validations.dataValidation)
    assert any(dv.type == "list" and _covers(dv, 10, _column("证明材料")) for dv in ws.data_validations.dataValidation)
    dn = wb.defined_names[template.code_name("核查结果")]
    (sheet, ref), = list(dn.destinations)
    values = [cell.value for row in wb[sheet][ref.replace("$", "")] for cell in row]
    assert values == list(model.CODE_LISTS["核查结果"])
    book, sheet_read = read_list(converted, model.CHECKLIST)
    df = book.sheets[model.CHECKLIST.name]
    assert sheet_read == model.CHECKLIST.name and book.missing_columns[model.CHECKLIST.name] == []
    expected = result.to_verify[result.to_verify["户籍乡镇"] == "河口乡"]
    assert list(df["身份证号"]) == list(expected["身份证号"])
    assert list(df["比对情况"]) == [normalize.text(v) for v in expected["比对情况"]]   # §2.9: half-width on input
    assert list(df["出生日期"]) == list(expected["出生日期"])


def test_a_filled_return_lowers_to_verify(written, tmp_path, lo_convert):
    """A township fills its list (as LibreOffice saved it) and sends it back: the next run has fewer 待核查."""
    c, result, files = written
    src = lo_convert(files["checklists"]["城关镇"], "xlsx")
    wb = load_workbook(src)
    ws = wb[model.CHECKLIST.name]
    r = template.FIRST_INPUT_ROW
    filled = ws.cell(r, _column("身份证号")).value
    ws.cell(r, _column("核查结果")).value = "县外就读已核实"
    ws.cell(r, _column("就读学校")).value = "昆明市盘龙区小学"
    ws.cell(r, _column("就读地区")).value = "云南省昆明市"
    ws.cell(r, _column("证明材料")).value = "有"
    ws.cell(r, _column("核查人")).value = "李干事"
    ws.cell(r, _column("核查日期")).value = dt.date(2026, 9, 29)
    (c.returns / "第二批").mkdir(exist_ok=True)
    wb.save(c.returns / "第二批" / src.name)
    again = run_match(**c.kwargs(store=tmp_path / "store"))
    before = {t["name"]: t["to_verify"] for t in result.townships}
    after = {t["name"]: t["to_verify"] for t in again.townships}
    assert after["城关镇"] == before["城关镇"] - 1 and after["河口乡"] == before["河口乡"]
    led = again.ledger.set_index("身份证号")
    assert led.at[filled, "台账状态"] == "县外就读" and led.at[filled, "就读学校"] == "昆明市盘龙区小学"


def test_ledger_workbook_sheets(written):
    c, result, files = written
    wb = load_workbook(files["ledger"])
    assert wb.sheetnames == list(LEDGER_SHEETS)
    for ws in wb:
        assert "不得外传" in ws.cell(2, 1).value, ws.title
    ws = wb["台账"]
    assert [ws.cell(3, j).value for j in range(1, len(model.LEDGER_COLUMNS) + 1)] == list(model.LEDGER_COLUMNS)
    assert ws.max_row - 3 == len(result.ledger)
    ids = [ws.cell(r, 3).value for r in range(4, ws.max_row + 1)]
    assert ids == list(result.ledger["身份证号"]) and all(isinstance(v, str) for v in ids)
    summary = wb["汇总"]
    assert summary.cell(4, 1).value == "全县" and summary.cell(4, 4).value == result.county["school_age"]
    assert wb["失学辍学"].max_row - 3 == result.county["out_of_school"]
    assert wb["问题清单"].max_row - 3 == len(result.findings)
    assert wb["人籍不一致"].max_row - 3 == len(result.mismatch) == 2


def test_rewriting_keeps_a_backup(written, tmp_path):
    c, result, files = written
    out = files["ledger"].parent
    write_outputs(result, out)
    backups = sorted(p.name for p in out.iterdir() if ".备份-" in p.name)
    assert any(n.startswith(f"适龄儿童台账_{MONTH}.备份-") for n in backups)
    assert any(n.startswith(f"核查清单_城关镇_{MONTH}.备份-") for n in backups)


def test_outputs_refused_inside_the_inputs(written, tmp_path):
    c, result, _files = written
    for folder in (c.inbox / "out", c.returns, c.root / "store"):
        with pytest.raises(OutputPathError, match="之内"):
            write_outputs(result, folder)
        assert not (folder / ledger_name(MONTH)).exists()
    # an output equal to an input: a household list named as the ledger is never overwritten
    clash = tmp_path / ledger_name(MONTH)
    clash.write_bytes(c.household[0].read_bytes())
    again = type(result)(**{**result.__dict__, "inputs": {**result.inputs, "household": [str(clash)]}})
    with pytest.raises(OutputPathError, match="就是输入文件"):
        write_outputs(again, tmp_path)
    assert clash.read_bytes() == c.household[0].read_bytes()
    assert not list(tmp_path.glob("核查清单_*"))


def test_returns_folder_may_be_the_output_folder(written, tmp_path):
    """The officer collects the returned lists where match writes: its own ledger is not a return (no S002) and its
    unfilled lists change nothing."""
    c, result, files = written
    again = run_match(**c.kwargs(returns=files["ledger"].parent, store=tmp_path / "store"))
    assert not [f for f in again.findings if f.rule in ("S002", "S005")]
    # the townships' own returns are not in that folder: every child a 核查结果 accounted for is 待核查 again
    by_result = int((result.ledger["依据"] == "核查结果").sum())
    assert by_result and again.county["to_verify"] == result.county["to_verify"] + by_result


def test_ledger_opens_in_libreoffice_with_its_ids_as_text(written, lo_convert, tmp_path):
    """The ledger's long sheets are streamed in as sheet XML (``xlsx_rows``): an independent client opens the
    workbook, reads every sheet as written, and keeps every 身份证号 as text (an ID with a leading zero or an X never
    becomes a number)."""
    c, result, files = written
    ours = load_workbook(files["ledger"])
    back = load_workbook(lo_convert(files["ledger"], "xlsx", tmp_path / "lo"))
    assert back.sheetnames == list(LEDGER_SHEETS)
    def values(ws):   # LibreOffice keeps no empty-string cell
        return [[None if x.value == "" else x.value for x in r] for r in ws.iter_rows()]
    for ws in ours.worksheets:
        assert values(back[ws.title]) == values(ws), ws.title
    ws = back["台账"]
    j = list(model.LEDGER_COLUMNS).index("身份证号") + 1
    cells = [ws.cell(r, j) for r in range(4, ws.max_row + 1)]
    assert [x.value for x in cells] == list(result.ledger["身份证号"])
    assert cells and all(x.data_type == "s" for x in cells)
    born = list(model.LEDGER_COLUMNS).index("出生日期") + 1
    assert any(isinstance(ws.cell(r, born).value, dt.datetime) for r in range(4, ws.max_row + 1))
    assert ws.freeze_panes == ours["台账"].freeze_panes or ws.freeze_panes is None   # LO headless may drop panes
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$3"
    assert ws.auto_filter.ref == ours["台账"].auto_filter.ref


def test_a_child_found_door_to_door_outside_the_lists_is_reported_not_lost(written, tmp_path):
    """A township adds rows under its list's printed rows, as it would after the door-to-door check: a child it found
    who is in no 户籍名单, and one whose ID it could not get. Each is one H010 (error) at its file and Excel row, in the
    ledger's 问题清单, in the stored findings, in the CLI summary and the notebook's status line; neither enters the
    ledger. A mistyped ID (wrong check digit) is F005, not H010; a return for a listed child is no H010."""
    from baoxue.commands.match import summary_lines
    from baoxue.household.notebook import MatchApp
    from baoxue.rollup import Store
    from household_helpers import person_id

    c, result, files = written
    wb = load_workbook(files["checklists"]["城关镇"])
    ws = wb[model.CHECKLIST.name]
    first = template.FIRST_INPUT_ROW
    listed = ws.cell(first, _column("身份证号")).value
    ws.cell(first, _column("核查结果")).value = "死亡"            # a listed child: applied, no H010
    ws.cell(first, _column("证明材料")).value = "有"
    ws.cell(first, _column("核查日期")).value = dt.date(2026, 9, 25)
    new_child = person_id(950, age=9)
    below = first + sum(1 for r in range(first, ws.max_row + 1) if ws.cell(r, _column("身份证号")).value)
    added = {below: {"姓名": "田新苗", "身份证号": new_child, "户籍乡镇": "城关镇", "户籍村(社区)": "东风村",
                     "核查结果": "失学辍学", "核查人": "李干事", "核查日期": dt.date(2026, 9, 26)},
             below + 1: {"姓名": "石小满", "户籍乡镇": "城关镇", "户籍村(社区)": "西街社区", "核查结果": "县内就读",
                         "就读学校": "城关小学", "核查日期": dt.date(2026, 9, 26)},
             below + 2: {"姓名": "错号娃", "身份证号": new_child[:17] + ("1" if new_child[17] != "1" else "2"),
                         "户籍乡镇": "城关镇", "核查结果": "县内就读", "核查日期": dt.date(2026, 9, 26)}}
    for r, cells in added.items():
        for name, value in cells.items():
            ws.cell(r, _column(name)).value = value
    returns = tmp_path / "交回" / "城关镇"
    returns.mkdir(parents=True)
    wb.save(returns / "核查清单_城关镇_已核查.xlsx")
    again = run_match(**c.kwargs(returns=returns.parent, store=tmp_path / "store"))
    out = write_outputs(again, tmp_path / "out")

    h010 = [f for f in again.findings if f.rule == "H010"]
    assert [(f.file, f.row, f.sheet, f.severity) for f in h010] == [
        ("城关镇/核查清单_城关镇_已核查.xlsx", below, "核查清单", "error"),
        ("城关镇/核查清单_城关镇_已核查.xlsx", below + 1, "核查清单", "error")]
    assert h010[0].value == new_child and h010[1].value is None
    assert f"第{below}行" in h010[0].message and "不在任何一份户籍名单中" in h010[0].message
    assert "田*苗" in h010[0].message and "东风村" in h010[0].message and "补入城关镇户籍名单" in h010[0].message
    assert "身份证号没有填写" in h010[1].message and "石*满" in h010[1].message
    assert all(new_child not in f.message and "田新苗" not in f.message for f in h010)
    assert [f.row for f in again.findings if f.rule == "F005" and f.sheet == "核查清单"] == [below + 2]
    # neither enters the ledger; the listed child's result is applied
    led = again.ledger.set_index("身份证号")
    assert new_child not in led.index and len(again.ledger) == len(result.ledger)
    assert led.at[listed, "台账状态"] == "不计入"
    # not lost: the ledger's 问题清单, the store's findings, the CLI summary, the notebook's status line
    sheet = load_workbook(out["ledger"])["问题清单"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4)]
    assert sorted((r[4], r[5]) for r in rows if r[0] == "H010") == [(h010[0].file, below), (h010[0].file, below + 1)]
    stored = Store(tmp_path / "store").ledger_table("findings")
    assert sorted(stored.loc[stored["rule"] == "H010", "row"].astype(int)) == [below, below + 1]
    summary = "\n".join(summary_lines(again))
    assert "有 2 行对不上户籍名单中的儿童（H010）" in summary and f"第{below}行" in summary and "H010 2 条" in summary
    assert new_child not in summary and "田新苗" not in summary
    doc = json.dumps(again.to_json(masked=True), ensure_ascii=False)     # --json: may be logged
    assert doc.count('"rule": "H010"') == 2 and new_child not in doc and "田新苗" not in doc and "石小满" not in doc
    app = MatchApp()
    app.show(again)
    assert "对不上户籍名单中的儿童（H010）" in app.status.value
    no_lost = [f for f in result.findings if f.rule == "H010"]
    assert no_lost == []          # the county's own returns are all for listed children
