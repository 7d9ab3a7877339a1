"""Serving repeated reads from the ResponseCache before the framework sees them.

Only a plain hit is answered here: an authenticated GET of the read API whose answer
is kept, asked at a position the read model has reached. Anything else (no or bad
token, a bad header, a miss) goes to the routes as before, which answer it and its
errors; a 200 they give is then kept for the next caller of the same tenant and URL.

Two more things happen here, because a notice wakes many reads at once:
- A read that asks for a position still to come waits for it here, then looks in the
  cache, instead of waiting inside the routes and always going to PostgreSQL.
- Reads that miss the same key together share one computation: the later ones wait
  for the first and are served its answer. After each notice every waiting
  read-your-writes read of a busy list used to run the same statement, and at 1,000
  commands/s here they queued for the 16 pooled connections (up to about 100 ms).
  A later read is served that answer only if it was read at a position at least the
  one the read model had when the later read looked (so at least its X-Min-Position),
  kept or not: a notice arriving meanwhile makes the cache refuse it, not these
  reads. Otherwise (an older answer, or no 200) they share the next computation.
  Serving only what the cache kept made every waiting read compute its own whenever
  a notice came during the computation: reads of a busy list then ran one after
  another, and the last answered up to 100-140 ms after its notice.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from uuid import UUID

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.query.cache import Answer, Key, ResponseCache
from services.query.deps import etag_matches
from services.query.position import PositionWatcher, wait_left
from shared.auth import TokenCache, token_from_headers
from shared.headers import natural
from shared.problems import Problem

PREFIX = "/api/v1/"
_PROJECT_VIEW = re.compile(r"/api/v1/projects/([^/]+)\Z")
_POSITION = b"x-projection-position"


class CachedReads:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._computing: dict[Key, asyncio.Future[Computed | None]] = {}

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
        wanted = _wanted(headers)
        if key is None or wanted is _UNREADABLE:
            await self.app(scope, receive, send)
            return
        reached = wanted is None or await watcher.wait_for(
            wanted, wait_left(scope, state.min_position_wait)
        )
        if not reached or not cache.live:
            await self.app(scope, receive, send)
            return
        floor = watcher.position
        answer, position = cache.get(key), floor
        while answer is None and (computing := self._computing.get(key)) is not None:
            await asyncio.wait([computing])
            computed = computing.result()
            if computed is not None and computed.position >= floor:
                answer, position = computed.answer, computed.position
            else:
                answer, position = cache.kept(key), watcher.position
            if answer is not None:
                cache.shared += 1
        if answer is not None:
            await _send(answer, headers.get("if-none-match"), position, send)
            return
        await self._compute(key, scope, receive, send, cache)

    async def _compute(
        self, key: Key, scope: Scope, receive: Receive, send: Send, cache: ResponseCache
    ) -> None:
        """Runs the routes, keeping their answer; reads of the same key that miss
        meanwhile wait for it."""
        done: asyncio.Future[Computed | None] | None = None
        if key not in self._computing:
            done = self._computing[key] = asyncio.get_running_loop().create_future()
        keeper = _Keeper(cache, key, scope["path"], send)
        try:
            await self.app(scope, receive, keeper)
        finally:
            if done is not None:
                del self._computing[key]
                done.set_result(keeper.computed)

    @staticmethod
    def _key(tokens: TokenCache, headers: Headers, scope: Scope) -> Key | None:
        try:
            caller = tokens.caller(token_from_headers(headers))
        except Problem:
            return None
        return (str(caller.tenant_id), scope["path"], scope["query_string"])


_UNREADABLE = -1


def _wanted(headers: Headers) -> int | None:
    """X-Min-Position, if sent; _UNREADABLE for a value the routes will refuse."""
    wanted = headers.get("x-min-position")
    if wanted is None:
        return None
    position = natural(wanted)
    return _UNREADABLE if position is None else position


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


@dataclass(frozen=True)
class Computed:
    """A whole 200 the routes answered, and the read model's position it was read at."""

    answer: Answer
    position: int


class _Keeper:
    """Passes the routes' answer on, and keeps it if it is a whole 200 with an ETag
    and no notice arrived while it was computed. Kept or not, such an answer is
    `computed`, for the reads that waited for it."""

    def __init__(self, cache: ResponseCache, key: Key, path: str, send: Send) -> None:
        self._cache = cache
        self._key = key
        self._generation = cache.generation
        self._send = send
        self._headers: list[tuple[bytes, bytes]] | None = None
        self._etag = ""
        self._chunks: list[bytes] = []
        self._project = _project_of(path)
        self._position: int | None = None
        self.computed: Computed | None = None

    async def __call__(self, message: Message) -> None:
        await self._send(message)
        if message["type"] == "http.response.start":
            if message["status"] == 200:
                self._headers = []
                for name, value in message["headers"]:
                    if name.lower() == _POSITION:
                        self._position = int(value)
                    else:
                        self._headers.append((name, value))
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
                if self._position is not None:
                    self.computed = Computed(answer, self._position)
