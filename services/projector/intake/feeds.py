"""What the projector pulls its batches from: the pull feed, or nats-py's own way."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from nats.aio.client import Client

from services.projector.intake.incoming import Incoming
from services.projector.intake.library_feed import LibraryFeed
from services.projector.intake.pull_feed import PullFeed


class Feed(Protocol):
    async def next_batch(self) -> list[Incoming]: ...


def open_feed(
    nc: Client, stream: str, consumer: str, *, batch: int, expires: float, fast: bool
) -> AbstractAsyncContextManager[Feed]:
    """The pull feed when `fast` (FastPath.PULL_FEED), else nats-py's pull subscription."""
    if fast:
        return PullFeed(nc, stream, consumer, batch=batch, expires=expires)
    return LibraryFeed(nc.jetstream(), stream, consumer, batch=batch, expires=expires)
