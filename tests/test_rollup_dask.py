"""The Dask path on a real distributed.LocalCluster (2 workers) and the process pool give exactly the in-process result."""
from __future__ import annotations

import datetime as dt

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
