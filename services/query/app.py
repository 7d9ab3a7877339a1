"""Composition root of the query service.

A read goes through the edge layers (HEAD, CORS: shared/protocol_layers.py),
BodyLimits, then the gate (authentication and X-Min-Position),
then the answer cache when FastPath.ANSWER_CACHE is on, then the answer layers
(Cache-Control and Vary, gzip), whose work the cache keeps, then the routes; reads of
one object share statements when FastPath.BATCHED_READS is on.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from services.query import metrics as query_metrics
from services.query.freshness.answer_cache import AnswerCache
from services.query.freshness.answers import ResponseCache
from services.query.freshness.gate import ReadGate
from services.query.freshness.position_header import PositionHeader, position_header
from services.query.freshness.watcher import PositionWatcher
from services.query.objects import ObjectReads
from services.query.pool import read_pool
from services.query.routes import event_schemas, projects, tags, tasks
from shared.auth import TokenCache
from shared.background import background
from shared.bodies import limit_bodies
from shared.cache_headers import READS, as_headers
from shared.database import DatabaseAddress
from shared.fast_paths import FastPath
from shared.health import Probes, health_router
from shared.metrics import metrics_router
from shared.openapi_document import complete_document
from shared.openapi_headers import ANSWERED_BY_QUERY
from shared.problem_handlers import install_problem_handlers
from shared.protocol_layers import add_answer_layers, add_edge_layers
from shared.request_metrics import RequestMetrics
from shared.routes import add_routes
from shared.settings import Settings
from shared.telemetry import fastapi_telemetry
from shared.tokens import TokenRules


def create_app(settings: Settings) -> FastAPI:
    conninfo = DatabaseAddress.parse(settings.require_database_url()).conninfo()
    nats_url = settings.require_nats_url()
    nats_credentials = settings.nats_credentials()
    timeout = settings.database_timeout_seconds
    cache = None
    if settings.fast(FastPath.ANSWER_CACHE) and settings.query_cache_megabytes:
        cache = ResponseCache(settings.query_cache_megabytes * 2**20)
    listeners = [] if cache is None else [cache]
    watcher = PositionWatcher(conninfo, listeners, connect_timeout=timeout)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = read_pool(conninfo, timeout)
        await pool.open()
        probes = Probes(conninfo, nats_url, "query", nats_credentials)
        app.state.pool = pool
        app.state.objects = ObjectReads.over(pool, batched=settings.fast(FastPath.BATCHED_READS))
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
        redirect_slashes=False,
        description="Reads from the projected read model. Send X-Min-Position (from a "
        "command's X-Event-Position) to read your own writes.",
    )
    app.state.nats_stream = settings.nats_stream
    app.state.watcher = watcher
    app.state.cache = cache
    install_problem_handlers(app)
    complete_document(app, every_answer=ANSWERED_BY_QUERY)
    # The API's routes first: they are tried in order on every request.
    add_routes(
        app,
        settings,
        projects.router,
        tasks.router,
        tags.router,
        event_schemas.router,
        health_router(),
        metrics_router(query_metrics.gather),
    )
    # Each middleware added wraps those before it.
    app.add_middleware(PositionHeader)
    add_answer_layers(app, READS)
    if cache is not None:
        app.add_middleware(AnswerCache, cache=cache, watcher=watcher)
    caching = as_headers(READS)
    tokens = TokenCache(TokenRules.of(settings))
    app.add_middleware(
        ReadGate, tokens=tokens, watcher=watcher, bound=settings.min_position_wait_seconds
    )
    # Every body is read before a cached read answers; only HEAD, CORS and the request
    # metrics are outside.
    limit_bodies(app, settings, answer_headers=lambda scope: position_header(scope) | caching)
    add_edge_layers(app, settings)
    app.add_middleware(RequestMetrics, service="query", routes=app.router.routes)
    return app
