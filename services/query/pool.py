"""The query service's pool of PostgreSQL connections."""

from __future__ import annotations

from shared.pools import CONNECT_TIMEOUT, AsyncPool, CheckedAsyncPool

Pool = AsyncPool
SIZE = 16


def read_pool(conninfo: str, timeout: float) -> Pool:
    """Not yet open. The only writes of this pool are the kept JSON documents, a cache:
    a commit need not wait for its WAL to reach disk. A crash can lose the last few
    copies, which the next read rebuilds (their revisions say they are stale). Opened
    whole at start-up: a pool that grows under a burst of reads makes them wait for new
    connections (see docs/decisions.md, "Read side")."""
    return CheckedAsyncPool(
        conninfo,
        min_size=SIZE,
        max_size=SIZE,
        timeout=timeout,
        kwargs={
            "autocommit": True,
            "connect_timeout": CONNECT_TIMEOUT,
            "options": "-c TimeZone=UTC -c synchronous_commit=off",
        },
        open=False,
    )
