"""Serving repeated reads from the ResponseCache before the framework sees them.

Only a plain hit is answered here: an authenticated GET of the read API whose answer
is kept, asked at a position the read model has reached. Anything else (no or bad
token, a bad header, a position still to come, a miss) goes to the routes as before,
which answer it and its errors; a 200 they give is then kept for the next caller of
the same tenant and URL.
"""

from __future__ import annotations

import re
from uuid import UUID

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.query.cache import Answer, Key, ResponseCache
from services.query.deps import etag_matches
from services.query.position import PositionWatcher
from shared.auth import TokenCache, token_from_headers
from shared.problems import Problem

PREFIX = "/api/v1/"
_PROJECT_VIEW = re.compile(r"/api/v1/projects/([^/]+)\Z")
_POSITION = b"x-projection-position"


class CachedReads:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith(PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        cache: ResponseCache = state.cache
        watcher: PositionWatcher = state.watcher
        headers = Headers(scope=scope)
        key = self._key(state.tokens, headers, scope)
        if key is None or not cache.live or not _reached(headers, watcher.position):
            await self.app(scope, receive, send)
            return
        answer = cache.get(key)
        if answer is not None:
            await _send(answer, headers.get("if-none-match"), watcher.position, send)
            return
        await self.app(scope, receive, _Keeper(cache, key, scope["path"], send))

    @staticmethod
    def _key(tokens: TokenCache, headers: Headers, scope: Scope) -> Key | None:
        try:
            caller = tokens.caller(token_from_headers(headers))
        except Problem:
            return None
        return (str(caller.tenant_id), scope["path"], scope["query_string"])


def _reached(headers: Headers, position: int) -> bool:
    wanted = headers.get("x-min-position")
    if wanted is None:
        return True
    wanted = wanted.strip()
    return wanted.isdigit() and len(wanted) <= 18 and int(wanted) <= position


async def _send(answer: Answer, if_none_match: str | None, position: int, send: Send) -> None:
    headers = [*answer.headers, (_POSITION, str(position).encode())]
    if if_none_match is not None and etag_matches(if_none_match, answer.etag):
        kept = [(n, v) for n, v in headers if n not in (b"content-length", b"content-type")]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


def _project_of(path: str) -> str | None:
    """The project of a nested view, spelled as notices spell it. Any other spelling
    the route accepts is kept as a tenant-wide read, which any change drops."""
    view = _PROJECT_VIEW.match(path)
    if view is None:
        return None
    try:
        return str(UUID(view.group(1)))
    except ValueError:
        return None


class _Keeper:
    """Passes the routes' answer on, and keeps it if it is a whole 200 with an ETag
    and no notice arrived while it was computed."""

    def __init__(self, cache: ResponseCache, key: Key, path: str, send: Send) -> None:
        self._cache = cache
        self._key = key
        self._generation = cache.generation
        self._send = send
        self._headers: list[tuple[bytes, bytes]] | None = None
        self._etag = ""
        self._chunks: list[bytes] = []
        self._project = _project_of(path)

    async def __call__(self, message: Message) -> None:
        await self._send(message)
        if message["type"] == "http.response.start":
            if message["status"] == 200:
                self._headers = [(n, v) for n, v in message["headers"] if n.lower() != _POSITION]
                self._etag = next(
                    (v.decode() for n, v in self._headers if n.lower() == b"etag"), ""
                )
        elif message["type"] == "http.response.body" and self._headers is not None:
            self._chunks.append(message.get("body", b""))
            if not message.get("more_body", False) and self._etag:
                answer = Answer(
                    self._headers, b"".join(self._chunks), self._etag, self._key[0], self._project
                )
                self._cache.keep(self._key, answer, self._generation)
