"""Submission stamps (SPEC §6): a SHA-256 of the normalised clerk data plus who/what/when, stored twice in the workbook
(custom document properties and the hidden sheet ``model.STAMP_SHEET``) so that anyone can re-check it.

The hash is taken over the *typed* values the reader produces (SchoolBook), not over the file's bytes: a re-save by
Excel, WPS or LibreOffice keeps the stamp valid (same data, different XML), while any edit of a clerk value breaks it.

- ``data_hash(book)``: the SHA-256 (hex) of the cover and the six data sheets, canonical columns in model order,
  row positions and empty rows ignored; a formula in a data cell is hashed as such (``Invalid``), and so is every
  formula anywhere else, link, name or macro the reader found (``book.active``), so adding one after stamping breaks it.
- ``make_stamp(book, policy)`` → ``Stamp``; ``write_stamp(wb, stamp)`` puts it into an openpyxl workbook.
- ``read_stamp(book)`` → ``Stamp | None`` (raises ``MalformedStamp``); ``verify(book)`` → ``StampCheck(ok, reason_zh, stamp)``
  (the roll-up calls it for R003).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, fields
from typing import Any

from . import __version__, model
from .beijing import beijing
from .book import SchoolBook
from .normalize import Invalid
from .policy import Policy

# Keys of the stamp, identical in the document properties and in the hidden sheet (column A key, B value, C 说明).
STAMP_KEYS = {
    "template_version": ("baoxue.模板版本", "模板版本"),
    "validator_version": ("baoxue.校验程序版本", "校验程序（baoxue）版本"),
    "policy_fingerprint": ("baoxue.策略指纹", "校验所用策略的指纹"),
    "stamped_at": ("baoxue.盖戳时间UTC", "盖戳时间（UTC）"),
    "school_code": ("baoxue.学校标识码", "学校标识码"),
    "month": ("baoxue.报送月份", "报送月份"),
    "data_hash": ("baoxue.数据摘要SHA256", "填报数据的 SHA-256 摘要（封面及六张数据表）"),
}
HASH_RE = re.compile(r"^[0-9a-f]{64}$")


class MalformedStamp(Exception):
    """A stamp is present but cannot be trusted as written (missing keys, bad hash, two copies that disagree)."""


@dataclass(frozen=True)
class Stamp:
    template_version: str
    validator_version: str
    policy_fingerprint: str
    stamped_at: dt.datetime        # timezone-aware UTC
    school_code: str
    month: str
    data_hash: str

    def items(self) -> list[tuple[str, str, str]]:
        """(key, value as text, Chinese description) in a stable order."""
        out = []
        for f in fields(self):
            key, label = STAMP_KEYS[f.name]
            value = getattr(self, f.name)
            if isinstance(value, dt.datetime):
                value = value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            out.append((key, value or "", label))
        return out


@dataclass(frozen=True)
class StampCheck:
    ok: bool
    reason_zh: str
    stamp: Stamp | None = None


# ============================================================================================== hashing
def _canonical(v: Any) -> str | None:
    """One typed value as stable text; None for empty."""
    if v.__class__ is str:   # the common cases first (as ``str(v)`` below, as the isinstance branches)
        return "s:" + v if v else None
    if v is None:
        return None
    if v.__class__ is dt.date:
        return "d:" + v.isoformat()
    if v.__class__ is int:
        return f"n:{v}"
    if isinstance(v, Invalid):
        return f"x:{v.reason}:{v.raw}"
    if isinstance(v, bool):
        return f"b:{int(v)}"
    if isinstance(v, dt.datetime):
        return "d:" + (v.date().isoformat() if not (v.hour or v.minute or v.second) else v.isoformat())
    if isinstance(v, dt.date):
        return "d:" + v.isoformat()
    if isinstance(v, int):
        return f"n:{v}"
    if isinstance(v, float):
        if v != v:
            return None
        return f"n:{int(v)}" if v.is_integer() else f"n:{v!r}"
    s = str(v)
    return "s:" + s if s != "" else None


_JSON = json.JSONEncoder(ensure_ascii=False)
# json's C encoder made once: ``_JSON.encode`` makes a new one for every call, which costs more than a row's encoding
_ENCODE = json.encoder.c_make_encoder and json.encoder.c_make_encoder(
    None, _JSON.default, json.encoder.encode_basestring, None, _JSON.key_separator, _JSON.item_separator,
    _JSON.sort_keys, _JSON.skipkeys, _JSON.allow_nan)


def _dumps(v: Any) -> str:
    """``json.dumps(v, ensure_ascii=False)``'s text (of the lists and texts hashed here: no cycles to look for)."""
    return "".join(_ENCODE(v, 0)) if _ENCODE else _JSON.encode(v)


def _sheet_rows(book: SchoolBook, sheet: str, names: list[str]) -> tuple[list[str], Any]:
    """The sheet's rows as tuples of typed values, and the names of their columns: of the ``names`` columns those
    holding anything but None (an empty column adds nothing to any row). From the reader's column lists while the sheet
    has them (no pandas access), else from its DataFrame — the same values either way."""
    lists = book.columns(sheet)
    if lists is None:
        df = book.frame(sheet)
        if not len(df):
            return names, ()
        lists = {c: df[c].tolist() for c in names}
    elif not lists["_row"]:
        return names, ()
    try:
        names = [c for c in names if lists[c].count(None) != len(lists[c])]
    except (TypeError, ValueError):   # a value that will not be compared with None (pd.NA in a frame): keep them all
        pass
    return names, zip(*(lists[c] for c in names))


def data_hash(book: SchoolBook) -> str:
    """SHA-256 over the normalised clerk data: cover fields, then each data sheet's non-empty rows (sorted), then any
    columns the clerk added beside the standard ones."""
    h = hashlib.sha256()
    h.update(f"baoxue-data-hash-1|{model.TEMPLATE_VERSION}\n".encode())
    cover = [[f.label, _canonical(book.cover.get(f.label))] for f in model.COVER_FIELDS]
    h.update(_dumps(cover).encode())
    for sheet in model.DATA_SHEETS:
        names, values_of_rows = _sheet_rows(book, sheet.name, sheet.column_names)
        rows = []
        for values in values_of_rows:
            row = [[c, t] for c, t in zip(names, map(_canonical, values)) if t is not None]
            if row:
                rows.append(_dumps(row))
        rows.sort()
        h.update(f"\n#{sheet.name}:{len(rows)}\n".encode())
        h.update("\n".join(rows).encode())
    for name, extra in sorted(book.extras.items()):   # columns the clerk added are data too (absent: hash unchanged)
        names = [c for c in extra.columns if c != "_row"]
        rows = sorted(_dumps([[c, t] for c, t in zip(names, map(_canonical, values)) if t is not None])
                      for values in zip(*(extra[c].tolist() for c in names)))
        h.update(f"\n#+{name}:{json.dumps(names, ensure_ascii=False)}\n".encode())
        h.update("\n".join(r for r in rows if r != "[]").encode())
    if book.active:   # formula cells outside the data cells, links, names, macros (none, as stamped: hash unchanged)
        items = sorted(_dumps([a.kind, a.sheet, a.row, a.col, a.text]) for a in book.active)
        h.update(f"\n#!active:{len(items)}\n".encode())
        h.update("\n".join(items).encode())
    return h.hexdigest()


# ============================================================================================== making and writing
def make_stamp(book: SchoolBook, policy: Policy, now: dt.datetime | None = None) -> Stamp:
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(microsecond=0)
    return Stamp(template_version=model.TEMPLATE_VERSION, validator_version=__version__,
                 policy_fingerprint=policy.fingerprint, stamped_at=now,
                 school_code=book.school_code or "", month=book.month or "", data_hash=data_hash(book))


def write_stamp(wb, stamp: Stamp) -> None:
    """Store the stamp in an openpyxl workbook: custom document properties and the hidden sheet (both replaced)."""
    from openpyxl.packaging.custom import CustomPropertyList, StringProperty

    keys = {key for key, _ in STAMP_KEYS.values()}
    kept = [p for p in wb.custom_doc_props.props if p.name not in keys]
    props = CustomPropertyList()
    for p in kept:
        props.append(p)
    for key, value, _label in stamp.items():
        props.append(StringProperty(name=key, value=value))
    wb.custom_doc_props = props

    if model.STAMP_SHEET in wb.sheetnames:
        del wb[model.STAMP_SHEET]
    ws = wb.create_sheet(model.STAMP_SHEET)
    ws.append(["键", "值", "说明"])
    for key, value, label in stamp.items():
        ws.append([key, value, label])
        for cell in ws[ws.max_row]:
            cell.data_type = "s"  # always text
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 68
    ws.column_dimensions["C"].width = 40
    ws.sheet_state = "hidden"
    ws.protection.sheet = True


# ============================================================================================== reading and checking
_STAMP_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z")


def stamp_time(text: str) -> dt.datetime:
    """A stamp's time as written (``2026-10-28T08:00:00Z``) → aware UTC datetime; ``ValueError`` when it is not one.
    What ``strptime(text, "%Y-%m-%dT%H:%M:%SZ")`` accepts, the common form read without it (a tenth of the time)."""
    m = _STAMP_TIME.fullmatch(text)
    if m is None:
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    return dt.datetime(*map(int, m.groups()), tzinfo=dt.timezone.utc)


def _from_mapping(values: dict[str, str], where: str) -> Stamp:
    raw = {}
    missing = []
    for name, (key, label) in STAMP_KEYS.items():
        v = values.get(key)
        if v is None or str(v).strip() == "":
            missing.append(label)
        raw[name] = (str(v).strip() if v is not None else "")
    if missing:
        raise MalformedStamp(f"{where}的报送戳记不完整（缺少：{'、'.join(missing)}）")
    if not HASH_RE.match(raw["data_hash"]):
        raise MalformedStamp(f"{where}的报送戳记中数据摘要格式不对")
    try:
        when = stamp_time(raw["stamped_at"])
    except ValueError:
        raise MalformedStamp(f"{where}的报送戳记中盖戳时间格式不对：{raw['stamped_at']}") from None
    return Stamp(raw["template_version"], raw["validator_version"], raw["policy_fingerprint"], when,
                 raw["school_code"], raw["month"], raw["data_hash"])


def read_stamp(book: SchoolBook) -> Stamp | None:
    """The stamp of a workbook: from the document properties and/or the hidden sheet (which must agree)."""
    keys = {key for key, _ in STAMP_KEYS.values()}
    in_props = {k: v for k, v in (book.properties or {}).items() if k in keys}
    in_sheet = {k: v for k, v in (book.stamp_sheet or {}).items() if k in keys}
    found = []
    if in_props:
        found.append(_from_mapping(in_props, "文档属性中"))
    if in_sheet:
        found.append(_from_mapping(in_sheet, f"隐藏工作表“{model.STAMP_SHEET}”中"))
    if not found:
        return None
    if len(found) == 2 and found[0] != found[1]:
        raise MalformedStamp(f"文档属性与隐藏工作表“{model.STAMP_SHEET}”中的两份报送戳记不一致")
    return found[0]


def verify(book: SchoolBook) -> StampCheck:
    """Re-check a submission stamp: present, well-formed, and the data unchanged since stamping."""
    try:
        stamp = read_stamp(book)
    except MalformedStamp as e:
        return StampCheck(ok=False, reason_zh=f"{e}，请由学校重新报送（baoxue submit）。")
    if stamp is None:
        return StampCheck(ok=False, reason_zh="未找到报送戳记：此文件没有经过 baoxue submit 校验盖戳，请由学校校验后重新报送。")
    if data_hash(book) != stamp.data_hash:
        return StampCheck(ok=False, reason_zh="数据在盖戳之后被修改过（数据摘要不符），戳记失效，请由学校重新校验并报送。", stamp=stamp)
    if stamp.school_code != (book.school_code or "") or stamp.month != (book.month or ""):
        return StampCheck(ok=False, reason_zh="戳记中的学校标识码或报送月份与封面不一致，戳记失效，请重新报送。", stamp=stamp)
    when = beijing(stamp.stamped_at)
    return StampCheck(ok=True, reason_zh=f"戳记有效（学校 {stamp.school_code}，{stamp.month}，盖戳于 {when}）", stamp=stamp)


# ============================================================================================== stamping a copy
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_REL_WORKSHEET = _NS_OFFICE_REL + "/worksheet"
_REL_CUSTOM = _NS_OFFICE_REL + "/custom-properties"
_CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_CUSTOM = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_MACRO_CT = "macroEnabled"


def _esc(s: str) -> str:
    from xml.sax.saxutils import escape
    return escape(s, {'"': "&quot;"})


def _custom_xml(old: bytes | None, stamp: Stamp) -> bytes:
    """docProps/custom.xml: the workbook's other properties kept (name, type, value), the stamp's replaced."""
    from xml.etree import ElementTree as ET
    keys = {key for key, _ in STAMP_KEYS.values()}
    props: list[tuple[str, str, str]] = []   # (name, vt type, text)
    if old:
        for prop in ET.fromstring(old):
            name = prop.get("name")
            if name is None or name in keys or not len(prop):
                continue
            props.append((name, prop[0].tag.rsplit("}", 1)[-1], prop[0].text or ""))
    props += [(key, "lpwstr", value) for key, value, _label in stamp.items()]
    body = "".join(f'<property fmtid="{_FMTID}" pid="{pid}" name="{_esc(name)}"><vt:{kind}>{_esc(text)}</vt:{kind}>'
                   "</property>" for pid, (name, kind, text) in enumerate(props, start=2))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/'
            'officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'docPropsVTypes">{body}</Properties>').encode("utf-8")


def _stamp_sheet_xml(stamp: Stamp) -> bytes:
    rows = [("键", "值", "说明"), *stamp.items()]
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<worksheet xmlns="{_NS_MAIN}"><dimension ref="A1:C{len(rows)}"/>'
           '<cols><col min="1" max="1" width="24" customWidth="1"/><col min="2" max="2" width="68" customWidth="1"/>'
           '<col min="3" max="3" width="40" customWidth="1"/></cols><sheetData>']
    for i, row in enumerate(rows, 1):
        cells = "".join(f'<c r="{col}{i}" t="inlineStr"><is><t>{_esc(str(v))}</t></is></c>' for col, v in zip("ABC", row))
        out.append(f'<row r="{i}">{cells}</row>')
    out.append('</sheetData><sheetProtection sheet="1"/></worksheet>')
    return "".join(out).encode("utf-8")


def _resolve(base_dir: str, target: str) -> str:
    import posixpath
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base_dir, target))


def stamp_copy(src, dst, stamp: Stamp) -> None:
    """Write ``src`` to ``dst`` with the stamp added at the package level (document property part + hidden sheet part);
    every other part of the clerk's file is copied byte for byte (formats, cached formula values, images, anything).
    Raises ``ValueError`` for a package this cannot handle (e.g. a macro workbook); callers fall back to openpyxl."""
    import re as _re
    import zipfile

    with zipfile.ZipFile(src) as zin:
        infos = zin.infolist()
        parts = {i.filename: zin.read(i.filename) for i in infos}
    ct = parts["[Content_Types].xml"].decode("utf-8")
    if _MACRO_CT in ct:
        raise ValueError("macro-enabled workbook")
    wb_xml = parts["xl/workbook.xml"].decode("utf-8")
    rels_name = "xl/_rels/workbook.xml.rels"
    wb_rels = parts[rels_name].decode("utf-8")
    root_rels = parts["_rels/.rels"].decode("utf-8")

    # the hidden sheet: replace an existing 报送戳记 part, or add a new sheet
    rel_prefix = _re.search(r'xmlns:(\w+)="' + _re.escape(_NS_OFFICE_REL) + '"', wb_xml)
    if rel_prefix is None:
        raise ValueError("workbook.xml without a relationships prefix")
    rp = rel_prefix.group(1)
    rel_targets = {m.group("id"): m.group("target") for m in _re.finditer(
        r'<Relationship\b(?=[^>]*\bId="(?P<id>[^"]+)")(?=[^>]*\bTarget="(?P<target>[^"]+)")[^>]*>', wb_rels)}
    existing = None
    for m in _re.finditer(r"<(?:\w+:)?sheet\b[^>]*/>", wb_xml):
        name = _re.search(r'\bname="([^"]*)"', m.group(0))
        if name and name.group(1) == _esc(model.STAMP_SHEET):
            rid = _re.search(rf'\b{rp}:id="([^"]+)"', m.group(0)).group(1)
            existing = (m.group(0), _resolve("xl", rel_targets[rid]))
    sheet_xml = _stamp_sheet_xml(stamp)
    if existing is not None:
        tag, part = existing
        parts[part] = sheet_xml
        if 'state="' in tag:
            new_tag = _re.sub(r'state="[^"]*"', 'state="hidden"', tag)
        else:
            new_tag = tag.replace("/>", ' state="hidden"/>')
        wb_xml = wb_xml.replace(tag, new_tag)
    else:
        n = 1
        while f"xl/worksheets/sheet{n}.xml" in parts:
            n += 1
        part = f"xl/worksheets/sheet{n}.xml"
        parts[part] = sheet_xml
        used = {int(x) for x in _re.findall(r'\bId="rId(\d+)"', wb_rels)}
        rid = f"rId{max(used, default=0) + 1}"
        wb_rels = wb_rels.replace("</Relationships>", f'<Relationship Id="{rid}" Type="{_REL_WORKSHEET}" '
                                                       f'Target="/{part}"/></Relationships>')
        sheet_ids = [int(x) for x in _re.findall(r'<(?:\w+:)?sheet\b[^>]*\bsheetId="(\d+)"', wb_xml)]
        prefix = _re.search(r"<(\w+:)?sheets\b", wb_xml).group(1) or ""
        wb_xml = wb_xml.replace(f"</{prefix}sheets>", f'<{prefix}sheet name="{_esc(model.STAMP_SHEET)}" '
                                f'sheetId="{max(sheet_ids, default=0) + 1}" state="hidden" {rp}:id="{rid}"/>'
                                f"</{prefix}sheets>")
        ct = ct.replace("</Types>", f'<Override PartName="/{part}" ContentType="{_CT_WORKSHEET}"/></Types>')

    # the document properties
    parts["docProps/custom.xml"] = _custom_xml(parts.get("docProps/custom.xml"), stamp)
    if "/docProps/custom.xml" not in ct:
        ct = ct.replace("</Types>", f'<Override PartName="/docProps/custom.xml" ContentType="{_CT_CUSTOM}"/></Types>')
    if _REL_CUSTOM not in root_rels:
        used = {int(x) for x in _re.findall(r'\bId="rId(\d+)"', root_rels)}
        root_rels = root_rels.replace("</Relationships>", f'<Relationship Id="rId{max(used, default=0) + 1}" '
                                      f'Type="{_REL_CUSTOM}" Target="docProps/custom.xml"/></Relationships>')
    parts.update({"[Content_Types].xml": ct.encode("utf-8"), "xl/workbook.xml": wb_xml.encode("utf-8"),
                  rels_name: wb_rels.encode("utf-8"), "_rels/.rels": root_rels.encode("utf-8")})

    order = [i.filename for i in infos]
    order += [name for name in parts if name not in order]
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for name in order:
            zout.writestr(name, parts[name])
