"""How a roll-up splits its files into batches for the workers, and how a file is named relative to the inbox."""
from __future__ import annotations

from pathlib import Path

import pytest

from baoxue.rollup.runner import MAX_CHUNK, MIN_CHUNK, TAIL_CHUNK, chunks as _chunks
from baoxue.rollup.inbox import discover, relative_name


@pytest.mark.parametrize("n, workers", [(1, 2), (8, 2), (30, 2), (100, 2), (500, 2), (2000, 2), (2000, 1), (5000, 4)])
def test_chunks_cover_every_file_once_in_order(n, workers):
    paths = [f"f{i}.xlsx" for i in range(n)]
    chunks = _chunks(paths, workers)
    assert [p for c in chunks for p in c] == paths
    assert all(len(c) <= MAX_CHUNK for c in chunks)
    assert all(len(c) >= MIN_CHUNK for c in chunks) or len(chunks) == 1


def test_large_run_shrinks_chunks_towards_the_end():
    """Big batches first (the rules' fixed cost per batch), small ones last so two workers finish together: each a
    worker's share of what is left, so the last two are far below MAX_CHUNK, and none below TAIL_CHUNK."""
    sizes = [len(c) for c in _chunks([str(i) for i in range(2000)], 2)]
    assert sizes[0] == MAX_CHUNK
    assert sizes[:-1] == sorted(sizes[:-1], reverse=True)
    assert max(sizes[-2:]) < 2 * TAIL_CHUNK
    assert len(sizes) <= 8
    assert min(sizes) >= TAIL_CHUNK


def test_relative_name(tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    (inbox / "城关镇").mkdir(parents=True)
    book = inbox / "城关镇" / "a.xlsx"
    book.write_bytes(b"x")
    assert relative_name(book, inbox) == "城关镇/a.xlsx"
    assert relative_name(str(book), str(inbox)) == "城关镇/a.xlsx"
    monkeypatch.chdir(tmp_path)
    assert relative_name("inbox/城关镇/a.xlsx", inbox) == "城关镇/a.xlsx"      # relative path, absolute inbox
    assert relative_name(tmp_path / "elsewhere.xlsx", inbox) == str(tmp_path / "elsewhere.xlsx")


def test_discover_excludes_register_and_store_only(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "store" / "months").mkdir(parents=True)
    (inbox / "store" / "x.xlsx").write_bytes(b"x")
    (inbox / "sub").mkdir()
    for name in ("学校名录.xlsx", "a.xlsx", "sub/学校名录.xlsx", "~$a.xlsx"):
        (inbox / name).write_bytes(b"x")
    found = [p.relative_to(inbox).as_posix() for p in discover(inbox, exclude=[inbox / "store", inbox / "学校名录.xlsx"])]
    assert found == ["a.xlsx", "sub/学校名录.xlsx"]


@pytest.mark.parametrize("path, inbox", [
    ("/srv/inbox/城关镇/a.xlsx", "/srv/inbox"), ("/srv/inbox/城关镇/a.xlsx", "/srv/inbox/"),
    ("/srv/inbox//城关镇/a.xlsx", "/srv/inbox"), ("/srv/inbox/./城关镇/a.xlsx", "/srv/inbox"),
    ("/srv/inbox/城关镇/./a.xlsx", "/srv/inbox"), ("/srv/inbox/城关镇/", "/srv/inbox"), ("/srv/inbox/.", "/srv/inbox"),
    ("/srv/inbox/../a.xlsx", "/srv/inbox"), ("/a.xlsx", "/"), ("inbox/a.xlsx", "inbox"), ("./inbox/a.xlsx", "inbox"),
])
def test_relative_name_fast_path_equals_the_path_arithmetic(path, inbox):
    """The string fast path of ``relative_name`` gives what ``Path.relative_to(...).as_posix()`` gives."""
    assert relative_name(path, inbox) == Path(path).relative_to(Path(inbox)).as_posix()
    assert relative_name(Path(path), Path(inbox)) == Path(path).relative_to(Path(inbox)).as_posix()


def test_shown_name_escapes_exactly_the_control_characters():
    """``paths.shown_name`` escapes every character of Unicode category Cc (its one-regex test finds exactly those)."""
    import sys
    import unicodedata
    from baoxue.paths import shown_name
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        ch = chr(code)
        expected = f"\\x{code:02x}" if unicodedata.category(ch) == "Cc" else ch
        assert shown_name(f"a{ch}.xlsx") == f"a{expected}.xlsx"
