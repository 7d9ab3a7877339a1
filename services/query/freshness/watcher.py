"""How far the read model has got, known without a query per request.

One LISTEN connection per process follows the projector's notices, so a request
with X-Min-Position waits on an in-memory condition instead of polling. Whoever keeps
reads (the answer cache) listens to the watcher and hears each notice before the new
position is announced, so it has dropped what the notice changed before any read
waiting for that position is let through. While that connection is lost (PostgreSQL
is down or restarting), no position can be learnt: a read that asks for one not yet
reached is answered at once (503, Retry-After) rather than after the whole wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Protocol

import psycopg
from psycopg import sql

from services.query.metrics import READS_WAITING
from shared.pools import CONNECT_TIMEOUT
from shared.projection_notice import CHANNEL, ProjectionNotice
from shared.tracking import TRACKING_NAME

logger = logging.getLogger(__name__)
APPLICATION_NAME = "taskstream query position watcher"


class NoticeListener(Protocol):
    def apply(self, notice: ProjectionNotice) -> None:
        """A notice arrived; its position is announced once this returns."""

    def listening(self, live: bool) -> None:
        """The notices are followed (True) or could be missed from now on (False)."""


class PositionWatcher:
    def __init__(
        self,
        conninfo: str,
        listeners: Sequence[NoticeListener] = (),
        *,
        connect_timeout: float = 1.0,
    ) -> None:
        self._conninfo = conninfo
        self._listeners = listeners
        self._connect_timeout = connect_timeout
        self._waiters: dict[asyncio.Future[None], int] = {}
        self.position = 0
        self.following = asyncio.Event()
        """Set while the notices are followed."""

    async def run(self) -> None:
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, OSError, TimeoutError) as e:
                logger.warning("position watcher reconnecting", extra={"error": repr(e)})
            finally:
                for listener in self._listeners:
                    listener.listening(False)
                self._lost()
            await asyncio.sleep(0.5)

    async def listening(self, within: float) -> bool:
        """Whether the notices are followed, waiting up to `within` for it."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self.following.wait()
        return self.following.is_set()

    async def wait_for(self, position: int, timeout: float) -> bool:
        """True once the read model holds `position`; False if `timeout` passed first,
        or at once while the notices are not followed."""
        if self.position >= position:
            return True
        if not self.following.is_set():
            return False
        waiter = asyncio.get_running_loop().create_future()
        self._waiters[waiter] = position
        READS_WAITING.inc()
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await waiter
        finally:
            del self._waiters[waiter]
            READS_WAITING.dec()
        return self.position >= position

    @property
    def waiting(self) -> int:
        """Reads of this process waiting for a position the read model has not reached."""
        return len(self._waiters)

    async def _follow(self) -> None:
        async with asyncio.timeout(self._connect_timeout):
            conn = await psycopg.AsyncConnection.connect(
                self._conninfo,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT,
                application_name=APPLICATION_NAME,
            )
        async with conn:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
            for listener in self._listeners:
                listener.listening(True)
            cur = await conn.execute(
                "SELECT position FROM projection_tracking WHERE name = %s", (TRACKING_NAME,)
            )
            row = await cur.fetchone()
            self._advance(int(str(row[0])) if row else 0)
            self.following.set()
            async for notify in conn.notifies():
                try:
                    notice = ProjectionNotice.parse(notify.payload)
                except ValueError:
                    logger.warning(
                        "unreadable projection notice", extra={"payload": notify.payload}
                    )
                    notice = ProjectionNotice(self.position)
                for listener in self._listeners:
                    listener.apply(notice)
                self._advance(notice.position)

    def _lost(self) -> None:
        """Every waiting read gives up: no notice can reach them now."""
        self.following.clear()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _advance(self, position: int) -> None:
        """Wakes every read the position satisfies, all at once: an asyncio.Condition
        hands its lock from one woken read to the next, a loop iteration each."""
        if position <= self.position:
            return
        self.position = position
        for waiter, wanted in self._waiters.items():
            if wanted <= position and not waiter.done():
                waiter.set_result(None)
