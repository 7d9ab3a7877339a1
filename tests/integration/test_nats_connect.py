"""What the services log about their NATS connection: a server that goes away is a
warning; a connection closed on purpose (every shutdown) is not."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from services.dev.nats import EmbeddedNats
from shared.nats import connect
from tests.support import eventually


def _disconnections(caplog: pytest.LogCaptureFixture) -> int:
    return sum(r.getMessage() == "nats disconnected" for r in caplog.records)


async def test_a_deliberate_close_is_not_logged_as_a_disconnection(
    nats_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = await connect(nats_url, name="test")
    with caplog.at_level(logging.INFO, logger="shared.nats"):
        await client.close()
    assert _disconnections(caplog) == 0


async def test_a_server_that_goes_away_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = EmbeddedNats(tmp_path / "nats")
    url = server.start()
    try:
        client = await connect(url, name="test")
        with caplog.at_level(logging.INFO, logger="shared.nats"):
            await asyncio.to_thread(server.stop)

            async def logged() -> int:
                return _disconnections(caplog)

            await eventually(
                logged,
                within=5,
                what="the disconnection logged",
                every=0.05,
            )
        assert _disconnections(caplog) == 1
        await client.close()
    finally:
        server.stop()
