"""HEAD on every path a GET takes: the request goes on as a GET and its body is dropped.

FastAPI's routes answer only the methods they declare, so a GET route alone answers
HEAD with 405. Going on as a GET here, outside every other layer, gives HEAD exactly
what a GET gets on every path a read can take (the read gate, the answer cache, the
plain routes, compression), headers included, without declaring a second operation on
every route of the OpenAPI documents. The server sees the request's own method and
sends no body either.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
