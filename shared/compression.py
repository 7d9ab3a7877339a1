"""gzip for both APIs: Starlette's GZipMiddleware, and the same rule for the query
service's answer cache, which keeps the compressed bytes of what it serves.

Level 6 rather than the middleware's default 9: on a nested project view it compresses
about as well in a third of the time. The answer cache compresses a kept answer once
and serves those bytes to every later caller that accepts gzip.
"""

from __future__ import annotations

import zlib

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

MINIMUM_SIZE = 1024
LEVEL = 6


def add_compression(app: FastAPI) -> None:
    app.add_middleware(GZipMiddleware, minimum_size=MINIMUM_SIZE, compresslevel=LEVEL)


def accepts_gzip(accept_encoding: bytes | None) -> bool:
    """The middleware's own test, so that a cached answer is compressed exactly when the
    middleware would have compressed it."""
    return accept_encoding is not None and b"gzip" in accept_encoding


def compressible(body: bytes) -> bool:
    return len(body) >= MINIMUM_SIZE


def gzipped(body: bytes) -> bytes:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()
