"""PostgreSQL crashes under load: no acknowledged command is lost or doubled.

The database gets a server of its own, stopped the way a crash stops it (no
checkpoint; the restart recovers from the WAL) while clients keep sending commands.
Afterwards the read model equals a fresh rebuild.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from services.dev.nats import EmbeddedNats
from services.dev.postgres import EmbeddedPostgres
from tests.e2e.conftest import run_stack
from tests.e2e.keyed_load import KeyedLoad, assert_exactly_once

pytestmark = pytest.mark.e2e


def test_a_postgres_crash_under_load_loses_and_doubles_nothing(
    nats_server: EmbeddedNats, tmp_path: Path
) -> None:
    server = EmbeddedPostgres(tmp_path / "postgres")
    server.start()
    try:
        database_url = server.create_database("restarts")
        logs = tmp_path / "logs"
        logs.mkdir()
        with run_stack(database_url, nats_server, logs) as stack:
            load = KeyedLoad(stack)
            load.start()
            load.wait_for(load.expected // 3)
            server.crash()
            time.sleep(1.0)
            server.start()
            load.finish()
            assert_exactly_once(stack, load)
    finally:
        server.stop()
