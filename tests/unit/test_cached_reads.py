"""CachedReads' shared computations, without servers: a read that waits for another's
computation of the same key is served only what the cache kept, so it never gets an
answer older than the position it asked for."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from uuid import uuid4

from starlette.types import Message, Receive, Scope, Send

from services.query.cache import ResponseCache
from services.query.cached_reads import CachedReads
from services.query.position import PositionWatcher
from shared.auth import TokenCache, issue_token
from shared.projection_notice import ProjectionNotice
from tests.conftest import JWT_SECRET

TENANT = uuid4()


async def test_a_read_is_not_served_a_computation_begun_before_its_position() -> None:
    cache = ResponseCache(1 << 20)
    cache.listening(True)
    watcher = PositionWatcher("never connected", cache)
    watcher.position = 20
    state = SimpleNamespace(
        cache=cache, watcher=watcher, tokens=TokenCache(JWT_SECRET), min_position_wait=1.0
    )
    token = issue_token(JWT_SECRET, TENANT, 600).encode()
    started, release = asyncio.Event(), asyncio.Event()
    computed: list[bytes] = []

    async def routes(scope: Scope, receive: Receive, send: Send) -> None:
        body = b"as of 20" if not computed else b"as of 21"
        computed.append(body)
        if len(computed) == 1:
            started.set()
            await release.wait()
        etag = b'"%d"' % len(computed)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"etag", etag)]})
        await send({"type": "http.response.body", "body": body})

    reads = CachedReads(routes)

    async def get(*headers: tuple[bytes, bytes]) -> bytes:
        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        scope = {
            "type": "http",
            "method": "GET",
            "path": "/api/v1/tags",
            "query_string": b"",
            "headers": [(b"x-tenant-token", token), *headers],
            "app": SimpleNamespace(state=state),
        }
        await reads(scope, receive, send)
        return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")

    first = asyncio.create_task(get())
    await started.wait()
    cache.apply(ProjectionNotice.of(21, [str(TENANT)], []))
    watcher.position = 21
    second = asyncio.create_task(get((b"x-min-position", b"21")))
    for _ in range(10):
        await asyncio.sleep(0)
    assert len(computed) == 1, "the second read waits for the computation in flight"
    release.set()

    assert await first == b"as of 20"
    assert await second == b"as of 21"
    assert cache.shared == 0
