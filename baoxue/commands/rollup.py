"""`baoxue rollup INBOX --month M --register REG [--out REPORT.xlsx] [--json] [--store DIR] [--policy FILE]
[--unmasked] [--dask [ADDRESS]] [--workers N]`: roll up a month's school workbooks and write the 月报表.

This module needs only the standard library: a re-run that changed nothing is answered from the store's record
(``rollup.replay``); otherwise ``rollup_full`` (the roll-up, pandas and all) is imported and runs.
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..paths import OutputPathError, guard_output
from ..rollup import replay
from ..rollup.locations import default_store_dir, report_name
from .output import emit_text


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "rollup", help="汇总一个月的学校报送：完整性、戳记、跨校核查、连续性、乡镇和全县指标、月报表",
        description="读取收件文件夹（含子文件夹）中的全部学校工作簿，按封面的报送月份汇总：对照学校名录检查漏报（R001）、"
                    "重复报送（R002）、戳记（R003）、跨校重复在册（R004）、与上月的连续性（R005）、学年辍学率年度目标（R006）、"
                    "逾期报送（R007），计算学校、乡镇、全县指标，写出月报表并存入历史库。原始文件不做任何修改。")
    p.add_argument("inbox", metavar="INBOX", help="收件文件夹（各校报送的 .xlsx，可分子文件夹存放）")
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="汇总月份，如 2026-09")
    p.add_argument("--register", required=True, metavar="REG", help="学校名录工作簿 (.xlsx)")
    p.add_argument("--out", metavar="REPORT.xlsx", help=f"月报表输出文件（默认：收件文件夹旁的 {report_name('<月份>')}）")
    p.add_argument("--json", action="store_true", help="在标准输出打印 JSON（SPEC §7），提示信息写到标准错误")
    p.add_argument("--store", metavar="DIR", help="历史库文件夹（默认：收件文件夹旁的 baoxue-store/）")
    p.add_argument("--policy", metavar="FILE", help="县级策略文件 (TOML)，覆盖默认策略")
    p.add_argument("--unmasked", action="store_true", help="月报表和 JSON 不脱敏（仅限县内内部使用）")
    p.add_argument("--dask", nargs="?", const=True, default=None, metavar="ADDRESS",
                   help="在 Dask 集群上读取和校验（不给地址则启动本机 LocalCluster）")
    p.add_argument("--workers", type=int, metavar="N", help="并行进程数（默认：全部 CPU 核）")
    p.set_defaults(func=run)


def run(args) -> int:
    masked = not args.unmasked
    if not masked:
        print("注意：--unmasked 输出含完整身份证号和姓名，仅限县内内部使用，不得外传。", file=sys.stderr)
    inbox = Path(args.inbox)
    out = Path(args.out) if args.out else inbox.resolve().parent / report_name(args.month)
    store_dir = Path(args.store) if args.store else default_store_dir(inbox)
    try:   # before the roll-up reads anything: the report must not replace an input
        guard_output(out, inside=[inbox, store_dir], equal=[args.register, args.policy])
    except OutputPathError as e:
        print(f"✘ {e}", file=sys.stderr)
        return 2
    command = replay.Command(inbox=inbox, month=args.month, register=Path(args.register), store=store_dir,
                             policy=Path(args.policy) if args.policy else None, out=out, masked=masked,
                             as_json=args.json)
    recorded = replay.answer(command)
    if recorded is not None:
        print("收件箱、学校名录、策略和历史库自上次汇总以来均未变化：沿用上次的汇总结果，月报表保持不变。", file=sys.stderr)
        emit_text(recorded.json_text, recorded.lines, args.json)
        return 0
    from . import rollup_full   # the one deferred import (tests/test_architecture.py: DEFERRED)
    return rollup_full.roll_up(args, command)
