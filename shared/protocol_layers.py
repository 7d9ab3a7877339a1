"""The layers both APIs put around their routes, so that every answer, a cached read or
a refused body included, speaks HTTP as clients, caches and browsers expect it.

`add_answer_layers`: gzip (shared/compression.py), then what caches may do with an
answer (shared/cache_headers.py) around it. The query service adds them inside its answer
cache, which keeps what they made, gzipped bytes included, so that a hit costs neither.
`add_edge_layers`, outside everything: HEAD as GET (shared/head_requests.py), then
CORS (shared/cors.py).
"""

from __future__ import annotations

from fastapi import FastAPI

from shared.cache_headers import CacheHeaders
from shared.compression import add_compression
from shared.cors import add_cors
from shared.head_requests import HeadAsGet
from shared.settings import Settings


def add_answer_layers(app: FastAPI, caching: tuple[bytes, bytes]) -> None:
    """Around every middleware added before; `caching` is (Cache-Control, Vary)."""
    cache_control, vary = caching
    add_compression(app)
    app.add_middleware(CacheHeaders, cache_control=cache_control, vary=vary)


def add_edge_layers(app: FastAPI, settings: Settings) -> None:
    """Outside every middleware added before it."""
    app.add_middleware(HeadAsGet)
    add_cors(app, settings)
