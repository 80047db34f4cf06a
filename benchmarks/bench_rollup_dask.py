"""Province scale on Dask (issue 14 item 3): the roll-up of N books (default 2,000) on a ``distributed.LocalCluster``
with 1 worker and with 2 workers (one process and one thread each), measured in the same run.

Prints each wall time (the cluster started and its workers' imports done beforehand, not counted, as on a standing
cluster), the speed-up (goal ≥ 1.7× on two cores), the CPU seconds of the main process and of each worker (and the
speed-up they imply on two otherwise idle cores: a load-robust figure), the peak RSS of the main process and of the
workers, and the time projected for 20,000 schools: the 2-worker rate scaled
linearly (per-file work is independent; the serial part — rules, figures — is measured with it), and per worker, for a
cluster of W such workers, 20,000 / (W × files per second per worker).

    .venv/bin/python benchmarks/bench_rollup_dask.py [--schools 2000] [--kind small|template]
        [--workdir /tmp/baoxue-bench-rollup]

The books are ``rollup_books.py``'s (generated once, cached). Not a test: nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rollup_books  # noqa: E402

PROJECT_TO = 20_000


def _peak_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _warm() -> None:
    """What a long-running worker has loaded after its first task: baoxue's per-file code and python-calamine."""
    import python_calamine  # noqa: F401
    import baoxue.rollup.worker  # noqa: F401


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_on(county: rollup_books.County, n_workers: int) -> tuple[float, float, int, int, float, list[float]]:
    """(start-up s, roll-up s, peak RSS of the largest worker KB, schools counted, CPU s of this process, CPU s of
    each worker) on a fresh LocalCluster."""
    from distributed import Client, LocalCluster
    from baoxue.rollup import run_rollup
    t = time.perf_counter()
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:
        client.wait_for_workers(n_workers)
        client.run(_warm)   # workers up, answering and warm (imports are start-up, as on a standing cluster)
        started = time.perf_counter() - t
        before = client.run(_cpu_s)
        t, cpu = time.perf_counter(), _cpu_s()
        result = run_rollup(county.inbox, rollup_books.MONTH, county.register, store_dir=False,
                            dask=cluster.scheduler_address)
        rolled, cpu = time.perf_counter() - t, _cpu_s() - cpu
        workers_cpu = [after - before[w] for w, after in client.run(_cpu_s).items()]
        worker_rss = max(client.run(_peak_rss_kb).values())
    return started, rolled, worker_rss, result.county["schools_submitted"], cpu, workers_cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schools", type=int, default=2000)
    ap.add_argument("--kind", choices=rollup_books.KINDS, default="small")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "baoxue-bench-rollup")
    ap.add_argument("--setup-workers", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    county = rollup_books.county(args.kind, args.schools, args.workdir, args.setup_workers)
    n = len(county.files)
    import baoxue.rollup  # noqa: F401  (imports before timing, as a running notebook or service has them)
    load = os.getloadavg()[0]
    runs = {w: run_on(county, w) for w in (1, 2)}
    (s1, t1, rss1, c1, m1, w1), (s2, t2, rss2, c2, m2, w2) = runs[1], runs[2]
    print(f"== Dask LocalCluster：{n} 个 {args.kind} 学校工作簿（{rollup_books.MONTH}），CPU 核 {os.cpu_count()}，"
          f"系统负载 {load:.1f} → {os.getloadavg()[0]:.1f}（1 分钟平均）")
    print(f"   1 个工作进程：{t1:7.2f} s（集群启动 {s1:.1f} s 不计），有效报送 {c1} 所")
    print(f"   2 个工作进程：{t2:7.2f} s（集群启动 {s2:.1f} s 不计），有效报送 {c2} 所")
    print(f"   加速比 1→2：{t1 / t2:5.2f}×   (目标 ≥ 1.7×)")
    print(f"   CPU 时间：1 个工作进程 {sum(w1):.2f} s + 主进程 {m1:.2f} s；2 个工作进程 "
          f"{' + '.join(f'{w:.2f}' for w in w2)} s + 主进程 {m2:.2f} s")
    print(f"   按 CPU 时间估算（两核空闲时，主进程与工作进程不重叠的上限估计）：加速比 ≈ "
          f"{(sum(w1) + m1) / (max(w2) + m2):.2f}×")
    per_worker = n / t1   # files per second of one worker, the serial part included
    print(f"   折算到 {PROJECT_TO} 所学校：本机 2 个工作进程 ≈ {t2 * PROJECT_TO / n:6.0f} s；"
          f"每个工作进程 {per_worker:.0f} 个文件/秒，W 个工作进程的集群 ≈ {PROJECT_TO / per_worker:.0f}/W s")
    print(f"   峰值内存：主进程 {_peak_rss_kb() / 1024:.0f} MB（两次汇总之后），最大的工作进程 "
          f"{max(rss1, rss2) / 1024:.0f} MB")


if __name__ == "__main__":
    main()
