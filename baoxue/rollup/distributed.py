"""The Dask path: the per-file read + validate on a ``distributed`` cluster — "when a province outgrows one machine".

``dask=True`` starts a ``LocalCluster`` (one process per core, one thread each) for the run and closes it afterwards;
``dask="tcp://host:8786"`` uses an existing scheduler (its workers need baoxue installed and the inbox at the same path).
The work units are the same chunks the process pool gets (``worker.process_chunk``), so the result is identical.

A worker that dies mid-chunk (killed, out of memory, its machine gone) loses nothing: the scheduler runs the chunk again
on another worker (up to ``distributed.scheduler.allowed-failures`` times). A chunk that still fails is not dropped: each
of its files is listed as unreadable (S005, ``worker.lost_file``), so no school is ever silently missing from the result.
"""
from __future__ import annotations

import os
from typing import Any, Callable

from ..policy import Policy
from .worker import FileResult, lost_file, process_chunk


def _chunks(paths: list[str], n_workers: int) -> list[list[str]]:
    from .engine import _chunks as chunks
    return chunks(paths, n_workers)


def process_on_dask(paths: list[str], inbox: str, month: str, policy: Policy, address: Any = True,
                    progress: Callable[[int, str], None] | None = None) -> list[FileResult]:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if isinstance(address, str):
        client = Client(address, timeout="30s")
    else:
        n = min(2, os.cpu_count() or 1) if address is True else int(address)
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=40)
        client = Client(cluster)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or 1)
        chunks = _chunks(paths, n_workers)
        futures = [client.submit(process_chunk, chunk, inbox, month, policy, pure=False) for chunk in chunks]
        index = {f.key: i for i, f in enumerate(futures)}
        results: dict[int, list[FileResult]] = {}
        for fut in as_completed(futures):
            i = index[fut.key]
            try:
                results[i] = fut.result()
            except Exception as e:  # noqa: BLE001 — lost for good (e.g. KilledWorker): name the files, never drop them
                why = f"在 Dask 工作进程上处理时中断（{type(e).__name__}）"
                results[i] = [lost_file(p, inbox, why) for p in chunks[i]]
            if progress:
                progress(len(chunks[i]), os.path.basename(chunks[i][-1]))
        return [r for i in range(len(chunks)) for r in results[i]]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
