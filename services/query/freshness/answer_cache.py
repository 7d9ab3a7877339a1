"""Repeated reads served from memory before the framework sees them (FastPath.ANSWER_CACHE).

It stands in for the routes answering every read from PostgreSQL, which is what runs
with it switched off. A read the gate let through (gate.py: authenticated, at a
position the read model has reached) whose answer is kept (answers.py) is answered
here with no database round trip and none of the framework's routing. Anything else
(a refused read, a miss) goes on to the routes, and a 200 with an ETag they give is
kept for the next caller of the same tenant and URL. A caller that accepts gzip is
served the kept answer's compressed bytes, compressed once (answers.py).

Reads that miss the same key together share one computation, because a notice wakes
many reads at once: the later ones wait for the first and are served its answer.
Each would otherwise run the same statement and queue for the pooled connections. A
later read is served that answer only if it was read at a position at least the one
the read model had when the later read looked (so at least its X-Min-Position), kept
or not: a notice arriving meanwhile makes the store refuse it, not these reads.
Otherwise (an older answer, or no 200) they share the next computation. Serving only
what the store kept would make every waiting read compute its own whenever a notice
came during the computation, and reads of a busy list would run one after another.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from uuid import UUID

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.query.etags import etag_matches
from services.query.freshness.answers import Answer, Key, ResponseCache
from services.query.freshness.gate import ADMITTED
from services.query.freshness.position_header import NAME as POSITION
from services.query.freshness.watcher import PositionWatcher
from services.query.metrics import CACHE_SHARED
from shared.compression import accepts_gzip, compressible, gzipped
from shared.tokens import Caller

_PROJECT_VIEW = re.compile(r"/api/v1/projects/([^/]+)\Z")


@dataclass(frozen=True)
class Computed:
    """A whole 200 the routes answered, and the read model's position it was read at."""

    answer: Answer
    position: int


class AnswerCache:
    def __init__(self, app: ASGIApp, *, cache: ResponseCache, watcher: PositionWatcher) -> None:
        self.app = app
        self._cache = cache
        self._watcher = watcher
        self._computing: dict[Key, asyncio.Future[Computed | None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        caller = scope.get(ADMITTED)
        if not isinstance(caller, Caller) or scope["method"] != "GET" or not self._cache.live:
            await self.app(scope, receive, send)
            return
        cache, watcher = self._cache, self._watcher
        key = (str(caller.tenant_id), scope["path"], scope["query_string"])
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
                CACHE_SHARED.inc()
        if answer is not None:
            await self._send(key, answer, scope, position, send)
            return
        await self._compute(key, scope, receive, send)

    async def _send(
        self, key: Key, answer: Answer, scope: Scope, position: int, send: Send
    ) -> None:
        """The kept answer: a 304 if the caller holds it, gzipped if the caller accepts
        it and compression would apply (GZipMiddleware passes an encoded answer on)."""
        headers = [*answer.headers, (POSITION, str(position).encode())]
        if_none_match = _header(scope, b"if-none-match")
        if if_none_match is not None and etag_matches(if_none_match.decode("latin-1"), answer.etag):
            kept = [(n, v) for n, v in headers if n not in (b"content-length", b"content-type")]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        body = answer.body
        if accepts_gzip(_header(scope, b"accept-encoding")) and compressible(body):
            body = self._cache.gzip(key, answer)
            headers = _gzip_form(headers, body)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _compute(self, key: Key, scope: Scope, receive: Receive, send: Send) -> None:
        """Runs the routes, keeping their answer; reads of the same key that miss
        meanwhile wait for it."""
        done: asyncio.Future[Computed | None] | None = None
        if key not in self._computing:
            done = self._computing[key] = asyncio.get_running_loop().create_future()
        gzip = accepts_gzip(_header(scope, b"accept-encoding"))
        keeper = _Keeper(self._cache, key, scope["path"], send, gzip)
        plain = [(n, v) for n, v in scope["headers"] if n != b"accept-encoding"]
        try:
            await self.app({**scope, "headers": plain}, receive, keeper)
        finally:
            if done is not None:
                del self._computing[key]
                done.set_result(keeper.computed)


def _gzip_form(headers: list[tuple[bytes, bytes]], body: bytes) -> list[tuple[bytes, bytes]]:
    """The headers of a plain answer for its gzipped `body`; its Vary already names
    Accept-Encoding (shared/cache_headers.py, inside, says so of every answer)."""
    kept = [(n, v) for n, v in headers if n != b"content-length"]
    return [*kept, (b"content-encoding", b"gzip"), (b"content-length", str(len(body)).encode())]


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return bytes(value)
    return None


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
    and no notice arrived while it was computed. Kept or not, such an answer is
    `computed`, for the reads that waited for it. The routes answer plain (the request
    goes in without Accept-Encoding); for a caller that accepts gzip, a compressible
    answer is compressed here, once, and kept compressed beside its plain body."""

    def __init__(self, cache: ResponseCache, key: Key, path: str, send: Send, gzip: bool) -> None:
        self._cache = cache
        self._key = key
        self._generation = cache.generation
        self._send = send
        self._gzip = gzip
        self._held: Message | None = None
        self._headers: list[tuple[bytes, bytes]] | None = None
        self._etag = ""
        self._chunks: list[bytes] = []
        self._project = _project_of(path)
        self._position: int | None = None
        self.computed: Computed | None = None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 200:
            self._headers = []
            for name, value in message["headers"]:
                if name.lower() == POSITION:
                    self._position = int(value)
                else:
                    self._headers.append((name, value))
            self._etag = next((v.decode() for n, v in self._headers if n.lower() == b"etag"), "")
            if self._gzip:
                self._held = message
                return
        if message["type"] != "http.response.body" or self._headers is None:
            await self._send(message)
            return
        self._chunks.append(message.get("body", b""))
        if message.get("more_body", False) or not self._etag:
            await self._flush(message)
            return
        answer = Answer(
            self._headers, b"".join(self._chunks), self._etag, self._key[0], self._project
        )
        held = self._held
        if held is not None and len(self._chunks) == 1 and compressible(answer.body):
            self._held = None
            answer.gzipped = gzipped(answer.body)
            held["headers"] = _gzip_form(held["headers"], answer.gzipped)
            await self._send(held)
            await self._send({**message, "body": answer.gzipped})
        else:
            await self._flush(message)
        self._cache.keep(self._key, answer, self._generation)
        if self._position is not None:
            self.computed = Computed(answer, self._position)

    async def _flush(self, message: Message) -> None:
        """`message`, after the start held back for compression, if any."""
        if self._held is not None:
            held, self._held = self._held, None
            await self._send(held)
        await self._send(message)
