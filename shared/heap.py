"""Garbage collection set for long-running services.

After start-up a worker's heap holds tens of thousands of long-lived objects (about
76,000 in a command worker before its first request: FastAPI, pydantic, the event
store library, their caches). CPython's default collector walks them all at every
full collection, and collects the youngest generation every 700 allocations: pauses
on the event loop that every request in flight waits out. Measured on the command API at 32 clients
here: p99 58-64 ms with the defaults, 29-30 ms with the start-up heap frozen and the
youngest generation collected every 20,000 allocations (reference counting still
frees almost everything at once; the collector is only for cycles).
"""

from __future__ import annotations

import gc

YOUNGEST_GENERATION_THRESHOLD = 20_000


def freeze_startup_heap() -> None:
    """Call once start-up is done: what exists now is kept out of every collection."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_GENERATION_THRESHOLD, older, oldest)
