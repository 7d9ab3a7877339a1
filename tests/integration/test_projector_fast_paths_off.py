"""With its fast path off (nats-py's own pull subscription), the projector applies the same."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.projector.consumer import Projector
from shared.database import DatabaseAddress
from shared.fast_paths import FastPath
from tests.integration.test_projector import envelope, rows, wait_for_position
from tests.stored import publish, store_events
from tests.support import running


@pytest.mark.parametrize("off", [FastPath.PULL_FEED, "all"])
async def test_events_become_the_same_rows_with_a_fast_path_off(
    database_url: str, nats_url: str, off: FastPath | str
) -> None:
    def fast(path: FastPath) -> bool:
        return off != "all" and path != off

    project = uuid4()
    events = (
        envelope(1, "ProjectCreated", project, 1, name="Launch", description=None),
        envelope(2, "ProjectRenamed", project, 2, name="Liftoff"),
    )
    store_events(database_url, *events)
    await publish(nats_url, *events)
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    async with running(Projector(conninfo, nats_url, "TASKSTREAM", fast=fast)):
        await wait_for_position(database_url, 2)
    assert await rows(database_url, "SELECT id, name, version FROM projects") == [
        (project, "Liftoff", 2)
    ]
