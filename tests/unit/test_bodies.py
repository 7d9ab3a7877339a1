"""BodyLimits without servers: what the app behind it receives, and what it answers for
itself (tests/e2e/test_request_edges.py sends the same through uvicorn)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from shared.bodies import BodyLimits

LIMIT = 100


class Client:
    """Feeds `messages` to the middleware as uvicorn would, one per receive(); after the
    last, receive() waits (a client that sends nothing more) unless `then` is given."""

    def __init__(self, messages: Iterable[Message], then: Message | None = None) -> None:
        self.messages = list(messages)
        self.then = then
        self.received = 0
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        self.received += 1
        if self.messages:
            return self.messages.pop(0)
        if self.then is not None:
            return self.then
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int | None:
        return next((m["status"] for m in self.sent if m["type"] == "http.response.start"), None)

    def header(self, name: bytes) -> bytes | None:
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        return next((v for n, v in start["headers"] if n == name), None)

    @property
    def problem(self) -> dict[str, Any]:
        body = b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")
        problem: dict[str, Any] = json.loads(body)
        return problem


class App:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.receive: Receive | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.receive = receive
        message = await receive()
        self.bodies.append(message.get("body", b""))
        assert message.get("more_body", False) is False
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def scope(*headers: tuple[bytes, bytes]) -> Scope:
    return {"type": "http", "method": "POST", "path": "/api/v1/projects", "headers": list(headers)}


def chunk(body: bytes, more: bool = True) -> Message:
    return {"type": "http.request", "body": body, "more_body": more}


def run(client: Client, request: Scope, timeout: float = 5.0) -> App:
    app = App()
    asyncio.run(BodyLimits(app, LIMIT, timeout)(request, client.receive, client.send))
    return app


def test_a_request_without_a_body_reaches_the_app_untouched() -> None:
    client = Client([chunk(b"", more=False)])
    app = run(client, scope())
    assert app.receive == client.receive
    assert client.status == 200


def test_a_body_in_pieces_reaches_the_app_as_one_message() -> None:
    client = Client([chunk(b'{"na'), chunk(b'me": '), chunk(b'"a"}', more=False)])
    app = run(client, scope((b"transfer-encoding", b"chunked")))
    assert app.bodies == [b'{"name": "a"}']
    assert client.status == 200


def test_a_body_at_the_limit_is_taken() -> None:
    client = Client([chunk(b"x" * LIMIT, more=False)])
    assert run(client, scope((b"content-length", b"%d" % LIMIT))).bodies == [b"x" * LIMIT]


def test_a_length_over_the_limit_is_413_and_what_was_sent_is_read_first() -> None:
    client = Client([chunk(b"x" * LIMIT), chunk(b"x", more=False)])
    app = run(client, scope((b"content-length", b"%d" % (LIMIT + 1))))
    assert (client.status, app.bodies, client.messages) == (413, [], [])
    assert client.header(b"connection") == b"close"
    assert client.problem["status"] == 413


def test_a_client_waiting_for_100_continue_is_refused_before_sending() -> None:
    request = scope((b"content-length", b"%d" % (LIMIT + 1)), (b"expect", b"100-continue"))
    client = Client([])
    run(client, request)
    assert (client.status, client.received) == (413, 0)


def test_a_chunked_body_over_the_limit_is_413_once_counted() -> None:
    client = Client([chunk(b"x" * 60), chunk(b"x" * 60), chunk(b"x", more=False)])
    app = run(client, scope((b"transfer-encoding", b"chunked")))
    assert (client.status, app.bodies) == (413, [])


@pytest.mark.parametrize("length", [b"abc", b"\xb2", b"-1", b"1 2"])
def test_a_length_that_is_not_a_number_is_400(length: bytes) -> None:
    client = Client([])
    app = run(client, scope((b"content-length", length)))
    assert (client.status, app.bodies) == (400, [])


def test_a_body_that_stops_arriving_is_408_and_the_connection_closed() -> None:
    client = Client([chunk(b'{"name": ')])
    app = run(client, scope((b"content-length", b"50")), timeout=0.05)
    assert (client.status, app.bodies) == (408, [])
    assert client.header(b"connection") == b"close"


def test_a_client_gone_mid_body_is_logged_at_debug_level_and_not_answered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Client([chunk(b'{"name": ')], then={"type": "http.disconnect"})
    with caplog.at_level(logging.DEBUG, logger="shared.bodies"):
        app = run(client, scope((b"content-length", b"50")))
    assert (client.sent, app.bodies) == ([], [])
    assert [(r.levelno, r.message) for r in caplog.records] == [
        (logging.DEBUG, "client went away mid-body")
    ]


def test_after_the_body_the_app_hears_the_client_go() -> None:
    seen: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.extend([await receive(), await receive()])

    client = Client([chunk(b"{}", more=False)], then={"type": "http.disconnect"})
    asyncio.run(
        BodyLimits(app, LIMIT, 5.0)(scope((b"content-length", b"2")), client.receive, client.send)
    )
    assert [m["type"] for m in seen] == ["http.request", "http.disconnect"]
