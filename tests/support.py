"""Waiting for conditions instead of sleeping, and reading what reached the stream."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from shared.nats import connect


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float = 10.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {within} s")
        await asyncio.sleep(0.02)


@dataclass(frozen=True)
class StoredMessage:
    seq: int
    subject: str
    data: bytes
    headers: dict[str, str]


async def stream_messages(nats_url: str, stream: str = "TASKSTREAM") -> list[StoredMessage]:
    """Every message in the stream, in stream order (empty if there is no stream yet)."""
    from nats.js.errors import NotFoundError

    nc = await connect(nats_url, name="test-reader")
    try:
        js = nc.jetstream()
        try:
            info = await js.stream_info(stream)
        except NotFoundError:
            return []
        messages = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            try:
                raw = await js.get_msg(stream, seq=seq)
            except NotFoundError:
                continue
            messages.append(
                StoredMessage(seq, raw.subject or "", raw.data or b"", dict(raw.headers or {}))
            )
        return messages
    finally:
        await nc.close()


def check_against_schemas(cloudevent: dict[str, Any]) -> None:
    """Fails unless the envelope and its data match the JSON Schemas shipped in the repo."""
    import jsonschema

    from shared.event_schemas import ENVELOPE, schema

    checker = jsonschema.FormatChecker()
    jsonschema.validate(cloudevent, schema(ENVELOPE), format_checker=checker)
    jsonschema.validate(cloudevent["data"], schema(cloudevent["type"]), format_checker=checker)
