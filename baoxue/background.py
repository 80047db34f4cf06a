"""``start(fn)``: run ``fn()`` meanwhile, on another core, and get ``wait()`` — its value, or its exception raised.

On Linux ``fn`` runs in a forked child process: it sees this process's memory as it was at the call (nothing is sent
to it) and has a core of its own, where a thread would share this process's interpreter lock with whatever runs here
(the roll-up writes its 月报表 so while the history store is being saved). Elsewhere (no ``fork``), a thread.
What ``fn`` returns or raises comes back pickled; a child that dies without a word raises ``BackgroundDied``.
"""
from __future__ import annotations

import os
import pickle
import sys
import threading
from typing import Any, Callable


class BackgroundDied(RuntimeError):
    """The child process ended without returning (killed, out of memory)."""


def start(fn: Callable[[], Any]) -> Callable[[], Any]:
    if not sys.platform.startswith("linux"):
        return in_thread(fn)
    for stream in (sys.stdout, sys.stderr):   # else the child would write this process's buffered text again
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: run, send the outcome, leave at once (no atexit handlers, no buffers flushed twice)
        code = 0
        try:
            os.close(read_end)
            try:
                outcome = (True, fn())
            except BaseException as e:  # noqa: BLE001 — everything goes back to the parent
                outcome = (False, e)
            try:
                data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 — an unpicklable value or exception: its type and text
                data = pickle.dumps((False, RuntimeError(f"{type(outcome[1]).__name__}: {outcome[1]}")))
            with os.fdopen(write_end, "wb") as fh:
                fh.write(data)
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    done: dict[str, Any] = {}

    def wait() -> Any:
        if "outcome" not in done:
            with os.fdopen(read_end, "rb") as fh:
                data = fh.read()
            os.waitpid(pid, 0)
            done["outcome"] = pickle.loads(data) if data else (
                False, BackgroundDied("写入它的后台进程意外退出（可能内存不足），请重新运行"))
        ok, value = done["outcome"]
        if ok:
            return value
        raise value

    return wait


def in_thread(fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn()`` in a thread (work that waits outside the interpreter lock: a DuckDB query, a disk); ``wait()`` as for
    ``start``."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: BLE001
            box["error"] = e

    thread = threading.Thread(target=run, name="baoxue-background", daemon=True)
    thread.start()

    def wait() -> Any:
        thread.join()
        if "error" in box:
            raise box["error"]
        return box.get("value")

    return wait
