"""`baoxue rollup` run again with nothing changed: answered from the store's record (``rollup.replay``) — the same
summary and JSON, the report left as it is, no book read, pandas never imported — and run in full as soon as anything
its outputs depend on has changed."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rollup_helpers import child_id, cover, dropout, register, stamp, write_book

M = "2026-10"
REPLAYED = "沿用上次的汇总结果"
SCHOOLS = [("4310000001", "城关中学", "城关镇", "初中", "城区"), ("4310000002", "河口小学", "河口乡", "小学", "乡村")]


def _book(path: Path, code: str, name: str, township: str, cases: int = 1) -> Path:
    rows = [dropout(child_id(21 + i, "八年级", M), f"赵小{'燕莺鹃'[i]}", "八年级", dt.date(2026, 10, 2)) for i in range(cases)]
    return stamp(write_book(path, cover(code, name, township, M), {"辍学": rows}),
                 dt.datetime(2026, 10, 28, tzinfo=dt.timezone.utc))


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """An inbox of one stamped book (the second school has not sent its own yet) and the register; copied per test."""
    root = tmp_path_factory.mktemp("replay")
    register(root / "名录.xlsx", SCHOOLS)
    _book(root / "inbox" / "a.xlsx", *SCHOOLS[0][:3])
    _book(root / "spare" / "b.xlsx", *SCHOOLS[1][:3], cases=0)   # a late school's book, for the tests that add it
    return root


@pytest.fixture
def root(county, tmp_path):
    shutil.copytree(county, tmp_path / "c")
    return tmp_path / "c"


def rollup(root: Path, *extra, out: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    args = ["rollup", root / "inbox", "--month", M, "--register", root / "名录.xlsx", "--store", root / "store",
            "--out", out or root / "out" / "月报表.xlsx", *extra]
    return subprocess.run([sys.executable, "-m", "baoxue", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def _report_state(root: Path):
    out = root / "out" / "月报表.xlsx"
    st = out.stat()
    return st.st_ino, st.st_mtime_ns, sorted(p.name for p in out.parent.iterdir())


def _pointer(root: Path) -> str:
    return (root / "store" / "months" / f"{M}.current").read_text()


def test_a_rerun_with_nothing_changed_is_answered_from_the_record(root):
    first = rollup(root)
    assert first.returncode == 0, first.stderr
    report, pointer = _report_state(root), _pointer(root)
    again = rollup(root)
    assert again.returncode == 0, again.stderr
    assert REPLAYED in again.stderr and REPLAYED not in first.stderr
    assert again.stdout == first.stdout and "应报 2 所，有效报送 1 所" in again.stdout
    assert _report_state(root) == report          # the report untouched: same file, no backup of it made
    assert _pointer(root) == pointer              # the month not saved again


def test_the_replay_imports_neither_pandas_nor_the_reader(root):
    assert rollup(root).returncode == 0
    code = ("import sys\nfrom baoxue.cli import main\n"
            f"rc = main({[str(a) for a in ['rollup', root / 'inbox', '--month', M, '--register', root / '名录.xlsx', '--store', root / 'store', '--out', root / 'out' / '月报表.xlsx']]!r})\n"
            "print(rc, sorted(m for m in ('pandas', 'numpy', 'duckdb', 'python_calamine', 'openpyxl', 'baoxue.reader')"
            " if m in sys.modules))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and REPLAYED in p.stderr, p.stderr
    assert p.stdout.splitlines()[-1] == "0 []"


def test_the_json_is_replayed_as_printed(root):
    first = rollup(root, "--json")
    again = rollup(root, "--json")
    assert first.returncode == again.returncode == 0
    assert REPLAYED in again.stderr and again.stdout == first.stdout
    assert json.loads(again.stdout)["county"]["schools_submitted"] == 1


def _rewrite_book(root):
    _book(root / "inbox" / "a.xlsx", *SCHOOLS[0][:3], cases=2)


def _resave_same_bytes(root):
    p = root / "inbox" / "a.xlsx"
    p.write_bytes(p.read_bytes())


def _add_late_book(root):
    shutil.copy(root / "spare" / "b.xlsx", root / "inbox" / "b.xlsx")


def _remove_book(root):
    (root / "inbox" / "a.xlsx").unlink()


def _owner_file(root):
    (root / "inbox" / "~$a.xlsx").write_bytes(b"owner")   # the book is open in Excel: the file list names the lock


def _register_grows(root):
    register(root / "名录.xlsx", SCHOOLS + [("4310000003", "新建小学", "河口乡", "小学", "乡村")])


def _report_edited(root):
    (root / "out" / "月报表.xlsx").write_bytes(b"edited")


def _report_deleted(root):
    (root / "out" / "月报表.xlsx").unlink()


def _other_month_saved(root):
    p = subprocess.run([sys.executable, "-m", "baoxue", "rollup", str(root / "spare"), "--month", "2026-09",
                        "--register", str(root / "名录.xlsx"), "--store", str(root / "store"),
                        "--out", str(root / "09.xlsx")], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr


def _other_code(root):
    record = root / "store" / "cache" / f"{M}.replay.json"
    data = json.loads(record.read_text(encoding="utf-8"))
    data["code"] = "0" * 64        # as recorded by another installed version of baoxue
    record.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _record_lacks_its_lines(root):
    record = root / "store" / "cache" / f"{M}.replay.json"
    data = json.loads(record.read_text(encoding="utf-8"))
    del data["lines"]              # a record damaged by hand: its header still matches
    record.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("change, expect", [
    (_rewrite_book, "月末在册未销号 2 人"),
    (_resave_same_bytes, "月末在册未销号 1 人"),
    (_add_late_book, "有效报送 2 所"),
    (_remove_book, "有效报送 0 所"),
    (_owner_file, "应报 2 所"),
    (_register_grows, "应报 3 所"),
    (_report_edited, "月末在册未销号 1 人"),
    (_report_deleted, "月末在册未销号 1 人"),
    (_other_month_saved, "应报 2 所"),
    (_other_code, "应报 2 所"),
    (_record_lacks_its_lines, "应报 2 所"),
])
def test_anything_changed_runs_the_roll_up_again(root, change, expect):
    assert rollup(root).returncode == 0
    change(root)
    p = rollup(root)
    assert p.returncode == 0, p.stderr
    assert REPLAYED not in p.stderr and expect in p.stdout, p.stdout
    assert (root / "out" / "月报表.xlsx").read_bytes()[:2] == b"PK"          # the report written again
    assert REPLAYED in rollup(root).stderr                                    # … and that run recorded in turn


@pytest.mark.parametrize("flags", [("--unmasked",), ("--json",), ("--policy", "策略.toml")])
def test_other_flags_run_the_roll_up_again(root, flags):
    (root / "策略.toml").write_text("[deadlines]\nfirst_persuasion_days = 5\n", encoding="utf-8")
    assert rollup(root).returncode == 0
    p = rollup(root, *(str(root / f) if f.endswith(".toml") else f for f in flags))
    assert p.returncode == 0 and REPLAYED not in p.stderr, p.stderr


def test_a_changed_policy_file_runs_the_roll_up_again(root):
    policy = root / "策略.toml"
    policy.write_text("[deadlines]\nfirst_persuasion_days = 5\n", encoding="utf-8")
    assert rollup(root, "--policy", policy).returncode == 0
    assert REPLAYED in rollup(root, "--policy", policy).stderr
    policy.write_text("[deadlines]\nfirst_persuasion_days = 6\n", encoding="utf-8")
    assert REPLAYED not in rollup(root, "--policy", policy).stderr


def test_a_store_in_use_is_reported_not_replayed(root):
    assert rollup(root).returncode == 0
    (root / "store" / ".lock").write_text(json.dumps({"pid": os.getpid(), "host": os.uname().nodename,
                                                      "started": "2026-10-30 10:00:00", "token": "x"}))
    p = rollup(root)
    assert p.returncode == 2 and REPLAYED not in p.stderr and "另一个汇总正在运行" in p.stderr, p.stderr


def test_a_run_whose_month_was_not_saved_leaves_no_record(root, monkeypatch):
    """Saving the month fails (a full disk): the run reports it and is not recorded, so the next run does it all."""
    assert rollup(root).returncode == 0
    from baoxue.cli import main
    from baoxue.rollup import engine

    def full_disk(*_args, **_kw):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(engine, "save_result", full_disk)
    _rewrite_book(root)
    args = ["rollup", root / "inbox", "--month", M, "--register", root / "名录.xlsx", "--store", root / "store",
            "--out", root / "out" / "月报表.xlsx"]
    assert main([str(a) for a in args]) == 2
    assert not (root / "store" / "cache" / f"{M}.replay.json").exists()
    p = rollup(root)
    assert REPLAYED not in p.stderr and "月末在册未销号 2 人" in p.stdout


@pytest.mark.parametrize("recorded", [False, True])
def test_a_register_that_is_not_a_regular_file_is_refused_not_waited_for(root, recorded):
    """A FIFO given as the register: the roll-up says it is not a regular file (its reader never opens one blocking);
    the replay's look at the register must not hang on it either, with or without a record."""
    if recorded:
        assert rollup(root).returncode == 0
    (root / "名录.xlsx").unlink()
    os.mkfifo(root / "名录.xlsx")
    try:
        p = rollup(root, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("the run waited on the FIFO given as the register")
    assert p.returncode == 2 and "不是普通文件" in p.stderr and REPLAYED not in p.stderr, p.stderr


def test_a_file_that_could_not_be_read_is_read_again_next_run(root, monkeypatch, capsys):
    """The book could not be read this time (another program had it open: Windows refuses the read), so the run lists
    it as S005 and tells the officer to close that program and run again. The next run, the file unchanged, must read it
    (as the result cache does, which never keeps such a file), not replay the S005."""
    from baoxue import paths, reader
    from baoxue.cli import main
    from baoxue.rollup import cache

    real = paths.read_regular

    def in_use(path, *args, **kw):
        if Path(path).name == "a.xlsx":
            raise paths.EntryError(paths._os_problem("a.xlsx", PermissionError(13, "Permission denied")))
        return real(path, *args, **kw)
    monkeypatch.setattr(reader, "read_regular", in_use)
    monkeypatch.setattr(cache, "read_regular", in_use)
    assert main([str(a) for a in ["rollup", root / "inbox", "--month", M, "--register", root / "名录.xlsx",
                                  "--store", root / "store", "--out", root / "out" / "月报表.xlsx"]]) == 0
    assert "1 个文件无法读取（S005）" in capsys.readouterr().out
    p = rollup(root)
    assert p.returncode == 0 and REPLAYED not in p.stderr, p.stderr
    assert "有效报送 1 所" in p.stdout and "S005" not in p.stdout, p.stdout


def test_a_report_folder_whose_name_is_not_utf8_is_rolled_up_as_before(root):
    """A report folder whose name is not UTF-8 (a GBK name, as unzipping a Windows archive leaves it): the roll-up writes
    the report, saves the month and prints its summary as it always did — the record, which cannot hold that name as
    UTF-8 text, is not written, and must not turn the finished run into an internal error."""
    out = root / os.fsdecode(b"\xc3\xfb\xc2\xbc") / "月报表.xlsx"   # 名录 in GBK
    for _ in range(2):
        p = rollup(root, out=out)
        assert p.returncode == 0 and "内部出错" not in p.stderr, p.stderr
        assert "有效报送 1 所" in p.stdout and out.is_file(), p.stdout


@pytest.mark.parametrize("how", [{}, {"saved": False}, {"report_written": False}, {"unreadable": 1}])
def test_only_a_complete_run_is_recorded(tmp_path, how):
    """``replay.record`` decides what may be replayed: a run whose month was saved, whose report was written and which
    read every file. Any other run is not recorded, and leaves no earlier record behind."""
    from baoxue.rollup import replay

    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "a.xlsx").write_bytes(b"a book")
    (tmp_path / "名录.xlsx").write_bytes(b"a register")
    (tmp_path / "月报表.xlsx").write_bytes(b"a report")
    command = replay.Command(inbox=tmp_path / "inbox", month=M, register=tmp_path / "名录.xlsx",
                             store=tmp_path / "store", policy=None, out=tmp_path / "月报表.xlsx", masked=True,
                             as_json=False)
    snapshot = command.snapshot()
    assert snapshot is not None
    lines = ["2026-10 月汇总完成"]
    replay.record(command, snapshot, lines, None, saved=True, report_written=True, unreadable=0)   # an earlier run
    assert replay.answer(command) == replay.Recorded(lines=lines, json_text=None)
    outcome = {"saved": True, "report_written": True, "unreadable": 0, **how}
    replay.record(command, snapshot, lines, None, **outcome)
    assert replay.recordable(**outcome) == (not how)
    assert command.record_path.exists() == (not how)
    assert (replay.answer(command) is not None) == (not how)
