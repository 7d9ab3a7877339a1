"""One rule for tag names on both sides: a name the command side accepts is projected.

The read side's unique key is computed by the write side's function (shared/tag_names.py),
so the database's collation cannot make it stricter: with `lower(name)` under a C.UTF-8
collation, `İ` folded into `i`, a second tag that the command side had accepted.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import uuid4

import psycopg
import pytest
from alembic.script import ScriptDirectory
from psycopg import sql

from services.command.application import TaskstreamApplication
from services.command.domain.base import Context
from services.command.publishing.encoding import encode_row
from services.dev.postgres import EmbeddedPostgres
from services.projector.consumer import Projector
from shared import migrate
from shared.database import EVENTS_TABLE, DatabaseAddress
from shared.nats import connect, ensure_stream
from tests.support import eventually, running

NAMES = ["i", "İ", "Straße", "ǅ-dz", "ﬀ", "Σίσυφος"]


@pytest.fixture
def utf8_database_url(postgres_server: EmbeddedPostgres) -> Iterator[str]:
    """A migrated database whose collation lowercases beyond ASCII, as most do."""
    name = f"tag_names_{uuid4().hex[:8]}"
    admin = DatabaseAddress.parse(postgres_server.url).conninfo()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE 'C.utf8'")
    url = postgres_server.url.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def publish_the_store(database_url: str, nats_url: str) -> int:
    """Every stored event on the stream as the relay publishes it; the last position."""
    conninfo = DatabaseAddress.parse(database_url).conninfo()
    with psycopg.connect(conninfo) as conn:
        stored = conn.execute(
            sql.SQL(
                "SELECT originator_id, originator_version, topic, state, notification_id"
                " FROM {} ORDER BY notification_id"
            ).format(sql.Identifier(EVENTS_TABLE))
        ).fetchall()
    nc = await connect(nats_url, name="test-publisher")
    try:
        js = nc.jetstream()
        await ensure_stream(js, "TASKSTREAM")
        for event in map(encode_row, stored):
            await js.publish(event.subject, event.payload, headers={"Nats-Msg-Id": event.msg_id})
    finally:
        await nc.close()
    return int(stored[-1][4])


async def test_every_tag_name_the_command_side_accepts_reaches_the_read_model(
    utf8_database_url: str, nats_url: str
) -> None:
    url = utf8_database_url
    app = TaskstreamApplication(env=DatabaseAddress.parse(url).eventsourcing_env(2, 2))
    try:
        ctx = Context(uuid4(), "tester", datetime.now(UTC))
        for name in NAMES:
            app.record(app.create_tag(ctx, uuid4(), name, None))
    finally:
        app.close()
    last = await publish_the_store(url, nats_url)
    conninfo = DatabaseAddress.parse(url).conninfo()
    async with running(Projector(conninfo, nats_url, "TASKSTREAM")):

        async def applied() -> bool:
            with psycopg.connect(conninfo) as conn:
                row = conn.execute("SELECT position FROM projection_tracking").fetchone()
            return bool(row and row[0] == last)

        await eventually(applied, what="every tag event applied")
    with psycopg.connect(conninfo) as conn:
        assert conn.execute("SELECT reason FROM dead_letters").fetchall() == []
        projected = conn.execute("SELECT name, name_key FROM tags").fetchall()
    assert sorted(projected) == sorted((name, name.casefold()) for name in NAMES)


def test_the_migration_keys_existing_tags_by_the_same_rule(
    postgres_server: EmbeddedPostgres,
) -> None:
    """Rows projected before the key column existed get the key the write side uses."""
    name = f"tag_keys_{uuid4().hex[:8]}"
    url = postgres_server.create_database(name)
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    before = script.get_revision("0006").down_revision
    assert isinstance(before, str)
    migrate.upgrade(url, before)
    tenant = uuid4()
    conninfo = DatabaseAddress.parse(url).conninfo()
    with psycopg.connect(conninfo) as conn:
        for tag_name in NAMES:
            conn.execute(
                "INSERT INTO tags (id, tenant_id, name, created_at, updated_at, version)"
                " VALUES (%s, %s, %s, now(), now(), 1)",
                (uuid4(), tenant, tag_name),
            )
    migrate.upgrade(url)
    with psycopg.connect(conninfo) as conn:
        keyed = conn.execute("SELECT name, name_key FROM tags").fetchall()
        index = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'tags_tenant_name_key'"
        ).fetchone()
    with psycopg.connect(
        DatabaseAddress.parse(postgres_server.url).conninfo(), autocommit=True
    ) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert sorted(keyed) == sorted((n, n.casefold()) for n in NAMES)
    assert index is not None
    assert "(tenant_id, name_key)" in index[0]
    assert "UNIQUE" in index[0]
