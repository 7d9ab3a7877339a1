"""Composition root of the command service: builds every connection at start-up, not import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from services.command.application import TaskstreamApplication
from services.command.errors import install_domain_errors
from services.command.relay import Relay
from services.command.routes import projects
from shared.database import DatabaseAddress
from shared.health import health_router
from shared.problems import install_problem_handlers
from shared.settings import Settings

logger = logging.getLogger(__name__)
# The library is synchronous and runs in FastAPI's threadpool (40 threads): one pooled
# connection per thread, or an exhausted pool stalls ~10x its timeout (NOTES.md).
POOL_SIZE = 10
POOL_OVERFLOW = 30


def create_app(settings: Settings) -> FastAPI:
    address = DatabaseAddress.parse(settings.require_database_url())
    nats_url = settings.require_nats_url()
    jwt_secret = settings.require_jwt_secret()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        application = TaskstreamApplication(env=address.eventsourcing_env(POOL_SIZE, POOL_OVERFLOW))
        relay = Relay(application, address.conninfo(), nats_url, settings.nats_stream)
        relay_task = asyncio.create_task(relay.run(), name="relay")
        app.state.application = application
        app.state.relay = relay
        try:
            yield
        finally:
            relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay_task
            application.close()

    app = FastAPI(
        title="taskstream command API",
        version="1",
        lifespan=lifespan,
        description="Writes: every successful command records events and answers "
        "X-Event-Position for read-your-writes on the query API.",
    )
    app.state.jwt_secret = jwt_secret
    app.state.conninfo = address.conninfo()
    app.state.nats_url = nats_url
    install_problem_handlers(app)
    install_domain_errors(app)
    app.include_router(health_router())
    app.include_router(projects.router)
    return app
