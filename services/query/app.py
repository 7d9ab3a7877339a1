"""Composition root of the query service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from services.query import metrics as query_metrics
from services.query.cache import ResponseCache
from services.query.cached_reads import CachedReads
from services.query.position import PositionHeader, PositionWatcher, position_header
from services.query.queries import ObjectReads, Pool
from services.query.routes import projects, tags, tasks
from shared.auth import TokenCache
from shared.background import background
from shared.bodies import limit_bodies
from shared.database import DatabaseAddress
from shared.health import Probes, health_router
from shared.metrics import metrics_router
from shared.pools import CONNECT_TIMEOUT, CheckedAsyncPool
from shared.problem_documents import document_problems
from shared.problem_handlers import install_problem_handlers
from shared.routes import add_routes
from shared.settings import Settings
from shared.telemetry import fastapi_telemetry
from shared.tokens import TokenRules

POOL_SIZE = 16


def create_app(settings: Settings) -> FastAPI:
    address = DatabaseAddress.parse(settings.require_database_url())
    conninfo = address.conninfo()
    nats_url = settings.require_nats_url()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The only writes of this pool are the kept JSON documents, a cache: a commit
        # need not wait for its WAL to reach disk. A crash can lose the last few
        # copies, which the next read rebuilds (their revisions say they are stale).
        # Opened whole at start-up: a pool that grows under a burst of reads makes
        # them wait for new connections (see docs/decisions.md, "Read side").
        timeout = settings.database_timeout_seconds
        pool: Pool = CheckedAsyncPool(
            conninfo,
            min_size=POOL_SIZE,
            max_size=POOL_SIZE,
            timeout=timeout,
            kwargs={
                "autocommit": True,
                "connect_timeout": CONNECT_TIMEOUT,
                "options": "-c TimeZone=UTC -c synchronous_commit=off",
            },
            open=False,
        )
        await pool.open()
        watcher = PositionWatcher(conninfo, app.state.cache, connect_timeout=timeout)
        probes = Probes(conninfo, nats_url, "query")
        app.state.pool = pool
        app.state.objects = ObjectReads.over(pool)
        app.state.watcher = watcher
        app.state.probes = probes
        try:
            async with background(watcher.run(), probes.run()):
                await watcher.listening(within=timeout)
                yield
        finally:
            await pool.close()

    app = FastAPI(
        title="taskstream query API",
        version="1",
        lifespan=lifespan,
        telemetry=fastapi_telemetry(),
        description="Reads from the projected read model. Send X-Min-Position (from a "
        "command's X-Event-Position) to read your own writes.",
    )
    app.state.tokens = TokenCache(TokenRules.of(settings))
    app.state.nats_stream = settings.nats_stream
    app.state.min_position_wait = settings.min_position_wait_seconds
    app.state.cache = ResponseCache(settings.query_cache_megabytes * 2**20)
    app.add_middleware(PositionHeader)
    install_problem_handlers(app)
    document_problems(app)
    # The API's routes first: they are tried in order on every request.
    add_routes(
        app,
        settings,
        projects.router,
        tasks.router,
        tags.router,
        health_router(),
        metrics_router(query_metrics.gather),
    )
    if settings.query_cache_megabytes:
        app.add_middleware(CachedReads)
    # Outermost: every body is read before a cached read answers.
    limit_bodies(app, settings, answer_headers=position_header)
    return app
