"""A small HTTP/1.1 load generator: keep-alive connections, one request in flight each.

Python HTTP clients cost more CPU per request than the server under test, and this
machine has two cores, so requests are pre-encoded bytes and responses are parsed
just enough (status, Content-Length) to time them, and it runs on uvloop, as the
services do.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

Request = Callable[[int], bytes]


@dataclass
class Result:
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    failures: dict[int, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    @property
    def p50(self) -> float:
        return self.percentile(0.50)

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.latencies) * 1000 if self.latencies else float("nan")


def http_request(
    method: str, url: str, headers: dict[str, str], body: bytes = b""
) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    lines = [f"{method} {parts.path}{'?' + parts.query if parts.query else ''} HTTP/1.1"]
    lines.append(f"Host: {parts.hostname}:{parts.port}")
    for name, value in headers.items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    return parts.hostname or "127.0.0.1", parts.port or 80, raw


@contextlib.contextmanager
def steady_heap() -> Iterator[None]:
    """Keeps the generator's own garbage collector out of what it measures: everything
    alive when a step starts is frozen, so a full collection during the step walks only
    what the step made. The benchmark process holds about 110,000 objects, mostly the
    modules it imports to seed and check the stack, and a full collection of them
    paused it 160-164 ms in the middle of lag steps: every read in flight was then
    timed 160 ms late, and a step's p99 was that pause. (The services
    freeze their own start-up heap: shared/heap.py.)"""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def run_load(
    host: str, port: int, request: Request, clients: int, seconds: float, expect: int
) -> Result:
    """`request(n)` gives the bytes of the n-th request of a client."""
    result = Result(clients, seconds)
    deadline = time.perf_counter() + seconds
    loop = asyncio.get_running_loop()

    async def client() -> None:
        transport, connection = await loop.create_connection(Connection, host, port)
        n = 0
        try:
            while time.perf_counter() < deadline:
                payload = request(n)
                n += 1
                started = time.perf_counter()
                status = await connection.exchange(payload)
                if status == expect:
                    result.latencies.append(time.perf_counter() - started)
                else:
                    result.failures[status] = result.failures.get(status, 0) + 1
        finally:
            transport.close()

    with steady_heap():
        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        result.seconds = time.perf_counter() - started
    return result


class Connection(asyncio.Protocol):
    """One keep-alive connection, one request in flight. A protocol rather than a
    stream reader: the generator's CPU is taken from the two cores it measures."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._answer: asyncio.Future[int] | None = None
        self._transport: asyncio.Transport | None = None
        self._lost: Exception | None = None
        self.head = b""
        """The last response's status line and headers, lower-cased."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = exc or ConnectionError("the server closed the connection")
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(self._lost)

    async def exchange(self, payload: bytes) -> int:
        """The status of the response to `payload`, once it has wholly arrived."""
        assert self._transport is not None
        if self._lost is not None:
            raise self._lost
        self._answer = asyncio.get_running_loop().create_future()
        self._transport.write(payload)
        return await self._answer

    def _complete(self) -> None:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0 or self._answer is None or self._answer.done():
            return
        head = bytes(self._buffer[:end]).lower()
        length = 0
        at = head.find(b"\r\ncontent-length:")
        if at >= 0:
            line_end = head.find(b"\r\n", at + 2)
            length = int(head[at + 17 : line_end if line_end >= 0 else len(head)])
        if len(self._buffer) < end + 4 + length:
            return
        del self._buffer[: end + 4 + length]
        self.head = head
        self._answer.set_result(int(head[9:12]))

    def header(self, name: bytes) -> str | None:
        """A header of the last response; `name` in lower case."""
        at = self.head.find(b"\r\n" + name + b":")
        if at < 0:
            return None
        start = at + len(name) + 3
        end = self.head.find(b"\r\n", start)
        return self.head[start : end if end >= 0 else len(self.head)].strip().decode()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def table(title: str, rows: list[tuple[str, Result]]) -> str:
    lines = [
        title,
        f"{'case':<40} {'clients':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}",
    ]
    for name, r in rows:
        errors = sum(r.failures.values())
        lines.append(
            f"{name:<40} {r.clients:>7} {r.rate:>9.0f} {r.p50:>8.1f} {r.p99:>8.1f} {errors:>7}"
        )
    return "\n".join(lines)
