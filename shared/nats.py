"""Connecting to NATS and declaring the stream, shared by the relay and the projector."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError

from shared.events.catalog import SUBJECT_PREFIX

logger = logging.getLogger(__name__)
DUPLICATE_WINDOW_SECONDS = 120.0


@dataclass(frozen=True)
class NatsCredentials:
    """Who a client is to nats-server: a `.creds` file (a user JWT and its nkey seed, for
    decentralized auth), or a user and password, or nobody."""

    creds_file: Path | None = None
    user: str | None = None
    password: str | None = None

    def options(self) -> dict[str, str]:
        """As nats.connect() takes them."""
        if self.creds_file is not None:
            return {"user_credentials": str(self.creds_file)}
        if self.user is not None:
            return {"user": self.user, "password": self.password or ""}
        return {}


ANONYMOUS = NatsCredentials()


async def connect(
    url: str, *, name: str, within: float = 5.0, credentials: NatsCredentials = ANONYMOUS
) -> Client:
    """Connect with a bound: nats.connect() alone waits about two minutes for a dead server."""

    client: Client | None = None

    async def _log_error(error: Exception) -> None:
        # Refused publishes and subscriptions come here (the connection stays up).
        logger.warning("nats reported an error", extra={"client": name, "error": str(error)})

    async def _log_disconnect() -> None:
        if client is not None and client.is_closed:
            return  # closed on purpose: nats-py reports that as a disconnection too
        logger.warning("nats disconnected", extra={"client": name})

    async def _log_reconnect() -> None:
        logger.info("nats reconnected", extra={"client": name})

    async with asyncio.timeout(within):
        client = await nats.connect(
            url,
            name=name,
            connect_timeout=min(within, 2.0),
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            allow_reconnect=True,
            disconnected_cb=_log_disconnect,
            reconnected_cb=_log_reconnect,
            error_cb=_log_error,
            **credentials.options(),
        )
    return client


def stream_config(stream: str) -> StreamConfig:
    return StreamConfig(
        name=stream,
        subjects=[f"{SUBJECT_PREFIX}.>"],
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        # The relay publishes atomic batches (nats-server 2.12+).
        allow_atomic=True,
    )


async def ensure_stream(js: JetStreamContext, stream: str) -> None:
    """Declare the stream idempotently; several processes may race to create it."""
    config = stream_config(stream)
    try:
        await js.add_stream(config)
    except BadRequestError:
        await js.update_stream(config)
