"""A small HTTP/1.1 load generator: keep-alive connections, one request in flight each.

Python HTTP clients cost more CPU per request than the server under test, and this
machine has two cores, so requests are pre-encoded bytes and responses are parsed
just enough (status, Content-Length) to time them, and it runs on uvloop, as the
services do.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
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


async def run_load(
    host: str, port: int, request: Request, clients: int, seconds: float, expect: int
) -> Result:
    """`request(n)` gives the bytes of the n-th request of a client."""
    result = Result(clients, seconds)
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        n = 0
        try:
            while time.perf_counter() < deadline:
                payload = request(n)
                n += 1
                started = time.perf_counter()
                writer.write(payload)
                status = await _read_response(reader)
                if status == expect:
                    result.latencies.append(time.perf_counter() - started)
                else:
                    result.failures[status] = result.failures.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    result.seconds = time.perf_counter() - started
    return result


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
            break
    if length:
        await reader.readexactly(length)
    return status


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
