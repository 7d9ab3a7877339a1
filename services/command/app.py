"""Composition root of the command service's HTTP workers: builds every connection at
start-up, not import. The relay publishes from a process of its own (publishing/relay.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from services.command import metrics as command_metrics
from services.command.application import TaskstreamApplication
from services.command.errors import install_domain_errors
from services.command.handling import Commands
from services.command.recording.group_commit import BatchWriter
from services.command.recording.idempotency import purge_expired
from services.command.recording.library_saves import LibrarySaves
from services.command.recording.writer import ChangeWriter
from services.command.routes import projects, tags, tasks
from shared.auth import TokenCache
from shared.background import background
from shared.bodies import limit_bodies
from shared.cache_headers import WRITES
from shared.database import DatabaseAddress
from shared.fast_paths import FastPath
from shared.health import Probes, health_router
from shared.metrics import metrics_router
from shared.openapi_document import complete_document
from shared.problem_handlers import install_problem_handlers
from shared.protocol_layers import add_answer_layers, add_edge_layers
from shared.request_metrics import RequestMetrics
from shared.routes import add_routes
from shared.settings import Settings
from shared.telemetry import fastapi_telemetry
from shared.tokens import TokenRules

logger = logging.getLogger(__name__)
# The library is synchronous and runs in FastAPI's threadpool (40 threads): one pooled
# connection per thread, or an exhausted pool stalls many times its timeout (the library
# retries each call).
POOL_SIZE = 10
POOL_OVERFLOW = 30


def create_app(settings: Settings) -> FastAPI:
    address = DatabaseAddress.parse(settings.require_database_url())
    nats_url = settings.require_nats_url()
    nats_credentials = settings.nats_credentials()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout = settings.database_timeout_seconds
        application = TaskstreamApplication(
            env=address.eventsourcing_env(POOL_SIZE, POOL_OVERFLOW, timeout)
        )
        batch_writer = (
            BatchWriter(application, address.conninfo(), connect_timeout=timeout)
            if settings.fast(FastPath.GROUP_COMMIT)
            else None
        )
        writer: ChangeWriter = batch_writer or LibrarySaves(application)
        probes = Probes(address.conninfo(), nats_url, "command", nats_credentials)
        app.state.application = application
        app.state.writer = writer
        app.state.commands = Commands(application, writer)
        app.state.probes = probes
        try:
            loops = [batch_writer.run()] if batch_writer else []
            async with background(*loops, _purge_idempotency_keys(application), probes.run()):
                yield
        finally:
            application.close()

    app = FastAPI(
        title="taskstream command API",
        version="1",
        lifespan=lifespan,
        telemetry=fastapi_telemetry(),
        redirect_slashes=False,
        description="Writes: every successful command records events and answers "
        "X-Event-Position for read-your-writes on the query API.",
    )
    app.state.tokens = TokenCache(TokenRules.of(settings))
    app.state.nats_stream = settings.nats_stream
    app.state.query_url = settings.public_query_url()
    install_problem_handlers(app)
    complete_document(app)
    install_domain_errors(app)
    # The API's routes first: they are tried in order on every request.
    add_routes(
        app,
        settings,
        projects.router,
        tasks.router,
        tags.router,
        health_router(),
        metrics_router(command_metrics.gather),
    )
    limit_bodies(app, settings)
    add_answer_layers(app, WRITES)
    add_edge_layers(app, settings)
    # Outermost, so that every answer counts, HEAD as HEAD.
    app.add_middleware(RequestMetrics, service="command", routes=app.router.routes)
    return app


async def _purge_idempotency_keys(application: TaskstreamApplication) -> None:
    """Answers are kept 24 h; expired ones are dropped hourly (and ignored before that)."""
    datastore = application.recorder.datastore  # type: ignore[attr-defined]

    def purge() -> int:
        with datastore.get_connection() as conn:
            return purge_expired(conn)

    while True:
        try:
            purged = await asyncio.to_thread(purge)
            logger.info("expired idempotency keys purged", extra={"purged": purged})
        except Exception:
            logger.exception("purging idempotency keys failed; retrying in an hour")
        await asyncio.sleep(3600)
