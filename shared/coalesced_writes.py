"""uvicorn's httptools protocol with a response's writes sent together: stands in for
uvicorn's own `HttpToolsProtocol` writing straight to the transport.

uvicorn writes a response's head and its body separately, and with TCP_NODELAY (which
uvloop sets on every TCP connection) each write leaves as its own packet, waking the
client twice. Holding the writes until the loop iteration ends sends them in one
`writelines`. Switched by `FastPath.SERVING` (shared/serving.py);
bench/machinery/serving.py measures it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """Sends what one loop iteration writes in one send; everything else goes to the
    real transport."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def _flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        if not self._transport.is_closing():
            self._transport.writelines(pending)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        coalescing = CoalescingTransport(transport, asyncio.get_running_loop())
        super().connection_made(coalescing)  # type: ignore[arg-type]
