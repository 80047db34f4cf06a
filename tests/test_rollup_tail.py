"""The roll-up's end, after the workers: the frames built column by column give what ``DataFrame.from_records`` gives,
R004 what its pandas formulation gives, and the store's reads (started while the workers read) what reading the store
then gives."""
from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest

from rollup_helpers import child_id, cover, dropout, leave, register, stamp, write_book

from baoxue import model
from baoxue.rollup import engine, rules, runner, run_rollup, school_year
from baoxue.rollup.store import Store
from baoxue.rollup.worker import CASE_COLUMNS, CURRENT, OPEN_ROW_COLUMNS, FileResult

M = "2026-10"
WHEN = dt.datetime(2026, 10, 28, tzinfo=dt.timezone.utc)
ODD_VALUES = ["劝返中", "核查中", None, "", "a", 7, 2.5, float("nan"), dt.date(2026, 10, 1), dt.datetime(2026, 10, 1, 8),
              True]


def _results(seed: int, n: int = 40, uniform: bool = False) -> dict[str, FileResult]:
    """Counted results of ``n`` schools: cases and open rows of every kind of value (``uniform``: text, dates and
    whole numbers as the worker stores them), IDs shared between schools (R004), schools without rows."""
    rng = random.Random(seed)
    ids = [child_id(i, "七年级", M) for i in range(12)] + [None, ""]

    def value(column: str):
        if column == "row":
            return rng.randrange(4, 60)
        if column == "身份证号":
            return rng.choice(ids)
        if column == "状态":
            return rng.choice(model.DROPOUT_OPEN_STATUSES + ("已复学",))
        if uniform:
            return rng.choice([None, "甲", "乙", dt.date(2026, 9, rng.randrange(1, 30))])
        return rng.choice(ODD_VALUES)

    out = {}
    for i in range(n):
        code = f"43100{i:05d}"
        count = rng.choice([0, 0, 1, 3])
        cases = [{c: value(c) for c in (*CASE_COLUMNS, "row")} for _ in range(count)] if count or i % 2 else None
        open_rows = [{**{c: value(c) for c in OPEN_ROW_COLUMNS}, "sheet": rng.choice(["辍学", "休学", "缓学", "送教上门"]),
                      "状态": "劝返中"} for _ in range(rng.choice([0, 1, 2, 4]))]
        out[code] = FileResult(path=f"/in/{code}.xlsx", file=f"{code}.xlsx", role=CURRENT, school_code=code, month=M,
                               stamp_ok=True, cases=cases, open_rows=open_rows or None)
    return out


def _from_records(counted: dict[str, FileResult], attr: str) -> pd.DataFrame:
    """The frame as ``DataFrame.from_records`` builds it from merged records (the reference)."""
    columns = ["school", "file", *(CASE_COLUMNS + ("row",) if attr == "cases" else OPEN_ROW_COLUMNS)]
    rows = [{"school": code, "file": r.file, **rec} for code, r in counted.items() for rec in getattr(r, attr) or ()]
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    return pd.DataFrame.from_records(rows, columns=columns)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("uniform", [True, False], ids=["as-stored", "odd-values"])
def test_record_frames_equal_from_records(seed, uniform):
    counted = _results(seed, uniform=uniform)
    for attr in ("cases", "open_rows"):
        got, want = engine._all(counted, attr), _from_records(counted, attr)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert list(got.dtypes) == list(want.dtypes)
    none = {c: FileResult(path="p", file="f", role=CURRENT, school_code=c) for c in ("a", "b")}
    for attr in ("cases", "open_rows"):
        pd.testing.assert_frame_equal(engine._all(none, attr), _from_records(none, attr), check_exact=True)


@pytest.mark.parametrize("seed", range(6))
def test_open_cases_frame_equals_from_records(seed):
    counted = _results(seed, uniform=True)
    names = {c: f"学校{c[-2:]}" for c in list(counted)[::2]}
    townships = {c: "城关镇" for c in counted}
    columns = ["学校标识码", "学校名称", "所属乡镇", *CASE_COLUMNS, "row", "file"]
    rows = [{"学校标识码": code, "学校名称": names.get(code, code), "所属乡镇": townships.get(code), **rec, "file": r.file}
            for code, r in counted.items() for rec in r.cases or () if rec["状态"] in model.DROPOUT_OPEN_STATUSES]
    want = pd.DataFrame.from_records(rows, columns=columns)
    pd.testing.assert_frame_equal(engine._open_cases(counted, names, townships), want, check_exact=True)


def _open_in_two_with_pandas(counted: dict[str, FileResult], names: dict[str, str]) -> list:
    """R004 as a pandas group-by states it (the reference): IDs open in more than one school, sorted."""
    records = [{**rec, "school": code, "file": r.file} for code, r in counted.items() for rec in r.open_rows or ()]
    if not records:
        return []
    rows = pd.DataFrame.from_records(records)
    rows = rows[rows["身份证号"].notna() & (rows["身份证号"] != "")]
    n = rows.groupby("身份证号")["school"].nunique()
    out = []
    for pid, group in rows[rows["身份证号"].isin(n[n > 1].index)].groupby("身份证号", sort=True):
        where = "；".join(f"{names.get(c, c)}（{c}）{s}表第{r}行（{st}）"
                         for c, s, r, st in zip(group["school"], group["sheet"], group["row"], group["状态"]))
        for c, s, r, f in zip(group["school"], group["sheet"], group["row"], group["file"]):
            out.append(rules._f("R004", rules._m("R004", value=pid, schools=where), school=c, file=f, sheet=s,
                                row=int(r), column="身份证号", value=pid))
    return out


@pytest.mark.parametrize("seed", range(8))
def test_open_in_two_equals_its_pandas_statement(seed):
    counted = _results(seed, n=60, uniform=True)
    names = {c: f"第{c[-2:]}学校" for c in counted}
    got = rules.open_in_two(counted, names)
    assert got == _open_in_two_with_pandas(counted, names)
    assert len({f.value for f in got}) > 1, "the case has clashes to order"


def _county(root, month: str, rows: dict | None = None):
    reg = register(root / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "初中", "城区")])
    stamp(write_book(root / month / "a.xlsx", cover("4310000001", "城关中学", "城关镇", month), rows),
          dt.datetime(int(month[:4]), int(month[5:]), 20, tzinfo=dt.timezone.utc))
    return root / month, reg


def test_store_is_read_while_the_workers_read(tmp_path, monkeypatch):
    """The store's reads start from the workers' ``meanwhile`` — on a first run, a cached re-run and without a store —
    and a month then gets the store's earlier months (school year, M−1's open cases, trend) as reading them after."""
    pid = child_id(3, "八年级", M)
    sep, reg = _county(tmp_path, "2026-09", {"辍学": [dropout(pid, "赵小燕", "八年级", dt.date(2026, 9, 2))],
                                             "休学": [leave(child_id(4, "七年级", M), "钱小", "七年级", dt.date(2026, 9, 3))]})
    octo, _ = _county(tmp_path, M)
    store_dir = tmp_path / "store"
    run_rollup(sep, "2026-09", reg, store_dir=store_dir, workers=1)

    events: list[str] = []
    real_start, real_chunk = engine._StoreReads.start, runner.process_chunk
    monkeypatch.setattr(engine._StoreReads, "start", lambda self: (events.append("store"), real_start(self))[-1])
    monkeypatch.setattr(runner, "process_chunk", lambda *a: (events.append("chunk"), real_chunk(*a))[-1])
    first = run_rollup(octo, M, reg, store_dir=store_dir, workers=1)
    assert events[:2] == ["store", "chunk"]
    events.clear()
    again = run_rollup(octo, M, reg, store_dir=store_dir, workers=1)   # every file cached: no chunk is read
    assert events[:1] == ["store"] and "chunk" not in events
    assert again.to_json(masked=False) == first.to_json(masked=False)
    events.clear()
    run_rollup(octo, M, reg, store_dir=False, workers=1)
    assert events[:2] == ["store", "chunk"]

    store = Store(store_dir)
    assert [f.value for f in first.findings if f.rule == "R005"] == [pid] and first.previous_source == "历史库"
    stored = store.load_month("2026-09")["open_rows"]
    pd.testing.assert_frame_equal(store.open_cases("2026-09"), stored[stored["sheet"] == "辍学"].reset_index(drop=True))
    assert store.open_cases("2026-08") is None
    assert first.county["ytd_months"] == ["2026-09", M] and first.history["county"]["month"].tolist() == ["2026-09"]
    enrolment = {"4310000001": (0, 300)}
    cases = first.cases
    assert (school_year.compute(M, enrolment, cases, store=store)
            == school_year.compute(M, enrolment, cases, stored=school_year.stored_year(M, store)))


ODD_ROWS = [{"a": 1, "b": "x", "c": dt.date(2026, 10, 1)}, {"b": None, "c": None, "d": 2.5}, {"a": None, "d": True}]


@pytest.mark.parametrize("rows", [ODD_ROWS, ODD_ROWS[:1], [{"a": 1}, {"a": 2}], [{}], []], ids=str)
def test_dicts_frame_equals_the_frame_of_the_dicts(rows):
    pd.testing.assert_frame_equal(engine._dicts_frame(rows), pd.DataFrame(rows), check_exact=True)


def test_report_records_equal_to_dict():
    from baoxue.rollup.report import records
    frame = pd.DataFrame({
        "Int64": pd.array([1, None, 3], dtype="Int64"), "Float64": pd.array([1.5, None, 2], dtype="Float64"),
        "boolean": pd.array([True, None, False], dtype="boolean"), "string": pd.array(["a", None, "c"], dtype="string"),
        "str": ["a", None, "c"], "object": pd.Series([None, "x", dt.date(2026, 10, 1)], dtype=object),
        "datetime": pd.to_datetime(["2026-01-01", None, "2026-02-01"]), "float": [float("nan"), 2.0, 3.0],
        "int": [1, 2, 3], "bool": [True, False, True], "category": pd.Categorical(["a", None, "a"])})
    for df in (frame, frame.iloc[0:0], pd.DataFrame(), pd.DataFrame(index=range(2))):
        assert repr(records(df)) == repr(df.to_dict("records"))
        assert [list(map(type, r.values())) for r in records(df)] == [list(map(type, r.values()))
                                                                        for r in df.to_dict("records")]


def test_store_tables_are_written_as_to_parquet_writes_them(tmp_path):
    from baoxue.rollup.store import _write_tables
    frames = {"a": pd.DataFrame({"x": ["甲", None], "n": pd.array([1, None], dtype="Int64"),
                                 "d": pd.Series([dt.date(2026, 10, 1), None], dtype=object)}),
              "b": pd.DataFrame({"month": ["2026-09"], "y": [1.5]})}
    before = {k: df.copy() for k, df in frames.items()}
    (tmp_path / "new").mkdir()
    _write_tables(tmp_path / "new", M, ("a", "b", "c"), frames)
    for name in ("a", "b", "c"):
        df = frames.get(name, pd.DataFrame()).copy()
        if "month" not in df.columns:
            df.insert(0, "month", M)
        df.to_parquet(tmp_path / f"{name}.parquet", index=False)
        assert (tmp_path / "new" / f"{name}.parquet").read_bytes() == (tmp_path / f"{name}.parquet").read_bytes()
    for k, df in frames.items():
        pd.testing.assert_frame_equal(df, before[k])


def test_aggregate_sums_the_sets_in_their_order_with_or_without_every_key():
    """``aggregate`` takes each figure set's values in one look-up, or key by key when a set lacks one: the same sums
    (floats added in the sets' order) as summing ``f.get(key) or 0`` over the sets."""
    from baoxue.indicators import COUNT_KEYS, aggregate
    rng = random.Random(3)
    sets = [{k: rng.choice([0, 1, 2, None, 0.1, 0.7, 1e-3]) for k in COUNT_KEYS} for _ in range(300)]
    for figures in (sets, sets + [{"open_primary": 5}], [None, *sets[:3], None], []):
        got = aggregate(figures, school_year=False)
        for key in COUNT_KEYS:
            total = 0
            for f in figures:
                total += (f or {}).get(key) or 0
            assert got[key] == (int(total) if float(total).is_integer() else round(float(total), 2)), key
