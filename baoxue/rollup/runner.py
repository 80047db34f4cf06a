"""Running the per-file work (read + validate + figures, ``worker.process_chunk``) over many files: in this process, a
process pool, or a Dask cluster — and the store's result cache in front of them.

The work is cut into guided chunks (``chunks``); whichever way they run, the results come back in path order through
one flatten step (``in_order``), so the result is identical.

The Dask path ("when a province outgrows one machine"): ``dask=True`` starts a ``LocalCluster`` (one process per core,
one thread each) for the run and closes it afterwards; ``dask="tcp://host:8786"`` uses an existing scheduler (its
workers need baoxue installed and the inbox at the same path). One chunk per worker thread is in flight, the next
handed out as one comes back; a chunk's results come back as one pickle (``worker.process_chunk_packed``). A worker
that dies mid-chunk (killed, out of memory, its
machine gone) loses nothing: the scheduler runs the chunk again on another worker (up to
``distributed.scheduler.allowed-failures`` times); a chunk that still fails is not dropped: each of its files is listed
as unreadable (S005, ``worker.lost_file``), so no school is ever silently missing from the result.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable

from ..paths import entry_problem
from ..policy import Policy
from .cache import ResultCache
from .inbox import relative_name
from .store import Store, StoreError
from .worker import FileResult, lost_file, process_chunk, process_chunk_packed, unpack, unreadable

Progress = Callable[[int, int, str], None]
IN_PROCESS_BELOW = 24       # files: below this a process pool costs more than it saves
MIN_CHUNK = 24    # below this a batch's fixed cost dominates
# A batch costs ≈ 80 ms of CPU whatever its size (the rules' and the figures' pandas set-up) plus ≈ 3 ms per small book
# (≈ 8 ms per template-made one), reading included: few, large batches keep that fixed cost low; a worker holding 500
# small or template-made books peaks at ≈ 160 MB.
TAIL_CHUNK = 96   # the smallest chunk at the end of a large run: the workers finish within ≈ 0.3 s of each other
MAX_CHUNK = 500   # books validated together


def chunks(paths: list[str], workers: int) -> list[list[str]]:
    """Guided chunks: each a worker's share of what is left (``remaining / workers``), between TAIL_CHUNK (or
    MIN_CHUNK for a small run) and MAX_CHUNK files. Large batches first keep the rules' fixed cost low (2,000 small
    books on two workers: six batches, not twelve); the chunks halve towards the end, so the workers finish together
    instead of one idling while another does a last big chunk.
    One worker (in this process): about six equal chunks (for progress), each of MIN_CHUNK to MAX_CHUNK files."""
    n = len(paths)
    workers = max(1, workers)
    if not n:
        return []
    if workers == 1:
        size = min(MAX_CHUNK, max(MIN_CHUNK, math.ceil(n / 6)))
        return [paths[i:i + size] for i in range(0, n, size)]
    floor = MIN_CHUNK if n < TAIL_CHUNK * workers * 6 else TAIL_CHUNK
    out, i = [], 0
    while i < n:
        size = min(MAX_CHUNK, max(floor, math.ceil((n - i) / workers)))
        if n - i - size < floor:   # never leave a crumb behind
            size = n - i
        out.append(paths[i:i + size])
        i += size
    return out


def in_order(done: Any, parts: list[list[str]], tick: Callable[[int, str], None]) -> list[FileResult]:
    """Flatten the results of ``parts`` (chunks) back into path order. ``done`` yields ``(chunk index, results)`` as
    chunks finish, in any order; ``tick`` is told each chunk's size and its last file's name."""
    results: dict[int, list[FileResult]] = {}
    for i, got in done:
        results[i] = got
        tick(len(parts[i]), os.path.basename(parts[i][-1]))
    return [r for i in range(len(parts)) for r in results[i]]


def _preload() -> None:
    """Import what every chunk needs before the pool forks, so that each worker inherits it instead of importing it
    again: the first-party modules are imported at module top already; python-calamine is the reader's deferred
    import (the add-in's Pyodide parses grids without it). Only here: a re-run served from the cache never starts a
    pool and never pays for it."""
    import python_calamine  # noqa: F401


def _pool_context():
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def process_files(paths: list[str], inbox: str, month: str, policy: Policy, progress: Progress | None = None,
                  workers: int | None = None, dask: Any = None,
                  meanwhile: Callable[[], None] | None = None) -> list[FileResult]:
    """Per-file work for every path (order preserved): Dask when asked, a process pool for many files, else here.
    ``meanwhile``: work for this process while the workers read (called once the chunks are handed out)."""
    meanwhile = meanwhile or (lambda: None)
    total = len(paths)
    done = 0

    def tick(n: int, label: str) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total, label)

    if progress:
        progress(0, total, "")
    if dask:
        return process_on_dask(paths, inbox, month, policy, address=dask, progress=tick, meanwhile=meanwhile)
    auto = workers is None
    workers = workers or os.cpu_count() or 1
    parts = chunks(paths, workers)
    if workers <= 1 or (auto and total < IN_PROCESS_BELOW):
        meanwhile()
        return in_order(((i, process_chunk(part, inbox, month, policy)) for i, part in enumerate(parts)), parts, tick)
    _preload()
    with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
        futures = {pool.submit(process_chunk, part, inbox, month, policy): i for i, part in enumerate(parts)}
        meanwhile()
        return in_order(((futures[fut], fut.result()) for fut in as_completed(futures)), parts, tick)


def process_on_dask(paths: list[str], inbox: str, month: str, policy: Policy, address: Any = True,
                    progress: Callable[[int, str], None] | None = None,
                    meanwhile: Callable[[], None] | None = None) -> list[FileResult]:
    """The chunks on a ``distributed`` cluster (a LocalCluster for ``address=True`` or a worker count, else the
    scheduler at ``address``)."""
    from distributed import Client, LocalCluster, as_completed as finished   # heavy: only when Dask is asked for

    cluster = None
    if isinstance(address, str):
        client = Client(address, timeout="30s")
    else:
        n = min(2, os.cpu_count() or 1) if address is True else int(address)
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=40)
        client = Client(cluster)
    try:
        threads = sum(w.get("nthreads", 1) for w in client.scheduler_info().get("workers", {}).values()) or 1
        parts = chunks(paths, threads)
        done = finished()
        index: dict[str, int] = {}
        waiting = iter(range(len(parts)))

        def submit_next() -> None:
            """Hand out the next chunk: one chunk per worker thread at a time, so each takes the next one as it
            finishes (the scheduler would otherwise queue a second chunk on each worker up front, and one worker
            could end with two chunks left while another idles)."""
            i = next(waiting, None)
            if i is not None:
                fut = client.submit(process_chunk_packed, parts[i], inbox, month, policy, pure=False)
                index[fut.key] = i
                done.add(fut)

        for _ in range(min(threads, len(parts))):
            submit_next()
        if meanwhile is not None:
            meanwhile()

        def outcome(fut) -> tuple[int, list[FileResult]]:
            submit_next()   # before this result is unpacked: the freed worker starts at once
            i = index[fut.key]
            try:
                packed = fut.result()
            except Exception as e:  # noqa: BLE001 — lost for good (e.g. KilledWorker): name the files, never drop them
                why = f"在 Dask 工作进程上处理时中断（{type(e).__name__}）"
                return i, [lost_file(p, inbox, why) for p in parts[i]]
            return i, unpack(packed)

        return in_order((outcome(fut) for fut in done), parts, progress or (lambda n, label: None))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_files(paths: list[str], inbox: Path, month: str, policy: Policy, progress: Progress | None,
              workers: int | None, dask: Any, store: Store | None, use_cache: bool,
              meanwhile: Callable[[], None] | None = None) -> tuple[list[FileResult], Callable[[], None]]:
    """``process_files`` for the files the store's result cache does not already hold (all of them without a store),
    the cached results for the others; in path order. With them ``save_cache()``, which writes this run's results to
    the cache: the caller calls it once the results are no longer needed elsewhere (the roll-up: while the 月报表 is
    being written), still under the store's lock. ``meanwhile``: the caller's work while the workers read (see
    ``process_files``; called once, also when every file is cached)."""
    meanwhile = meanwhile or (lambda: None)
    if store is None or not use_cache:
        return process_files(paths, str(inbox), month, policy, progress, workers, dask, meanwhile), lambda: None
    cache = ResultCache(store, month, policy)
    keys: list[str | None] = []   # None: the file could not be read for a key

    def find_keys() -> None:
        keys.extend(cache.key(p, relative_name(p, inbox)) for p in paths)

    if not cache.entries:   # nothing cached (a first run): every file is read, its key found while the workers read
        fresh = iter(process_files(paths, str(inbox), month, policy, progress, workers, dask,
                                   meanwhile=lambda: (meanwhile(), find_keys())))
    else:
        find_keys()
        todo = [p for p, k in zip(paths, keys) if k is None or k not in cache.entries]
        hits = len(paths) - len(todo)

        def shifted(done: int, total: int, label: str) -> None:
            if progress:
                progress(done + hits, total + hits, label)

        fresh = iter(process_files(todo, str(inbox), month, policy, shifted if progress else None, workers, dask,
                                   meanwhile))
    results = []
    for p, k in zip(paths, keys):
        r = (cache.entries.get(k) if k is not None else None) or next(fresh)
        r.path = p
        results.append(r)

    def save_cache() -> None:
        try:
            cache.save({k: r for k, r in zip(keys, results) if k is not None})
        except (OSError, StoreError):
            pass  # a cache that cannot be written only costs time next run

    return results, save_cache


def read_entries(paths: list[str], inbox: Path, month: str, policy: Policy, progress: Progress | None,
                 workers: int | None, dask: Any, store: Store | None, use_cache: bool,
                 meanwhile: Callable[[], None] | None = None) -> tuple[list[FileResult], Callable[[], None]]:
    """Every inbox entry's result, in inbox order, and ``save_cache()`` (see ``run_files``). Each entry is checked
    before anything opens or hashes it (``paths.entry_problem``): a dangling or looping link, a link leading outside
    the inbox, a FIFO or device, a file over the size limit becomes one S005 finding for that entry, and the other
    entries are read as usual. ``meanwhile``: as for ``run_files``."""
    problems = {p: problem for p in paths if (problem := entry_problem(p, inbox)) is not None}
    readable = [p for p in paths if p not in problems]
    found, save_cache = run_files(readable, inbox, month, policy, progress, workers, dask, store, use_cache, meanwhile)
    results = iter(found)
    return [unreadable(p, str(inbox), problems[p]) if p in problems else next(results) for p in paths], save_cache
