"""Every answer of the query API says how far the read model it asked has got."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.query.freshness.watcher import PositionWatcher

NAME = b"x-projection-position"


def position_header(scope: Scope) -> dict[str, str]:
    """X-Projection-Position, for an answer given outside PositionHeader (a refused body)."""
    watcher: PositionWatcher | None = getattr(scope["app"].state, "watcher", None)
    return {} if watcher is None else {"X-Projection-Position": str(watcher.position)}


class PositionHeader:
    """Adds X-Projection-Position to every answer that lacks it (problems included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_position(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                if not any(name.lower() == NAME for name, _ in headers):
                    watcher: PositionWatcher | None = getattr(scope["app"].state, "watcher", None)
                    if watcher is not None:
                        headers.append((NAME, str(watcher.position).encode()))
            await send(message)

        await self.app(scope, receive, send_with_position)
