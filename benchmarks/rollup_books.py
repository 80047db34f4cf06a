"""The two kinds of county the roll-up benchmarks run on, generated once per (kind, size) and cached in a work folder.

- ``template``: every book written from the standard template (``fill.TemplateCopier``: the template's pre-formatted
  empty input rows, its 月报汇总 formulas and code lists), the demo county's rows for 2026-09 with planted mistakes.
- ``small``: the books most schools send — 0–4 dropout cases with their persuasion log, up to 30 home-teaching visit
  rows, a few leaves/deferrals — written as another tool saves them: XlsxWriter, one header row per sheet, values only
  (no pre-formatted rows, no summary sheet, no styles beyond a date format), 13–15 KB each.

Both kinds are stamped the way ``baoxue submit`` stamps a copy (``stamp.stamp_copy``: the file byte for byte plus the
stamp parts), so the roll-up counts them. Not a test: nothing here asserts anything.
"""
from __future__ import annotations

import datetime as dt
import random
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

MONTH = "2026-09"
KINDS = ("small", "template")
STAMPED_AT = dt.datetime(2026, 9, 29, 8, tzinfo=dt.timezone.utc)
MAX_CASES, MAX_VISITS = 4, 30


@dataclass
class County:
    kind: str
    root: Path
    inbox: Path
    register: Path
    files: list[Path]


def _stamp_in_place(path: Path) -> None:
    """Stamp ``path`` as ``baoxue submit`` stamps its copy."""
    from baoxue.policy import DEFAULT
    from baoxue.reader import read_workbook
    from baoxue.stamp import make_stamp, stamp_copy
    stamp = make_stamp(read_workbook(path), DEFAULT, now=STAMPED_AT)
    tmp = path.with_name(".stamping-" + path.name)
    stamp_copy(path, tmp, stamp)
    tmp.replace(path)


def small_rows(rows: dict[str, list[dict]], rng: random.Random) -> dict[str, list[dict]]:
    """A school's month cut down to a small school's: 0–4 cases (their persuasion log kept), ≤ 30 visit rows."""
    from baoxue import model
    out = {name: list(r) for name, r in rows.items()}
    cases = out.get(model.DROPOUT.name, [])
    keep = min(len(cases), rng.choice((0, 0, 0, 1, 1, 2, 3, MAX_CASES)))
    out[model.DROPOUT.name] = cases[:keep]
    kept_ids = {r.get("身份证号") for r in out[model.DROPOUT.name]}
    out[model.PERSUASION.name] = [r for r in out.get(model.PERSUASION.name, []) if r.get("身份证号") in kept_ids]
    out[model.VISITS.name] = out.get(model.VISITS.name, [])[:MAX_VISITS]
    for sheet_rows in out.values():
        for i, r in enumerate(sheet_rows, start=1):
            r["序号"] = i
    return out


def write_plain_book(path: Path, cover: dict, rows: dict[str, list[dict]]) -> None:
    """A school book as another tool saves it: XlsxWriter, the model's sheets, one header row, values only."""
    import xlsxwriter
    from baoxue import model
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})

    def put(ws, r: int, c: int, v) -> None:
        if v is None:
            return
        if isinstance(v, dt.date):
            ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()) if not isinstance(v, dt.datetime) else v, date)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            ws.write_number(r, c, v)
        else:
            ws.write_string(r, c, str(v))

    ws = wb.add_worksheet(model.COVER_SHEET)
    for i, f in enumerate(model.COVER_FIELDS):
        ws.write_string(i, 0, f.label)
        put(ws, i, 1, cover.get(f.label))
    for sheet in model.DATA_SHEETS:
        ws = wb.add_worksheet(sheet.name)
        for j, c in enumerate(sheet.columns):
            ws.write_string(0, j, c.name)
        for i, row in enumerate(rows.get(sheet.name, ()), start=1):
            for j, c in enumerate(sheet.columns):
                put(ws, i, j, row.get(c.name))
    wb.close()


def _write_small(job) -> None:
    path, cover, rows = job
    path = Path(path)
    write_plain_book(path, cover, rows)
    _stamp_in_place(path)


def _write_template_chunk(jobs) -> None:
    from baoxue.fill import TemplateCopier
    copier = TemplateCopier()
    for path, cover, rows in jobs:
        path = Path(path)
        copier.write(path, cover, rows)
        _stamp_in_place(path)


def county(kind: str, n: int, workdir: Path, workers: int = 2) -> County:
    """The ``kind`` county of ``n`` schools under ``workdir/<kind>-<n>/`` (generated on first use, then reused)."""
    from baoxue import model
    from baoxue.demo import plan_county, write_register
    root = workdir / f"{kind}-{n}"
    inbox, register = root / "inbox", root / "学校名录.xlsx"
    marker = root / ".ready"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        t = time.perf_counter()
        plan = plan_county(townships=max(1, -(-n // 50)), schools_per_township=50, months=(MONTH,), seed=2026,
                           mistakes=True)
        schools = plan.schools[:n]
        jobs = []
        for school in schools:
            book = plan.book(school.code, MONTH)
            cover, rows = dict(book.cover), book.rows
            if kind == "small":
                rows = small_rows(rows, random.Random(f"small-{school.code}"))
                if not rows[model.DROPOUT.name]:
                    cover["零报告"] = "是"
            jobs.append((str(inbox / school.township / school.file_name), cover, rows))
        with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
            if kind == "small":
                list(pool.map(_write_small, jobs, chunksize=16))
            else:
                step = max(1, -(-len(jobs) // (4 * max(1, workers))))
                list(pool.map(_write_template_chunk, [jobs[i:i + step] for i in range(0, len(jobs), step)]))
        write_register(register, schools)
        marker.write_text("ok")
        print(f"准备：生成并盖戳 {len(jobs)} 个 {kind} 学校工作簿，用时 {time.perf_counter() - t:.0f} 秒（缓存于 {root}）",
              file=sys.stderr)
    return County(kind, root, inbox, register, sorted(inbox.rglob("*.xlsx")))
