"""CORS for browser front ends: Starlette's CORSMiddleware, set from
TASKSTREAM_CORS_ORIGINS.

It sits outside every other layer, so a preflight is answered before a read is
authenticated, and every answer to an allowed origin, a refusal included (401, 404,
413, 503), carries the headers a browser needs to let the page read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from shared.settings import ConfigurationError, Settings

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
REQUEST_HEADERS = (
    "Content-Type",
    "X-Tenant-Token",
    "Authorization",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "X-Min-Position",
)
EXPOSED_HEADERS = (
    "ETag",
    "Location",
    "X-Event-Position",
    "X-Projection-Position",
    "Retry-After",
    "Idempotent-Replayed",
)
_ORIGIN = re.compile(r"(https?)://([^/:*\s]+)(?::(\d{1,5}|\*))?")


@dataclass(frozen=True)
class Origins:
    exact: tuple[str, ...]
    pattern: str | None
    """One regular expression for every origin given with the port `*`."""

    @classmethod
    def parse(cls, value: str) -> Origins | None:
        """None when empty (CORS off)."""
        given = [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        if not given:
            return None
        if "*" in given:
            return cls(("*",), None)
        exact: list[str] = []
        wildcards: list[str] = []
        for origin in given:
            match = _ORIGIN.fullmatch(origin)
            if match is None:
                raise ConfigurationError(
                    f"TASKSTREAM_CORS_ORIGINS: {origin!r} is not an origin; write "
                    "scheme://host[:port], a port may be * (http://localhost:*), or * alone"
                )
            if match.group(3) == "*":
                host = re.escape(f"{match.group(1)}://{match.group(2)}")
                wildcards.append(f"{host}(?::\\d{{1,5}})?")
            else:
                exact.append(origin)
        pattern = "|".join(wildcards) if wildcards else None
        return cls(tuple(exact), pattern)


def add_cors(app: FastAPI, settings: Settings) -> None:
    origins = Origins.parse(settings.cors_origins)
    if origins is None:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(origins.exact),
        allow_origin_regex=origins.pattern,
        allow_methods=list(METHODS),
        allow_headers=list(REQUEST_HEADERS),
        expose_headers=list(EXPOSED_HEADERS),
        max_age=600,
    )
