"""The whole ``baoxue rollup`` run (``commands/rollup.py`` comes here when the store's record cannot answer): read and
check every book, the figures, the store, the 月报表 in a forked process, the summary; a complete run is recorded
(``rollup.replay``) for the next one."""
from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from .. import background
from ..atomic import CannotWrite
from ..paths import OutputPathError
from ..rollup import RegisterError, RollupError, StoreError, replay, run_rollup, write_report
from ..rollup.school_year import months_text, school_year_label
from .output import emit_text, json_text


def _progress_bar():
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
    c = result.county
    pct = lambda v: "—" if v is None else f"{v:.2f}%"   # noqa: E731
    return (f"{school_year_label(result.month)}：学年辍学率 小学 {pct(c.get('year_dropout_rate_primary'))}，"
            f"初中 {pct(c.get('year_dropout_rate_junior'))}；本学年累计辍学 "
            f"{(c.get('cumulative_dropout_primary') or 0) + (c.get('cumulative_dropout_junior') or 0)} 人"
            f"（计入月份：{months_text(c.get('ytd_months') or [result.month], c.get('ytd_missing'))}）。")


def roll_up(args, command: replay.Command) -> int:
    quiet = not sys.stderr.isatty() and args.json
    snapshot = command.snapshot()   # the inputs as found before anything is read (recorded if the run completes)
    written: dict[str, Path | None] = {}
    said: dict[str, object] = {}

    def report_while_saving(result):   # the 月报表 is written (in a forked process) while the store is being saved
        wait = background.start(lambda: write_report(result, command.out, masked=command.masked))

        def finish(saved: bool) -> None:   # under the store's lock: the run recorded if it may be (replay.record)
            try:
                written["report"] = wait()
            except Exception as e:  # noqa: BLE001 — a locked or unwritable report file must not lose the roll-up
                if not isinstance(e, (CannotWrite, PermissionError, OSError, OutputPathError, background.BackgroundDied)):
                    raise
                print(f"✘ 月报表无法写入：{e}", file=sys.stderr)
                written["report"] = None
            said["lines"] = summary_lines(result, written["report"], command.masked)
            said["json"] = json_text(result.to_json(masked=command.masked)) if command.as_json else None
            replay.record(command, snapshot, said["lines"], said["json"], saved=saved,
                          report_written=written["report"] is not None, unreadable=result.summary()["unreadable"])
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
