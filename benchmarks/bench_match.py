"""Household-match benchmark (issue 10 item 9): a prefecture of about 300,000 children in the household lists and
300,000 rows in the 学籍 export, across 1,500 schools whose month's books are stamped in the inbox.

Prints `baoxue match`'s wall time — in-process (``run_match`` + ``write_outputs``) and as the whole CLI (a fresh
``baoxue match`` process: start-up, imports, reading, matching, writing, the store) — against a bare python-calamine read
of the same input files, measured in the same run:
  (a) the lists: every 户籍名单, the 学籍 export, 异地就读名单, 重点人群名单;
  (b) the lists and every school book of the inbox.
A cold run (empty store: every school book is parsed) is compared with (b); a warm run (the roll-up's result cache in
the store holds the unchanged books, as after the month's roll-up) with (a). Goal: at most 3× the bare read, peak memory
under 2 GB (the whole process tree, worker processes included, as proportional set size).

    .venv/bin/python benchmarks/bench_match.py [--schools 1500] [--workdir /tmp/baoxue-bench-match]

The generated prefecture (lists and stamped books) is cached in --workdir and reused by later runs with the same
--schools. Not a test: nothing here asserts on time.
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
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

MONTH = "2026-09"
PER_TOWNSHIP = 50


def _submit(job: tuple[list[str], str]) -> int:
    from baoxue.policy import DEFAULT
    from baoxue.submit import submit_files
    files, inbox = job
    return sum(1 for r in submit_files([Path(f) for f in files], Path(inbox), policy=DEFAULT) if r.ok)


def prepare(workdir: Path, n: int, workers: int) -> dict:
    """Generate the books (stamped into the inbox, as `baoxue submit` does) and the lists once, cached by school count."""
    from baoxue.demo import generate_many_schools
    from baoxue.demo_household import plan_household, write_household_inputs
    marker = workdir / f".ready-{n}.json"
    if marker.exists():
        return json.loads(marker.read_text(encoding="utf-8"))
    shutil.rmtree(workdir, ignore_errors=True)
    t = time.perf_counter()
    county = generate_many_schools(workdir / "books", n_schools=n, month=MONTH, seed=2026, mistakes=False)
    files = [str(p) for p in county.files(MONTH)]
    inbox = workdir / "收件箱"
    chunks = [(files[i::workers * 4], str(inbox)) for i in range(workers * 4)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        stamped = sum(pool.map(_submit, chunks))
    print(f"准备：{n} 个学校工作簿已生成并报送（{stamped} 份加戳），用时 {time.perf_counter() - t:.0f} 秒", file=sys.stderr)
    t = time.perf_counter()
    demo = plan_household(county, MONTH)
    paths = write_household_inputs(demo, workdir / "名单")
    info = {"inbox": str(inbox), "register": str(county.register_path), "schools": n,
            "household": [str(p) for p in paths["household"]], "xueji": str(paths["xueji"]),
            "elsewhere": str(paths["elsewhere"]), "key_groups": [str(paths["key_groups"])],
            "household_rows": sum(len(r) for r in demo.household.values()), "xueji_rows": len(demo.xueji)}
    print(f"准备：户籍名单 {info['household_rows']} 行（{len(info['household'])} 个文件），学籍名单 {info['xueji_rows']} 行，"
          f"用时 {time.perf_counter() - t:.0f} 秒（已缓存于 {workdir}）", file=sys.stderr)
    marker.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    return info


def list_files(info: dict) -> list[Path]:
    return [Path(p) for p in (*info["household"], info["xueji"], info["elsewhere"], *info["key_groups"])]


def bare_read(files: list[Path]) -> float:
    """The floor: open each file with python-calamine and turn every sheet into Python lists, one process."""
    import python_calamine
    t = time.perf_counter()
    for p in files:
        wb = python_calamine.CalamineWorkbook.from_path(str(p))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()
        wb.close()
    return time.perf_counter() - t


def cli_args(info: dict, store: Path, out: Path) -> list[str]:
    return ["match", "--household", *info["household"], "--xueji", info["xueji"], "--inbox", info["inbox"],
            "--register", info["register"], "--month", MONTH, "--elsewhere", info["elsewhere"],
            "--key-groups", *info["key_groups"], "--store", str(store), "--out", str(out)]


def run_measured(cmd: list[str]) -> tuple[float, float, int, str]:
    """Run ``cmd``: (wall seconds, peak memory MB of its whole process tree, exit code, stdout). The tree's memory is
    sampled every 0.2 s as the sum of each process's proportional set size (PSS: pages shared by the roll-up's worker
    processes count once), so worker processes count too."""
    import threading
    import psutil
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def sample() -> None:
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_full_info().pss
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        pass
            except psutil.NoSuchProcess:
                break
            peak[0] = max(peak[0], total / 2**20)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t
    sampler.join()
    if proc.returncode != 0:
        print(err[-3000:], file=sys.stderr)
    return wall, peak[0], proc.returncode, out


def run_cli(info: dict, store: Path, out: Path) -> tuple[float, float, int]:
    """The whole CLI in a fresh process: (wall seconds, peak MB of its process tree, exit code)."""
    exe = Path(sys.executable).with_name("baoxue")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "baoxue"]
    wall, peak, code, _out = run_measured([*cmd, *cli_args(info, store, out)])
    return wall, peak, code


def in_process(info: dict, store: Path, out: Path) -> dict:
    """``run_match`` + ``write_outputs`` in a fresh interpreter (its own imports and memory), timed inside it; its
    process tree's peak memory sampled from outside."""
    code = f"""
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from baoxue.household import run_match, write_outputs
from baoxue.policy import DEFAULT
t1 = time.perf_counter()
info = json.loads({json.dumps(json.dumps(info, ensure_ascii=False))})
r = run_match(household=[Path(p) for p in info["household"]], xueji=Path(info["xueji"]), inbox=Path(info["inbox"]),
              register=Path(info["register"]), month={MONTH!r}, elsewhere=Path(info["elsewhere"]),
              key_groups=[Path(p) for p in info["key_groups"]], store=Path({str(store)!r}))
t2 = time.perf_counter()
files = write_outputs(r, Path({str(out)!r}))
t3 = time.perf_counter()
print(json.dumps({{"imports": t1 - t0, "match": t2 - t1, "write": t3 - t2, "school_age": r.county["school_age"],
                  "to_verify": r.county["to_verify"], "findings": len(r.findings),
                  "checklists": len(files.get("checklists") or {{}})}}))
"""
    _wall, peak, code, stdout = run_measured([sys.executable, "-c", code])
    if code != 0:
        raise SystemExit("run_match failed")
    return {**json.loads(stdout.strip().splitlines()[-1]), "peak_mb": peak}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schools", type=int, default=1500)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "baoxue-bench-match")
    ap.add_argument("--setup-workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--setup-only", action="store_true", help="only generate the prefecture (cached)")
    args = ap.parse_args()
    if args.schools % PER_TOWNSHIP:
        ap.error(f"--schools: a multiple of {PER_TOWNSHIP}")

    info = prepare(args.workdir, args.schools, args.setup_workers)
    if args.setup_only:
        return
    load = os.getloadavg()[0]
    lists = list_files(info)
    books = sorted(Path(info["inbox"]).rglob("*.xlsx"))
    bare_read(lists[:1])                                   # warm the page cache and the imports
    floor_lists = bare_read(lists)
    floor_books = bare_read(books)
    floor_all = floor_lists + floor_books

    store, out = args.workdir / "store", args.workdir / "输出"
    shutil.rmtree(store, ignore_errors=True)
    cold = in_process(info, store, out)                    # empty store: every school book is parsed
    warm = in_process(info, store, out)                    # the books from the store's result cache
    cli_wall, cli_peak, code = run_cli(info, store, out)   # warm, the whole command
    shutil.rmtree(store, ignore_errors=True)
    cli_cold_wall, cli_cold_peak, code_cold = run_cli(info, store, out)

    cold_total = cold["imports"] + cold["match"] + cold["write"]
    warm_total = warm["imports"] + warm["match"] + warm["write"]
    print(f"县市：{info['schools']} 所学校，户籍名单 {info['household_rows']} 行（{len(info['household'])} 个文件），"
          f"学籍名单 {info['xueji_rows']} 行；适龄儿童 {warm['school_age']} 人，待核查 {warm['to_verify']} 人，"
          f"问题 {warm['findings']} 条，核查清单 {warm['checklists']} 份；CPU 核 {os.cpu_count()}；"
          f"系统负载 {load:.1f} → {os.getloadavg()[0]:.1f}（1 分钟平均）")
    print(f"(a) calamine 裸读名单（{len(lists)} 个文件）            {floor_lists:8.2f} s")
    print(f"(b) calamine 裸读名单 + 收件箱 {len(books)} 个学校工作簿    {floor_all:8.2f} s")
    print(f"    进程内 冷（空历史库）：导入 {cold['imports']:.2f} + 比对 {cold['match']:.2f} + 写出 {cold['write']:.2f}"
          f" = {cold_total:8.2f} s，峰值内存 {cold['peak_mb']:.0f} MB")
    print(f"    进程内 热（历史库缓存）：导入 {warm['imports']:.2f} + 比对 {warm['match']:.2f} + 写出 {warm['write']:.2f}"
          f" = {warm_total:8.2f} s，峰值内存 {warm['peak_mb']:.0f} MB")
    print(f"    整个命令 baoxue match 冷                     {cli_cold_wall:8.2f} s，峰值内存 {cli_cold_peak:.0f} MB"
          f"（返回码 {code_cold}）")
    print(f"    整个命令 baoxue match 热                     {cli_wall:8.2f} s，峰值内存 {cli_peak:.0f} MB（返回码 {code}）")
    print(f"热 进程内 / (a) = {warm_total / floor_lists:.2f}×   整个命令 热 / (a) = {cli_wall / floor_lists:.2f}×   (目标 ≤ 3×)")
    print(f"冷 进程内 / (b) = {cold_total / floor_all:.2f}×   整个命令 冷 / (b) = {cli_cold_wall / floor_all:.2f}×   (目标 ≤ 3×)")
    print(f"峰值内存 {max(cli_peak, cli_cold_peak, cold['peak_mb'], warm['peak_mb']):.0f} MB   (目标 < 2048 MB)")


if __name__ == "__main__":
    main()
