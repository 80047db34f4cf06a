"""The school line of the month (学校线) as the household match reads it: the counted books of the roll-up (SPEC §6:
the same inbox walk, stamp verification and per-file result cache, run by ``baoxue.rollup.run_rollup``), reduced to
frames keyed by ID. Nothing here re-reads a workbook."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import model
from ..rollup.engine import RollupResult

# SPEC §8.2 rules 1–4: the open sheet → the ledger status it gives
OPEN_STATUS_OF_SHEET = {model.DROPOUT.name: "失学辍学", model.LEAVE.name: "休学", model.HOME.name: "送教上门",
                        model.DEFER.name: "缓学"}


@dataclass
class SchoolLine:
    open_rows: pd.DataFrame      # the counted books' open rows: school, file, sheet, row, 身份证号, 姓名, 年级, 状态
    cases: pd.DataFrame          # every 辍学 row of the counted books (school, file, row, CASE_COLUMNS)
    covers: pd.DataFrame         # one row per counted book: school, file, the cover fields
    rows_by_sheet: dict[str, pd.DataFrame]   # 休学 / 缓学 / 送教上门: every row of the counted books (any status)
    schools: pd.DataFrame        # code, name, township, in_register, counted, file
    rollup: RollupResult

    @classmethod
    def from_rollup(cls, result: RollupResult) -> "SchoolLine":
        schools = pd.DataFrame([{k: s.get(k) for k in ("code", "name", "township", "in_register", "counted", "file")}
                                for s in result.schools],
                               columns=["code", "name", "township", "in_register", "counted", "file"])
        open_rows = result.open_rows if result.open_rows is not None else pd.DataFrame()
        if not len(open_rows):
            open_rows = pd.DataFrame({c: pd.Series([], dtype=object)
                                      for c in ("school", "file", "sheet", "row", "身份证号", "姓名", "年级", "状态")})
        cases = result.cases if result.cases is not None else pd.DataFrame()
        rows = {s: result.sheet_rows.get(s, pd.DataFrame()) for s in (model.LEAVE.name, model.HOME.name, model.DEFER.name)}
        return cls(open_rows, cases, result.sheet_rows.get(model.COVER_SHEET, pd.DataFrame()), rows, schools, result)

    @property
    def register_codes(self) -> set[str]:
        return set(self.schools.loc[self.schools["in_register"].astype(bool), "code"])

    @property
    def school_names(self) -> dict[str, str]:
        return dict(zip(self.schools["code"], self.schools["name"]))

    @property
    def school_townships(self) -> dict[str, str]:
        return dict(zip(self.schools["code"], self.schools["township"]))

    def open_by_status(self) -> dict[str, pd.DataFrame]:
        """Ledger status (失学辍学, 休学, 送教上门, 缓学) → the open rows giving it, one per ID (the first school's)."""
        out = {}
        for sheet, status in OPEN_STATUS_OF_SHEET.items():
            part = self.open_rows[self.open_rows["sheet"] == sheet]
            part = part[part["身份证号"].notna()].drop_duplicates("身份证号")
            out[status] = part
        return out

    def ids_in_sheet(self, sheet: str) -> set[str]:
        """Every ID with a row (any status) in ``sheet`` of a counted book (H004: a 核查结果 with a matching row)."""
        df = self.rows_by_sheet.get(sheet)
        if df is None or not len(df) or "身份证号" not in df:
            return set()
        return set(df["身份证号"].dropna())
