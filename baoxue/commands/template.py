"""`baoxue template OUT.xlsx [--school-code C --month YYYY-MM] [--register] [--kind household|xueji|elsewhere|key-groups]`:
a blank standard workbook, the register template, or a blank input list of the household line (SPEC §8.6)."""
from __future__ import annotations

import re
import sys

from .. import template
from ..atomic import CannotWrite, atomic_save
from ..list_template import LIST_KINDS, build_list_workbook


def register(subparsers) -> None:
    p = subparsers.add_parser("template", help="生成空白的标准月报工作簿（或学校名录模板、户籍线名单）",
                              description="生成空白的控辍保学标准月报工作簿（或用 --register 生成学校名录模板，"
                                          "用 --kind 生成户籍线的空白名单）。")
    p.add_argument("out", metavar="OUT.xlsx", help="输出文件")
    p.add_argument("--school-code", help="预填封面的学校标识码（10 位数字）")
    p.add_argument("--month", help="预填封面的报送月份（YYYY-MM）")
    p.add_argument("--register", action="store_true", help="生成学校名录模板（学校标识码、名称、乡镇、类型、城乡类别）")
    p.add_argument("--kind", choices=tuple(LIST_KINDS),
                   help="生成户籍线的空白名单：" + "、".join(f"{k} {s.name}" for k, s in LIST_KINDS.items()))
    p.set_defaults(func=run)


def run(args) -> int:

    if args.month and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        print(f"错误：报送月份“{args.month}”格式不对，应为 YYYY-MM，如 2026-09。", file=sys.stderr)
        return 2
    if args.school_code and not re.fullmatch(r"\d{10}", args.school_code):
        print(f"错误：学校标识码“{args.school_code}”应为 10 位数字。", file=sys.stderr)
        return 2
    if args.kind and (args.register or args.school_code or args.month):
        print("错误：--kind 生成户籍线名单，不能与 --register、--school-code、--month 同时使用。", file=sys.stderr)
        return 2
    if args.kind:
        wb = build_list_workbook(args.kind)
        kind = f"空白{LIST_KINDS[args.kind].name}"
    elif args.register:
        wb = template.build_register_workbook()
        kind = "学校名录模板"
    else:
        wb = template.build_school_workbook(school_code=args.school_code, month=args.month)
        kind = "标准月报工作簿"
    try:
        atomic_save(wb.save, args.out)
    except CannotWrite as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"错误：无法写入 {args.out}：{e.strerror or e}", file=sys.stderr)
        return 2
    print(f"已生成{kind}：{args.out}")
    return 0
