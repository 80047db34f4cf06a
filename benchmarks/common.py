"""Shared pieces of the benchmark scripts: the bare-read baseline and best-of-N timing."""
from __future__ import annotations

import time
from pathlib import Path

import python_calamine


def bare_read(path: Path) -> int:
    """The floor any reader pays: open with python-calamine and turn every sheet into Python lists."""
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    cells = 0
    for name in wb.sheet_names:
        cells += sum(len(r) for r in wb.get_sheet_by_name(name).to_python(skip_empty_area=False))
    wb.close()
    return cells


def best(fn, repeat: int, clock=time.perf_counter) -> float:
    """Best time of ``repeat`` runs (``clock=time.process_time`` for CPU time on a busy machine)."""
    times = []
    for _ in range(repeat):
        t = clock()
        fn()
        times.append(clock() - t)
    return min(times)


def best_interleaved(fns: dict, repeat: int, clock=time.perf_counter) -> dict:
    """Best time of each function, the functions taking turns in every round, so that a machine that speeds up or
    slows down during the run (other jobs, CPU frequency) affects baseline and candidate alike."""
    times = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t = clock()
            fn()
            times[name].append(clock() - t)
    return {name: min(ts) for name, ts in times.items()}
