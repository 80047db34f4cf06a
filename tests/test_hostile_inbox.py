"""Hostile inbox entries and output paths (issue 12, items 3 and 6), through the real CLI in a subprocess.

One bad entry — a dangling link, a link loop, a file name that is not UTF-8 (GBK zip extraction), a FIFO, a link to
/dev/zero, a 3 GB file, a link leading outside the inbox, a link to a folder — is one S005 finding for that entry; the
other schools are rolled up. ``validate`` on a FIFO returns at once. A report path inside the inbox or the store, or equal
to the register or the policy, is refused before anything is written."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from baoxue import paths
from rollup_helpers import checksums, cover, register, stamp, write_book

M = "2026-10"
A, B = "4310000001", "4310000002"
pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and symbolic links are POSIX")


def baoxue(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "baoxue", *map(os.fsdecode, args)], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    reg = register(root / "名录.xlsx", [(A, "城关中学", "城关镇", "初中", "城区"), (B, "河口小学", "河口乡", "小学", "乡村")])
    inbox = root / "inbox"
    when = dt.datetime(2026, 10, 28, tzinfo=dt.timezone.utc)
    stamp(write_book(inbox / "a.xlsx", cover(A, "城关中学", "城关镇", M)), when)
    # school B's book under a name whose bytes are GBK, as unzipping a Windows zip leaves it
    gbk = os.fsdecode("河口小学".encode("gbk") + b".xlsx")
    stamp(write_book(inbox / gbk, cover(B, "河口小学", "河口乡", M, school_type="小学")), when)
    outside = root / "elsewhere.xlsx"
    stamp(write_book(outside, cover(A, "城关中学", "城关镇", M)), when)
    os.symlink(root / "missing.xlsx", inbox / "dangling.xlsx")
    os.symlink(inbox / "loop.xlsx", inbox / "loop.xlsx")
    os.mkfifo(inbox / "fifo.xlsx")
    os.symlink("/dev/zero", inbox / "zero.xlsx")
    with open(inbox / "huge.xlsx", "wb") as fh:     # sparse: 3 GB on paper, nothing on disk
        fh.truncate(3 * 1024 ** 3)
    os.symlink(outside, inbox / "outside.xlsx")
    (root / "folder").mkdir()
    os.symlink(root / "folder", inbox / "linked-folder")
    return root, reg, inbox


BAD = {"dangling.xlsx": "不存在", "loop.xlsx": "循环", "fifo.xlsx": "FIFO", "zero.xlsx": "收件文件夹以外",
       "huge.xlsx": "过大", "outside.xlsx": "收件文件夹以外", "linked-folder": "文件夹"}
# a file named on the command line has no inbox around it: a link is followed, and what it leads to is checked
BAD_FOR_VALIDATE = {**{k: v for k, v in BAD.items() if k != "outside.xlsx"}, "zero.xlsx": "设备"}


def test_one_bad_entry_is_one_finding_and_the_others_are_rolled_up(county):
    root, reg, inbox = county
    before = checksums(root / "folder")
    p = baoxue("rollup", inbox, "--month", M, "--register", reg, "--json", "--out", root / "r.xlsx",
               "--store", root / "store")
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr and "内部出错" not in p.stderr
    doc = json.loads(p.stdout)
    assert {s["code"]: s["submitted"] and s["stamp_ok"] for s in doc["schools"]} == {A: True, B: True}
    unreadable = {f["file"]: f["message"] for f in doc["findings"] if f["rule"] == "S005"}
    assert set(unreadable) == set(BAD)
    for name, words in BAD.items():
        assert words in unreadable[name], (name, unreadable[name])
    assert "河口小学.xlsx" in {f["file"] for f in doc["findings"]}   # B's X003 (零报告 否, no case): the GBK name shown
    assert checksums(root / "folder") == before
    # again with the store's result cache in play: the same answer
    again = baoxue("rollup", inbox, "--month", M, "--register", reg, "--json", "--out", root / "r.xlsx",
                   "--store", root / "store")
    assert again.returncode == 0 and json.loads(again.stdout)["findings"] == doc["findings"]


def test_validate_on_special_files_returns_at_once(county):
    _, _, inbox = county
    for name, words in BAD_FOR_VALIDATE.items():
        p = baoxue("validate", inbox / name, timeout=30)
        assert p.returncode == 2 and "S005" in p.stdout and words in p.stdout, (name, p.stdout, p.stderr)
        assert "Traceback" not in p.stderr


def test_a_name_that_is_not_utf8_is_shown():
    name = os.fsdecode("河口小学".encode("gbk") + b".xlsx")
    assert paths.shown_name(name) == "河口小学.xlsx"
    odd = os.fsdecode(b"\xff\xfe.xlsx")
    assert paths.shown_name(odd).encode("utf-8") and paths.shown_name("a\nb") == "a\\x0ab"


# ---------------------------------------------------------------------------------------------- item 6: outputs
@pytest.mark.parametrize("where", ["inbox-file", "inbox", "register", "store", "policy"])
def test_a_report_never_replaces_an_input(county, where):
    root, reg, inbox = county
    policy = root / "策略.toml"
    policy.write_text("", encoding="utf-8")
    out = {"inbox-file": inbox / "a.xlsx", "inbox": inbox / "sub" / "r.xlsx", "register": reg,
           "store": root / "store" / "r.xlsx", "policy": policy}[where]
    before = {p: p.read_bytes() for p in (inbox / "a.xlsx", reg, policy)}
    p = baoxue("rollup", inbox, "--month", M, "--register", reg, "--out", out, "--store", root / "store",
               "--policy", policy)
    assert p.returncode == 2 and "输入" in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert {q: q.read_bytes() for q in before} == before
    assert not (inbox / "sub").exists()


def test_guard_output_is_the_core_check(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with pytest.raises(paths.OutputPathError):
        paths.guard_output(inbox / "x" / ".." / "a.xlsx", inside=[inbox])
    with pytest.raises(paths.OutputPathError):
        paths.guard_output(tmp_path / "." / "名录.xlsx", equal=[tmp_path / "名录.xlsx"])
    paths.guard_output(tmp_path / "月报表.xlsx", inside=[inbox], equal=[tmp_path / "名录.xlsx"])   # beside: fine


def test_lock_files_are_listed_and_a_real_workbook_with_a_lock_files_name_is_read(tmp_path):
    reg = register(tmp_path / "名录.xlsx", [(A, "城关中学", "城关镇", "初中", "城区"), (B, "河口小学", "河口乡", "小学", "乡村")])
    inbox = tmp_path / "inbox"
    when = dt.datetime(2026, 10, 28, tzinfo=dt.timezone.utc)
    stamp(write_book(inbox / "a.xlsx", cover(A, "城关中学", "城关镇", M)), when)
    stamp(write_book(inbox / "~$河口小学.xlsx", cover(B, "河口小学", "河口乡", M, school_type="小学")), when)
    (inbox / "~$a.xlsx").write_bytes(b"\x08clerk   " + b"\x00" * 150)          # Office's owner file while a.xlsx is open
    (inbox / ".~lock.a.xlsx#").write_text(",clerk,PC,01.12.2026 09:00,file:///home/clerk;")   # LibreOffice's lock
    out = tmp_path / "月报表.xlsx"
    p = baoxue("rollup", inbox, "--month", M, "--register", reg, "--store", tmp_path / "store", "--json", "--out", out)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert {s["code"]: s["submitted"] and s["stamp_ok"] for s in doc["schools"]} == {A: True, B: True}
    from openpyxl import load_workbook
    ws = load_workbook(out, read_only=True)["收到的文件"]
    rows = {r[0]: r[4] for r in ws.iter_rows(min_row=4, values_only=True) if r[0]}
    assert rows["~$河口小学.xlsx"] == "计入汇总"
    assert "Office/WPS 锁定文件" in rows["~$a.xlsx"] and "LibreOffice 锁定文件" in rows[".~lock.a.xlsx#"]
