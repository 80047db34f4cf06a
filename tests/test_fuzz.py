"""Fuzz and property tests (issue 12), bounded for CI: mutants of the real sample book (bytes, zip members, XML) through
the reader and the validators in-process, then through the CLI — validate, update, submit, next-month, rollup — in
subprocesses under an address-space limit and a timeout. Every input ends as findings or one S005, never a traceback,
within the budgets.

``BAOXUE_FUZZ_REPORT=<file>`` appends one line per CLI run (command, input, exit code, seconds, peak MB) for the figures
(``test_hostile_input.run_limited``, which the repro tests use too).
"""
from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baoxue import layout
from baoxue.book import UnreadableWorkbook
from baoxue.reader import read_workbook
from baoxue.validators import validate_file
from baoxue.policy import DEFAULT
from test_hostile_input import MAIN_NS, SAMPLE, book_with, run_limited

MEMORY_MB = 3072          # address space per CLI run: runaway allocations (GBs) fail; threads and arenas fit
TIMEOUT_S = 60
FAST = settings(max_examples=20, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CLI = settings(max_examples=2, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

SAMPLE_BYTES = SAMPLE.read_bytes()
with zipfile.ZipFile(SAMPLE) as _zf:
    MEMBERS = [i.filename for i in _zf.infolist()]
XML_MEMBERS = [m for m in MEMBERS if m.endswith((".xml", ".rels"))]

FRAGMENTS = [
    "<!-- <f>1</f> -->", "<![CDATA[<f>1</f>]]>", "<f>1+1</f>", f'<x:f xmlns:x="{MAIN_NS}">A1</x:f>', "&#60;f&#62;",
    '<!DOCTYPE x [<!ENTITY a "&#60;f&#62;1&#60;/f&#62;">]>', "&a;", '<c r="XFD1048576"><v>1</v></c>',
    '<row r="1048576"><c r="A1048576"><v>1</v></c></row>', "_x0007_", "\x07", "</sheetData>", "<sheetData>",
    '<definedName name="x">WEBSERVICE("http://e/")</definedName>', "\ufeff", "<", "&", "]]>", "\x00",
]


# ---------------------------------------------------------------------------------------------- mutants
@st.composite
def mutants(draw) -> bytes:
    """A broken copy of the sample: bytes truncated or flipped, or an XML member edited (a fragment inserted, a slice
    cut) and the zip written again."""
    how = draw(st.sampled_from(["truncate", "flip", "insert", "cut", "drop"]))
    data = SAMPLE_BYTES
    if how == "truncate":
        return data[:draw(st.integers(0, len(data) - 1))]
    if how == "flip":
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            out[draw(st.integers(0, len(out) - 1))] ^= draw(st.integers(1, 255))
        return bytes(out)
    member = draw(st.sampled_from(XML_MEMBERS))
    with zipfile.ZipFile(SAMPLE) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    xml = parts[member]
    if how == "drop":
        del parts[member]
    else:
        at = draw(st.integers(0, len(xml)))
        if how == "insert":
            piece = draw(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)))
            parts[member] = xml[:at] + piece.encode("utf-8", "surrogatepass") + xml[at:]
        else:
            parts[member] = xml[:at] + xml[at + draw(st.integers(1, 200)):]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, body in parts.items():
            zout.writestr(name, body)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- in-process
@FAST
@given(data=mutants())
def test_every_mutant_reads_as_a_book_or_one_s005(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("m") / "book.xlsx"
    path.write_bytes(data)
    try:
        read_workbook(path)
    except UnreadableWorkbook as e:
        assert e.message
    book, findings = validate_file(path, DEFAULT)
    if book is None:
        assert [f.rule for f in findings] == ["S005"] and findings[0].message
    assert all(f.message and "{" not in f.message for f in findings)


PIECES = {
    "comment": ("<!-- <f>1</f> -->", False), "cdata_text": ("<is><t><![CDATA[<f>1</f>]]></t></is>", False),
    "formula": ("<f>HYPERLINK(\"http://e/\")</f>", True), "prefixed": (f'<x:f xmlns:x="{MAIN_NS}">1</x:f>', True),
    "cdata_formula": ("<f><![CDATA[1+1]]></f>", True), "value": ("<v>1</v>", False),
}


@FAST
@given(pieces=st.lists(st.sampled_from(sorted(PIECES)), min_size=1, max_size=4))
def test_f013_exactly_when_an_xml_parser_sees_a_formula(tmp_path_factory, pieces):
    """However comments, CDATA and prefixes are arranged in a cell, F013 is reported iff the cell holds an f element."""
    if sum(p == "cdata_text" for p in pieces) > 1 or ("cdata_text" in pieces and "value" in pieces):
        pieces = [p for p in pieces if p != "value"][:1] + [p for p in pieces if p not in ("value", "cdata_text")]
    inner = "".join(PIECES[p][0] for p in pieces)
    kind = ' t="inlineStr"' if "cdata_text" in pieces else ' t="str"'
    path = book_with(tmp_path_factory.mktemp("f"), "辍学", "B4", f'<c r="B4"{kind}>{inner}</c>')
    formula = any(PIECES[p][1] for p in pieces)
    _, findings = validate_file(path, DEFAULT)
    assert any(f.rule == "F013" and f.sheet == "辍学" and f.row == 4 for f in findings) == formula, (inner, findings)


@FAST
@given(extra=st.text(min_size=1, max_size=40), cell=st.sampled_from(sorted(layout.summary_formulas())))
def test_only_the_templates_own_formula_is_the_templates(extra, cell):
    """The template's formula is recognised as written and as LibreOffice writes it (sheet names unquoted); anything
    added to it, or any other function around any text, is not."""
    expected = layout.summary_formulas()[cell]
    assert layout.is_template_formula(*cell, expected)
    assert layout.is_template_formula(*cell, "=" + expected.replace("'", ""))
    assert not layout.is_template_formula(*cell, expected + "&" + extra)
    assert not layout.is_template_formula(*cell, 'WEBSERVICE("' + extra + '")')


@FAST
@given(kinds=st.lists(st.sampled_from(["good", "dangling", "loop", "fifo", "devnull", "huge", "outside", "gbk",
                                       "folder", "empty"]), min_size=1, max_size=6, unique=True))
def test_every_inbox_entry_is_read_or_has_its_own_problem(tmp_path_factory, kinds):
    from baoxue.paths import entry_problem, shown
    from baoxue.rollup.inbox import discover, relative_name
    root = tmp_path_factory.mktemp("inbox")
    inbox = root / "inbox"
    inbox.mkdir()
    make_entry = {
        "good": lambda p: p.write_bytes(SAMPLE_BYTES), "dangling": lambda p: os.symlink(root / "nope", p),
        "loop": lambda p: os.symlink(p, p), "fifo": lambda p: os.mkfifo(p), "devnull": lambda p: os.symlink("/dev/null", p),
        "huge": lambda p: open(p, "wb").truncate(3 * 1024 ** 3), "empty": lambda p: p.write_bytes(b""),
        "outside": lambda p: linked(root / "o.xlsx", p),
        "gbk": lambda p: (inbox / os.fsdecode("学校".encode("gbk") + b".xlsx")).write_bytes(SAMPLE_BYTES),
        "folder": lambda p: (root / "d").mkdir(exist_ok=True) or os.symlink(root / "d", inbox / "d"),
    }

    def linked(target: Path, link: Path) -> None:
        target.write_bytes(SAMPLE_BYTES)
        os.symlink(target, link)
    for kind in kinds:
        make_entry[kind](inbox / f"{kind}.xlsx")
    entries = discover(inbox)
    assert len(entries) == len(kinds)
    for entry in entries:
        problem = entry_problem(entry, inbox)
        assert shown(relative_name(entry, inbox)).encode("utf-8")
        if problem is None:
            try:
                read_workbook(entry)
            except UnreadableWorkbook as e:   # the empty file: S005 from the reader, at once
                assert "0 字节" in e.message
        else:
            assert problem.strip()


# ---------------------------------------------------------------------------------------------- the CLI, bounded
def assert_clean(code: int, stdout: str, stderr: str, took: float, what: str):
    assert code in (0, 1, 2), (what, code, stderr)       # not killed (-9: timeout), not aborted (134), no signal
    assert "Traceback" not in stderr and "panicked" not in stderr, (what, stderr)
    assert "内部出错" not in stderr, (what, stderr)          # every case above has its own message
    assert took < TIMEOUT_S, what


@CLI
@given(data=mutants())
def test_the_commands_on_mutants_stay_within_budgets(tmp_path_factory, data):
    work = tmp_path_factory.mktemp("cli")
    path = work / "book.xlsx"
    path.write_bytes(data)
    for args in (["validate", path, "--json"], ["update", path], ["submit", path, "--out", work / "out"],
                 ["next-month", path, "--out", work / "next.xlsx"], ["verify", path]):
        code, stdout, stderr, took, _peak = run_limited(args, work, TIMEOUT_S, MEMORY_MB)
        assert_clean(code, stdout, stderr, took, args[0])
        if args[0] == "validate":
            doc = json.loads(stdout)
            assert doc["findings"] or code == 0


def test_a_rollup_over_an_inbox_of_mutants_and_hostile_entries(tmp_path):
    from rollup_helpers import register
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i, data in enumerate([SAMPLE_BYTES[:5000], SAMPLE_BYTES[::-1][:9000], SAMPLE_BYTES]):
        (inbox / f"m{i}.xlsx").write_bytes(data)
    os.mkfifo(inbox / "fifo.xlsx")
    os.symlink("/dev/zero", inbox / "zero.xlsx")
    book_with(inbox, "月报汇总", "C6", '<c r="C6"><!-- --><f>WEBSERVICE("http://e/")</f></c>', name="evil.xlsx")
    reg = register(tmp_path / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "初中", "城区")])
    code, stdout, stderr, took, _peak = run_limited(
        ["rollup", inbox, "--month", "2026-10", "--register", reg, "--json", "--out", tmp_path / "r.xlsx",
         "--store", tmp_path / "store"], tmp_path, TIMEOUT_S, MEMORY_MB)
    assert_clean(code, stdout, stderr, took, "rollup")
    doc = json.loads(stdout)
    files = {f["file"] for f in doc["findings"] if f["rule"] == "S005"}
    assert {"m0.xlsx", "m1.xlsx", "fifo.xlsx", "zero.xlsx"} <= files
    assert any(f["rule"] == "F013" and f["file"] == "evil.xlsx" for f in doc["findings"])
