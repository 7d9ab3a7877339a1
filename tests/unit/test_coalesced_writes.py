"""The coalescing transport sends what one loop iteration writes in one send."""

from __future__ import annotations

import asyncio
from typing import Any

from shared.coalesced_writes import CoalescingTransport


class RecordingTransport:
    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed = False

    def writelines(self, pieces: list[bytes]) -> None:
        self.sent.append(b"".join(pieces))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return f"info {name}"


def coalescing(loop: asyncio.AbstractEventLoop) -> tuple[CoalescingTransport, RecordingTransport]:
    real = RecordingTransport()
    return CoalescingTransport(real, loop), real  # type: ignore[arg-type]


def test_writes_of_one_iteration_leave_in_one_send_in_order() -> None:
    async def run() -> list[bytes]:
        transport, real = coalescing(asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(b"body")
        assert real.sent == []
        await asyncio.sleep(0)
        transport.write(b"next")
        await asyncio.sleep(0)
        return real.sent

    assert asyncio.run(run()) == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"next"]


def test_close_sends_what_is_pending_first_and_nothing_goes_after() -> None:
    async def run() -> tuple[list[bytes], bool]:
        transport, real = coalescing(asyncio.get_running_loop())
        transport.write(b"last words")
        transport.close()
        transport.write(b"too late")
        await asyncio.sleep(0)
        return real.sent, real.closed

    assert asyncio.run(run()) == ([b"last words"], True)


def test_everything_else_is_the_real_transport() -> None:
    async def run() -> Any:
        transport, _ = coalescing(asyncio.get_running_loop())
        return transport.get_extra_info("peername")

    assert asyncio.run(run()) == "info peername"
