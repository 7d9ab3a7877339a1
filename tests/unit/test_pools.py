"""The checked pools' outage rule, against an address where no server listens: the first
wait for a connection lasts the whole timeout, the next ones only OUTAGE_WAIT, until a
connection is handed out again."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from psycopg_pool import PoolTimeout

from services.dev.processes import free_port
from shared.pools import OUTAGE_WAIT, CheckedAsyncPool, CheckedPool


def nowhere() -> str:
    return f"host=127.0.0.1 port={free_port()} dbname=none user=nobody connect_timeout=1"


def timed_out_after(wait: Any) -> float:
    started = time.monotonic()
    with pytest.raises(PoolTimeout):
        wait()
    return time.monotonic() - started


async def test_an_async_pool_waits_the_whole_timeout_once_then_briefly() -> None:
    pool: CheckedAsyncPool[psycopg.AsyncConnection[Any]] = CheckedAsyncPool(
        nowhere(), min_size=1, max_size=1, timeout=0.6, open=False
    )
    await pool.open(wait=False)
    try:
        started = time.monotonic()
        with pytest.raises(PoolTimeout):
            await pool.getconn()
        assert time.monotonic() - started >= 0.55
        started = time.monotonic()
        with pytest.raises(PoolTimeout):
            await pool.getconn()
        assert time.monotonic() - started < OUTAGE_WAIT + 0.2
    finally:
        await pool.close()


def test_the_event_store_pool_waits_the_whole_timeout_once_then_briefly() -> None:
    pool: CheckedPool[psycopg.Connection[Any]] = CheckedPool(
        nowhere(), min_size=1, max_size=1, timeout=0.6, open=False
    )
    pool.open(wait=False)
    try:
        assert timed_out_after(pool.getconn) >= 0.55
        assert timed_out_after(pool.getconn) < OUTAGE_WAIT + 0.2
    finally:
        pool.close()
