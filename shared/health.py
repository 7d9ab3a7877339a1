"""Liveness and readiness, the same for both APIs: alive, and can reach PostgreSQL and NATS."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

PROBE_TIMEOUT = 2.0


async def database_reachable(conninfo: str) -> bool:
    try:
        async with await psycopg.AsyncConnection.connect(
            conninfo, connect_timeout=int(PROBE_TIMEOUT), autocommit=True
        ) as conn:
            await conn.execute("SELECT 1")
        return True
    except (psycopg.Error, OSError):
        return False


async def nats_reachable(url: str) -> bool:
    """A NATS server greets every TCP client with an INFO line; that is enough to know."""
    parts = urlsplit(url)
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            reader, writer = await asyncio.open_connection(
                parts.hostname or "127.0.0.1", parts.port or 4222
            )
    except (OSError, TimeoutError):
        return False
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            greeting = await reader.readline()
        return greeting.startswith(b"INFO")
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/ready")
    async def ready(request: Request) -> JSONResponse:
        conninfo: str = request.app.state.conninfo
        nats_url: str = request.app.state.nats_url
        database, broker = await asyncio.gather(
            database_reachable(conninfo), nats_reachable(nats_url)
        )
        checks = {"database": database, "nats": broker}
        status = 200 if all(checks.values()) else 503
        body = {"status": "ready" if status == 200 else "unavailable", "checks": checks}
        return JSONResponse(body, status_code=status)

    return router
