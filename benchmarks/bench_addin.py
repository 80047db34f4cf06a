"""Benchmark: the add-in's 校验 button (``bx_validate`` on a 2,000-row workbook payload, through xlwings' own script call
path on the remote engine, as xlwings Lite / Server run it) against ``baoxue validate`` of the same file (baseline,
measured in the same run).

    .venv/bin/python benchmarks/bench_addin.py [--rows 2000] [--repeat 5]

Prints the best time of each and the ratios. The button's time includes building ``xw.Book(json=...)``, reading the
live book (Grid → SchoolBook), all rules, and planning/applying the marks and the 校验结果 table as actions. Building the
payload (what the Excel client does) is not timed. Uses ``XLWINGS_LICENSE_KEY=noncommercial`` (xlwings' own key for
noncommercial use) for the remote engine.
"""
from __future__ import annotations

import argparse
import asyncio
import copy
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ["XLWINGS_ON_SERVER"] = "true"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import xlwings as xw  # noqa: E402
from xlwings.server import custom_scripts_call  # noqa: E402

from baoxue.addin import bridge, scripts  # noqa: E402
from baoxue.addin.simulate import payload_from_xlsx  # noqa: E402
from baoxue.demo import write_large_workbook  # noqa: E402
from baoxue.validators import validate, validate_file  # noqa: E402
from baoxue.policy import DEFAULT  # noqa: E402
from common import best  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_large_workbook(Path(tmp) / "big.xlsx", n_rows=args.rows)
        payload = payload_from_xlsx(path)
        _, on_file = validate_file(path, DEFAULT)
        live = validate(bridge.read_book(xw.Book(json=copy.deepcopy(payload))), DEFAULT)
        assert [f.to_dict() for f in live] == [f.to_dict() for f in on_file], "the add-in must find what the CLI finds"
        rows = sum(len(df) for df in bridge.read_book(xw.Book(json=copy.deepcopy(payload))).sheets.values())

        def button():
            book = xw.Book(json=copy.deepcopy(payload))
            asyncio.run(custom_scripts_call(scripts, "bx_validate", typehint_to_value={xw.Book: book}))
            return book

        def read_only():
            return bridge.read_book(xw.Book(json=copy.deepcopy(payload)))

        cli = best(lambda: validate_file(path, DEFAULT), args.repeat)
        read = best(read_only, args.repeat)
        click = best(button, args.repeat)
        actions = len(button().json()["actions"])
    print(f"workbook: {rows} data rows, {len(on_file)} findings, {actions} actions sent back to Excel")
    print(f"baoxue validate (file, baseline)  {cli * 1000:8.1f} ms   1.00×")
    print(f"add-in read of the live book      {read * 1000:8.1f} ms   {read / cli:.2f}×")
    print(f"bx_validate button (whole click)  {click * 1000:8.1f} ms   {click / cli:.2f}×   (goal: well under 1 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
