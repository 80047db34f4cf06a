"""pandera schemas generated from the model (F001, F002, F012): pandera's own lazy validation and the registered checks
evaluated directly (what the validators run) find exactly the same failure cases, and they are the ones planted."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from baoxue import model
from baoxue.normalize import Invalid
from baoxue.validators import schemas


def planted(sheet: model.Sheet) -> tuple[pd.DataFrame, set]:
    """Rows 0–3 of ``sheet``: a clean row, every required cell empty, every code and name wrong, every checked cell
    an ``Invalid`` (left to the type stage); and the failure cases expected."""
    clean, empty, wrong, invalid = {}, {}, {}, {}
    want = set()
    for c in sheet.columns:
        clean[c.name] = model.CODE_LISTS[c.codes][0] if c.codes else ("张小明" if c.kind == "name" else "x")
        empty[c.name] = None
        wrong[c.name] = "不在表中" if c.codes else ("张三3" if schemas.name_checked(c) else clean[c.name])
        invalid[c.name] = Invalid("?", "code") if (c.codes or schemas.name_checked(c)) else clean[c.name]
        if c.required:
            want.add(("F001", c.name, 11))
        if c.codes:
            want.add(("F002", c.name, 12))
        if schemas.name_checked(c):
            want.add(("F012", c.name, 12))
    df = pd.DataFrame([clean, empty, wrong, invalid], index=[10, 11, 12, 13], dtype=object)
    return df, want


def cases(frame: pd.DataFrame) -> set:
    return {(r, c, int(i)) for r, c, i in frame[["rule", "column", "index"]].itertuples(index=False)}


@pytest.mark.parametrize("sheet", model.DATA_SHEETS, ids=lambda s: s.name)
def test_pandera_and_the_registered_checks_agree_on_planted_rows(sheet):
    df, want = planted(sheet)
    assert want, "every data sheet has something to check"
    assert cases(schemas.failures(sheet.name, df)) == want
    assert cases(schemas.pandera_failures(sheet.name, df)) == want


def test_the_schema_is_generated_from_the_model():
    for sheet in model.DATA_SHEETS:
        s = schemas.schema(sheet.name)
        assert isinstance(s, pa.DataFrameSchema)
        for c in sheet.columns:
            if c.required or c.codes or schemas.name_checked(c):
                col = s.columns[c.name]
                assert col.nullable is (not c.required)
                assert {k.name for k in col.checks} == ({"F002"} if c.codes else set()) | (
                    {"F012"} if schemas.name_checked(c) else set())
            else:
                assert c.name not in s.columns
