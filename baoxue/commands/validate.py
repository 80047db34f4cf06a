"""`baoxue validate BOOK… [--json] [--policy FILE]`: check workbooks against the rule catalogue (SPEC §4, §7).

Exit code: 0 no error, 1 errors, 2 a file could not be read (S005) — the worst over all files.

JSON (standard output carries only the document):
- one BOOK: exactly SPEC §7 — ``{"findings": [finding…], "summary": {"errors", "warnings", "total", "policy_fingerprint"}}``
  with each finding ``{"rule", "severity", "sheet", "row", "column", "value", "message"}``;
- several BOOKs: a superset of the same shape — ``findings`` holds every file's findings, each with an extra ``"file"``
  key; ``summary`` holds the totals plus ``"files"`` (the count); ``"files": [{"file", "readable", "findings",
  "summary"}…]`` gives them per file.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .. import model
from ..findings import Finding, summarize
from ..paths import shown, shown_name
from ..policy import load_policy
from ..validators import unreadable_finding, validate_file
from .update import cell_note


def register(subparsers) -> None:
    p = subparsers.add_parser("validate", help="校验学校月报工作簿，按工作表列出错误和警告",
                              description="按规则目录（docs/rules.md）检查工作簿。退出码：0 无错误，1 有错误，2 文件无法读取。")
    p.add_argument("books", nargs="+", metavar="BOOK", help="学校月报工作簿 (.xlsx)，可一次给多个")
    p.add_argument("--json", action="store_true", help="以 JSON 输出（标准输出只有 JSON 文档）")
    p.add_argument("--policy", metavar="FILE", help="县级策略文件 (TOML)，覆盖默认策略")
    p.set_defaults(func=run)


def check_file(path: str, policy) -> tuple[bool, list[Finding]]:
    """(readable, findings) — never raises for a bad input file."""
    try:
        book, findings = validate_file(path, policy)
    except Exception as e:  # noqa: BLE001 — no traceback for any input file
        name = shown_name(Path(path).name)
        return False, [unreadable_finding(f"文件“{name}”读取或校验时出错（{type(e).__name__}），无法检查。请在 Excel/WPS 中打开"
                                          "确认后重新保存为 .xlsx 再试；如仍出错，请把文件交给县数据管理员。")]
    return book is not None, findings


def exit_code(results: list[tuple[bool, list[Finding]]]) -> int:
    if any(not readable for readable, _ in results):
        return 2
    return 1 if any(f.is_error for _, fs in results for f in fs) else 0


def summary(findings: list[Finding], policy) -> dict:
    s = summarize(findings)
    s["policy_fingerprint"] = policy.fingerprint
    return s


def as_json(paths: list[str], results, policy) -> dict:
    if len(paths) == 1:
        findings = results[0][1]
        return {"findings": [f.to_dict() for f in findings], "summary": summary(findings, policy)}
    files, everything = [], []
    for path, (readable, findings) in zip(paths, results):
        files.append({"file": shown(path), "readable": readable, "findings": [f.to_dict() for f in findings],
                      "summary": summary(findings, policy)})
        everything += [{**f.to_dict(), "file": shown(path)} for f in findings]
    total = summary([f for _, fs in results for f in fs], policy)
    total["files"] = len(paths)
    return {"findings": everything, "summary": total, "files": files}


def _cell(v) -> str:
    return "" if v is None else str(v)


def render(path: str, readable: bool, findings: list[Finding], out) -> None:
    """A readable Chinese table grouped by sheet, with counts."""
    s = summarize(findings)
    print(f"■ {shown(path)}", file=out)
    if not readable:
        for f in findings:
            print(f"  [S005 错误] {f.message}", file=out)
        return
    if not findings:
        print("  ✔ 未发现问题。", file=out)
        return
    order = {name: i for i, name in enumerate(model.ALL_SHEETS)}
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.sheet or "（整个工作簿）", []).append(f)
    for sheet in sorted(groups, key=lambda n: order.get(n, -1)):
        fs = groups[sheet]
        e = sum(f.is_error for f in fs)
        print(f"  【{sheet}】错误 {e} 条，警告 {len(fs) - e} 条", file=out)
        for f in fs:
            where = f"第{f.row}行" if f.row else "—"
            level = model.SEVERITY_LABELS.get(f.severity, f.severity)
            value = f"  值：{_cell(f.value)}" if f.value not in (None, "") else ""
            column = f.column or ""
            print(f"    {where:<6} {column:<10} {f.rule} {level}{value}", file=out)
            print(f"           {f.message}{cell_note(f)}", file=out)
    print(f"  合计：错误 {s['errors']} 条，警告 {s['warnings']} 条。" + ("有错误，须改正后才能报送。" if s["errors"] else
                                                                "只有警告，可以报送，但请核实。"), file=out)


def run(args) -> int:
    policy = load_policy(args.policy)
    results = [check_file(p, policy) for p in args.books]
    if args.json:
        json.dump(as_json(args.books, results, policy), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for path, (readable, findings) in zip(args.books, results):
            render(path, readable, findings, sys.stdout)
        if len(args.books) > 1:
            s = summarize([f for _, fs in results for f in fs])
            print(f"共 {len(args.books)} 个文件：错误 {s['errors']} 条，警告 {s['warnings']} 条。")
    return exit_code(results)
