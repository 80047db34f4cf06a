"""`make demo`'s job on a small generated county: the books with planted errors are refused, the others are submitted
with valid stamps, every month is rolled up into a masked 月报表, and the history store holds every month."""
from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest

from baoxue.cli import main
from baoxue.demo import generate_county, run_end_to_end
from baoxue.rollup import Store
from baoxue.submit import verify_file

MONTHS = ("2026-09", "2026-10")


@pytest.fixture(scope="module")
def county_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    county = generate_county(out, townships=2, schools_per_township=3, months=MONTHS, seed=11)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in county.files()}
    runs = run_end_to_end(county, out)
    return county, runs, before, out


def test_books_with_planted_errors_are_refused_and_the_rest_submitted(county_run):
    county, runs, _, _ = county_run
    for run in runs:
        erroneous = {m.school for m in county.mistakes if m.month == run.month and m.rule}
        refused = {county.books[(c, run.month)].school.code for (c, m) in county.books
                   if m == run.month and county.books[(c, m)].path in run.refused}
        assert refused == erroneous
        assert len(run.submitted) == len(county.schools) - len(erroneous)
        assert all(verify_file(p).ok for p in run.submitted)


def test_roll_up_counts_what_was_submitted_and_flags_the_missing(county_run):
    county, runs, _, _ = county_run
    for run in runs:
        schools = {s["code"]: s for s in run.result.schools}
        assert set(schools) == {s.code for s in county.schools}
        refused_codes = {m.school for m in county.mistakes if m.month == run.month and m.rule}
        assert {c for c, s in schools.items() if not s["submitted"]} == refused_codes
        r001 = {f.school for f in run.result.findings if f.rule == "R001"}
        assert r001 == refused_codes
        assert run.result.county["schools_submitted"] == len(run.submitted)


def test_one_simulated_late_submission_a_month(county_run):
    from baoxue.demo import late_school
    county, runs, _, _ = county_run
    for run in runs:
        refused = {m.school for m in county.mistakes if m.month == run.month and m.rule}
        late = {f.school for f in run.result.findings if f.rule == "R007"}
        assert late == {late_school(county, run.month)} - refused


def test_reports_are_masked_and_inputs_untouched(county_run):
    county, runs, before, _ = county_run
    ids = {r["身份证号"] for b in county.books.values() for rows in b.rows.values() for r in rows
           if isinstance(r.get("身份证号"), str)}
    for run in runs:
        assert run.report.exists()
        wb = openpyxl.load_workbook(run.report)
        assert {"报送情况", "乡镇汇总", "趋势"} <= set(wb.sheetnames)
        cells = {str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None}
        assert not any(i in cell for i in ids for cell in cells)
    assert before == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in county.files()}


def test_store_keeps_every_month(county_run):
    _, _, _, out = county_run
    assert set(MONTHS) <= set(Store(out / "baoxue-store").months())


def test_demo_command_runs_the_whole_job(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--townships", "1", "--schools", "2", "--months", "2026-11"]) == 0
    printed = capsys.readouterr().out
    assert "月报表" in printed and (tmp_path / "月报表_2026-11.xlsx").exists()
    # … and ends by saying how to open the roll-up notebook on this county, with the full paths to type in
    assert "notebooks/月度汇总.ipynb" in printed and str((tmp_path / "收件箱").resolve()) in printed
    assert str((tmp_path / "学校名录.xlsx").resolve()) in printed


def test_make_demo_installs_what_the_readme_officer_section_runs(tmp_path):
    """On a fresh clone `make demo` installs the notebook extra, and that extra holds jupyter lab, voila and papermill
    (the README's data-officer commands); the README says how to open the notebooks right after the demo."""
    import shutil
    import subprocess
    import tomllib
    root = Path(__file__).resolve().parents[1]
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(root / name, clone / name)
    plan = subprocess.run(["make", "-n", "demo"], cwd=clone, capture_output=True, text=True, timeout=60)
    assert plan.returncode == 0, plan.stderr
    assert "pip install -q -e '.[notebook]'" in plan.stdout and "baoxue demo" in plan.stdout
    extra = " ".join(tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
                     ["optional-dependencies"]["notebook"])
    assert all(pkg in extra for pkg in ("jupyterlab", "voila", "papermill", "ipywidgets"))
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## 给数据管理员", 1)[1].split("\n## ", 1)[0]
    assert "make demo" in section and ".venv/bin/voila notebooks/月度汇总.ipynb" in section
    assert "workbooks/demo/收件箱" in section and "workbooks/demo/学校名录.xlsx" in section
