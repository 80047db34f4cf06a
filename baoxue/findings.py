"""Finding: one result of a check, the shape every output (table, JSON, 校验结果, coloured cells) is written from."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import ALL_SHEETS


@dataclass
class Finding:
    rule: str                 # stable rule ID (SPEC §4), e.g. "F005"
    severity: str             # "error" | "warning"
    sheet: str | None         # sheet name, None for file-level findings
    row: int | None           # Excel row number the clerk sees; None for sheet/workbook-level findings
    column: str | None        # canonical column name (or cover label)
    value: Any                # the value as found (str), or None
    message: str              # Chinese: what is wrong and how to fix it
    school: str | None = None  # roll-up only: 学校标识码
    file: str | None = None    # roll-up only: the file it came from
    cell: str | None = None    # the cell address the clerk types into the Name Box ("E4"); None: no single cell

    def to_dict(self, rollup: bool = False) -> dict[str, Any]:
        # as ``dataclasses.asdict`` gives it (the fields in order), without its recursive copy of every field
        d = {"rule": self.rule, "severity": self.severity, "sheet": self.sheet, "row": self.row, "column": self.column,
             "value": self.value, "message": self.message, "school": self.school, "file": self.file, "cell": self.cell}
        if d["value"] is not None and not isinstance(d["value"], (str, int, float, bool)):
            d["value"] = str(d["value"])
        if not rollup:
            d.pop("school")
            d.pop("file")
        return d

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def summarize(findings: list[Finding]) -> dict[str, int]:
    errors = sum(1 for f in findings if f.severity == "error")
    return {"errors": errors, "warnings": len(findings) - errors, "total": len(findings)}


def sort_key(f: Finding):
    order = {name: i for i, name in enumerate(ALL_SHEETS)}
    return (order.get(f.sheet, -1 if f.sheet is None else 99), f.row or 0, f.column or "", f.rule)
