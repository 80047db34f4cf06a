"""The roll-up benchmark runs end to end on a tiny county and reports every figure it prints (not timed: nothing here
asserts on speed)."""
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_rollup.py"


def test_bench_rollup_prints_and_records_every_figure(tmp_path):
    out = tmp_path / "figures.json"
    r = subprocess.run([sys.executable, str(BENCH), "--schools", "24", "--kinds", "small", "--rounds", "1",
                        "--naive-sample", "3", "--workdir", str(tmp_path / "work"), "--json", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    [fig] = json.loads(out.read_text())
    assert fig["kind"] == "small" and fig["n"] == 24
    for key in ("floor", "naive", "cold", "rerun", "one_new", "bound", "start", "least"):
        assert fig[key] > 0, key
    # (e) is the start-up without a book plus the read; "least" is that start-up plus the bare parse over the cores
    assert fig["start"] < fig["least"]
    assert "24 所，有效报送 24 所" in r.stdout
    assert "(e) 下限" in r.stdout and "bound / floor" in r.stdout
    unreachable = fig["bound"] > 2 * fig["floor"] or fig["naive"] / fig["bound"] < 30
    assert ("任何汇总都达不到" in r.stdout) == unreachable
