"""History store: months saved and read back through DuckDB, atomic replacement, the writer lock."""
from __future__ import annotations

import json
import multiprocessing
import os
import socket
import time

import pandas as pd
import pytest

from baoxue.rollup.store import Store, StoreLocked


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


def test_stale_lock_of_dead_process_is_taken_over(tmp_path):
    store = Store(tmp_path / "s")
    store.dir.mkdir(parents=True)
    proc = multiprocessing.get_context("fork").Process(target=time.sleep, args=(0,))
    proc.start()
    proc.join()
    store.lock_path.write_text(json.dumps({"pid": proc.pid, "host": socket.gethostname(), "started": "x"}))
    store.save_month("2026-10", tables("2026-10", 1, ["A"]), {})
    assert store.months() == ["2026-10"] and not store.lock_path.exists()


def test_interrupted_write_leaves_previous_version(tmp_path, monkeypatch):
    store = Store(tmp_path / "s")
    store.save_month("2026-10", tables("2026-10", 2, ["A", "B"]), {"run": 1})
    real_replace = os.replace

    def crash(src, dst):
        if str(dst).endswith(".current"):
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash)
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
            run_rollup(tmp_path / "inbox", "2026-10", tmp_path / "no-register-needed.xlsx", store_dir=store.dir)
