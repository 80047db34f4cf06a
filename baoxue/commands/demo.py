"""`baoxue demo [--out DIR]`: the whole job on a synthetic county — generate the schools' workbooks, read them back,
then every month: validate and submit (books with errors are refused), roll up, write the 月报表; then the household
line for the last month (lists, `match`, one township's returned 核查清单, `match` again); print where it all is."""
from __future__ import annotations

import shutil
import sys
from collections import Counter
from pathlib import Path

from .. import model
from ..book import UnreadableWorkbook
from ..demo import generate_county, run_end_to_end
from ..demo_household import run_household_line, township_findings
from ..reader import read_workbook
from . import match, rollup_full

DEFAULT_OUT = Path("workbooks") / "demo"


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="生成一个模拟县的学校月报工作簿并读回检查",
                              description="生成模拟县（乡镇 × 学校 × 月份）的标准月报工作簿，读回并汇总。")
    p.add_argument("--out", default=str(DEFAULT_OUT), help=f"输出文件夹（默认 {DEFAULT_OUT}，会先清空其中的月份文件夹）")
    p.add_argument("--townships", type=int, default=3, help="乡镇数（默认 3）")
    p.add_argument("--schools", type=int, default=4, help="每个乡镇的学校数（默认 4）")
    p.add_argument("--months", default="2026-09,2026-10,2026-11", help="月份，逗号分隔（默认 2026-09,2026-10,2026-11）")
    p.add_argument("--seed", type=int, default=2026, help="随机种子（相同种子生成相同数据）")
    p.add_argument("--no-mistakes", action="store_true", help="不植入常见填报错误")
    p.add_argument("--generate-only", action="store_true", help="只生成工作簿，不做校验、报送和汇总")
    p.set_defaults(func=run)


def run_generation(out: str | Path = DEFAULT_OUT, townships: int = 3, schools_per_township: int = 4,
                   months: tuple[str, ...] = ("2026-09", "2026-10", "2026-11"), seed: int = 2026,
                   mistakes: bool = True):
    """Clear the month folders of ``out`` and generate the county there (returns the DemoCounty)."""
    out = Path(out)
    if out.exists():
        for month in months:
            if (out / month).is_dir():
                shutil.rmtree(out / month)
    return generate_county(out, townships, schools_per_township, tuple(months), seed, mistakes)


def read_back(county) -> tuple[Counter, list[str]]:
    """Read every generated workbook with the reader: rows per sheet, and the files that could not be read."""
    rows: Counter = Counter()
    problems = []
    for path in county.files():
        try:
            book = read_workbook(path)
        except UnreadableWorkbook as e:
            problems.append(e.message)
            continue
        for name, df in book.sheets.items():
            rows[name] += len(df)
    return rows, problems


def run(args) -> int:
    import re
    months = tuple(m.strip() for m in args.months.split(",") if m.strip())
    bad = [m for m in months if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", m)]
    if bad or not months:
        print(f"错误：月份格式不对：{'、'.join(bad) or '（空）'}，应为 YYYY-MM，如 2026-09。", file=sys.stderr)
        return 2
    if args.townships < 1 or args.schools < 1:
        print("错误：乡镇数和每乡镇学校数至少为 1。", file=sys.stderr)
        return 2
    try:
        county = run_generation(args.out, args.townships, args.schools, months, args.seed, not args.no_mistakes)
    except OSError as e:
        print(f"错误：无法写入 {args.out}：{e.strerror or e}", file=sys.stderr)
        return 2
    rows, problems = read_back(county)
    out = Path(args.out).resolve()
    print(f"已生成模拟县：{len(county.townships)} 个乡镇，{len(county.schools)} 所学校，{len(months)} 个月"
          f"（{'、'.join(months)}），共 {len(county.files())} 个学校月报工作簿。")
    print("读回各表行数：" + "，".join(f"{s} {rows.get(s, 0)} 行" for s in model.SHEETS))
    zero = sum(1 for b in county.books.values() if b.cover.get("零报告") == "是")
    print(f"零报告（本月无失学辍学）的学校月报：{zero} 份。")
    if county.mistakes:
        print(f"植入的常见填报错误：{len(county.mistakes)} 处（其中 "
              f"{sum(1 for m in county.mistakes if m.rule)} 处应被校验为错误，其余为可接受的写法）。")
    print(f"文件位置：{out}（按 月份/乡镇/学校标识码_学校名称.xlsx 存放）")
    print(f"学校名录：{county.register_path.resolve()}")
    if problems:
        print(f"有 {len(problems)} 个文件无法读回：", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    if args.generate_only:
        return 0
    return end_to_end(county, out)


def end_to_end(county, out: Path) -> int:
    print("\n== 校验 → 报送 → 汇总（每月）", flush=True)
    runs = run_end_to_end(county, out, progress=lambda text: print("  " + text, file=sys.stderr, flush=True))
    for run in runs:
        print(f"\n【{run.month}】校验 {run.validated} 份，{run.with_errors} 份有错误被退回学校修改"
              f"（未报送），{len(run.submitted)} 份已加戳报送到 {out / '收件箱' / run.month}")
        for line in rollup_full.summary_lines(run.result, run.report, masked=True):
            print("  " + line)
    print(f"\n历史库：{out / 'baoxue-store'}（趋势与月度连续性核查用，含完整身份证号，仅限县内）")
    print(f"月报表：{'、'.join(str(r.report) for r in runs)}")
    household_line(county, out)
    for line in notebook_hint(out, county.register_path):
        print(line)
    return 0


def notebook_hint(out: Path, register: Path | None) -> list[str]:
    """How to open the roll-up notebook on the demo county (the README's data-officer section, with its paths)."""
    bin_dir = Path(sys.executable).parent
    voila = bin_dir / "voila"
    run = str(voila) if voila.exists() else "voila"
    lines = ["", "数据管理员笔记本（浏览器中操作）：",
             f"  {run} notebooks/月度汇总.ipynb",
             f"  在页面中填写 收件夹：{(out / '收件箱').resolve()}",
             f"             学校名录：{Path(register or out / '学校名录.xlsx').resolve()}",
             "  报送月份默认为收件夹中最新的月份，点击“运行汇总”。"]
    if not voila.exists():
        lines.append("  （未安装 Voilà：请运行 make demo，或 pip install -e '.[notebook]'）")
    return lines


def household_line(county, out: Path) -> None:
    """The household line on the demo county: lists, match, one township's returned 核查清单, match again."""
    month = county.months[-1]
    print(f"\n== 户籍线：双线比对（{month}）", flush=True)
    run = run_household_line(county, out, progress=lambda text: print("  " + text, file=sys.stderr, flush=True))
    d = run.demo
    print(f"已生成名单（{run.folder / '名单'}）：户籍名单 {len(d.paths['household'])} 个文件 "
          f"{sum(len(r) for r in d.household.values())} 行，学籍名单 {len(d.xueji)} 行，"
          f"异地就读名单 {len(d.elsewhere)} 行，重点人群名单 {len(d.key_groups)} 行。")
    code, grade, diff = d.count_mismatch
    print(f"植入：只在户籍名单中的隐藏儿童 {len(d.hidden)} 人（其中重点人群 1 人），身份证号有误的户籍行 1 行，"
          f"重复户籍 1 行，人籍姓名不一致 1 人，人籍人数不符 1 处（{code} {grade}，学籍多 {diff} 人）。")
    print("\n【第一次比对】")
    for line in match.summary_lines(run.first):
        print("  " + line)
    filled = sum(1 for _ in _filled_rows(run))
    print(f"\n【{run.township}交回核查清单】入户核查 {filled} 人，另在清单末尾补填了入户发现、名单上没有的儿童 1 人"
          f"（常住未落户），填好的清单放在 {run.returned}（生成的清单原样保留）")
    print("\n【交回后再次比对】")
    for line in match.summary_lines(run.second):
        print("  " + line)
    before, after = run.first.county["to_verify"], run.second.county["to_verify"]
    t_before = run.first.to_verify_by_township().get(run.township, 0)
    t_after = run.second.to_verify_by_township().get(run.township, 0)
    print(f"\n待核查：全县 {before} → {after} 人（{run.township} {t_before} → {t_after} 人）。")


def _filled_rows(run):
    return township_findings(run.demo, run.township).items()
