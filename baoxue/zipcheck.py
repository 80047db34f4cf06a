"""Zip members inflated as a stream with a hard cap, before any parser decompresses them.

A member's declared (uncompressed) size is a claim: zipfile inflates a whole member in one call before it compares, and
python-calamine inflates what is there whatever the header says. ``inflate_members`` inflates every member of the file
in bounded steps and refuses (``ZipLie``) a member that inflates past its declared size or past ``cap``, that ends
short of it, that does not end where its compressed data ends, whose CRC is wrong, or that uses a compression method
Excel does not write. After it, every declared size is true and within the caps, so any later reader is bounded too.
"""
from __future__ import annotations

import struct
import threading
import zipfile
import zlib

STEP = 1 << 20           # at most this many bytes inflated per step
FEED = 1 << 16           # compressed bytes fed per step
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sBBBBHHHHIIIHHHHHII")   # as zipfile's structCentralDir
_END = struct.Struct("<4sHHHHIIH")
_UTF8_NAME = 0x800


# compressed bytes of a small member -> (its size, its CRC, its content, the key), for the members that passed: every school's book
# made by one tool holds the same theme, styles, relationships and empty sheets, byte for byte, and inflating the same
# bytes gives the same content (so the same size and CRC) every time
MEMO_BYTES = 16 * 1024            # compressed bytes of a member that may be kept
MEMO_INFLATED = 256 * 1024        # inflated bytes of a member that may be kept
MEMO_TOTAL = 8 * 1024 * 1024      # all that is kept, at most (the least recently used goes first)
_INFLATED: dict[bytes, tuple[int, int, bytes, bytes]] = {}   # ... and the key itself
_kept_bytes = 0
_MEMO_LOCK = threading.Lock()   # the household line reads two lists at a time, in threads


def _recall(raw) -> tuple[int, int, bytes, bytes] | None:
    with _MEMO_LOCK:
        known = _INFLATED.pop(raw, None)
        if known is not None:
            _INFLATED[known[3]] = known   # the most recently used last
        return known


def _remember(key: bytes, info: zipfile.ZipInfo, content: bytes) -> None:
    global _kept_bytes
    with _MEMO_LOCK:
        old = _INFLATED.pop(key, None)
        if old is not None:
            _kept_bytes -= len(old[3]) + len(old[2])
        while _INFLATED and _kept_bytes + len(key) + len(content) > MEMO_TOTAL:
            _size, _crc, old, old_key = _INFLATED.pop(next(iter(_INFLATED)))   # the least recently used
            _kept_bytes -= len(old_key) + len(old)
        _INFLATED[key] = (info.file_size, info.CRC, content, key)
        _kept_bytes += len(key) + len(content)


class Member:
    """A member as the central directory lists it: what the checks and the reader take from a ``zipfile.ZipInfo``."""
    __slots__ = ("filename", "orig_filename", "flag_bits", "compress_type", "CRC", "compress_size", "file_size",
                 "header_offset")

    def __init__(self, name, flag_bits, compress_type, crc, compress_size, file_size, header_offset):
        self.filename = self.orig_filename = name
        self.flag_bits, self.compress_type, self.CRC = flag_bits, compress_type, crc
        self.compress_size, self.file_size, self.header_offset = compress_size, file_size, header_offset


def plain_members(data: bytes) -> list[Member] | None:
    """The members of a zip in its plainest form — what Excel, WPS and the XLSX libraries write: the end record last
    with no comment, no Zip64 structures, the central directory right before it, no extra fields, names without a NUL
    and decodable — read as ``zipfile.ZipFile(...).infolist()`` reads them, without its per-member objects (a small
    book's zip costs more to open than to inflate). None for any other zip (and any damage): then ``zipfile`` reads it,
    and says what is wrong."""
    end = len(data) - _END.size
    if end < 0 or data[end:end + 4] != b"PK\x05\x06" or data[-2:] != b"\0\0" or data[end - 20:end - 16] == b"PK\x06\x07":
        return None
    _sig, _disk, _disk_cd, _here, _total, size_cd, offset_cd, _comment = _END.unpack_from(data, end)
    if offset_cd + size_cd != end:   # data before the zip, or a directory that is not where it says
        return None
    out, pos, unpack, head = [], offset_cd, _CENTRAL.unpack_from, _CENTRAL.size
    while pos < end:
        if pos + head > end:
            return None
        (sig, _cv, _cs, extract_version, _r, flags, method, _t, _d, crc, compressed, size, name_len, extra_len,
         comment_len, _vol, _ia, _ea, offset) = unpack(data, pos)
        if sig != b"PK\x01\x02" or extra_len or extract_version > zipfile.MAX_EXTRACT_VERSION:
            return None
        raw = data[pos + head:pos + head + name_len]
        try:
            name = raw.decode("utf-8" if flags & _UTF8_NAME else "cp437")
        except UnicodeDecodeError:
            return None
        if "\0" in name or len(raw) != name_len:
            return None
        out.append(Member(name, flags, method, crc, compressed, size, offset))
        pos += head + name_len + comment_len
    return out if pos == end else None


class ZipLie(Exception):
    """A member whose content is not what its header says (a zip bomb with a lying size, or a damaged file)."""


def _data_offset(data: bytes, info: zipfile.ZipInfo) -> int:
    head = data[info.header_offset:info.header_offset + _LOCAL.size]
    if len(head) < _LOCAL.size:
        raise ZipLie(info.filename)
    sig, *_rest, name_len, extra_len = _LOCAL.unpack(head)
    if sig != b"PK\x03\x04":
        raise ZipLie(info.filename)
    return info.header_offset + _LOCAL.size + name_len + extra_len


def inflate(data: bytes, info: zipfile.ZipInfo, cap: int, keep: bool) -> bytes | None:
    """The member's bytes (None when not ``keep``), inflated ``STEP`` bytes at a time, never past its declared size
    or ``cap``."""
    if info.file_size > cap:
        raise ZipLie(info.filename)
    start = _data_offset(data, info)
    raw = memoryview(data)[start:start + info.compress_size]
    if len(raw) != info.compress_size or info.flag_bits & 0x1:   # truncated, or encrypted
        raise ZipLie(info.filename)
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size or zlib.crc32(raw) != info.CRC:
            raise ZipLie(info.filename)
        return bytes(raw) if keep else None
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise ZipLie(info.filename)
    if info.file_size < STEP and len(raw) <= FEED:   # a small member: one bounded step, the same checks
        known = _recall(raw)
        if known is not None and known[0] == info.file_size and known[1] == info.CRC:
            return known[2] if keep else None
        d = zlib.decompressobj(-15)
        piece = d.decompress(raw, info.file_size + 1)
        if (not d.eof or d.unused_data or d.unconsumed_tail or len(piece) != info.file_size
                or zlib.crc32(piece) != info.CRC):
            raise ZipLie(info.filename)
        if len(raw) <= MEMO_BYTES and len(piece) <= MEMO_INFLATED:
            _remember(bytes(raw), info, piece)
        return piece if keep else None
    d = zlib.decompressobj(-15)
    out, size, crc, pos = [], 0, 0, 0
    pending = b""
    while True:
        if not pending:
            if pos >= len(raw):
                break
            pending, pos = raw[pos:pos + FEED], pos + FEED
        piece = d.decompress(pending, STEP)
        pending = d.unconsumed_tail
        size += len(piece)
        if size > info.file_size:
            raise ZipLie(info.filename)
        crc = zlib.crc32(piece, crc)
        if keep:
            out.append(piece)
        if d.eof:
            break
    if not d.eof or d.unused_data or pending or pos < len(raw) or size != info.file_size or crc != info.CRC:
        raise ZipLie(info.filename)
    return b"".join(out) if keep else None


def inflate_members(data: bytes, infos: list[zipfile.ZipInfo], cap: int, keep) -> dict[str, bytes]:
    """Check every member, duplicates included (``inflate``); the bytes of those ``keep(info)`` wants, by name."""
    kept = {}
    for info in infos:
        wanted = keep(info)
        content = inflate(data, info, cap, wanted)
        if wanted:
            kept[info.filename] = content
    return kept
