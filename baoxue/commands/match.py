"""`baoxue match --household FILE… --xueji FILE --inbox INBOX --register REG --month YYYY-MM [--elsewhere FILE]
[--key-groups FILE…] [--returns DIR] [--out DIR] [--store DIR] [--policy FILE] [--json]`: the household line (SPEC §8.6)
— 户籍名单 against 学籍名单 and the month's school books: the 适龄儿童台账 and a 核查清单 per township."""
from __future__ import annotations

import sys
from pathlib import Path

from ..atomic import CannotWrite
from ..household import InputError, run_match, write_outputs
from ..idcard import mask_name
from ..paths import OutputPathError, guard_output, guard_output_folder
from ..rollup import StoreError
from .output import emit


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "match", help="户籍线双线比对：户籍名单对照学籍名单和学校台账，生成适龄儿童台账和各乡镇核查清单",
        description="把户籍名单（可多份）与学籍名单、本月各校报送的台账（收件文件夹，与 rollup 相同：核验戳记）、异地就读名单、"
                    "重点人群名单和乡镇交回的核查清单比对，给每名适龄儿童一个台账状态，计算村、乡镇、全县指标和 H001–H010，"
                    "写出 适龄儿童台账_<月份>.xlsx 和需要入户核查的乡镇的 核查清单_<乡镇>_<月份>.xlsx，并存入历史库。"
                    "输入文件不做任何修改。")
    p.add_argument("--household", required=True, nargs="+", metavar="FILE", help="户籍名单 (.xlsx)，可给多份")
    p.add_argument("--xueji", required=True, metavar="FILE", help="学籍系统导出的学籍名单 (.xlsx)")
    p.add_argument("--inbox", required=True, metavar="INBOX", help="本月学校报送的收件文件夹（与 rollup 相同）")
    p.add_argument("--register", required=True, metavar="REG", help="学校名录工作簿 (.xlsx)")
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="比对月份，如 2026-09")
    p.add_argument("--elsewhere", metavar="FILE", help="异地就读名单 (.xlsx，可选)")
    p.add_argument("--key-groups", nargs="+", default=[], metavar="FILE", help="重点人群名单 (.xlsx，可选，可给多份)")
    p.add_argument("--returns", metavar="DIR", help="乡镇交回的核查清单所在文件夹（可含子文件夹，可选）")
    p.add_argument("--out", metavar="DIR", help="输出文件夹（默认：收件文件夹所在的文件夹）")
    p.add_argument("--store", metavar="DIR", help="历史库文件夹（默认：收件文件夹旁的 baoxue-store/）")
    p.add_argument("--policy", metavar="FILE", help="县级策略文件 (TOML)，覆盖默认策略")
    p.add_argument("--json", action="store_true", help="在标准输出打印 JSON（SPEC §8.6，身份证号脱敏），提示信息写到标准错误")
    p.set_defaults(func=run)


def _progress_bar():
    """One tqdm bar per phase (名单, 学校报送, …): a new bar whenever the total changes."""
    from tqdm import tqdm
    state = {"bar": None, "total": None}

    def progress(done: int, total: int, label: str) -> None:
        bar = state["bar"]
        if bar is None or state["total"] != total:
            if bar is not None:
                bar.close()
            bar = state["bar"] = tqdm(total=total, desc="比对", unit="个文件", file=sys.stderr, dynamic_ncols=True)
            state["total"] = total
        if label:
            bar.set_postfix_str(label[-30:], refresh=False)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()
            state["bar"] = None

    return progress


def summary_lines(result) -> list[str]:
    c = result.county
    rate = "—" if c["enrolment_rate"] is None else f"{c['enrolment_rate']}%"
    lines = [f"{result.month} 户籍线比对完成：适龄儿童 {c['school_age']} 人，在校 {c['in_school']}、休学 {c['on_leave']}、"
             f"送教上门 {c['home_taught']}、缓学 {c['deferred']}、县外就读 {c['elsewhere']}、失学辍学 {c['out_of_school']}、"
             f"不计入 {c['excluded']}、待核查 {c['to_verify']}；入学率 {rate}。"]
    waiting = [(t["name"], t["to_verify"]) for t in result.townships if t["to_verify"]]
    if waiting:
        lines.append("待核查：" + "，".join(f"{name} {n} 人" for name, n in waiting) + "。")
    else:
        lines.append("没有待核查的儿童。")
    files = result.files or {}
    if files.get("ledger"):
        lines.append(f"适龄儿童台账：{Path(files['ledger']).resolve()}（内部资料，含完整身份证号）")
    for township, path in (files.get("checklists") or {}).items():
        n = int((result.to_verify["户籍乡镇"].fillna("（未填乡镇）") == township).sum())
        lines.append(f"核查清单（{township}，{n} 人）：{Path(path).resolve()}")
    first = result.key_group_first()
    if len(first):
        # names masked and no category per child: what a child's family is (脱贫户, 残疾 …) never goes to a log
        people = "、".join(f"{r['户籍乡镇']}{r['户籍村(社区)'] or ''} {mask_name(r['姓名'])}" for _, r in first.head(10).iterrows())
        lines.append(f"重点人群优先核查 {len(first)} 人（清单中排在各村最前）：{people}" + ("……" if len(first) > 10 else "") + "。")
    lost = result.unmatched_returns_note()
    if lost:
        lines.append(lost)
    by_rule: dict[str, int] = {}
    for f in result.findings:
        by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
    errors = sum(1 for f in result.findings if f.severity == "error")
    shown = "、".join(f"{r} {n} 条" for r, n in sorted(by_rule.items()))
    lines.append(f"问题清单共 {errors} 个错误、{len(result.findings) - errors} 个警告" + (f"（{shown}）" if shown else "") + "。")
    if result.store_dir:
        lines.append(f"历史库：{Path(result.store_dir).resolve()}")
    return lines


def run(args) -> int:

    inbox = Path(args.inbox)
    quiet = not sys.stderr.isatty() and args.json
    out = Path(args.out) if args.out else inbox.resolve().parent
    try:   # refused before anything is read or written (the files themselves are checked again before writing)
        guard_output(out, inside=[inbox, args.returns, args.store])
        guard_output_folder(out, "输出文件夹（--out）")
    except OutputPathError as e:
        print(f"✘ {e}", file=sys.stderr)
        return 2
    try:
        result = run_match(household=[Path(p) for p in args.household], xueji=Path(args.xueji), inbox=inbox,
                           register=Path(args.register), month=args.month,
                           elsewhere=Path(args.elsewhere) if args.elsewhere else None,
                           key_groups=[Path(p) for p in args.key_groups],
                           returns=Path(args.returns) if args.returns else None,
                           store=Path(args.store) if args.store else None, policy=args.policy,
                           progress=None if quiet else _progress_bar())
    except (InputError, StoreError) as e:
        print(f"✘ {e}", file=sys.stderr)
        return 2
    try:
        write_outputs(result, out)
    except (OutputPathError, CannotWrite, OSError) as e:
        print(f"✘ 台账或核查清单无法写入：{e}", file=sys.stderr)
        return 2
    lines = summary_lines(result)
    emit(result.to_json(masked=True), lines, args.json)
    return 0
