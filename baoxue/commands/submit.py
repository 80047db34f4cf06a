"""`baoxue submit BOOK… --out DIR`: validate, refuse a book with errors, otherwise stamp a copy <学校标识码>_<YYYY-MM>.xlsx."""
from __future__ import annotations

import sys

from ..paths import shown
from ..policy import load_policy
from ..submit import submit_file
from .update import print_findings


def register(subparsers) -> None:
    p = subparsers.add_parser("submit", help="校验并盖戳，生成报送副本 <学校标识码>_<YYYY-MM>.xlsx（有错误则拒绝）",
                              description="逐个校验工作簿：有错误的拒绝报送并列出错误；没有错误的盖上报送戳记（数据摘要、"
                                          "模板版本、程序版本、策略指纹、时间），另存到 --out 文件夹。原文件不改动。")
    p.add_argument("books", nargs="+", metavar="BOOK", help="学校月报工作簿 (.xlsx)")
    p.add_argument("--out", required=True, metavar="DIR", help="报送副本存放的文件夹")
    p.add_argument("--policy", metavar="FILE", help="县级策略文件 (TOML)，覆盖默认策略")
    p.set_defaults(func=run)


def run(args) -> int:
    policy = load_policy(args.policy)
    worst = 0
    done = 0
    for path in args.books:
        r = submit_file(path, args.out, policy)
        if r.exit_code == 0:
            done += 1
            print(f"✔ {r.message}")
        elif r.exit_code == 1:
            print(f"✘ {r.message}")
            print_findings(r.findings, errors_only=True)
        else:
            print(f"✘ {shown(path)}：{r.message}", file=sys.stderr)
        worst = max(worst, r.exit_code)
    if len(args.books) > 1:
        print(f"共 {len(args.books)} 个文件，成功报送 {done} 个。")
    return worst
