"""The layers both APIs put around everything else, so that every answer, a cached read
or a refused body included, speaks HTTP as clients, caches and browsers expect it.

From the outside in: CORS (shared/cors.py), HEAD as GET (shared/head_requests.py),
gzip (shared/compression.py), then what caches may do with the answer
(shared/cache_headers.py).
"""

from __future__ import annotations

from fastapi import FastAPI

from shared.cache_headers import CacheHeaders
from shared.compression import add_compression
from shared.cors import add_cors
from shared.head_requests import HeadAsGet
from shared.settings import Settings


def add_protocol_layers(app: FastAPI, settings: Settings, caching: tuple[bytes, bytes]) -> None:
    """Outside every middleware added before it; `caching` is (Cache-Control, Vary)."""
    cache_control, vary = caching
    app.add_middleware(CacheHeaders, cache_control=cache_control, vary=vary)
    add_compression(app)
    app.add_middleware(HeadAsGet)
    add_cors(app, settings)
