"""Generate the reference docs from the code that defines them, so nothing is kept by hand twice:

- ``docs/rules.md``: the rule reference (Chinese with English titles), from the catalogue;
- ``docs/workbook.md``: the standard workbook (sheets, columns, cover fields, code lists, 月报汇总), from ``baoxue.model``.

    python -m baoxue.validators.docs            # writes both
    python -m baoxue.validators.docs --check    # exit 1 when a checked-in file is out of date
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from baoxue import model
from baoxue.indicators import INDICATORS
from baoxue.policy import default_data

from .catalogue import CHECKS, FAMILIES, RULES

DOC = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
WORKBOOK_DOC = DOC.with_name("workbook.md")

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
  每条 finding 为 `{{"rule", "severity", "sheet", "row", "column", "value", "message", "cell"}}`（`cell` 为单元格地址，
  如 `"E4"`，可直接输入名称框；工作表级和文件级的问题为 `null`）；表格输出在说明后写“（单元格 E4）”；
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
    if rule_id.startswith("H"):
        return "`baoxue.household.rules`"
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
            *([f"- 说明 Notes: {r.notes}"] if r.notes else []),
            "",
        ]
    return "\n".join(parts).rstrip() + "\n"


KIND_LABELS = {"text": "文本", "name": "姓名", "id": "身份证号（文本格式）", "xjh": "学籍号（文本格式）",
               "phone": "电话（文本格式）", "cert": "证件号（文本格式）", "date": "日期", "int": "整数", "number": "数值",
               "code": "下拉选项", "grade": "年级（下拉选项）", "schoolcode": "10位数字", "month": "YYYY-MM",
               "version": "模板版本"}


def _column_rows(sheet: model.Sheet) -> list[str]:
    lines = ["| 列名 column | 也接受 aliases | 类型 kind | 必填 required | 代码表 code list | 说明 |", "|---|---|---|---|---|---|"]
    for c in sheet.columns:
        required = "是" if c.required else ""
        note = "程序计算，无需填写" if c.computed else c.note
        note = (note + ("；" if note else "") + "计划日期，可晚于截止日") if c.planned else note
        lines.append(f"| {c.name} | {'、'.join(c.aliases)} | {KIND_LABELS.get(c.kind, c.kind)} | {required} | "
                     f"{c.codes or ''} | {note} |")
    return lines


def render_workbook() -> str:
    """The standard workbook as ``baoxue.model`` defines it (the same data the template, reader and rules use)."""
    parts = ["# 标准工作簿 The standard workbook", "",
             "> 本文件由 `python -m baoxue.validators.docs` 根据 `baoxue/model.py` 自动生成，请勿手工修改。",
             "> Generated from the workbook model; do not edit by hand.", "",
             f"模板版本 template version: `{model.TEMPLATE_VERSION}`。工作表按此顺序 sheets, in this order: "
             + "、".join(f"`{n}`" for n in model.ALL_SHEETS) + "。", "",
             "表头行按列名查找（前 10 行内），列的顺序不限；别名只在读入时接受，写出一律用标准列名。", "",
             f"## {model.COVER_SHEET} — cover", "", "A 列为项目名称，B 列填写。", "",
             "| 项目 label | 类型 kind | 必填 required | 代码表 | 说明 |", "|---|---|---|---|---|"]
    for f in model.COVER_FIELDS:
        parts.append(f"| {f.label} | {KIND_LABELS.get(f.kind, f.kind)} | {'是' if f.required else ''} | "
                     f"{f.codes or ''} | {f.hint} |")
    for sheet in model.DATA_SHEETS:
        parts += ["", f"## {sheet.name} — {sheet.english}", "", f"{sheet.title}。{sheet.note}", "",
                  *_column_rows(sheet)]
    parts += ["", f"## {model.SUMMARY_SHEET} — monthly indicators", "",
              "打开即由公式计算；`baoxue update` 另写一列“程序计算值”。JSON 键名 key 用于 `--json` 输出。", "",
              "| 指标 label | key |", "|---|---|", *(f"| {label} | `{key}` |" for key, label in INDICATORS)]
    parts += ["", f"## {model.FINDINGS_SHEET} — findings", "",
              "由校验生成，一条问题一行：" + "、".join(model.FINDINGS_COLUMNS) + "。", "",
              f"## {model.CODES_SHEET} — code lists (hidden)", "", "| 代码表 list | 值 values |", "|---|---|",
              *(f"| {name} | {'、'.join(model.CODE_LISTS[name])} |" for name in model.WORKBOOK_CODE_LISTS)]
    aliases = [f"| {name} | {'、'.join(f'{k}→{v}' for k, v in table.items())} |"
               for name, table in model.CODE_ALIASES.items()]
    parts += ["", "录入时也接受 accepted on input:", "", "| 代码表 | 写法 → 标准值 |", "|---|---|", *aliases, "",
              f"## {model.REGISTER.name} — register of schools", "", *_column_rows(model.REGISTER)]
    parts += ["", "# 户籍线 The household line (SPEC §8)", "",
              "`baoxue match` 读入的名单和乡镇交回的核查清单，与学校工作簿用同一个读取器：表头按列名在前 10 行内查找"
              "（取第一张含表头的工作表），接受别名，列的顺序不限。", ""]
    for sheet in (*model.HOUSEHOLD_INPUTS, model.CHECKLIST):
        parts += ["", f"## {sheet.name} — {sheet.english}", "", f"{sheet.title}。{sheet.note}", "",
                  *_column_rows(sheet)]
    parts += ["", f"## 台账 — the school-age ledger's 台账 sheet", "", "、".join(model.LEDGER_COLUMNS) + "。", "",
              "## 户籍线代码表 household code lists", "", "| 代码表 list | 值 values |", "|---|---|",
              *(f"| {name} | {'、'.join(model.CODE_LISTS[name])} |" for name in model.HOUSEHOLD_CODE_LISTS)]
    return "\n".join(parts).rstrip() + "\n"


# Hand-written guides quote code lists only as generated blocks, so the words a clerk reads are the dropdown's values:
#   <!-- 代码表:劝返方式 -->入户走访、电话、书面通知、约谈、其他<!-- /代码表 -->
GUIDES = [DOC.with_name(n) for n in ("clerk-guide.md", "addin-guide.md", "notebook-guide.md")]
CODE_BLOCK_RE = re.compile(r"<!-- 代码表:(?P<name>[^ >]+) -->.*?<!-- /代码表 -->", re.S)


def fill_code_lists(text: str) -> str:
    """``text`` with every code-list block filled from ``model.CODE_LISTS`` (an unknown list name is an error)."""
    def block(m: re.Match) -> str:
        name = m.group("name")
        if name not in model.CODE_LISTS:
            raise KeyError(f"docs: no code list named {name!r}")
        return f"<!-- 代码表:{name} -->{'、'.join(model.CODE_LISTS[name])}<!-- /代码表 -->"
    return CODE_BLOCK_RE.sub(block, text)


def _guide(path: Path):
    return lambda: fill_code_lists(path.read_text(encoding="utf-8"))


GENERATED = {DOC: render, WORKBOOK_DOC: render_workbook, **{p: _guide(p) for p in GUIDES if p.exists()}}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    stale = 0
    for path, make in GENERATED.items():
        text = make()
        if "--check" in argv:
            if (path.read_text(encoding="utf-8") if path.exists() else "") != text:
                print(f"{path} 已过期，请运行 python -m baoxue.validators.docs", file=sys.stderr)
                stale = 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"已写入 {path}")
    return stale


if __name__ == "__main__":
    sys.exit(main())
