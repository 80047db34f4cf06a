"""`baoxue update BOOK…`: derived values, 本月送教次数/课时, 月报汇总, 校验结果 and cell marks, in place (backup kept)."""
from __future__ import annotations

import sys

from .. import model
from ..findings import Finding, sort_key
from ..paths import shown
from ..policy import load_policy
from ..update import update_workbook


def finding_line(f: Finding) -> str:
    where = f.sheet or "工作簿"
    if f.row is not None:
        where += f" 第{f.row}行"
    if f.column:
        where += f" {f.column}"
    value = f"（值：{f.value}）" if f.value not in (None, "") else ""
    return f"[{model.SEVERITY_LABELS.get(f.severity, f.severity)} {f.rule}] {where}{value}：{f.message}{cell_note(f)}"


def cell_note(f: Finding) -> str:
    """“（单元格 E4）” after a message: the address a clerk types into the Name Box to reach the cell."""
    return f"（单元格 {f.cell}）" if f.cell else ""


def print_findings(findings: list[Finding], errors_only: bool = False, limit: int = 200, file=None) -> None:
    file = file or sys.stdout
    shown = [f for f in sorted(findings, key=lambda f: (not f.is_error, sort_key(f))) if f.is_error or not errors_only]
    for f in shown[:limit]:
        print("    " + finding_line(f), file=file)
    if len(shown) > limit:
        print(f"    …… 另有 {len(shown) - limit} 条，请打开工作簿中的“校验结果”查看全部。", file=file)


def register(subparsers) -> None:
    p = subparsers.add_parser("update", help="补填派生值、刷新月报汇总和校验结果、标出问题单元格（原地更新，自动备份）",
                              description="补填出生日期/性别、本月送教次数/课时、劝返动员日期，刷新“月报汇总”，写入“校验结果”，"
                                          "并在问题单元格上着色加批注。原文件先备份再原子替换。")
    p.add_argument("books", nargs="+", metavar="BOOK", help="学校月报工作簿 (.xlsx)")
    p.add_argument("--policy", metavar="FILE", help="县级策略文件 (TOML)，覆盖默认策略")
    p.add_argument("--quiet", "-q", action="store_true", help="只打印每个文件的一行结果")
    p.set_defaults(func=run)


def run(args) -> int:
    policy = load_policy(args.policy)
    worst = 0
    for path in args.books:
        result = update_workbook(path, policy)
        if result.exit_code == 2:
            print(f"✘ {shown(path)}：{result.message}", file=sys.stderr)
        else:
            mark = "✔" if result.exit_code == 0 else "✘"
            print(f"{mark} {result.message}")
            if not args.quiet and result.findings:
                print_findings(result.findings, errors_only=False)
        worst = max(worst, result.exit_code)
    return worst
