"""gzip for both APIs: Starlette's GZipMiddleware, and the same rule for the query
service's answer cache, which keeps the compressed bytes of what it serves.

Level 6 rather than the middleware's default 9: on a nested project view it compresses
about as well in a third of the time. The answer cache compresses a kept answer once
and serves those bytes to every later caller that accepts gzip.
"""

from __future__ import annotations

import zlib
from typing import Any

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

MINIMUM_SIZE = 1024
LEVEL = 6


def add_compression(app: FastAPI, *, announced: bool = True) -> None:
    """`announced`: a large answer says `Vary: Accept-Encoding` to a caller that did not
    accept gzip too, for a cache that keeps it; without, such callers skip the layer."""
    kind = GZipMiddleware if announced else GzipWhenAccepted
    app.add_middleware(kind, minimum_size=MINIMUM_SIZE, compresslevel=LEVEL)


class GzipWhenAccepted:
    """GZipMiddleware for the requests that accept gzip; the others go straight on.

    For an answer it will not compress, the middleware only adds Vary to the large
    ones, which tells nothing when no cache may keep the answer (the command API's are
    `no-store`), and its pass costs a small command about a sixth of its time in the
    framework."""

    def __init__(self, app: ASGIApp, **options: Any) -> None:
        self.app = app
        self._gzip = GZipMiddleware(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(
            name == b"accept-encoding" and b"gzip" in value for name, value in scope["headers"]
        ):
            await self._gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def accepts_gzip(accept_encoding: bytes | None) -> bool:
    """The middleware's own test, so that a cached answer is compressed exactly when the
    middleware would have compressed it."""
    return accept_encoding is not None and b"gzip" in accept_encoding


def compressible(body: bytes) -> bool:
    return len(body) >= MINIMUM_SIZE


def gzipped(body: bytes) -> bytes:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()
