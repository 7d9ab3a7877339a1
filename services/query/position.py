"""How far the read model has got, known without a query per request.

One LISTEN connection per process follows the projector's notices, so a request
with X-Min-Position waits on an in-memory condition instead of polling, and the
process's ResponseCache drops what each notice may have changed before the new
position is announced. While that connection is lost (PostgreSQL is down or
restarting), no position can be learnt: a read that asks for one not yet reached is
answered at once (503, Retry-After) rather than after the whole wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from psycopg import sql
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.query.cache import ResponseCache
from shared.pools import CONNECT_TIMEOUT
from shared.projection_notice import CHANNEL, ProjectionNotice
from shared.tracking import TRACKING_NAME

logger = logging.getLogger(__name__)
APPLICATION_NAME = "taskstream query position watcher"
_DEADLINE = "taskstream.min_position_deadline"


def wait_left(scope: Scope, bound: float) -> float:
    """How long this read may still wait for its X-Min-Position. The bound runs from
    the first time it waits, whichever layer waits (CachedReads, then the routes on a
    miss), so a read waits it once in all and not once per layer."""
    now = asyncio.get_running_loop().time()
    deadline: float = scope.setdefault(_DEADLINE, now + bound)
    return max(deadline - now, 0.0)


class PositionWatcher:
    def __init__(
        self, conninfo: str, cache: ResponseCache, *, connect_timeout: float = 1.0
    ) -> None:
        self._conninfo = conninfo
        self._cache = cache
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
                self._cache.listening(False)
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
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await waiter
        finally:
            del self._waiters[waiter]
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
            self._cache.listening(True)
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
                self._cache.apply(notice)
                self._advance(notice.position)

    def _lost(self) -> None:
        """Every waiting read gives up: no notice can reach them now."""
        self.following.clear()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _advance(self, position: int) -> None:
        """Wakes every read the position satisfies, all at once. (An asyncio.Condition
        handed its lock from one woken read to the next, a loop iteration each: after a
        busy notice the last of a dozen reads was woken about 40 ms after the first.)"""
        if position <= self.position:
            return
        self.position = position
        for waiter, wanted in self._waiters.items():
            if wanted <= position and not waiter.done():
                waiter.set_result(None)


def position_header(scope: Scope) -> dict[str, str]:
    """X-Projection-Position, for an answer given outside PositionHeader (a refused body)."""
    watcher: PositionWatcher | None = getattr(scope["app"].state, "watcher", None)
    return {} if watcher is None else {"X-Projection-Position": str(watcher.position)}


class PositionHeader:
    """Adds X-Projection-Position to every answer that lacks it (problems included), so a
    client always learns how far the read model it asked has got."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_position(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                if not any(name.lower() == b"x-projection-position" for name, _ in headers):
                    watcher: PositionWatcher | None = getattr(scope["app"].state, "watcher", None)
                    if watcher is not None:
                        headers.append((b"x-projection-position", str(watcher.position).encode()))
            await send(message)

        await self.app(scope, receive, send_with_position)
