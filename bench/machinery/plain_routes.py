"""PLAIN_ROUTES: PlainRoute reading the requests against FastAPI's own handler."""

from __future__ import annotations

from pathlib import Path

from bench.machinery import _http_posts
from shared.fast_paths import FastPath

PATH = FastPath.PLAIN_ROUTES
TITLE = "POST /projects, 32 clients (2 command workers)"
UNIT = "req/s"


def measure(workdir: Path, seconds: float, on: bool) -> float:
    return _http_posts.measure(workdir, seconds, PATH, on)
