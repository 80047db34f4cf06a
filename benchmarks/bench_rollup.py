"""Roll-up benchmark (issue 14): what a data officer waits for — the whole ``baoxue rollup`` command.

For each kind of county (``rollup_books.py``: ``small`` books as another tool saves them, ``template``-made books), of
N schools for one month, measured in the same run:
  (a) the parse floor: a bare python-calamine read of every sheet of every file, in one process;
  (b) a naive loop of ``pandas.read_excel(sheet_name=None, engine="openpyxl")`` (timed on a sample of files and
      scaled to N, because the full loop takes minutes);
  (c) ``baoxue rollup INBOX --month M --register REG --store <fresh> --out 月报表.xlsx`` as a subprocess (start-up,
      reading, validation, store, report): cold, then the re-run with nothing changed (answered from the store's
      record, ``rollup/replay.py``), then one more after one book was saved again (a late school's file: a whole
      roll-up, every other book from the store's per-file result cache);
  (d) secondary: ``run_rollup`` + ``write_report`` in this process (imports already loaded), fresh store;
  (e) the least any roll-up of these books can take here: a subprocess that starts Python, imports pandas (the rules'
      and the figures' library) and reads every book with baoxue's guarded reader (``read_workbook``: the zip-bomb,
      size and formula checks a clerk's file must pass, and the typed cells every rule works on) on all cores — no
      rule, no stamp check, no store, no report. When (e) alone is over 2× (a), or (b) ÷ (e) is under 30, the goals
      cannot be met by any roll-up that keeps those checks: the bench says so.
The commands run as an installed baoxue runs: its modules byte-compiled first (as ``pip install`` of a wheel does;
``pip install -e`` leaves that to the first run) and without PYTHONDONTWRITEBYTECODE, which a developer's shell may set.
(a), (b), (e) and the cold run of (c) are measured in turn over ``--rounds`` rounds and the best of each compared. It prints
the ratios against the goals (cold CLI ≤ 2× (a) and ≥ 30× faster than (b); re-run ≤ 0.3× cold) and the peak
RSS of the CLI's main process and of its largest child process, projected to 20,000 schools (goal: main < 1.5 GB).

    .venv/bin/python benchmarks/bench_rollup.py [--schools 2000] [--kinds small,template] [--workers N]
        [--workdir /tmp/baoxue-bench-rollup] [--naive-sample 60] [--setup-only]

The generated, stamped counties are cached in --workdir by kind and size. Not a test: nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rollup_books  # noqa: E402

PROJECT_TO = 20_000
# Runs the installed ``baoxue`` console script exactly as a user does, then records the peak RSS of this process and
# of its largest child (the process pool's workers and the 月报表's forked writer, all joined by then; a forked
# child's RSS counts the pages it shares with the main process) in the file named by BAOXUE_BENCH_RSS.
RSS_WRAPPER = """\
import atexit, json, os, resource, runpy, sys
def _rss():
    with open(os.environ["BAOXUE_BENCH_RSS"], "w") as fh:
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        json.dump({"main": me.ru_maxrss, "worker": kids.ru_maxrss,
                   "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime}, fh)
atexit.register(_rss)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


# (e): the guarded read of every book on all cores after the imports the rules need; nothing else.
LOWER_BOUND = """\
import sys, os
from multiprocessing import get_context
import pandas  # noqa: F401 — what every roll-up imports for its rules and figures
from baoxue.reader import read_workbook
import python_calamine  # noqa: F401
files = open(sys.argv[1], encoding="utf-8").read().splitlines()
def read(chunk):
    for p in chunk:
        read_workbook(p, pipelined=False)
    return len(chunk)
if __name__ == "__main__":
    n = os.cpu_count() or 1
    size = max(1, len(files) // (n * 4))
    with get_context("fork").Pool(n) as pool:
        assert sum(pool.imap_unordered(read, [files[i:i + size] for i in range(0, len(files), size)])) == len(files)
"""


def user_env() -> dict[str, str]:
    """The environment of a user's shell: no PYTHONDONTWRITEBYTECODE (a developer setting; with it every run would
    compile baoxue's modules again)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def compile_baoxue() -> None:
    """Byte-compile baoxue as an installed wheel has it (pip compiles a wheel's modules when it installs them; an
    editable install leaves that to the first run, or to every run under PYTHONDONTWRITEBYTECODE)."""
    import compileall
    import importlib.util
    for package in ("baoxue", "baoxue.validators"):
        compileall.compile_dir(str(Path(importlib.util.find_spec(package).origin).parent), quiet=1)


def lower_bound(files: list[Path]) -> float:
    """(e): wall seconds of the guarded read alone, as a subprocess (start-up and imports included)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(str(p) for p in files))
        listing = fh.name
    try:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", LOWER_BOUND, listing], check=True, env=user_env())
        return time.perf_counter() - t
    finally:
        os.unlink(listing)


def baoxue_script() -> str:
    exe = Path(sys.executable).with_name("baoxue")
    if not exe.exists():
        sys.exit(f"找不到 {exe}：请先 make install-dev")
    return str(exe)


def calamine_floor(files: list[Path]) -> tuple[float, float]:
    """(wall s, CPU s) of the bare read."""
    import python_calamine
    t, c = time.perf_counter(), time.process_time()
    for p in files:
        wb = python_calamine.CalamineWorkbook.from_path(str(p))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()
        wb.close()
    return time.perf_counter() - t, time.process_time() - c


def naive_pandas(files: list[Path]) -> float:
    import pandas as pd
    t = time.perf_counter()
    for p in files:
        pd.read_excel(p, sheet_name=None, engine="openpyxl")
    return time.perf_counter() - t


def run_cli(inbox: Path, register: Path, store: Path, out: Path, workers: int | None) -> tuple[float, dict, str]:
    """One ``baoxue rollup`` subprocess: (wall seconds, {"main": KB, "worker": KB}, first summary line)."""
    cmd = [sys.executable, "-c", RSS_WRAPPER, baoxue_script(), "rollup", str(inbox), "--month", rollup_books.MONTH,
           "--register", str(register), "--store", str(store), "--out", str(out)]
    if workers:
        cmd += ["--workers", str(workers)]
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        rss_file = fh.name
    env = {**user_env(), "BAOXUE_BENCH_RSS": rss_file}
    try:
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - t
        if p.returncode != 0:
            sys.exit(f"baoxue rollup 失败（退出码 {p.returncode}）：\n{p.stderr[-2000:]}")
        rss = json.loads(Path(rss_file).read_text())
    finally:
        os.unlink(rss_file)
    return wall, rss, (p.stdout.splitlines() or [""])[0]


def in_process(inbox: Path, register: Path, store: Path, out: Path, workers: int | None) -> tuple[float, float]:
    from baoxue.rollup import run_rollup, write_report
    shutil.rmtree(store, ignore_errors=True)
    t = time.perf_counter()
    result = run_rollup(inbox, rollup_books.MONTH, register, store_dir=store, workers=workers)
    rolled = time.perf_counter() - t
    t = time.perf_counter()
    write_report(result, out)
    return rolled, time.perf_counter() - t


def mb(kb: float) -> str:
    return f"{kb / 1024:7.0f} MB"


def bench_kind(county: rollup_books.County, args) -> dict:
    files = county.files
    n = len(files)
    work = county.root / "run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    calamine_floor(files[: min(n, 50)])  # warm the page cache
    load = os.getloadavg()[0]
    # the floor and the cold command alternately, each with a fresh store: this machine's speed drifts by up to 2×
    # within minutes (other tenants), so one pair can land on a fast floor and a slow command or the other way round;
    # the best of each over the rounds is compared, and every round's own ratio is printed
    floors, colds, naives, bounds, fixed = [], [], [], [], []
    store, out = work / "store", work / "月报表.xlsx"
    sample = files[:: max(1, n // max(1, args.naive_sample))][: args.naive_sample]
    for _ in range(args.rounds):
        floors.append(calamine_floor(files))
        naives.append(naive_pandas(sample) * n / len(sample))
        bounds.append(lower_bound(files))
        fixed.append(lower_bound([]))
        shutil.rmtree(store, ignore_errors=True)
        colds.append(run_cli(county.inbox, county.register, store, out, args.workers))
    floor, floor_cpu = min(floors)
    cold, rss, summary = min(colds, key=lambda c: c[0])
    rounds = [c[0] / f[0] for f, c in zip(floors, colds)]
    rerun, rss_rerun, _ = run_cli(county.inbox, county.register, store, out, args.workers)
    late = files[len(files) // 2]
    late.write_bytes(late.read_bytes())   # the same bytes saved again: a new status, so a whole run, one book read
    one_new, rss_one_new, _ = run_cli(county.inbox, county.register, store, out, args.workers)

    empty = work / "empty-inbox"
    empty.mkdir()
    _, rss0, _ = run_cli(empty, county.register, work / "store-empty", work / "empty.xlsx", args.workers)

    rolled, report = in_process(county.inbox, county.register, work / "store-in-process", work / "in-process.xlsx",
                                args.workers)

    naive = min(naives)
    bound = min(bounds)
    start = min(fixed)   # (e) without a book: Python, pandas, the reader, the pool
    least = start + floor / (os.cpu_count() or 1)   # … and the bare parse split over every core: no check at all

    size = sum(p.stat().st_size for p in files) / n / 1024
    main_projected = rss0["main"] + (rss["main"] - rss0["main"]) * PROJECT_TO / n
    print(f"\n== {county.kind}: {n} 个学校工作簿（平均 {size:.0f} KB），{rollup_books.MONTH}，CPU 核 {os.cpu_count()}，"
          f"系统负载 {load:.1f} → {os.getloadavg()[0]:.1f}（1 分钟平均）")
    print(f"   {summary}")
    print(f"(a) 底线：calamine 裸读全部工作表（单进程）          {floor:8.2f} s   （{args.rounds} 轮中最快；各轮 "
          f"{', '.join(f'{f:.2f}' for f, _ in floors)} s）")
    print(f"(b) 朴素：pandas.read_excel(openpyxl) 循环           {naive:8.2f} s   （按 {len(sample)} 个文件抽样折算，{args.rounds} 轮中最快）")
    print(f"(c) baoxue rollup 命令（新历史库，--out，首次）      {cold:8.2f} s   （{args.rounds} 轮中最快；各轮 "
          f"{', '.join(f'{c[0]:.2f}' for c in colds)} s）")
    print(f"    同月重跑（文件未变）                             {rerun:8.2f} s")
    print(f"    同月重跑（一个工作簿重新保存，其余来自结果缓存）   {one_new:8.2f} s   （CPU {rss_one_new['cpu']:.2f} s）")
    print(f"(d) 进程内 run_rollup + write_report（次要）         {rolled + report:8.2f} s   "
          f"（汇总 {rolled:.2f} s + 月报表 {report:.2f} s）")
    print(f"(e) 下限：Python 启动 + 导入 pandas + 受保护读取（全部核），不校验、不入库、不写月报表 {bound:8.2f} s   "
          f"（{args.rounds} 轮中最快；各轮 {', '.join(f'{b:.2f}' for b in bounds)} s）")
    print(f"    cold / floor  = {cold / floor:6.2f}×   (目标 ≤ 2×；各轮 {', '.join(f'{r:.2f}' for r in rounds)}×)")
    print(f"    naive / cold  = {naive / cold:6.1f}×   (目标 ≥ 30×)")
    print(f"    rerun / cold  = {rerun / cold:6.2f}×   (目标 ≤ 0.3×)")
    print(f"    下限 (e)：bound / floor = {bound / floor:.2f}×，naive / bound = {naive / bound:.1f}×；cold / bound = "
          f"{cold / bound:.2f}×")
    print(f"    其中启动部分（无工作簿）{start:.2f} s；启动 + 裸读平分到各核 = {least:.2f} s：不做任何检查时 naive / 它 = "
          f"{naive / least:.1f}×，它 / floor = {least / floor:.2f}×")
    if bound > 2 * floor or naive / bound < 30:
        print("    ⇒ 保留读取检查时，任何汇总都达不到"
              + "、".join(([f"≤ 2× 底线（下限已是 {bound / floor:.2f}×）"] if bound > 2 * floor else [])
                         + ([f"≥ 30× 朴素（下限只有 {naive / bound:.1f}×）"] if naive / bound < 30 else [])) + "。")
    print(f"    CPU 时间：底线 {floor_cpu:.2f} s；baoxue rollup 首次 {rss['cpu']:.2f} s（主进程与工作进程之和，"
          f"{rss['cpu'] / floor_cpu:.1f}× 底线），重跑 {rss_rerun['cpu']:.2f} s（{rss_rerun['cpu'] / rss['cpu']:.2f}× 首次），"
          f"空收件箱 {rss0['cpu']:.2f} s")
    print(f"    峰值内存：主进程 {mb(rss['main'])}，最大的子进程（工作进程或写月报表的进程，含与主进程共享的内存页）"
          f"{mb(rss['worker'])}"
          f"（空收件箱时主进程 {mb(rss0['main'])}）")
    print(f"    折算到 {PROJECT_TO} 所学校：主进程 ≈ {mb(main_projected)}   (目标 < 1.5 GB；"
          f"工作进程按批处理，与学校数无关)")
    return {"kind": county.kind, "n": n, "load": load, "floor": floor, "floor_cpu": floor_cpu, "naive": naive, "cold": cold, "floors": floors, "colds": [c[0] for c in colds], "rerun": rerun, "rerun_cpu": rss_rerun["cpu"],
            "one_new": one_new, "one_new_cpu": rss_one_new["cpu"],
            "in_process": rolled + report, "bound": bound, "bounds": bounds, "start": start, "least": least, "rss": rss, "rss_empty": rss0, "main_projected_kb": main_projected}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schools", type=int, default=2000)
    ap.add_argument("--kinds", default=",".join(rollup_books.KINDS), help="small,template")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "baoxue-bench-rollup")
    ap.add_argument("--naive-sample", type=int, default=60, help="files timed for the naive pandas loop")
    ap.add_argument("--rounds", type=int, default=3, help="floor / cold command pairs (the best of each is compared)")
    ap.add_argument("--workers", type=int, default=None, help="baoxue rollup --workers (default: all cores)")
    ap.add_argument("--setup-workers", type=int, default=os.cpu_count() or 2, help="processes generating the books")
    ap.add_argument("--setup-only", action="store_true", help="only generate and stamp the counties (cached)")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    counties = [rollup_books.county(k, args.schools, args.workdir, args.setup_workers) for k in kinds]
    if args.setup_only:
        return
    compile_baoxue()
    figures = [bench_kind(c, args) for c in counties]
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
