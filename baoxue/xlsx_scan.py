"""What an .xlsx package holds besides cell values, found with an XML parser: formula cells on every sheet, defined names,
external links and data connections, DDE, macros, hyperlinks, embedded objects (``ActiveContent``).

Formula detection never pattern-matches text. A worksheet part is parsed as XML (namespace-aware, so comments, CDATA,
prefixes and attribute order do not matter) whenever it *may* hold an ``f`` element; the only shortcut is a proof that it
cannot: in a UTF-8 document without a DTD, an element whose local name is ``f`` is always written as the bytes ``<f`` or
``:f`` followed by whitespace, ``/`` or ``>`` (XML allows no entity or character reference in a tag name, and without a
DTD there is no entity whose replacement text could hold markup). A part with a DTD is refused (``ForbiddenXml``):
Excel, WPS and LibreOffice never write one, and it is how entity tricks (billion laughs, external entities) start. A part
in any other encoding is always parsed. What ``f`` elements a comment or a CDATA section holds are text to the parser and
are not formulas; a namespace-prefixed ``<x:f>`` is one.

Only ``f`` elements inside ``<sheetData>`` are cell formulas; the ``xm:f`` of data-validation and conditional-format
extensions (``extLst``) are not cells (see docs/security.md for what that leaves open).
"""
from __future__ import annotations

import posixpath
import re
from functools import lru_cache
from typing import Iterable
from xml.etree import ElementTree
from xml.parsers import expat

from .grid import ActiveContent

CHUNK = 1 << 20                     # bytes fed to the XML parser at a time
_NAME_END = frozenset(b" \t\r\n/>")
_F_TAG = re.compile(rb"[<:]f[ \t\r\n/>]")
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})")
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class ForbiddenXml(Exception):
    """A part holds XML that no spreadsheet client writes (a DTD): the workbook is refused."""


class _Stop(Exception):
    pass


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _prolog(xml: bytes) -> tuple[bool, bool]:
    """(is UTF-8, has a DTD), read by expat up to the root element's start tag.

    Every part a tool writes starts with the same declaration and root start tag, so the answer is kept for the bytes
    up to the first ``>`` after the first element-like ``<``, whenever expat, given those bytes alone, reached the root
    start tag within them: then nothing after them can change what it found."""
    head = _head(xml)
    if head is not None:
        known = _PROLOGS.get(head)
        if known is not None:
            return known
        found, complete = _read_prolog(head, final=False)
        if complete:
            if len(_PROLOGS) >= 256:
                _PROLOGS.clear()
            _PROLOGS[head] = found
            return found
    return _read_prolog(xml)[0]


_PROLOGS: dict[bytes, tuple[bool, bool]] = {}   # (UTF-8, no DTD) for a head that expat read to the root start tag


def _head(xml: bytes) -> bytes | None:
    """The bytes up to the first ``>`` after the first ``<`` that is not ``<?`` or ``<!`` (a candidate for the end of
    the root start tag; expat decides whether it is); None when there is no such prefix of a few KB."""
    i = xml.find(b"<")
    while 0 <= i < 4096 and xml[i + 1:i + 2] in (b"?", b"!"):
        i = xml.find(b"<", i + 2)
    if not 0 <= i < 4096:
        return None
    j = xml.find(b">", i, 8192)
    return xml[:j + 1] if j >= 4 else None


def _read_prolog(xml: bytes, final: bool = True) -> tuple[tuple[bool, bool], bool]:
    """((is UTF-8, has a DTD), whether the root start tag was reached without a DTD): expat over ``xml``, up to the
    root element's start tag (``final=False``: ``xml`` is only the beginning of the part)."""
    seen = {"encoding": None, "doctype": False, "root": False}
    parser = expat.ParserCreate()

    def decl(_version, encoding, _standalone):
        seen["encoding"] = encoding

    def doctype(*_args):
        seen["doctype"] = True
        raise _Stop

    def start(*_args):
        seen["root"] = True
        raise _Stop

    parser.XmlDeclHandler, parser.StartDoctypeDeclHandler, parser.StartElementHandler = decl, doctype, start
    try:
        for i in range(0, len(xml), 65536):
            parser.Parse(xml[i:i + 65536], False)
        if final:
            parser.Parse(b"", True)
    except _Stop:
        pass
    except expat.ExpatError:
        return (False, False), False   # not well-formed: the full parse says so (or finds what is there)
    encoding = (seen["encoding"] or "utf-8").lower().replace("_", "-")
    utf8 = encoding in ("utf-8", "utf8") and not xml.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" not in xml[:4]
    return (utf8, seen["doctype"]), seen["root"] and not seen["doctype"]


def check_xml(xml: bytes, part: str) -> bool:
    """Refuse a part with a DTD (``ForbiddenXml``); whether its bytes are UTF-8."""
    utf8, doctype = _prolog(xml)
    if doctype:
        raise ForbiddenXml(part)
    return utf8


def may_hold_formula(xml: bytes) -> bool:
    """False only when ``xml`` (UTF-8, no DTD) provably holds no element named ``f`` (see the module's docstring)."""
    pos, seen = xml.find(b"f", 1), 0
    while pos >= 0:   # "f" is rare in cell XML: memchr finds the candidates, the regex takes over if there are many
        if xml[pos - 1] in (0x3C, 0x3A) and xml[pos + 1:pos + 2] and xml[pos + 1] in _NAME_END:
            return True
        seen += 1
        if seen > 4096:
            return _F_TAG.search(xml, pos) is not None
        pos = xml.find(b"f", pos + 1)
    return False


def parse_xml(xml: bytes, part: str) -> ElementTree.Element:
    """A small part (workbook, relationships, external link) as an element tree, after ``check_xml``. Callers only
    read the tree. A tool writes the same workbook part and relationships into every school's book, so the trees of the
    last parts parsed are kept, keyed by their bytes (a part that fails is never kept: it fails again)."""
    if len(xml) <= MEMO_BYTES:
        return _parse_small(xml, part)
    check_xml(xml, part)
    return ElementTree.fromstring(xml)


MEMO_BYTES = 64 * 1024


@lru_cache(maxsize=64)
def _parse_small(xml: bytes, part: str) -> ElementTree.Element:
    check_xml(xml, part)
    return ElementTree.fromstring(xml)


def error_cells(xml: bytes, part: str) -> dict[tuple[int, int], str]:
    """{(row, col): "#N/A"} of the cells holding an error value as a value (type ``e``, no formula: a formula's result
    pasted as values). python-calamine reads them as empty; the clerk sees the error. Rows and columns 1-based; a cell
    without its ``r`` is left out. Not a security check (a cell written in some other way is read as python-calamine
    reads it); a sheet that holds no ``"e"`` or ``'e'`` anywhere is not parsed."""
    if b'"e"' not in xml and b"'e'" not in xml:
        return {}
    out: dict[tuple[int, int], str] = {}
    for row in next((el for el in parse_xml(xml, part) if _local(el.tag) == "sheetData"), ()):
        for c in row:
            if _local(c.tag) != "c" or c.get("t") != "e":
                continue
            m = _CELL_REF.fullmatch((c.get("r") or "").strip())
            children = {_local(el.tag): el for el in c}
            if m and "f" not in children and "v" in children and (children["v"].text or "").strip():
                out[(int(m.group(2)), _col_index(m.group(1)))] = children["v"].text.strip()
    return out


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def _formula_text(f: ElementTree.Element) -> str:
    """The formula as written; a shared, array or data-table formula says so (it is never the template's)."""
    text = f.text or ""
    kind = f.get("t")
    if kind and kind != "normal":
        text = f"[{kind} {f.get('ref') or ''} {f.get('si') or ''}] {text}".strip()
    return text


def sheet_formulas(xml: bytes, part: str, links: bool = False
                   ) -> tuple[dict[tuple[int, int], str], list[tuple[str, str]]]:
    """({(row, col): formula text} of every cell holding an ``f`` element, [(cell ref, relationship id)] of the sheet's
    ``<hyperlink>`` elements when ``links``). Rows and columns are 1-based; a cell without its ``r`` follows the
    previous one."""
    utf8 = check_xml(xml, part)
    if utf8 and not links and not may_hold_formula(xml):
        return {}, []
    return _walk_sheet(xml)


def _walk_sheet(xml: bytes) -> tuple[dict[tuple[int, int], str], list[tuple[str, str]]]:
    formulas: dict[tuple[int, int], str] = {}
    links: list[tuple[str, str]] = []
    parser = ElementTree.XMLPullParser(events=("start", "end"))
    data = row_el = cell = None          # the <sheetData>, the open <row> and <c>
    inside = False                       # within <sheetData>
    row = col = cell_row = 0
    rid = "{%s}id" % _NS_REL
    for i in range(0, max(len(xml), 1), CHUNK):
        parser.feed(xml[i:i + CHUNK])
        for event, el in parser.read_events():
            name = _local(el.tag)
            if not inside:
                if event == "start" and name == "sheetData" and data is None:
                    data, inside = el, True
                elif event == "end" and name == "hyperlink":
                    links.append((el.get("ref") or "", el.get(rid) or ""))
                continue
            if event == "start":
                if name == "row" and row_el is None and cell is None:
                    r = (el.get("r") or "").strip()
                    row = int(r) if r.isdigit() else row + 1
                    col, row_el = 0, el
                elif name == "c" and cell is None:
                    m = _CELL_REF.fullmatch((el.get("r") or "").strip())
                    if m:
                        col, cell_row = _col_index(m.group(1)), int(m.group(2))
                    else:
                        col, cell_row = col + 1, row
                    cell = el
            elif name == "f":
                formulas[(cell_row, col) if cell is not None else (row, 0)] = _formula_text(el)
            elif el is cell:
                cell = None
            elif el is row_el:
                row_el = None
                del data[:]            # keep memory flat: rows already read leave the tree
            elif el is data:
                inside = False         # hyperlinks and the rest follow </sheetData>
    parser.close()
    return formulas, links


# ============================================================================================== the package
_WEB = ("http://", "https://", "mailto:")
_AUTO_MACRO = re.compile(r"^(?:_xlnm\.)?auto_(?:open|close|activate|deactivate)", re.IGNORECASE)
_SHEET = r"(?:'(?:[^'\[\]\\/?*:]|'')+'|[^\s!'\"()\[\],;:+\-*/&=<>^%{}\\]+)"
_RANGE = (r"(?:\$?[A-Za-z]{1,3}\$?\d{1,7}(?::\$?[A-Za-z]{1,3}\$?\d{1,7})?|\$?\d{1,7}:\$?\d{1,7}"
          r"|\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}|#REF!)")
_PLAIN_REFERENCE = re.compile(rf"=?(?:{_SHEET}!)?{_RANGE}(?:,(?:{_SHEET}!)?{_RANGE})*")
_MACRO_PARTS = ("xl/vbaProject.bin", "xl/macrosheets/", "xl/dialogsheets/", "xl/activeX/")
_MACRO_PREFIXES = tuple(m.lower() for m in _MACRO_PARTS)
_MACRO_RELS = frozenset({"vbaProject", "xlMacrosheet", "xlIntlMacrosheet", "dialogsheet", "activeXControlBinary",
                         "wordVbaData"})


@lru_cache(maxsize=1024)
def rels_part(part: str) -> str:
    """The relationships part of ``part``: xl/worksheets/sheet1.xml → xl/worksheets/_rels/sheet1.xml.rels."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def relationships(read, part: str) -> list[dict[str, str]]:
    """The Relationship elements (attributes) of ``part``'s relationships part; [] when it has none."""
    try:
        xml = read(rels_part(part))
    except KeyError:
        return []
    return [dict(el.attrib) for el in parse_xml(xml, rels_part(part)).iter() if _local(el.tag) == "Relationship"]


def _rel_kind(rel: dict[str, str]) -> str:
    """The last segment of a relationship's Type: …/relationships/hyperlink → hyperlink."""
    return (rel.get("Type") or "").rpartition("/")[2]


def _external(rel: dict[str, str]) -> bool:
    return (rel.get("TargetMode") or "").lower() == "external"


def is_web_link(target: str) -> bool:
    return target.strip().lower().startswith(_WEB)


def link_item(sheet: str, ref: str, target: str) -> ActiveContent:
    """A hyperlink leaving the workbook: a web or mail link, or one that opens a file, a network share or a program."""
    m = _CELL_REF.fullmatch(ref.split(":")[0].strip())
    row, col = (int(m.group(2)), _col_index(m.group(1))) if m else (None, None)
    return ActiveContent("web_link" if is_web_link(target) else "local_link", sheet, row, col, target)


def external_hyperlinks(read, part: str) -> dict[str, str]:
    """Relationship id → target of the sheet part's hyperlinks that leave the workbook."""
    return {r.get("Id", ""): r.get("Target", "") for r in relationships(read, part)
            if _external(r) and _rel_kind(r) == "hyperlink"}


def defined_name_items(workbook: ElementTree.Element) -> list[ActiveContent]:
    """Defined names other than plain cell references (print titles, the template's code lists): a name that computes
    (a formula), points outside the workbook (``[1]Sheet!A1``), or runs a macro (``Auto_Open``, function names).
    Kept for the trees seen before (``parse_xml`` gives the same tree for the same bytes)."""
    known = _NAME_ITEMS.get(workbook)
    if known is None:
        if len(_NAME_ITEMS) >= 256:
            _NAME_ITEMS.clear()
        known = _NAME_ITEMS[workbook] = tuple(_defined_name_items(workbook))
    return list(known)


_NAME_ITEMS: dict[ElementTree.Element, tuple[ActiveContent, ...]] = {}


def _defined_name_items(workbook: ElementTree.Element) -> list[ActiveContent]:
    out = []
    for el in workbook.iter():
        if _local(el.tag) != "definedName":
            continue
        name, text = el.get("name") or "", (el.text or "").strip()
        flags = [k for k in ("function", "vbProcedure", "xlm") if (el.get(k) or "").lower() in ("1", "true")]
        if flags or _AUTO_MACRO.match(name):
            out.append(ActiveContent("macro", None, None, None, f"名称 {name}={text}"))
        elif not _PLAIN_REFERENCE.fullmatch(text):
            out.append(ActiveContent("defined_name", None, None, None, f"{name}={text}"))
    return out


def package_items(read, names: Iterable[str]) -> list[ActiveContent]:
    """Everything at the package level that links out or runs: external-link parts (with DDE and OLE links), data
    connections and query tables, external relationships of any part, macro and ActiveX parts (by name or by
    relationship), embedded objects. A macro-enabled content type alone (an .xlsm without macros) is not a finding. ``read(part)`` gives a part's bytes; ``names`` are the package's part names."""
    out = []
    names = list(names)
    for part in names:
        lower = _lowered(part)
        if lower is None:   # a part no branch below takes (kept: every book has the same names)
            continue
        if lower.startswith("xl/externallinks/") and lower.endswith(".xml") and "/_rels/" not in lower:
            root = parse_xml(read(part), part)
            kinds = {_local(el.tag) for el in root.iter()}
            targets = [r.get("Target", "") for r in relationships(read, part) if _external(r)]
            kind = "dde" if "ddeLink" in kinds or "oleLink" in kinds else "external_link"
            out.append(ActiveContent(kind, None, None, None, "、".join(targets) or part))
        elif lower in ("xl/connections.xml",) or lower.startswith("xl/querytables/"):
            out.append(ActiveContent("connection", None, None, None, part))
        elif lower.startswith(_MACRO_PREFIXES):
            out.append(ActiveContent("macro", None, None, None, part))
        elif lower.startswith("xl/embeddings/"):
            out.append(ActiveContent("embedded", None, None, None, part))
        elif lower.endswith(".rels") and not lower.startswith("xl/externallinks/"):
            out += _relationship_items(parse_xml(read(part), part), posixpath.dirname(posixpath.dirname(part)))
    return list(dict.fromkeys(out))   # a macro part found by its name and by its relationship: once


@lru_cache(maxsize=1024)
def _lowered(part: str) -> str | None:
    """``part.lower()`` when ``package_items`` has something to look at in the part, else None."""
    lower = part.lower()
    if ((lower.startswith("xl/externallinks/") and lower.endswith(".xml") and "/_rels/" not in lower)
            or lower == "xl/connections.xml" or lower.startswith(("xl/querytables/", "xl/embeddings/"))
            or lower.startswith(_MACRO_PREFIXES) or (lower.endswith(".rels") and not lower.startswith("xl/externallinks/"))):
        return lower
    return None


def _relationship_items(rels: ElementTree.Element, folder: str) -> list[ActiveContent]:
    """The external relationships (other than hyperlinks) and macro parts of one relationships part, whose part sits in
    ``folder``. Kept for the trees seen before (``parse_xml`` gives the same tree for the same bytes)."""
    known = _REL_ITEMS.get((rels, folder))
    if known is not None:
        return known
    out = []
    for rel in rels.iter():
        attrs, kind = rel.attrib, _rel_kind(rel.attrib)
        if _local(rel.tag) != "Relationship":
            continue
        if _external(attrs) and kind != "hyperlink":
            out.append(ActiveContent("external_link", None, None, None, attrs.get("Target", "")))
        elif kind in _MACRO_RELS:   # a macro part wherever it is stored
            target = attrs.get("Target", "")
            out.append(ActiveContent("macro", None, None, None, target.lstrip("/") if target.startswith("/")
                                     else posixpath.normpath(posixpath.join(folder, target))))
    if len(_REL_ITEMS) >= 256:
        _REL_ITEMS.clear()
    _REL_ITEMS[(rels, folder)] = out = tuple(out)
    return out


_REL_ITEMS: dict[tuple, tuple[ActiveContent, ...]] = {}
