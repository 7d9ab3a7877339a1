"""Connection pools that hand out only connections that work.

After PostgreSQL restarts, every pooled connection is stale. psycopg_pool can check a
connection before handing it out (`check=`), but after a second failed check in one
request it waits before trying the next (1 s, then doubling, up to the request's
timeout): with 16 stale connections and a 1 s timeout, the first five requests after
a restart each waited 1 s and failed. These pools check each connection as they hand
it out (`quiet`, and a round trip when that says no) and, when it fails, go straight
on to the next (a connection to a restarted server fails its check at once), so stale
connections cost milliseconds and fail no request. The timeout still bounds the whole
wait, so that during an outage a request is refused within it, and sooner while the
outage lasts (Outage). A replacement for each discarded connection is opened in the
background, as psycopg_pool does for any broken connection.
"""

from __future__ import annotations

import select
import time
from typing import Any, TypeVar

import psycopg
from eventsourcing.postgres import ConnectionPool as LibraryPool
from psycopg_pool import AsyncConnectionPool, PoolTimeout

ACT = TypeVar("ACT", bound=psycopg.AsyncConnection[Any])
CT = TypeVar("CT", bound=psycopg.Connection[Any])
AsyncPool = AsyncConnectionPool[psycopg.AsyncConnection[tuple[Any, ...]]]
CONNECT_TIMEOUT = 5
"""libpq's bound on opening one connection (whole seconds), for a server that does not
answer at all; requests wait no longer than their own timeout meanwhile."""


OUTAGE_WAIT = 0.1


class Outage:
    """Whether the pool last failed to give a connection in time. Until it gives one
    again, a wait for one lasts at most OUTAGE_WAIT: requests would otherwise wait the
    whole timeout one after another (a command queued behind another for the same
    object waited both, over 2 s), though only the database's return can end the wait.
    The pool reconnects in the background meanwhile, unbounded by it."""

    def __init__(self) -> None:
        self.down = False

    def bound(self, timeout: float) -> float:
        return min(timeout, OUTAGE_WAIT) if self.down else timeout


class CheckedAsyncPool(AsyncConnectionPool[ACT]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outage = Outage()

    async def getconn(self, timeout: float | None = None) -> ACT:
        bound = self.outage.bound(self.timeout if timeout is None else timeout)
        deadline = time.monotonic() + bound
        try:
            while True:
                conn = await super().getconn(_left(deadline, bound))
                try:
                    if not quiet(conn):
                        await self.check_connection(conn)
                except psycopg.Error:
                    await self.putconn(conn)
                    continue
                self.outage.down = False
                return conn
        except PoolTimeout:
            self.outage.down = True
            raise


class CheckedPool(LibraryPool[CT]):
    """The eventsourcing library's pool (which may ask for a password on each connect),
    checked the same way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outage = Outage()

    def getconn(self, timeout: float | None = None) -> CT:
        bound = self.outage.bound(self.timeout if timeout is None else timeout)
        deadline = time.monotonic() + bound
        try:
            while True:
                conn = super().getconn(_left(deadline, bound))
                try:
                    if not quiet(conn):
                        self.check_connection(conn)
                except psycopg.Error:
                    self.putconn(conn)
                    continue
                self.outage.down = False
                return conn
        except PoolTimeout:
            self.outage.down = True
            raise


def quiet(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> bool:
    """Whether nothing has arrived on an idle connection. A server that ends a session
    (a restart, a crash, pg_terminate_backend) sends its error and closes the socket,
    so it is readable; on a pooled connection nothing else arrives unasked (it does not
    LISTEN). A poll costs next to nothing; psycopg_pool's `check_connection` (what is run
    when this says no) costs a round trip, and an empty statement in the server's log."""
    if conn.closed or conn.broken:
        return False
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    return not poller.poll(0)


def _left(deadline: float, bound: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise PoolTimeout(f"no working database connection within {bound:g} s")
    return left
