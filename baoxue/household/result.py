"""``MatchResult``: what one run of the household match yields, and its §8.6 JSON document."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import model
from ..findings import Finding
from ..idcard import mask_name
from ..rollup.masking import HIDDEN, Scrubber, mask_value

# SPEC §8.2: JSON key → 汇总 label. The eight status counts (STATUS_KEYS) add up to ``school_age``.
INDICATORS: tuple[tuple[str, str], ...] = (
    ("school_age", "适龄儿童少年数"),
    ("in_school", "在校"),
    ("on_leave", "休学"),
    ("home_taught", "送教上门"),
    ("deferred", "缓学"),
    ("elsewhere", "县外就读"),
    ("out_of_school", "失学辍学"),
    ("excluded", "不计入"),
    ("to_verify", "待核查"),
    ("key_group_to_verify", "其中重点人群待核查或失学辍学"),
    ("enrolment_rate", "入学率"),
    ("xueji_not_in_household", "在籍但不在户籍名单"),
)
INDICATOR_KEYS = tuple(k for k, _ in INDICATORS)
INDICATOR_LABELS = dict(INDICATORS)
# 台账状态 → its count key
STATUS_KEYS: dict[str, str] = {"在校": "in_school", "休学": "on_leave", "送教上门": "home_taught", "缓学": "deferred",
                               "县外就读": "elsewhere", "失学辍学": "out_of_school", "不计入": "excluded",
                               "待核查": "to_verify"}
assert tuple(STATUS_KEYS) == model.LEDGER_STATUSES
SENSITIVE = frozenset({"类别", "重点人群"})   # a child's key group (poverty, disability) is hidden in masked output
# where the H006 / H007 messages name a child's key group (the catalogue's words): hidden in masked output
# (H006 with its brackets: 重点人群（已隐去）, not 重点人群（（已隐去））)
_GROUP_IN_MESSAGE = {"H006": re.compile(r"(?<=重点人群)（[^）]*）"), "H007": re.compile(r"(?<=列为“)[^”]*(?=”)")}


@dataclass
class MatchResult:
    month: str
    county: dict[str, Any]
    townships: list[dict[str, Any]]
    villages: list[dict[str, Any]]
    ledger: pd.DataFrame                 # model.LEDGER_COLUMNS, one row per school-age child
    to_verify: pd.DataFrame              # the 核查清单 rows (the columns `match` fills), every township
    mismatch: pd.DataFrame               # H002 / H008 findings as a table (人籍不一致)
    findings: list[Finding]
    files: dict[str, Any] = field(default_factory=dict)   # {"ledger": Path, "checklists": {乡镇: Path}} after writing
    inputs: dict[str, Any] = field(default_factory=dict)  # what was read: {"household": [paths], "xueji": path, …}
    store_dir: str | None = None
    names: set[str] = field(default_factory=set, repr=False)  # full names seen (scrubbed from masked messages)

    def key_group_first(self) -> pd.DataFrame:
        """The 核查清单 rows of key-group children (重点人群 filled), township by township."""
        df = self.to_verify
        return df[df["重点人群"].fillna("").astype(str) != ""] if len(df) else df

    def to_verify_by_township(self) -> dict[str, int]:
        return {t["name"]: t["to_verify"] for t in self.townships if t.get("to_verify")}

    def unmatched_returns_note(self) -> str | None:
        """The summary's sentence on H010 (CLI and notebook): how many returned rows the ledger could not take, and
        where they are (file and row, no ID or name); None when there are none."""
        lost = [f for f in self.findings if f.rule == "H010"]
        if not lost:
            return None
        where = "、".join(f"“{f.file}”第{f.row}行" for f in lost[:5]) + ("等" if len(lost) > 5 else "")
        return (f"交回的核查清单有 {len(lost)} 行对不上户籍名单中的儿童（H010），核查结果未计入台账：{where}。"
                "请核对身份证号，或把入户发现的儿童补入户籍名单（详见问题清单）。")

    def finding_dicts(self, masked: bool = True) -> list[dict[str, Any]]:
        scrub = Scrubber(self.names) if masked else None
        out = []
        for f in self.findings:
            d = f.to_dict(rollup=True)
            if masked:
                column = d["column"]
                if d["value"] is not None and column in SENSITIVE:
                    d["value"] = HIDDEN
                elif d["value"] is not None and column and column.endswith("姓名"):   # 户主姓名 too
                    d["value"] = mask_name(str(d["value"]))
                else:
                    d["value"] = scrub(mask_value(column, d["value"]))
                d["message"] = scrub(d["message"])
                if f.rule in _GROUP_IN_MESSAGE:
                    d["message"] = _GROUP_IN_MESSAGE[f.rule].sub(HIDDEN, d["message"])
            out.append(d)
        return out

    def to_json(self, masked: bool = True) -> dict[str, Any]:
        """SPEC §8.6: {"month", "county", "townships", "villages", "findings", "files"}; finding values masked."""
        def area(d: dict, head: tuple[str, ...]) -> dict:
            return {**{k: d.get(k) for k in head}, **{k: d.get(k) for k in INDICATOR_KEYS}}
        files = self.files or {}
        return {
            "month": self.month,
            "county": area(self.county, ("name",)),
            "townships": [area(t, ("name",)) for t in self.townships],
            "villages": [area(v, ("township", "name")) for v in self.villages],
            "findings": self.finding_dicts(masked),
            "files": {"ledger": str(files["ledger"]) if files.get("ledger") else None,
                      "checklists": {k: str(v) for k, v in (files.get("checklists") or {}).items()}},
        }
