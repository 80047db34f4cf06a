"""Benchmark: the reader on a 5,000-row school workbook against a bare python-calamine read of the same file.

    .venv/bin/python benchmarks/bench_read.py [--rows 5000] [--repeat 5]

The bare read opens the file with python-calamine and converts every sheet to Python lists: the floor any reader pays.
``read_workbook`` adds the S005 sniff and zip checks, the formula scan, header detection, normalisation and typing.
Goal: ≤ 1.5×. Prints the best of ``--repeat`` runs of each, measured in the same run.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from baoxue.demo import write_large_workbook  # noqa: E402
from baoxue.reader import read_workbook  # noqa: E402
from common import bare_read, best_interleaved  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_large_workbook(Path(tmp) / "big.xlsx", n_rows=args.rows)
        book = read_workbook(path)
        rows = sum(len(df) for df in book.sheets.values())
        bare_read(path), read_workbook(path)  # warm imports and the OS file cache
        timed = best_interleaved({"bare": lambda: bare_read(path), "ours": lambda: read_workbook(path)}, args.repeat)
        base, ours = timed["bare"], timed["ours"]
    print(f"rows read            {rows}")
    print(f"bare calamine read   {base * 1000:8.1f} ms")
    print(f"baoxue read_workbook {ours * 1000:8.1f} ms")
    print(f"ratio                {ours / base:8.2f}x   (goal <= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
