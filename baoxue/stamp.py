"""Submission stamps (SPEC §6): a SHA-256 of the normalised clerk data plus who/what/when, stored twice in the workbook
(custom document properties and the hidden sheet ``model.STAMP_SHEET``) so that anyone can re-check it.

The hash is taken over the *typed* values the reader produces (SchoolBook), not over the file's bytes: a re-save by
Excel, WPS or LibreOffice keeps the stamp valid (same data, different XML), while any edit of a clerk value breaks it.

- ``data_hash(book)``: the SHA-256 (hex) of the cover and the six data sheets, canonical columns in model order,
  row positions and empty rows ignored.
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
from .book import Invalid, SchoolBook
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
    if v is None:
        return None
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


def data_hash(book: SchoolBook) -> str:
    """SHA-256 over the normalised clerk data: cover fields, then each data sheet's non-empty rows (sorted)."""
    h = hashlib.sha256()
    h.update(f"baoxue-data-hash-1|{model.TEMPLATE_VERSION}\n".encode())
    cover = [[f.label, _canonical(book.cover.get(f.label))] for f in model.COVER_FIELDS]
    h.update(json.dumps(cover, ensure_ascii=False).encode())
    for sheet in model.DATA_SHEETS:
        df = book.frame(sheet.name)
        names = sheet.column_names
        rows = []
        for values in zip(*(df[c].tolist() for c in names)) if len(df) else ():
            row = [[c, t] for c, t in zip(names, map(_canonical, values)) if t is not None]
            if row:
                rows.append(json.dumps(row, ensure_ascii=False))
        rows.sort()
        h.update(f"\n#{sheet.name}:{len(rows)}\n".encode())
        h.update("\n".join(rows).encode())
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
        when = dt.datetime.strptime(raw["stamped_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
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
        return StampCheck(False, f"{e}，请由学校重新报送（baoxue submit）。")
    if stamp is None:
        return StampCheck(False, "未找到报送戳记：此文件没有经过 baoxue submit 校验盖戳，请由学校校验后重新报送。")
    if data_hash(book) != stamp.data_hash:
        return StampCheck(False, "数据在盖戳之后被修改过（数据摘要不符），戳记失效，请由学校重新校验并报送。", stamp)
    if stamp.school_code != (book.school_code or "") or stamp.month != (book.month or ""):
        return StampCheck(False, "戳记中的学校标识码或报送月份与封面不一致，戳记失效，请重新报送。", stamp)
    when = stamp.stamped_at.strftime("%Y-%m-%d %H:%M UTC")
    return StampCheck(True, f"戳记有效（学校 {stamp.school_code}，{stamp.month}，盖戳于 {when}）", stamp)
