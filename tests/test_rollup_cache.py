"""Re-running a month reuses the store's per-file results for unchanged files, and gives the same result."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest

from rollup_helpers import checksums, child_id, cover, dropout, register, stamp, write_book

from baoxue.rollup import run_rollup, runner

M = "2026-10"
WHEN = dt.datetime(2026, 10, 28, tzinfo=dt.timezone.utc)


def test_rerun_reads_only_new_or_changed_files(tmp_path, monkeypatch):
    reg = register(tmp_path / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "初中", "城区"),
                                           ("4310000002", "河口小学", "河口乡", "小学", "乡村")])
    inbox = tmp_path / "inbox"
    stamp(write_book(inbox / "a.xlsx", cover("4310000001", "城关中学", "城关镇", M),
                     {"辍学": [dropout(child_id(5, "八年级", M), "赵小燕", "八年级", dt.date(2026, 10, 2))]}), WHEN)
    seen: list[list[str]] = []
    real = runner.process_chunk

    def counting(paths, *args):
        seen.append([p.rsplit("/", 1)[-1] for p in paths])
        return real(paths, *args)

    monkeypatch.setattr(runner, "process_chunk", counting)
    first = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert seen == [["a.xlsx"]]

    seen.clear()
    again = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert seen == [] and again.to_json(masked=False) == first.to_json(masked=False)

    # a late school arrives: only its file is read
    seen.clear()
    late = tmp_path / "late.xlsx"
    stamp(write_book(late, cover("4310000002", "河口小学", "河口乡", M)), WHEN)
    shutil.copy(late, inbox / "b.xlsx")
    before = checksums(inbox)
    third = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert seen == [["b.xlsx"]] and third.county["schools_submitted"] == 2
    assert checksums(inbox) == before

    # a changed file (same name) is read again; another month or policy never shares entries
    seen.clear()
    stamp(write_book(inbox / "a.xlsx", cover("4310000001", "城关中学", "城关镇", M, enrol=7)), WHEN)
    fourth = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert seen == [["a.xlsx"]] and fourth.schools[0]["enrolled_junior"] == 21
    seen.clear()
    run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1, cache=False)
    assert sorted(sum(seen, [])) == ["a.xlsx", "b.xlsx"]


def test_rerun_does_not_read_unchanged_files_for_their_key(tmp_path, monkeypatch):
    """An unchanged file keeps its cached key without being read; a file rewritten with its old size and modification
    time set back is still read again (its change time moved)."""
    import os

    from baoxue.rollup import cache as cache_module
    reg = register(tmp_path / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "初中", "城区")])
    inbox = tmp_path / "inbox"
    stamp(write_book(inbox / "a.xlsx", cover("4310000001", "城关中学", "城关镇", M)), WHEN)
    read: list[str] = []
    real = cache_module.read_regular

    def counting(path, *args, **kw):
        read.append(os.path.basename(path))
        return real(path, *args, **kw)

    monkeypatch.setattr(cache_module, "read_regular", counting)
    first = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert read == ["a.xlsx"]
    read.clear()
    cached = (tmp_path / "store" / "cache" / f"{M}.pickle").stat().st_mtime_ns
    again = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert read == [] and again.to_json(masked=False) == first.to_json(masked=False)
    assert (tmp_path / "store" / "cache" / f"{M}.pickle").stat().st_mtime_ns == cached   # nothing changed: not rewritten

    path = inbox / "a.xlsx"
    st = path.stat()
    new = stamp(write_book(tmp_path / "b.xlsx", cover("4310000001", "城关中学", "城关镇", M, enrol=7)), WHEN).read_bytes()
    assert new != path.read_bytes()
    path.write_bytes(new)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))   # the modification time set back
    third = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert read == ["a.xlsx"] and third.schools[0]["enrolled_junior"] == 21


def _unreadable_files(result) -> list[str]:
    return sorted(f.file for f in result.findings if f.rule == "S005")


@pytest.mark.parametrize("failure", [MemoryError, lambda: OSError(5, "Input/output error")])
def test_a_file_unreadable_for_a_passing_reason_is_read_again_next_run(tmp_path, monkeypatch, failure):
    """One run could not read b.xlsx (out of memory, an I/O error on the network drive): S005 that run. The file is
    unchanged, yet the next run must read it again and count the school — not reuse the cached S005. A really damaged
    file (c.xlsx) gives its S005 on every run; the readable ones stay cached."""
    from baoxue.rollup import worker

    reg = register(tmp_path / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "初中", "城区"),
                                           ("4310000002", "河口小学", "河口乡", "小学", "乡村")])
    inbox = tmp_path / "inbox"
    stamp(write_book(inbox / "a.xlsx", cover("4310000001", "城关中学", "城关镇", M)), WHEN)
    stamp(write_book(inbox / "b.xlsx", cover("4310000002", "河口小学", "河口乡", M)), WHEN)
    (inbox / "c.xlsx").write_bytes(b"PK\x03\x04 not a workbook, cut short by a broken download")
    seen: list[str] = []
    real_chunk, real_read = runner.process_chunk, worker.read_workbook

    def counting(paths, *args):
        seen.extend(p.rsplit("/", 1)[-1] for p in paths)
        return real_chunk(paths, *args)

    def failing_for_b(path, *args, **kw):
        if str(path).endswith("b.xlsx"):
            raise failure()
        return real_read(path, *args, **kw)

    monkeypatch.setattr(runner, "process_chunk", counting)
    monkeypatch.setattr(worker, "read_workbook", failing_for_b)
    first = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert _unreadable_files(first) == ["b.xlsx", "c.xlsx"] and first.county["schools_submitted"] == 1

    monkeypatch.setattr(worker, "read_workbook", real_read)   # whatever it was has passed; b.xlsx is unchanged
    seen.clear()
    second = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert sorted(seen) == ["b.xlsx", "c.xlsx"]                # a.xlsx from the cache, the S005 ones read again
    assert _unreadable_files(second) == ["c.xlsx"] and second.county["schools_submitted"] == 2

    seen.clear()
    third = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert seen == ["c.xlsx"] and _unreadable_files(third) == ["c.xlsx"]
    assert third.to_json(masked=False)["county"] == second.to_json(masked=False)["county"]


def test_a_result_lost_with_its_dask_chunk_is_not_cached(tmp_path, monkeypatch):
    """A chunk lost for good on Dask gives each of its files an S005 (``worker.lost_file``); the next run reads them."""
    from baoxue.rollup import worker

    reg = register(tmp_path / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "初中", "城区")])
    inbox = tmp_path / "inbox"
    stamp(write_book(inbox / "a.xlsx", cover("4310000001", "城关中学", "城关镇", M)), WHEN)
    real = runner.process_chunk

    def lost(paths, inbox_dir, *args):
        return [worker.lost_file(p, inbox_dir, "在 Dask 工作进程上处理时中断（KilledWorker）") for p in paths]

    monkeypatch.setattr(runner, "process_chunk", lost)
    first = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert _unreadable_files(first) == ["a.xlsx"] and first.county["schools_submitted"] == 0
    monkeypatch.setattr(runner, "process_chunk", real)
    second = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert _unreadable_files(second) == [] and second.county["schools_submitted"] == 1


def test_a_book_whose_checks_failed_is_checked_again_next_run(tmp_path, monkeypatch):
    """b.xlsx was read but its validation failed that run (out of memory while checking): S005 for it, not counted as
    checked. The file is unchanged, yet the next run must check it again rather than reuse the cached S005."""
    from baoxue.rollup import worker

    reg = register(tmp_path / "名录.xlsx", [("4310000001", "城关中学", "城关镇", "初中", "城区"),
                                           ("4310000002", "河口小学", "河口乡", "小学", "乡村")])
    inbox = tmp_path / "inbox"
    stamp(write_book(inbox / "a.xlsx", cover("4310000001", "城关中学", "城关镇", M)), WHEN)
    stamp(write_book(inbox / "b.xlsx", cover("4310000002", "河口小学", "河口乡", M)), WHEN)
    real = worker.validate_books

    def failing_for_b(books, *args, **kw):
        if any(b.school_code == "4310000002" for b in books):
            raise MemoryError
        return real(books, *args, **kw)

    monkeypatch.setattr(worker, "validate_books", failing_for_b)
    first = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert _unreadable_files(first) == ["b.xlsx"]

    monkeypatch.setattr(worker, "validate_books", real)
    checked: list[str] = []

    def counting(books, *args, **kw):
        checked.extend(b.school_code for b in books)
        return real(books, *args, **kw)

    monkeypatch.setattr(worker, "validate_books", counting)
    second = run_rollup(inbox, M, reg, store_dir=tmp_path / "store", workers=1)
    assert checked == ["4310000002"]               # a.xlsx from the cache, b.xlsx checked again
    assert _unreadable_files(second) == [] and second.county["schools_submitted"] == 2
