"""The Dask path on a real distributed.LocalCluster (2 workers) and the process pool give exactly the in-process result."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rollup_helpers import stamp

from baoxue.demo import generate_county
from baoxue.rollup import run_rollup

MONTH = "2026-10"


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    root = tmp_path_factory.mktemp("dask")
    county = generate_county(root / "demo", townships=2, schools_per_township=4, months=(MONTH,), seed=3,
                             mistakes=True, workers=2)
    for path in county.files():
        stamp(path, dt.datetime(2026, 10, 26, tzinfo=dt.timezone.utc))
    (root / "demo" / MONTH / "坏文件.xlsx").write_bytes(b"PK\x03\x04 truncated")
    return root / "demo", county.register_path


def comparable(result):
    doc = result.to_json(masked=False)
    return doc, result.files, result.open_cases.to_dict("records"), result.overdue.to_dict("records")


def test_dask_and_pool_equal_in_process(county):
    inbox, reg = county
    here = run_rollup(inbox, MONTH, reg, store_dir=False, workers=1)
    seen = []
    on_dask = run_rollup(inbox, MONTH, reg, store_dir=False, dask=True, progress=lambda d, t, l: seen.append((d, t)))
    pooled = run_rollup(inbox, MONTH, reg, store_dir=False, workers=2)
    assert here.county["schools_submitted"] == 8 and any(f.rule == "S005" for f in here.findings)
    assert comparable(on_dask) == comparable(here)
    assert comparable(pooled) == comparable(here)
    assert seen and seen[-1][0] == seen[-1][1] == len(here.files)


# ---------------------------------------------------------------------------------------------- a worker dies mid-run
@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """192 template-made books (about six chunks on two workers: some are always in flight)."""
    from baoxue.demo import generate_many_schools
    root = tmp_path_factory.mktemp("dask-many")
    county = generate_many_schools(root / "county", n_schools=192, month=MONTH)
    return root / "county", county.register_path


def _killer(address: str):
    """A progress callback that, once the first chunk is back and others are running, SIGKILLs a Dask worker that is
    executing one (the nanny starts a new worker). ``state["killed"]`` says whether it did."""
    import os
    import signal
    from distributed import Client
    client = Client(address, timeout="30s")
    state = {"killed": None, "client": client}

    def busy(dask_worker):
        return len(dask_worker.state.executing) > 0

    def progress(done, total, label):
        if state["killed"] is None and 0 < done < total:
            executing = [w for w, yes in client.run(busy).items() if yes]
            if executing:
                pid = client.run(os.getpid, workers=[executing[0]])[executing[0]]
                os.kill(pid, signal.SIGKILL)
                state["killed"] = executing[0]
    return progress, state


def _cluster(**config):
    import dask
    from distributed import LocalCluster
    with dask.config.set(config):
        return LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50)


def test_a_killed_worker_loses_nothing_its_chunk_is_retried(many):
    inbox, reg = many
    here = run_rollup(inbox, MONTH, reg, store_dir=False, workers=1)
    with _cluster() as cluster:
        progress, state = _killer(cluster.scheduler_address)
        try:
            result = run_rollup(inbox, MONTH, reg, store_dir=False, dask=cluster.scheduler_address, progress=progress)
        finally:
            state["client"].close()
    assert state["killed"], "no worker was executing a chunk when the first one came back"
    assert len(result.files) == 192 and not any(f.rule == "S005" for f in result.findings)
    assert comparable(result) == comparable(here)


def test_a_chunk_lost_for_good_names_its_files(many):
    """With no retries allowed, the chunk of the killed worker fails: each of its files is listed as unreadable
    (S005, naming the file) and its school as not submitted (R001) — no school is silently missing."""
    inbox, reg = many
    with _cluster(**{"distributed.scheduler.allowed-failures": 0}) as cluster:
        progress, state = _killer(cluster.scheduler_address)
        try:
            result = run_rollup(inbox, MONTH, reg, store_dir=False, dask=cluster.scheduler_address, progress=progress)
        finally:
            state["client"].close()
    assert state["killed"]
    every = sorted(str(p.relative_to(inbox)) for p in inbox.rglob("*.xlsx") if p.name != reg.name)
    assert sorted(f["file"] for f in result.files) == every
    lost = [f for f in result.files if f["status"] == "无法读取"]
    assert lost
    s005 = {f.file: f.message for f in result.findings if f.rule == "S005"}
    for f in lost:
        assert Path(f["file"]).name in s005[f["file"]] and "Dask" in s005[f["file"]]
    missing = {f.school for f in result.findings if f.rule == "R001"}
    for school in result.schools:   # listed with its file (unstamped books here: R003), or as not submitted
        assert school["submitted"] or school["code"] in missing
    assert len(missing) == len(lost) and len(result.schools) == 192
