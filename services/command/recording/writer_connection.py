"""The group-commit writer's own connection: kept between batches, opened within the
service's database timeout, and bounded inside a transaction.

A writer stalled inside its transaction (a frozen process, a blocked loop) would hold
the events table's lock and stop every command process; PostgreSQL ends its session
after IDLE_IN_TRANSACTION_TIMEOUT instead. Other writers give up waiting for that lock
after as long (the library's lock timeout).
"""

from __future__ import annotations

import asyncio

import psycopg

from shared.pools import CONNECT_TIMEOUT

IDLE_IN_TRANSACTION_TIMEOUT = 5.0
Conn = psycopg.AsyncConnection[tuple[object, ...]]


class WriterConnection:
    def __init__(self, conninfo: str, idle_timeout: float, connect_timeout: float) -> None:
        self._conninfo = conninfo
        self._idle_timeout_ms = int(idle_timeout * 1000)
        self._connect_timeout = connect_timeout
        self._conn: Conn | None = None

    @property
    def kept(self) -> bool:
        """Whether a connection from an earlier batch is open (it may have broken idle)."""
        return self._conn is not None and not self._conn.closed

    @property
    def broken(self) -> bool:
        """Whether the server ended the session, as seen by the last message on it."""
        return self._conn is not None and self._conn.broken

    async def get(self) -> Conn:
        """Opened within the service's database timeout, or an OperationalError: a
        command is refused (503) in that time while the database is unreachable."""
        if self._conn is None or self._conn.closed:
            try:
                async with asyncio.timeout(self._connect_timeout):
                    self._conn = await psycopg.AsyncConnection.connect(
                        self._conninfo,
                        autocommit=True,
                        connect_timeout=CONNECT_TIMEOUT,
                        application_name="taskstream command writer",
                        options=f"-c idle_in_transaction_session_timeout={self._idle_timeout_ms}",
                    )
            except TimeoutError as e:
                raise psycopg.OperationalError(
                    f"no connection to the database within {self._connect_timeout:g} s"
                ) from e
        return self._conn

    async def drop(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
