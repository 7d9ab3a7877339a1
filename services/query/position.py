"""How far the read model has got, known without a query per request.

One LISTEN connection per process follows the projector's notifications, so a
request with X-Min-Position waits on an in-memory condition instead of polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from psycopg import sql
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.projector.store import POSITION_CHANNEL, TRACKING_NAME

logger = logging.getLogger(__name__)


class PositionWatcher:
    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._changed = asyncio.Condition()
        self.position = 0

    async def run(self) -> None:
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, OSError) as e:
                logger.warning("position watcher reconnecting", extra={"error": repr(e)})
            await asyncio.sleep(0.5)

    async def wait_for(self, position: int, timeout: float) -> bool:
        """True once the read model holds `position`; False if `timeout` passed first."""
        if self.position >= position:
            return True
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self.position >= position), timeout
                )
        return self.position >= position

    async def _follow(self) -> None:
        async with await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as conn:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(POSITION_CHANNEL)))
            cur = await conn.execute(
                "SELECT position FROM projection_tracking WHERE name = %s", (TRACKING_NAME,)
            )
            row = await cur.fetchone()
            await self._advance(int(str(row[0])) if row else 0)
            async for notify in conn.notifies():
                await self._advance(int(notify.payload))

    async def _advance(self, position: int) -> None:
        if position > self.position:
            async with self._changed:
                self.position = position
                self._changed.notify_all()


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
