"""Generate ``docs/rules.md`` (the rule reference, Chinese with English titles) from the catalogue.

    python -m baoxue.validators.docs            # writes docs/rules.md
    python -m baoxue.validators.docs --check    # exit 1 when the checked-in file is out of date
"""
from __future__ import annotations

import sys
from pathlib import Path

from baoxue import model
from baoxue.policy import default_data

from .catalogue import CHECKS, FAMILIES, RULES

DOC = Path(__file__).resolve().parents[1] / "docs" / "rules.md"

INTRO = f"""# 校验规则目录 Validation rule reference

> 本文件由 `python -m baoxue.validators.docs` 根据 `validators/catalogue.py` 自动生成，请勿手工修改。
> Generated from the rule catalogue; do not edit by hand.

每条校验结果（finding）包含：规则编号、级别、工作表、行号（Excel 中看到的行号）、列名、值（原样）和说明。
**错误**（error）须改正后才能报送；**警告**（warning）不阻止报送，但请核实。规则编号固定不变，不会挪作他用。

- 截止日期（as-of）为报送月份的最后一天；“未来日期”“逾期”都按截止日期判断，与运行当天无关。
- 在册行（open rows）：辍学 核查中/劝返中/去向不明；休学中；缓学中；送教中。
- 达标送教（qualifying visit）：送教记录中报送月份内、课时不少于策略规定课时的一次送教。
- 规则适用于含有其所读列的每张工作表（如 F009 凡有学籍号列处都检查，A001 检查每张人员表）。
- 送教记录与劝返记录是本学年累计的：T002–T004 只检查报送月份内的送教（以前月份已在当月检查过）。
- 年龄按学年开始前的8月31日计算（9–12月报表取当年8月31日，1–8月取上年8月31日）；出生日期优先取身份证号。
  缓学表中未满入学年龄的儿童报 A003，不再重复报 A001。
- 列缺失（S002）时，该列的单元格规则不再逐行报告；工作表缺失（S001）时，依赖该表的交叉规则（T005、P001、C004）对该工作簿跳过。
- 本项目在 SPEC 之外新增：F014（数值无效）、R008（学校不在名录中）。

## 命令行 `baoxue validate`

`baoxue validate BOOK… [--json] [--policy FILE]`：默认按工作表分组输出中文表格和条数。退出码：0 无错误，1 有错误，
2 有文件无法读取（S005）。`--json` 时标准输出只有 JSON：

- 一个文件：`{{"findings": [...], "summary": {{"errors", "warnings", "total", "policy_fingerprint"}}}}`，
  每条 finding 为 `{{"rule", "severity", "sheet", "row", "column", "value", "message"}}`；
- 多个文件：同样的顶层键（`findings` 中每条多一个 `"file"`，`summary` 多一个 `"files"` 文件数），
  另加 `"files": [{{"file", "readable", "findings", "summary"}}...]` 逐个文件列出。

## 默认策略 Policy defaults

县可用 `--policy county.toml` 覆盖任一项（见 `baoxue/policy_default.toml`）。

{{policy}}

当前模板版本：`{model.TEMPLATE_VERSION}`。
"""


def _policy_table() -> str:
    lines = ["| 设置项 key | 默认值 default |", "|---|---|"]
    for section, values in default_data().items():
        for key, value in values.items():
            lines.append(f"| `{section}.{key}` | `{value}` |")
    return "\n".join(lines)


def _where(rule_id: str) -> str:
    fns = CHECKS.get(rule_id)
    if fns:
        return "、".join(f"`{fn.__module__.replace('baoxue.', '')}.{fn.__name__}`" for fn in fns)
    if rule_id == "S005":
        return "`baoxue.reader`（`UnreadableWorkbook`）→ `validators.validate_file`"
    return "`baoxue.rollup.rules`"


def render() -> str:
    parts = [INTRO.replace("{policy}", _policy_table()), "## 规则一览 Overview\n",
             "| 编号 ID | 级别 | 规则 | Rule |", "|---|---|---|---|"]
    for r in RULES.values():
        parts.append(f"| [{r.id}](#{r.id.lower()}) | {r.severity_label} | {r.title} | {r.title_en} |")
    family = None
    for r in RULES.values():
        if r.family != family:
            family = r.family
            parts.append(f"\n## {family} — {FAMILIES[family]}\n")
        parts += [
            f"### {r.id}",
            "",
            f"**{r.title}** — *{r.title_en}* · 级别 severity: **{r.severity_label}** ({r.severity})",
            "",
            f"- 检查与提示 What (message template): “{r.message}”",
            f"- 为什么 Why: {r.why}",
            f"- 不通过的例子 Failing: {r.bad}",
            f"- 通过的例子 Passing: {r.good}",
            f"- 实现 Implemented in: {_where(r.id)}",
            "",
        ]
    return "\n".join(parts).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print(f"{DOC} 已过期，请运行 python -m baoxue.validators.docs", file=sys.stderr)
            return 1
        return 0
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    print(f"已写入 {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
