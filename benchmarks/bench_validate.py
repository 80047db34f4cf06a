"""Benchmark: validating a 5,000-row school workbook against the bare python-calamine read of the same file.

    .venv/bin/python benchmarks/bench_validate.py [--rows 5000] [--repeat 3]

Prints the best time of each and the ratio validate_file / bare read (goal: ≤ 3×), as wall time (what the clerk waits
for; baseline and candidate take turns in every round) and as CPU time (the reader loads sheets on a second thread, so
its CPU time is above its wall time). The bare read opens the file with python-calamine and converts every sheet to
Python lists — the floor any reader of this file pays. ``validate_file`` is the whole path a clerk's click takes:
sniff + zip scan + parse + type + every rule.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from baoxue import idcard, model  # noqa: E402
from baoxue.fill import write_school_workbook  # noqa: E402
from baoxue.indicators import batch_indicators, school_indicators  # noqa: E402
from baoxue.policy import DEFAULT  # noqa: E402
from baoxue.reader import read_workbook  # noqa: E402
from baoxue.validators import validate, validate_books, validate_file  # noqa: E402
from baoxue.batch import Batch  # noqa: E402
from common import bare_read, best, best_interleaved  # noqa: E402


def best_cpu(fn, repeat: int) -> float:
    return best(fn, repeat, clock=time.process_time)

D = dt.date
SHARES = {"辍学": 0.35, "休学": 0.12, "缓学": 0.08, "送教上门": 0.1, "送教记录": 0.25, "劝返记录": 0.10}


def person(rng: random.Random, n: int) -> dict:
    born = D(2011, 9, 1) + dt.timedelta(days=rng.randrange(0, 365 * 8))
    male = rng.random() < 0.5
    pid = idcard.make("530123", born, n, male)
    if rng.random() < 0.02:
        pid = pid[:17] + ("0" if pid[17] != "0" else "1")   # a few typos for the rules to find
    age = 2026 - born.year - (born.month >= 9)
    grade = model.GRADES[min(max(age - 5, 1), 9) - 1]
    return {"姓名": rng.choice("张王李赵刘陈杨黄") + rng.choice(["小明", "小红", "伟", "芳", "建国", "秀英"]),
            "性别": "男" if male else "女", "身份证号": pid, "学籍号": "G" + pid, "年级": grade, "出生日期": born}


def rows(total: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    out = {name: [] for name in SHARES}
    n = 0
    counts = {name: int(total * share) for name, share in SHARES.items()}
    drop_ids, home_ids = [], []
    for _ in range(counts["辍学"]):
        n += 1
        p = person(rng, n)
        found = D(2026, 9, 1) + dt.timedelta(days=rng.randrange(0, 29))
        status = rng.choice(["核查中", "劝返中", "劝返中", "已复学", "去向不明"])
        row = {**p, "户籍乡镇": "城关镇", "户籍村(社区)": "东村", "监护人姓名": "张大山", "监护人电话": "13912345678",
               "类型": rng.choice(["疑似辍学", "辍学"]), "发现日期": found, "上报日期": found, "辍学原因": "厌学或学习困难",
               "脱贫家庭或监测户": "否", "残疾": "否", "留守儿童": "是", "随迁子女": "否", "包保责任人": "赵老师",
               "劝返动员日期": found + dt.timedelta(days=1), "状态": status}
        if status == "已复学":
            row |= {"复学日期": found + dt.timedelta(days=2), "销号日期": found + dt.timedelta(days=2)}
        if status == "去向不明":
            row["去向说明"] = "多次走访未见本人"
        out["辍学"].append(row)
        drop_ids.append(p["身份证号"])
    for _ in range(counts["休学"]):
        n += 1
        out["休学"].append({**person(rng, n), "休学原因": "身体疾病", "申请日期": D(2026, 8, 20), "批准日期": D(2026, 8, 25),
                           "休学起始日期": D(2026, 9, 1), "预计复学日期": D(2027, 2, 28), "证明材料": "有",
                           "教育局备案": "是", "状态": "休学中"})
    for _ in range(counts["缓学"]):
        n += 1
        p = person(rng, n)
        p.pop("学籍号"), p.pop("年级")
        out["缓学"].append({**p, "户籍乡镇": "城关镇", "户籍村(社区)": "西村", "监护人姓名": "陈大勇",
                           "监护人电话": "0871-65123456", "缓学原因": "身体疾病", "申请日期": D(2026, 8, 10),
                           "批准日期": D(2026, 8, 15), "批准机关": "乡镇人民政府", "缓学起始日期": D(2026, 9, 1),
                           "缓学截止日期": D(2027, 8, 31), "证明材料": "有", "残疾": "否", "脱贫家庭或监测户": "否",
                           "状态": "缓学中"})
    for _ in range(counts["送教上门"]):
        n += 1
        p = person(rng, n)
        out["送教上门"].append({**p, "残疾类别": "智力残疾", "残疾等级": "二级", "户籍乡镇": "城关镇", "户籍村(社区)": "南村",
                             "监护人姓名": "刘大海", "监护人电话": "13712345678", "送教协议日期": D(2026, 9, 1),
                             "个别化教育计划日期": D(2026, 9, 2), "负责教师": "李明", "状态": "送教中"})
        home_ids.append(p["身份证号"])
    for k in range(counts["送教记录"]):
        out["送教记录"].append({"身份证号": home_ids[k % len(home_ids)], "送教日期": D(2026, 9, 1 + k % 28),
                             "课时": 1.5 if rng.random() < 0.03 else 2, "送教教师": "李明、王芳", "同行人数": 1 if rng.random() < 0.03 else 2,
                             "有男教师": "是", "家长签字": "是"})
    for k in range(counts["劝返记录"]):
        out["劝返记录"].append({"身份证号": drop_ids[k % len(drop_ids)], "劝返日期": D(2026, 9, 28),
                             "劝返方式": "入户走访", "劝返人员": "赵老师", "劝返结果": "拒绝"})
    return out


COVER = {"学校标识码": "5301230001", "学校名称": "示例县第一中学", "所属乡镇": "城关镇", "学校类型": "九年一贯制学校",
         "城乡类别": "镇区", "报送月份": "2026-09", **{label: 400 for label in model.ENROLMENT_LABELS}, "零报告": "否",
         "填报人": "王敏", "联系电话": "13812345678", "审核人": "李强", "填报日期": D(2026, 9, 30),
         "模板版本": model.TEMPLATE_VERSION}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--books", type=int, default=100, help="roll-up part: this many small books validated as one batch")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_school_workbook(Path(tmp) / "big.xlsx", COVER, rows(args.rows), backup=False)
        bare_read(path), validate_file(path, DEFAULT)             # warm caches and imports
        book = read_workbook(path)
        fns = {"bare": lambda: bare_read(path), "read": lambda: read_workbook(path),
               "rules": lambda: validate(book, DEFAULT), "all": lambda: validate_file(path, DEFAULT)}
        wall = best_interleaved(fns, args.repeat)
        cpu = best_interleaved(fns, args.repeat, clock=time.process_time)
        n_rows = sum(len(df) for df in book.sheets.values())
        n_findings = len(validate(book, DEFAULT))
        small = read_workbook(write_school_workbook(Path(tmp) / "small.xlsx", COVER, rows(60, seed=11), backup=False))
        books = [small] * args.books
        t_batch = best_cpu(lambda: validate_books(books, DEFAULT), 1)
        t_single = best_cpu(lambda: validate(small, DEFAULT), args.repeat) * args.books
        t_ind_single = best_cpu(lambda: [school_indicators(b, DEFAULT) for b in books], 1)
        shared = Batch(books, DEFAULT)        # as the roll-up does: the indicators reuse validation's batch
        validate_books(books, DEFAULT, batch=shared)
        t_ind_batch = best_cpu(lambda: batch_indicators(books, DEFAULT, batch=shared), 1)
    print(f"rows: {n_rows}   findings: {n_findings}")
    print("                        wall time             CPU time")
    for key, label, goal in (("bare", "bare calamine read", "   (baseline)"), ("read", "read_workbook     ", ""),
                             ("rules", "rules only        ", ""), ("all", "validate_file     ", "   (goal ≤ 3×)")):
        print(f"{label} : {wall[key] * 1000:7.1f} ms {wall[key] / wall['bare']:5.2f}×   "
              f"{cpu[key] * 1000:7.1f} ms {cpu[key] / cpu['bare']:5.2f}×{goal}")
    print(f"roll-up: {args.books} small books as one batch {t_batch * 1000:.0f} ms vs one by one "
          f"{t_single * 1000:.0f} ms ({t_single / t_batch:.1f}× faster)")
    print(f"roll-up indicators: the same books with validation's batch {t_ind_batch * 1000:.1f} ms vs one by one "
          f"{t_ind_single * 1000:.0f} ms ({t_ind_single / t_ind_batch:.1f}× faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
