"""`baoxue match` as a clerk's officer runs it (SPEC §8.6): exit codes, the Chinese summary, JSON on stdout only, and the
reader's tolerance on the lists: several household files, aliases and messy headers, a list on a later sheet."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from baoxue import model
from baoxue.household import InputError, run_match

from household_helpers import MONTH, build_county, person_id, write_list

BAOXUE = [sys.executable, "-m", "baoxue"]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _args(c, **over) -> list[str]:
    kw = {"household": [str(p) for p in c.household], "xueji": str(c.xueji), "inbox": str(c.inbox),
          "register": str(c.register), "month": MONTH, "elsewhere": str(c.elsewhere),
          "key-groups": [str(p) for p in c.key_groups], "returns": str(c.returns), "out": str(c.root / "out"),
          "store": str(c.root / "store")}
    kw.update(over)
    out = ["match"]
    for k, v in kw.items():
        if v is None:
            continue
        out += [f"--{k}", *(v if isinstance(v, list) else [v])]
    return out


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(BAOXUE + args, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    return build_county(tmp_path_factory.mktemp("household-cli"))


def test_cli_summary_and_files(county):
    p = _run(_args(county))
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "户籍线比对完成" in out and "待核查：城关镇 3 人，河口乡 2 人" in out
    assert f"核查清单_城关镇_{MONTH}.xlsx" in out and f"适龄儿童台账_{MONTH}.xlsx" in out
    assert "重点人群优先核查 1 人" in out and "城关镇东风村" in out and "脱贫户" not in out
    for x in county.children.values():
        assert x.key not in out and x.name not in out          # names masked in the summary
    assert (county.root / "out" / f"适龄儿童台账_{MONTH}.xlsx").exists()
    assert "比对" in p.stderr or p.stderr == ""                  # progress goes to standard error


def test_cli_json_on_stdout_only(county, tmp_path):
    p = _run(_args(county, out=str(tmp_path / "o"), store=str(tmp_path / "s")) + ["--json"])
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["month"] == MONTH and doc["county"]["school_age"] == len(county.expected())
    assert doc["files"]["checklists"]["城关镇"].endswith(f"核查清单_城关镇_{MONTH}.xlsx")
    assert "户籍线比对完成" in p.stderr
    for x in county.children.values():
        assert x.key not in p.stdout


def test_household_list_without_its_id_column_exits_2(county, tmp_path):
    bad = write_list(tmp_path / "没有身份证.xlsx", ["姓名", "性别", "户籍乡镇", "户籍村(社区)"], [["张三", "男", "城关镇", "东风村"]])
    p = _run(_args(county, household=[str(bad)], out=str(tmp_path / "o"), store=str(tmp_path / "s")))
    assert p.returncode == 2
    assert "户籍名单" in p.stderr and "没有身份证.xlsx" in p.stderr and "身份证号" in p.stderr and "公民身份号码" in p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "o").exists()


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04broken", "<html><table></table></html>".encode()])
def test_unreadable_required_input_exits_2(county, tmp_path, content):
    bad = tmp_path / "学籍名单.xlsx"
    bad.write_bytes(content)
    p = _run(_args(county, xueji=str(bad), out=str(tmp_path / "o"), store=str(tmp_path / "s")))
    assert p.returncode == 2 and "学籍名单无法读取" in p.stderr and "Traceback" not in p.stderr


def test_missing_file_and_bad_month_are_chinese_errors(county, tmp_path):
    with pytest.raises(InputError, match="找不到户籍名单文件"):
        run_match(**county.kwargs(household=[tmp_path / "无此文件.xlsx"], store=tmp_path / "s"))
    with pytest.raises(InputError, match="YYYY-MM"):
        run_match(**county.kwargs(month="2026-9月", store=tmp_path / "s"))


def test_several_household_files_aliases_and_messy_headers(county, tmp_path):
    """A third household file: the header on row 4 of the second sheet, aliases (身份证件号, 乡镇, 村), spaces and
    full-width characters in headers and values, columns in another order."""
    kid = person_id(777, 9)
    third = write_list(tmp_path / "补充名单.xlsx", [" 村 ", "乡镇", "姓　名", "身份证件号", "性别", "村民组"],
                       [["新村", "城关镇", "柳小青", " " + kid.translate(FULL_WIDTH),
                         "男", "三组"]],
                       title="补充摸排", note="乡镇填报", sheet="名单", before=["说明"])
    result = run_match(**county.kwargs(household=[*county.household, third], store=tmp_path / "s"))
    led = result.ledger.set_index("身份证号")
    assert kid in led.index
    assert led.at[kid, "户籍乡镇"] == "城关镇" and led.at[kid, "户籍村(社区)"] == "新村" and led.at[kid, "村民小组"] == "三组"
    assert led.at[kid, "台账状态"] == "待核查"
    assert len(led) == len(county.expected()) + 1
    # the second household file (its list on the sheet after a cover sheet, header aliases 身份证号码/所属乡镇/村居/组)
    hekou = {x.key for x in county.children.values() if x.township == "河口乡" and x.expected}
    assert hekou <= set(led.index)
    h003 = [f for f in result.findings if f.rule == "H003" and f.value == kid]
    assert h003 and h003[0].file == str(third) and h003[0].row == 4 and h003[0].sheet == model.HOUSEHOLD_LIST.name


def test_output_folder_inside_the_inbox_exits_2_before_reading(county):
    p = _run(_args(county, out=str(county.inbox / "输出")))
    assert p.returncode == 2 and "之内" in p.stderr and "Traceback" not in p.stderr
    assert not (county.inbox / "输出").exists()


def test_out_or_store_that_is_a_file_exits_2_in_chinese(county, tmp_path):
    a_file = tmp_path / "说明.txt"
    a_file.write_text("x", encoding="utf-8")
    p = _run(_args(county, out=str(a_file), store=str(tmp_path / "s")))
    assert p.returncode == 2 and "输出文件夹" in p.stderr and "是一个文件" in p.stderr, p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "s").exists()
    p = _run(_args(county, out=str(tmp_path / "o"), store=str(a_file)))
    assert p.returncode == 2 and "历史库应是一个文件夹" in p.stderr, p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "o").exists()
    assert a_file.read_text(encoding="utf-8") == "x"


def test_unusable_register_exits_2_and_leaves_no_lock(county, tmp_path):
    bad = tmp_path / "名录.xlsx"
    bad.write_bytes(b"not a workbook")
    p = _run(_args(county, register=str(bad), out=str(tmp_path / "o"), store=str(tmp_path / "s")))
    assert p.returncode == 2 and "学校名录" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "s" / ".lock").exists()


def test_an_unusable_list_is_reported_before_a_locked_store(county, tmp_path):
    """Another roll-up holds the store: a list without its ID column gets its own message (the lists are read before
    the store is locked); good lists get StoreLocked."""
    from baoxue.rollup.store import Store, StoreLocked
    bad = write_list(tmp_path / "没有身份证.xlsx", ["姓名", "性别", "户籍乡镇", "户籍村(社区)"], [["张三", "男", "城关镇", "东风村"]])
    other = Store(tmp_path / "s")
    with other.lock():
        with pytest.raises(InputError, match="没有身份证.xlsx"):
            run_match(**county.kwargs(household=[bad], store=tmp_path / "s"))
        with pytest.raises(StoreLocked):
            run_match(**county.kwargs(store=tmp_path / "s"))
