"""Liveness and readiness, the same for both APIs: alive, and can reach PostgreSQL and NATS.

`/ready` and `/metrics` answer anyone, so they must not cost a connection per call
(scraped or flooded, they would open one each time). Each process keeps `Probes`: a
pool of its own, apart from the requests' (a burst of scrapes never queues reads, nor
reads scrapes), and one NATS connection kept open, which nats-py reconnects by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Literal

import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from nats.aio.client import Client
from nats.errors import Error as NatsError
from pydantic import BaseModel

from shared.nats import ANONYMOUS, NatsCredentials, connect
from shared.openapi_document import operation_id
from shared.pools import CONNECT_TIMEOUT, AsyncPool, CheckedAsyncPool

logger = logging.getLogger(__name__)
PROBE_TIMEOUT = 1.0
RETRY_SECONDS = 1.0


class Probes:
    def __init__(
        self,
        conninfo: str,
        nats_url: str,
        service: str,
        credentials: NatsCredentials = ANONYMOUS,
    ) -> None:
        self.pool: AsyncPool = CheckedAsyncPool(
            conninfo,
            min_size=1,
            max_size=2,
            timeout=PROBE_TIMEOUT,
            kwargs={
                "autocommit": True,
                "connect_timeout": CONNECT_TIMEOUT,
                "application_name": f"taskstream {service} probes",
            },
            open=False,
        )
        self._nats_url = nats_url
        self._name = f"taskstream-{service}-probes"
        self._credentials = credentials
        self.nats: Client | None = None

    async def run(self) -> None:
        """Opens the pool, then connects to NATS until it succeeds (a service starts
        while NATS is down); closes both when cancelled."""
        await self.pool.open()
        try:
            while self.nats is None:
                try:
                    self.nats = await connect(
                        self._nats_url, name=self._name, credentials=self._credentials
                    )
                except (NatsError, OSError, TimeoutError) as e:
                    logger.info("probes: NATS unreachable; retrying", extra={"error": repr(e)})
                    await asyncio.sleep(RETRY_SECONDS)
            await asyncio.Event().wait()
        finally:
            if self.nats is not None:
                with contextlib.suppress(NatsError, OSError, TimeoutError):
                    await self.nats.close()
            await self.pool.close()

    async def database_reachable(self) -> bool:
        try:
            async with self.pool.connection() as conn:
                await conn.execute("SELECT 1")
        except (psycopg.Error, OSError):
            return False
        return True

    def connected_nats(self) -> Client | None:
        """The NATS connection while it is up; None while nats-py reconnects it."""
        nats = self.nats
        return nats if nats is not None and nats.is_connected else None


class Alive(BaseModel):
    status: Literal["ok"]


class Checks(BaseModel):
    database: bool
    nats: bool


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: Checks


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"], generate_unique_id_function=operation_id)

    @router.get("/health", response_model=Alive)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/ready",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "PostgreSQL or NATS unreachable"}},
    )
    async def ready(request: Request) -> JSONResponse:
        probes: Probes = request.app.state.probes
        checks = {
            "database": await probes.database_reachable(),
            "nats": probes.connected_nats() is not None,
        }
        status = 200 if all(checks.values()) else 503
        body = {"status": "ready" if status == 200 else "unavailable", "checks": checks}
        return JSONResponse(body, status_code=status)

    return router
