"""``paused_gc()``: the cyclic garbage collector paused for a block that allocates many long-lived, acyclic objects
(a roll-up's thousands of per-file results, their pickles, an import of pandas): every collection meanwhile would
re-scan all of them for almost no cyclic garbage. The collector is resumed afterwards (when it was running before),
and collects what the block left behind as usual."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def paused_gc() -> Iterator[None]:
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
