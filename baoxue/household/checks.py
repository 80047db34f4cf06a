"""The workbook rules that apply to the household line's lists (SPEC §8.3): F004–F007 and F012 on every input, and the
type stage (an ID stored as a number → F004, a date that is not one → F003, a code not in its list → F002), run by the
validators' own rule functions over a ``Batch`` of the list files — not a second implementation."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import model
from ..findings import Finding
from ..batch import AS_OF
from ..normalize import Invalid
from ..policy import Policy
from ..validators import rules_format, schemas
from ..validators.hits import RuleBatch
from .inputs import ListFile


class ListBatch(RuleBatch):
    """A ``RuleBatch`` over the files of one list kind (all 户籍名单 files, say): the rules that look for "every sheet
    holding the columns they read" find the list's sheet."""

    def __init__(self, files: list[ListFile], policy: Policy):
        super().__init__([f.book for f in files], policy)
        self.sheet = files[0].sheet if files else None
        self.files = files

    def sheets_with(self, *columns: str) -> list[model.Sheet]:   # an instance method here: the batch knows its sheet
        return [self.sheet] if self.sheet is not None and all(self.sheet.has(c) for c in columns) else []

    def usable_ids(self) -> pd.Series:
        """Per row of ``frame``: the ID can be matched — well formed (F004), right check digit (F005), a real birth
        date not after the as-of date (F006) (SPEC §8.1)."""
        df = self.frame(self.sheet.name)
        ids, well, born = self.ids(self.sheet.name)
        ok = well.to_numpy().copy()
        ok[ok] = self.check_digit_ok(self.sheet.name)
        return pd.Series(ok, index=well.index) & born.notna() & ~(born > df[AS_OF]).fillna(False)


ID_RULES = (rules_format.id_format, rules_format.id_checksum, rules_format.id_birth, rules_format.id_sex)


def _type_stage(batch: ListBatch) -> list[tuple[int, Finding]]:
    """Cells the reader could not type: an ID kept as a number (F004), a date that is not one (F003), a formula (F013)."""
    sheet = batch.sheet
    df = batch.frame(sheet.name)
    untypable = set().union(*(f.book.untypable.get(sheet.name, ()) for f in batch.files))   # the reader knows where
    out = []
    for column in sheet.columns:
        if column.name not in untypable:
            continue
        values = df[column.name].tolist()
        bad = np.fromiter((v.__class__ is Invalid for v in values), dtype=bool, count=len(values))
        if not bad.any():
            continue
        rows = df[bad]
        reasons = pd.Series([v.reason for v in rows[column.name].tolist()], index=rows.index)
        for reason, part in rows.groupby(reasons, sort=False):
            rule_id = rules_format.TYPE_RULES.get(reason, "F003")
            fields = {"problem": rules_format.ID_AS_NUMBER} if rule_id == "F004" else {}
            if rule_id == "F014":
                fields["problem"] = rules_format.NUMBER_PROBLEMS[reason]
            out += batch.hits(rule_id, sheet.name, part, column.name, **fields)
    return out


def _codes_and_names(batch: ListBatch) -> list[tuple[int, Finding]]:
    """F002 (a code column's value not in its list) and F012 (an implausible 姓名)."""
    sheet = batch.sheet
    df = batch.frame(sheet.name)
    out = []
    for column in sheet.columns:
        values = df[column.name]
        if column.codes:   # a code column holds text or nothing (the reader never leaves it untypable)
            bad = values.notna() & ~values.isin(model.CODE_LISTS[column.codes])
            out += batch.hits("F002", sheet.name, bad, column.name, codes=column.codes,
                              allowed="、".join(model.CODE_LISTS[column.codes]))
        if schemas.name_checked(column):
            # the F012 predicate on each distinct name, the reason only for the few that fail
            distinct = [v for v in set(values.tolist()) if v.__class__ is str]
            problem = {v: schemas.name_problem(v) for v in schemas.implausible_names(distinct)}
            if problem:
                problems = values.map(problem)
                bad = problems.notna()
                out += batch.hits("F012", sheet.name, bad, column.name, problem=problems[bad])
    return out


def input_findings(batch: ListBatch, codes: bool = True) -> list[Finding]:
    """F002–F007 and F012 of one list kind, each finding with its file and Excel row."""
    if batch.sheet is None or not any(len(f.frame) for f in batch.files):
        return []
    hits = _type_stage(batch)
    for check in ID_RULES:
        hits += check(batch)
    hits += _codes_and_names(batch) if codes else []
    out = []
    for i, finding in hits:
        finding.file = batch.files[i].file
        out.append(finding)
    return out
