"""The answer cache's shared computations, without servers: a read that waits for another's
computation of the same key is served its answer only if it was read at a position at
least the one the read model had when the waiting read looked, so a read never gets an
answer older than the position it asked for; reads that need a newer one share the
next computation."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from uuid import uuid4

import pytest
from starlette.types import Message, Receive, Scope, Send

from services.query.freshness.answer_cache import AnswerCache
from services.query.freshness.answers import ResponseCache
from services.query.freshness.gate import ReadGate
from services.query.freshness.watcher import PositionWatcher
from shared.auth import TokenCache
from shared.projection_notice import ProjectionNotice
from shared.tokens import TokenRules, issue_token
from tests.conftest import JWT_SECRET

TENANT = uuid4()
TOKEN = issue_token(JWT_SECRET, TENANT, 600).encode()
KEY = (str(TENANT), "/api/v1/tags", b"")


class Service:
    """The gate and the answer cache before routes that answer the position they read at; the first
    computation waits for `release`, the others yield to the loop once if `yielding`
    (as a statement does) or run through at once."""

    def __init__(self, *, yielding: bool = True) -> None:
        self.yielding = yielding
        self.cache = ResponseCache(1 << 20)
        self.cache.listening(True)
        self.watcher = PositionWatcher("never connected", [self.cache])
        self.watcher.position = 20
        self.watcher.following.set()
        self.state = SimpleNamespace(watcher=self.watcher)
        self.started, self.release = asyncio.Event(), asyncio.Event()
        self.computed: list[int] = []
        self.reads = ReadGate(
            AnswerCache(self.routes, cache=self.cache, watcher=self.watcher),
            tokens=TokenCache(TokenRules(JWT_SECRET)),
            watcher=self.watcher,
            bound=1.0,
        )

    async def routes(self, scope: Scope, receive: Receive, send: Send) -> None:
        position = self.watcher.position
        self.computed.append(position)
        if len(self.computed) == 1:
            self.started.set()
            await self.release.wait()
        elif self.yielding:
            await asyncio.sleep(0)
        headers = [(b"etag", b'"%d"' % position), (b"x-projection-position", b"%d" % position)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"as of %d" % position})

    async def get(self, *headers: tuple[bytes, bytes]) -> bytes:
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
            "headers": [(b"x-tenant-token", TOKEN), *headers],
            "app": SimpleNamespace(state=self.state),
        }
        await self.reads(scope, receive, send)
        return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")

    def notice(self, position: int) -> None:
        self.cache.apply(ProjectionNotice.of(position, [str(TENANT)], []))
        self.watcher.position = position

    async def settle(self) -> None:
        for _ in range(10):
            await asyncio.sleep(0)


async def test_a_read_is_not_served_a_computation_begun_before_its_position() -> None:
    service = Service()
    first = asyncio.create_task(service.get())
    await service.started.wait()
    service.notice(21)
    second = asyncio.create_task(service.get((b"x-min-position", b"21")))
    await service.settle()
    assert service.computed == [20], "the second read waits for the computation in flight"
    service.release.set()

    assert await first == b"as of 20"
    assert await second == b"as of 21"
    assert service.cache.shared == 0


async def test_a_waiting_read_is_served_the_computation_a_notice_kept_out_of_the_cache() -> None:
    service = Service()
    first = asyncio.create_task(service.get())
    await service.started.wait()
    second = asyncio.create_task(service.get((b"x-min-position", b"19")))
    await service.settle()
    service.notice(21)
    service.release.set()

    assert await first == await second == b"as of 20"
    assert service.computed == [20]
    assert service.cache.shared == 1
    assert service.cache.get(KEY) is None, "computed before notice 21: not kept"


@pytest.mark.parametrize("yielding", [True, False])
async def test_reads_that_need_a_newer_answer_share_the_next_computation(yielding: bool) -> None:
    """Whether they find it in flight or already kept."""
    service = Service(yielding=yielding)
    first = asyncio.create_task(service.get())
    await service.started.wait()
    service.notice(21)
    later = [asyncio.create_task(service.get((b"x-min-position", b"21"))) for _ in range(3)]
    await service.settle()
    service.release.set()

    assert await first == b"as of 20"
    assert [await read for read in later] == [b"as of 21"] * 3
    assert service.computed == [20, 21]
    assert service.cache.shared == 2
