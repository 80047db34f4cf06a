"""History store: months saved and read back through DuckDB, atomic replacement, the writer lock."""
from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from baoxue.rollup.store import Store, StoreLocked

ROOT = Path(__file__).resolve().parents[1]


def tables(month: str, open_cases: int, ids: list[str]) -> dict[str, pd.DataFrame]:
    return {
        "schools": pd.DataFrame([{"code": "4310000001", "name": "城关小学", "open_cases": open_cases}]),
        "townships": pd.DataFrame([{"name": "城关镇", "open_cases": open_cases}]),
        "county": pd.DataFrame([{"name": "全县", "open_cases": open_cases, "dropout_rate_junior": 0.5}]),
        "cases": pd.DataFrame({"school": ["4310000001"] * len(ids), "身份证号": ids}),
        "open_rows": pd.DataFrame({"school": ["4310000001"] * len(ids), "sheet": ["辍学"] * len(ids), "身份证号": ids,
                                   "姓名": ["张三"] * len(ids), "row": list(range(4, 4 + len(ids)))}),
        "findings": pd.DataFrame([{"rule": "R001", "severity": "error", "message": "未报送", "school": "4310000002"}]),
    }


def test_save_load_and_trend(tmp_path):
    store = Store(tmp_path / "s")
    assert store.months() == [] and store.load_month("2026-09") is None
    store.save_month("2026-10", tables("2026-10", 2, ["A", "B"]), {"inbox": "x"})
    store.save_month("2026-09", tables("2026-09", 5, ["A"]), {"inbox": "y"})
    assert store.months() == ["2026-09", "2026-10"]
    data = store.load_month("2026-10")
    assert data.meta["inbox"] == "x" and data.meta["month"] == "2026-10"
    assert list(data["cases"]["身份证号"]) == ["A", "B"]
    assert list(store.open_cases("2026-10")["身份证号"]) == ["A", "B"]
    trend = store.trend()
    assert list(trend["month"]) == ["2026-09", "2026-10"] and list(trend["open_cases"]) == [5, 2]
    assert list(store.trend("township")["name"]) == ["城关镇", "城关镇"]


def test_table_reads_chosen_columns_and_rows(tmp_path):
    """``Store.table(columns=, where=)`` filters while reading; quotes in values are data, not SQL; a column no stored
    month has gives an empty frame."""
    store = Store(tmp_path / "s")
    store.save_month("2026-09", tables("2026-09", 1, ["A", "B'; DROP", "C"]), {})
    store.save_month("2026-10", tables("2026-10", 1, ["B'; DROP", "D"]), {})
    got = store.table("cases", ["2026-09", "2026-10"], columns=["身份证号"], where={"身份证号": ("A", "B'; DROP")})
    assert list(got.columns) == ["month", "身份证号"]
    assert list(zip(got["month"], got["身份证号"])) == [("2026-09", "A"), ("2026-09", "B'; DROP"), ("2026-10", "B'; DROP")]
    assert store.table("cases", None, columns=["身份证号"], where={"身份证号": ("Z",)}).empty
    missing = store.table("cases", None, columns=["类型"])
    assert missing.empty and list(missing.columns) == ["month", "类型"]


def test_rerun_replaces_month_completely(tmp_path):
    store = Store(tmp_path / "s")
    store.save_month("2026-10", tables("2026-10", 2, ["A", "B"]), {"run": 1})
    store.save_month("2026-10", tables("2026-10", 1, ["C"]), {"run": 2})
    data = store.load_month("2026-10")
    assert data.meta["run"] == 2 and list(data["cases"]["身份证号"]) == ["C"]
    versions = [p for p in store.months_dir.iterdir() if p.is_dir()]
    assert len(versions) == 1, "the old version folder is removed"
    assert not store.lock_path.exists()


def test_lock_refuses_concurrent_writer_and_keeps_store(tmp_path):
    store = Store(tmp_path / "s")
    store.save_month("2026-10", tables("2026-10", 2, ["A", "B"]), {"run": 1})
    with store.lock():
        with pytest.raises(StoreLocked) as e:
            Store(tmp_path / "s").save_month("2026-10", tables("2026-10", 9, ["Z"]), {"run": 2})
        assert "正被" in str(e.value) and str(store.lock_path) in str(e.value)
    assert store.load_month("2026-10").meta["run"] == 1
    assert not store.lock_path.exists()


def _hold_lock(directory, ready, release):
    with Store(directory).lock():
        ready.set()
        release.wait(30)


def test_lock_held_by_another_process(tmp_path):
    ctx = multiprocessing.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold_lock, args=(tmp_path / "s", ready, release))
    proc.start()
    try:
        assert ready.wait(20)
        with pytest.raises(StoreLocked):
            Store(tmp_path / "s").save_month("2026-10", tables("2026-10", 1, ["A"]), {})
    finally:
        release.set()
        proc.join(20)
    Store(tmp_path / "s").save_month("2026-10", tables("2026-10", 1, ["A"]), {})
    assert Store(tmp_path / "s").months() == ["2026-10"]


def store_with_stale_lock(directory) -> Store:
    """A store whose lock file was left by a process of this machine that has ended."""
    store = Store(directory)
    store.dir.mkdir(parents=True)
    proc = multiprocessing.get_context("fork").Process(target=time.sleep, args=(0,))
    proc.start()
    proc.join()
    store.lock_path.write_text(json.dumps({"pid": proc.pid, "host": socket.gethostname(), "started": "x"}))
    return store


def test_stale_lock_of_dead_process_is_taken_over(tmp_path):
    store = store_with_stale_lock(tmp_path / "s")
    store.save_month("2026-10", tables("2026-10", 1, ["A"]), {})
    assert store.months() == ["2026-10"] and not store.lock_path.exists()


def crash_on_pointer_switch(monkeypatch) -> None:
    """The disk fills up just as the store would switch its ``.current`` pointer to the new version."""
    real_replace = os.replace

    def crash(src, dst):
        if str(dst).endswith(".current"):
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash)


def test_interrupted_write_leaves_previous_version(tmp_path, monkeypatch):
    store = Store(tmp_path / "s")
    store.save_month("2026-10", tables("2026-10", 2, ["A", "B"]), {"run": 1})
    crash_on_pointer_switch(monkeypatch)
    with pytest.raises(OSError):
        store.save_month("2026-10", tables("2026-10", 9, ["Z"]), {"run": 2})
    monkeypatch.undo()
    assert store.load_month("2026-10").meta["run"] == 1
    assert not store.lock_path.exists()
    store.save_month("2026-10", tables("2026-10", 3, ["Q"]), {"run": 3})
    assert store.load_month("2026-10").meta["run"] == 3
    assert len([p for p in store.months_dir.iterdir() if p.is_dir()]) == 1


def test_rollup_fails_fast_while_the_store_is_locked(tmp_path):
    from baoxue.rollup import run_rollup
    store = Store(tmp_path / "s")
    (tmp_path / "inbox").mkdir()
    with store.lock():
        with pytest.raises(StoreLocked):
            # the register is read (and checked) before the lock is taken, so that a bad one never leaves a lock behind
            run_rollup(tmp_path / "inbox", "2026-10", ROOT / "workbooks" / "示例_学校名录.xlsx", store_dir=store.dir)


# ---------------------------------------------------------------------------------------------- the lock over a roll-up
HOLDING_ROLLUP = r"""
import json, pathlib, sys, time
from baoxue.rollup import run_rollup
inbox, month, reg, store, started, release = sys.argv[1:]

def progress(done, total, label):
    if not pathlib.Path(started).exists():      # the first file is about to be read: the lock must be held already
        pathlib.Path(started).write_text("x")
        deadline = time.time() + 120
        while not pathlib.Path(release).exists() and time.time() < deadline:
            time.sleep(0.05)

result = run_rollup(inbox, month, reg, store_dir=store, workers=1, progress=progress)
print(json.dumps({"submitted": result.county["schools_submitted"], "created_at": result.created_at}))
"""


def _small_inbox(root, month="2026-10", enrol=100):
    from rollup_helpers import cover, register, stamp, write_book
    reg = register(root / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "初中", "城区")])
    stamp(write_book(root / "inbox" / "a.xlsx", cover("4310000001", "城关中学", "城关镇", month, enrol=enrol)),
          dt.datetime(int(month[:4]), int(month[5:]), 20, tzinfo=dt.timezone.utc))
    return root / "inbox", reg


def _wait_for(path, seconds=120.0):
    deadline = time.time() + seconds
    while not path.exists():
        assert time.time() < deadline, f"{path} did not appear"
        time.sleep(0.05)


def test_second_rollup_process_is_refused_at_once_and_store_stays_valid(tmp_path):
    """Process A rolls up a month and is held while reading; a second roll-up of the same store — the CLI in another
    process, and a call here — fails at once with the Chinese message and writes nothing; A then completes."""
    from baoxue.rollup import run_rollup
    inbox, reg = _small_inbox(tmp_path)
    store_dir = tmp_path / "store"
    first = run_rollup(inbox, "2026-10", reg, store_dir=store_dir, workers=1)     # a month already stored
    store = Store(store_dir)
    started, release = tmp_path / "started", tmp_path / "release"
    a = subprocess.Popen([sys.executable, "-c", HOLDING_ROLLUP, str(inbox), "2026-10", str(reg), str(store_dir),
                          str(started), str(release)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(started)
        holder = json.loads(store.lock_path.read_text(encoding="utf-8"))
        assert holder["pid"] == a.pid, "A holds the lock while it reads its files, not only while it saves"

        b = subprocess.run([sys.executable, "-m", "baoxue", "rollup", str(inbox), "--month", "2026-10", "--register",
                            str(reg), "--store", str(store_dir), "--json"], capture_output=True, text=True, timeout=300)
        assert b.returncode == 2 and b.stdout == ""
        assert "正被进程" in b.stderr and str(a.pid) in b.stderr and str(store.lock_path) in b.stderr
        assert "Traceback" not in b.stderr

        seen = []
        t = time.perf_counter()
        with pytest.raises(StoreLocked) as e:
            run_rollup(inbox, "2026-10", reg, store_dir=store_dir, workers=1, progress=lambda *x: seen.append(x))
        assert time.perf_counter() - t < 5 and seen == [], "refused before reading any file"
        assert "另一个汇总正在运行" in str(e.value)
        # meanwhile the store still holds the first run, readable
        assert store.months() == ["2026-10"] and store.load_month("2026-10").meta["created_at"] == first.created_at
    finally:
        release.write_text("go")
        out, err = a.communicate(timeout=300)
    assert a.returncode == 0, err
    done = json.loads(out.strip().splitlines()[-1])
    assert done["submitted"] == 1
    data = store.load_month("2026-10")
    assert data.meta["created_at"] == done["created_at"], "A's run is the stored one"
    assert list(data["schools"]["code"]) == ["4310000001"]
    assert [p.name for p in store.months_dir.iterdir() if p.is_dir()] == [store._version_dir("2026-10").name]
    assert not store.lock_path.exists() and not list(store.dir.glob(".lock*"))


def test_lock_is_held_for_the_whole_run_and_released_on_error(tmp_path, monkeypatch):
    from baoxue.rollup import engine, run_rollup
    inbox, reg = _small_inbox(tmp_path)
    store = Store(tmp_path / "store")
    held = []
    run_rollup(inbox, "2026-10", reg, store_dir=store.dir, workers=1,
               progress=lambda *x: held.append(json.loads(store.lock_path.read_text())["pid"]))
    assert held and set(held) == {os.getpid()} and not store.lock_path.exists()

    def broken(*args, **kw):
        assert store.lock_path.exists()
        raise RuntimeError("a rule bug")

    monkeypatch.setattr(engine, "_process_with_cache", broken)
    with pytest.raises(RuntimeError):
        run_rollup(inbox, "2026-10", reg, store_dir=store.dir, workers=1)
    assert not store.lock_path.exists(), "released when the run fails"
    monkeypatch.undo()
    run_rollup(inbox, "2026-10", reg, store_dir=store.dir, workers=1)
    assert store.months() == ["2026-10"]


def test_holder_that_lost_its_lock_does_not_commit(tmp_path):
    store = Store(tmp_path / "s")
    store.save_month("2026-10", tables("2026-10", 2, ["A"]), {"run": 1})
    with store.lock():
        # someone deleted the lock by hand and another roll-up took it
        store.lock_path.unlink()
        other = Store(tmp_path / "s")
        with other.lock():
            with pytest.raises(StoreLocked):
                store.save_month("2026-10", tables("2026-10", 9, ["Z"]), {"run": 2})
            assert other.lock_path.exists()
        assert not other.lock_path.exists()
    assert store.load_month("2026-10").meta["run"] == 1


def _race_for_stale_lock(directory, barrier, out):
    store = Store(directory)
    barrier.wait(20)
    try:
        with store.lock():
            time.sleep(0.6)
            out.put(("won", os.getpid(), store.holds_lock()))
    except StoreLocked:
        out.put(("refused", os.getpid(), False))


def test_stale_lock_taken_over_by_exactly_one_of_several_processes(tmp_path, monkeypatch):
    """Several processes find the same stale lock at once. Reading the lock is slowed down so that all of them judge it
    stale before any acts (the window where "read holder, then unlink" deleted a lock another process had just made)."""
    real = Store._lock_holder

    def slow(self):
        held = real(self)
        time.sleep(0.15)
        return held

    monkeypatch.setattr(Store, "_lock_holder", slow)   # inherited by the forked processes
    ctx = multiprocessing.get_context("fork")
    dead = ctx.Process(target=time.sleep, args=(0,))
    dead.start()
    dead.join()
    for round_ in range(3):
        directory = tmp_path / f"s{round_}"
        directory.mkdir()
        (directory / ".lock").write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "started": "x"}))
        barrier, out = ctx.Barrier(4), ctx.Queue()
        procs = [ctx.Process(target=_race_for_stale_lock, args=(directory, barrier, out)) for _ in range(4)]
        for p in procs:
            p.start()
        results = [out.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(30)
        winners = [r for r in results if r[0] == "won"]
        assert len(winners) == 1, results
        assert winners[0][2] is True, "the winner still held the lock at the end"
        assert not (directory / ".lock").exists() and not list(directory.glob(".lock*"))


def test_abandoned_takeover_guard_does_not_block_forever(tmp_path):
    store = store_with_stale_lock(tmp_path / "s")
    guard = store.dir / ".lock.takeover"
    guard.write_text("")
    with pytest.raises(StoreLocked):         # a takeover in progress (a fresh guard): refused
        with store.lock():
            pass
    old = time.time() - 3600
    os.utime(guard, (old, old))               # left by a crash an hour ago
    with store.lock():
        assert store.holds_lock()
    assert not store.lock_path.exists() and not guard.exists()


def test_pointer_file_and_folder_are_fsynced(tmp_path, monkeypatch):
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc to name fsynced descriptors")
    store = Store(tmp_path / "s")
    store.save_month("2026-10", tables("2026-10", 2, ["A"]), {"run": 1})
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", str(src), str(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    final = store.save_month("2026-10", tables("2026-10", 1, ["B"]), {"run": 2})
    monkeypatch.undo()
    pointer = str(store.months_dir / "2026-10.current")
    swap = next(i for i, e in enumerate(events) if e[0] == "replace" and e[2] == pointer)
    tmp_pointer = events[swap][1]
    before, after = events[:swap], events[swap + 1:]
    assert ("fsync", tmp_pointer) in before, "the pointer's content is on disk before it replaces the old one"
    assert ("fsync", str(store.months_dir)) in after, "the replacement itself is made durable"
    assert ("fsync", str(store.months_dir)) in before, "the version folder's rename is durable before the swap"
    assert all(("fsync", str(final.with_name(f".tmp-2026-10.{final.name.split('.', 1)[1]}") / f"{t}.parquet"))
               in before for t in ("schools", "findings"))
    assert store.load_month("2026-10").meta["run"] == 2


def test_rerunning_a_month_replaces_every_sheet_table_atomically(tmp_path, monkeypatch):
    """A re-run whose commit fails leaves the previous run's rows of every sheet; a completed re-run replaces them all."""
    from rollup_helpers import child_id, cover, dropout, leave, register, stamp, write_book

    from baoxue.rollup import run_rollup
    reg = register(tmp_path / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "初中", "城区")])
    pid, other = child_id(7, "八年级", "2026-10"), child_id(8, "七年级", "2026-10")
    when = dt.datetime(2026, 10, 20, tzinfo=dt.timezone.utc)

    def book(enrol, rows):
        stamp(write_book(tmp_path / "inbox" / "a.xlsx", cover("4310000001", "城关中学", "城关镇", "2026-10",
                                                               enrol=enrol), rows), when)

    book(100, {"休学": [leave(pid, "钱小多", "八年级", dt.date(2026, 10, 8))]})
    store = Store(tmp_path / "store")
    run_rollup(tmp_path / "inbox", "2026-10", reg, store_dir=store.dir, workers=1)
    first = store.load_month("2026-10")
    assert list(first["leaves"]["身份证号"]) == [pid] and list(first["covers"]["八年级在校生数"]) == [100]
    assert len(first["cases"]) == 0

    book(50, {"辍学": [dropout(other, "孙小少", "七年级", dt.date(2026, 10, 9))]})
    crash_on_pointer_switch(monkeypatch)
    with pytest.raises(OSError):
        run_rollup(tmp_path / "inbox", "2026-10", reg, store_dir=store.dir, workers=1)
    monkeypatch.undo()
    kept = store.load_month("2026-10")
    assert kept.meta["created_at"] == first.meta["created_at"]
    for table in ("leaves", "covers", "cases", "open_rows", "schools"):
        pd.testing.assert_frame_equal(kept[table], first[table])
    assert not store.lock_path.exists()

    run_rollup(tmp_path / "inbox", "2026-10", reg, store_dir=store.dir, workers=1)
    now = store.load_month("2026-10")
    assert len(now["leaves"]) == 0 and list(now["cases"]["身份证号"]) == [other]
    assert list(now["covers"]["八年级在校生数"]) == [50]
    assert [p for p in store.months_dir.iterdir() if p.is_dir()] == [store._version_dir("2026-10")]
