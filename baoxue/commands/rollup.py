"""`baoxue rollup INBOX --month M --register REG [--out REPORT.xlsx] [--json] [--store DIR] [--policy FILE]
[--unmasked] [--dask [ADDRESS]] [--workers N]`: roll up a month's school workbooks and write the 月报表."""
from __future__ import annotations

import sys
from pathlib import Path

from ..paths import OutputPathError, guard_output
from ..rollup import replay
from ..rollup.locations import default_store_dir, report_name
from .output import emit_text, json_text

# The roll-up itself (pandas, DuckDB, the reader) is imported in ``roll_up``: a re-run that changed nothing is answered
# from the store's record (``rollup.replay``) without it.


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


def _progress_bar():
    from tqdm import tqdm
    bar = None

    def progress(done: int, total: int, label: str) -> None:
        nonlocal bar
        if bar is None:   # files already done (the result cache's) count from the start, not in the rate
            bar = tqdm(total=total, initial=done, desc="读取与校验", unit="个文件", file=sys.stderr, dynamic_ncols=True)
        if label:
            bar.set_postfix_str(label[-30:], refresh=False)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return progress


def summary_lines(result, report: Path | None, masked: bool) -> list[str]:
    s = result.summary()
    c = result.county
    lines = [f"{result.month} 月汇总完成：应报 {c['schools_expected']} 所，有效报送 {c['schools_submitted']} 所。"]
    if report is not None:
        lines.append(f"月报表：{Path(report).resolve()}" + ("" if masked else "（未脱敏，仅限内部使用）"))
    if result.store_dir:
        lines.append(f"历史库：{Path(result.store_dir).resolve()}")
    attention = []
    for key, text in (("missing", "所学校未报送（R001）"), ("stamp_invalid", "份报送戳记无效，未计入（R003）"),
                      ("duplicates", "份重复报送已被取代（R002）"), ("late", "所学校逾期报送（R007）"),
                      ("unreadable", "个文件无法读取（S005）"), ("open_in_two", "条跨校重复在册（R004）"),
                      ("lost_cases", "个上月在册个案本月缺失（R005）"), ("over_target", "项学年辍学率超过年度目标（R006）")):
        if s[key]:
            attention.append(f"{s[key]} {text}")
    lines.append(f"月末在册未销号 {s['open_cases']} 人；逾期预警 {s['overdue']} 条；"
                 f"问题清单共 {s['errors']} 个错误、{s['warnings']} 个警告。")
    lines.append(school_year_line(result))
    if attention:
        lines.append("需要关注：" + "；".join(attention) + "。详见月报表“报送情况”和“问题清单”。")
    else:
        lines.append("完整性与跨校核查未发现问题。")
    return lines


def school_year_line(result) -> str:
    """The county's 学年辍学率 and cumulative dropouts, with the months counted (and missing)."""
    from ..rollup.school_year import months_text, school_year_label
    c = result.county
    pct = lambda v: "—" if v is None else f"{v:.2f}%"   # noqa: E731
    return (f"{school_year_label(result.month)}：学年辍学率 小学 {pct(c.get('year_dropout_rate_primary'))}，"
            f"初中 {pct(c.get('year_dropout_rate_junior'))}；本学年累计辍学 "
            f"{(c.get('cumulative_dropout_primary') or 0) + (c.get('cumulative_dropout_junior') or 0)} 人"
            f"（计入月份：{months_text(c.get('ytd_months') or [result.month], c.get('ytd_missing'))}）。")


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
    return roll_up(args, command)


def roll_up(args, command: replay.Command) -> int:
    from .. import background
    from ..atomic import FileLocked
    from ..rollup import RegisterError, RollupError, StoreError, run_rollup, write_report

    quiet = not sys.stderr.isatty() and args.json
    snapshot = command.snapshot()   # the inputs as found before anything is read (recorded if the run completes)
    written: dict[str, Path | None] = {}
    said: dict[str, object] = {}

    def report_while_saving(result):   # the 月报表 is written (in a forked process) while the store is being saved
        wait = background.start(lambda: write_report(result, command.out, masked=command.masked))

        def finish(saved: bool) -> None:   # under the store's lock: a complete run (month saved) is recorded
            try:
                written["report"] = wait()
            except Exception as e:  # noqa: BLE001 — a locked or unwritable report file must not lose the roll-up
                if not isinstance(e, (FileLocked, PermissionError, OSError, OutputPathError, background.BackgroundDied)):
                    raise
                print(f"✘ 月报表无法写入：{e}", file=sys.stderr)
                written["report"] = None
            said["lines"] = summary_lines(result, written["report"], command.masked)
            said["json"] = json_text(result.to_json(masked=command.masked)) if command.as_json else None
            complete = saved and written["report"] is not None
            replay.record(command, snapshot if complete else None, said["lines"], said["json"])
        return finish

    try:
        run_rollup(command.inbox, command.month, args.register, store_dir=command.store, policy=args.policy,
                   progress=None if quiet else _progress_bar(), workers=args.workers, dask=args.dask,
                   while_saving=report_while_saving)
    except (RollupError, RegisterError, StoreError) as e:
        print(f"✘ {e}", file=sys.stderr)
        return 2
    emit_text(said["json"], said["lines"], command.as_json)   # the JSON only when asked for
    return 0 if written["report"] is not None else 2
