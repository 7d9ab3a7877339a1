"""The head limits of shared/http_protocol.py on the installed uvicorn and httptools: a
request fed to the protocol as a socket would, the answer read off a stand-in transport."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from uvicorn.server import ServerState

from shared.http_protocol import HeadLimits, limited_protocol

MAX_URL, MAX_HEADERS = 256, 1024


class Transport:
    def __init__(self) -> None:
        self.written = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 8000) if name in ("sockname", "peername") else default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def connected(loop: asyncio.AbstractEventLoop) -> tuple[HeadLimits, Transport]:
    config = uvicorn.Config(app, log_config=None, lifespan="off")
    protocol = limited_protocol(MAX_URL, MAX_HEADERS)(
        config=config, server_state=ServerState(), app_state={}, _loop=loop
    )
    transport = Transport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    return protocol, transport


def answer(transport: Transport) -> tuple[bytes, dict[str, Any]]:
    head, _, body = transport.written.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in head
    assert transport.closed
    return head.split(b"\r\n")[0], json.loads(body)


@pytest.mark.parametrize(
    ("chunks", "status"),
    [
        ([b"GET /" + b"a" * MAX_URL + b" HTTP/1.1\r\n\r\n"], 414),
        ([b"GET /" + b"a" * 100, b"a" * 100, b"a" * 100], 414),
        ([b"GET / HTTP/1.1\r\nX-Big: " + b"a" * MAX_HEADERS + b"\r\n\r\n"], 431),
        ([b"GET / HTTP/1.1\r\n" + b"X-A: aaaaaaaaaa\r\n" * 80 + b"\r\n"], 431),
        ([b"GET / HTTP/1.1\r\nX-Big: "] + [b"a" * 512] * 4, 431),
        ([b"NOT HTTP AT ALL\r\n\r\n"], 400),
    ],
    ids=["url", "url-in-pieces", "header", "many-headers", "header-never-ending", "malformed"],
)
def test_a_head_over_a_limit_is_answered_as_a_problem_and_closed(
    loop: asyncio.AbstractEventLoop, chunks: list[bytes], status: int
) -> None:
    protocol, transport = connected(loop)
    for chunk in chunks:
        protocol.data_received(chunk)
    assert not protocol.tasks, "a refused request reached the app"
    line, body = answer(transport)
    assert line.startswith(f"HTTP/1.1 {status} ".encode())
    assert body["status"] == status
    assert body["detail"]


def test_a_head_within_the_limits_reaches_the_app(loop: asyncio.AbstractEventLoop) -> None:
    protocol, transport = connected(loop)
    url = b"/" + b"a" * (MAX_URL - 1)
    protocol.data_received(b"GET " + url + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    loop.run_until_complete(asyncio.gather(*protocol.tasks))
    assert transport.written.startswith(b"HTTP/1.1 204 ")
    assert protocol.scope["path"] == url.decode()
