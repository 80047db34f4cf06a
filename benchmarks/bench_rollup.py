"""Roll-up benchmark (issue 5 item 8): a generated county of N school workbooks for one month.

Prints the roll-up's wall time against, measured in the same run:
  (a) the parse floor: a bare python-calamine read of every sheet of every file, in one process;
  (b) a naive loop of ``pandas.read_excel(sheet_name=None, engine="openpyxl")`` over the same files (timed on a sample
      of files and scaled to N, because the full loop takes many minutes).
Goals: roll-up ≤ 2× (a) and ≥ 20× faster than (b), using both cores.

    .venv/bin/python benchmarks/bench_rollup.py [--schools 2000] [--workdir /tmp/baoxue-bench-rollup] [--naive-sample 60]

The generated and stamped county is cached in --workdir and reused by later runs with the same --schools.
Not a test: nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

MONTH = "2026-09"


def _write_stamped(job: tuple[str, dict, dict]) -> None:
    """Write one school workbook from the template and stamp it as `baoxue submit` would (without re-loading it)."""
    from baoxue import template
    from baoxue.fill import fill_workbook
    from baoxue.policy import DEFAULT
    from baoxue.reader import read_workbook
    from baoxue.stamp import make_stamp, write_stamp
    path, cover, rows = job
    wb = template.build_school_workbook()
    fill_workbook(wb, cover, rows)
    wb.save(path)
    write_stamp(wb, make_stamp(read_workbook(path), DEFAULT, now=dt.datetime(2026, 9, 29, 8, tzinfo=dt.timezone.utc)))
    wb.save(path)


def prepare(workdir: Path, n: int, workers: int) -> tuple[Path, Path, list[Path]]:
    """Generate and stamp the county once (cached by school count)."""
    from baoxue.demo import plan_county, write_register
    marker = workdir / f".ready-{n}"
    inbox, register = workdir / "inbox", workdir / "学校名录.xlsx"
    if not marker.exists():
        shutil.rmtree(workdir, ignore_errors=True)
        t = time.perf_counter()
        county = plan_county(townships=max(1, -(-n // 50)), schools_per_township=50, months=(MONTH,), seed=2026,
                             mistakes=True)
        schools = county.schools[:n]
        jobs = []
        for school in schools:
            book = county.book(school.code, MONTH)
            path = inbox / school.township / school.file_name
            path.parent.mkdir(parents=True, exist_ok=True)
            jobs.append((str(path), book.cover, book.rows))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            list(pool.map(_write_stamped, jobs, chunksize=8))
        write_register(register, schools)
        marker.write_text("ok")
        print(f"准备：生成并盖戳 {len(jobs)} 个学校工作簿，用时 {time.perf_counter() - t:.0f} 秒（已缓存于 {workdir}）",
              file=sys.stderr)
    files = sorted(inbox.rglob("*.xlsx"))
    return inbox, register, files


def calamine_floor(files: list[Path]) -> float:
    import python_calamine
    t = time.perf_counter()
    for p in files:
        wb = python_calamine.CalamineWorkbook.from_path(str(p))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()
        wb.close()
    return time.perf_counter() - t


def naive_pandas(files: list[Path]) -> float:
    import pandas as pd
    t = time.perf_counter()
    for p in files:
        pd.read_excel(p, sheet_name=None, engine="openpyxl")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schools", type=int, default=2000)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "baoxue-bench-rollup")
    ap.add_argument("--naive-sample", type=int, default=60, help="files timed for the naive pandas loop")
    ap.add_argument("--workers", type=int, default=None, help="roll-up processes (default: all cores)")
    ap.add_argument("--setup-workers", type=int, default=os.cpu_count() or 2, help="processes generating the county")
    ap.add_argument("--setup-only", action="store_true", help="only generate and stamp the county (cached)")
    args = ap.parse_args()

    from baoxue.rollup import run_rollup, write_report

    inbox, register, files = prepare(args.workdir, args.schools, args.setup_workers)
    if args.setup_only:
        return
    n = len(files)
    calamine_floor(files[: min(n, 50)])                      # warm the page cache and the imports
    floor = calamine_floor(files)

    store = args.workdir / "store"
    shutil.rmtree(store, ignore_errors=True)
    t = time.perf_counter()
    result = run_rollup(inbox, MONTH, register, store_dir=store, workers=args.workers)
    rollup = time.perf_counter() - t
    t = time.perf_counter()
    write_report(result, args.workdir / "月报表.xlsx", store=store)
    report = time.perf_counter() - t
    t = time.perf_counter()
    run_rollup(inbox, MONTH, register, store_dir=store, workers=args.workers)   # unchanged files: from the cache
    rerun = time.perf_counter() - t

    sample = files[:: max(1, n // max(1, args.naive_sample))][: args.naive_sample]
    naive = naive_pandas(sample) * n / len(sample)

    print(f"学校工作簿 {n} 个（{MONTH}），CPU 核 {os.cpu_count()}；有效报送 {result.county['schools_submitted']} 所，"
          f"问题 {len(result.findings)} 条")
    print(f"(a) calamine 裸读全部工作表（单进程）   {floor:8.2f} s")
    print(f"(b) pandas.read_excel(openpyxl) 循环    {naive:8.2f} s  （按 {len(sample)} 个文件抽样折算）")
    print(f"    baoxue rollup（读取+批量校验+汇总+历史库） {rollup:8.2f} s")
    print(f"    月报表写出                          {report:8.2f} s")
    print(f"    同月重跑（文件未变，用历史库缓存）  {rerun:8.2f} s")
    print(f"rollup / floor = {rollup / floor:.2f}×   (目标 ≤ 2×)")
    print(f"naive / rollup = {naive / rollup:.1f}×   (目标 ≥ 20×)")


if __name__ == "__main__":
    main()
