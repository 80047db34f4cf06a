"""`baoxue next-month BOOK --out NEW`: next month's workbook with open cases, rosters and this school year's logs."""
from __future__ import annotations

import sys
from ..atomic import CannotWrite
from ..book import UnreadableWorkbook
from ..carry import CarryError, next_month_workbook
from ..paths import shown
from ..policy import load_policy


def register(subparsers) -> None:
    p = subparsers.add_parser("next-month", help="生成下月工作簿：结转未销号个案、在册名单和本学年记录",
                              description="按标准模板生成下个月的工作簿：报送月份加一个月，复制学校信息和在校生数，结转未销号的"
                                          "辍学个案和休学中、缓学中、送教中名单，保留本学年（9月至次年8月）的送教记录和劝返记录；"
                                          "零报告、填报日期和本月送教次数/课时留空待填。")
    p.add_argument("book", metavar="BOOK", help="本月工作簿 (.xlsx)")
    p.add_argument("--out", required=True, metavar="NEW", help="下月工作簿的文件名（已存在时先备份）")
    p.add_argument("--policy", metavar="FILE", help="县级策略文件 (TOML)")
    p.set_defaults(func=run)


def run(args) -> int:
    policy = load_policy(args.policy)
    try:
        carried = next_month_workbook(args.book, args.out, policy)
    except UnreadableWorkbook as e:
        print(f"✘ {e.message}", file=sys.stderr)
        return 2
    except (CarryError, CannotWrite) as e:
        print(f"✘ {e}", file=sys.stderr)
        return 2
    except PermissionError:
        print(f"✘ 无法写入 {shown(args.out)}（没有写入权限或文件被占用）。", file=sys.stderr)
        return 2
    n = {s: len(r) for s, r in carried.rows.items()}
    print(f"✔ 已生成 {carried.month} 月工作簿：{shown(args.out)}")
    print(f"    结转：辍学未销号 {n['辍学']} 人，休学中 {n['休学']} 人，缓学中 {n['缓学']} 人，送教中 {n['送教上门']} 人；"
          f"本学年送教记录 {n['送教记录']} 条，劝返记录 {n['劝返记录']} 条。")
    print("    请填写封面的“零报告”和“填报日期”，本月新情况照常登记。")
    if carried.note:
        print(f"    {carried.note}")
    return 0
