"""The Alembic migrations against a real PostgreSQL: no drift, idempotent, reversible.

Every test works in empty databases of its own (`migrations_*`), never the template.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import BigInteger, Index, MetaData, create_engine, func

from services.command.application import TaskstreamApplication
from services.dev.postgres import EmbeddedPostgres
from shared import migrate
from shared.database import EVENTS_TABLE, DatabaseAddress
from shared.tables import metadata

STORED_EVENT_TYPE = "stored_event_uuid"
BASE = "base"
_database_numbers = itertools.count(1)

# Table, column, index, constraint, type, sequence and function names from the catalogs:
# whatever a migration creates shows up here, and a downgrade must take it away again.
# Alembic's own bookkeeping table is left out; `current_revision` covers it.
_CATALOG_QUERIES: dict[str, str] = {
    "tables": """
        SELECT table_name, table_type FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name <> 'alembic_version'
        ORDER BY 1
    """,
    "columns": """
        SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
               a.attnotnull, a.attidentity, pg_get_expr(d.adbin, d.adrelid)
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'c')
          AND c.relname <> 'alembic_version' AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY 1, 2
    """,
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename <> 'alembic_version'
        ORDER BY 1, 2
    """,
    "constraints": """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace
          AND conrelid::regclass::text <> 'alembic_version'
        ORDER BY 1, 2
    """,
    # Stand-alone types (composites, enums, domains): not tables' row types, not arrays.
    "types": """
        SELECT t.typname, t.typtype FROM pg_type t
        LEFT JOIN pg_class c ON c.oid = t.typrelid
        WHERE t.typnamespace = 'public'::regnamespace AND t.typelem = 0
          AND (c.relkind IS NULL OR c.relkind = 'c')
        ORDER BY 1
    """,
    # pg_class rather than information_schema, which leaves out identity columns' sequences.
    "sequences": """
        SELECT c.relname, format_type(s.seqtypid, NULL) FROM pg_class c
        JOIN pg_sequence s ON s.seqrelid = c.oid
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S'
        ORDER BY 1
    """,
    "functions": """
        SELECT proname, pg_get_function_identity_arguments(oid) FROM pg_proc
        WHERE pronamespace = 'public'::regnamespace
        ORDER BY 1, 2
    """,
}

Snapshot = dict[str, list[tuple[Any, ...]]]


def _drop_databases(server: EmbeddedPostgres, names: list[str]) -> None:
    with psycopg.connect(DatabaseAddress.parse(server.url).conninfo(), autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def new_database(postgres_server: EmbeddedPostgres) -> Iterator[Callable[[str], str]]:
    """Creates empty databases named `migrations_<what>_<n>`; drops them afterwards."""
    names: list[str] = []

    def create(what: str) -> str:
        name = f"migrations_{what}_{next(_database_numbers)}"
        names.append(name)
        return postgres_server.create_database(name)

    yield create
    _drop_databases(postgres_server, names)


@pytest.fixture(scope="module")
def migrated_url(postgres_server: EmbeddedPostgres) -> Iterator[str]:
    """One database migrated to head for the tests that only read its schema."""
    name = f"migrations_head_{next(_database_numbers)}"
    url = postgres_server.create_database(name)
    migrate.upgrade(url)
    yield url
    _drop_databases(postgres_server, [name])


def snapshot(url: str) -> Snapshot:
    with psycopg.connect(DatabaseAddress.parse(url).conninfo()) as conn:
        return {what: conn.execute(query).fetchall() for what, query in _CATALOG_QUERIES.items()}


def schema_changes(before: Snapshot, after: Snapshot) -> list[str]:
    """Catalog rows that went away (-) or appeared (+), for readable failures."""
    changes: list[str] = []
    for what in sorted(before.keys() | after.keys()):
        old, new = set(before.get(what, [])), set(after.get(what, []))
        changes += [f"- {what} {row}" for row in sorted(old - new, key=repr)]
        changes += [f"+ {what} {row}" for row in sorted(new - old, key=repr)]
    return changes


def current_revision(url: str) -> str | None:
    engine = create_engine(DatabaseAddress.parse(url).sqlalchemy_url())
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def revisions_from_base(url: str) -> list[str]:
    """The revision ids in order of application; the history must be one straight line."""
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    heads = script.get_heads()
    assert len(heads) == 1, f"expected a single head, got {heads}"
    ordered = list(reversed(list(script.walk_revisions(BASE, "heads"))))
    for previous, revision in zip([None, *ordered], ordered, strict=False):
        expected = None if previous is None else previous.revision
        assert revision.down_revision == expected, (
            f"{revision.revision} revises {revision.down_revision!r}, expected {expected!r}"
        )
    return [revision.revision for revision in ordered]


def drift(url: str, target: MetaData) -> list[Any]:
    """What autogenerate would emit to turn the database into `target`."""
    engine = create_engine(DatabaseAddress.parse(url).sqlalchemy_url())
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, target))
    finally:
        engine.dispose()


def format_diff(diff: list[Any]) -> str:
    return "\n".join(f"  {entry!r}" for entry in diff)


def composite_type(url: str, name: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(DatabaseAddress.parse(url).conninfo()) as conn:
        return conn.execute(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
            JOIN pg_type t ON t.typrelid = a.attrelid
            WHERE t.typname = %s AND t.typnamespace = 'public'::regnamespace
              AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """,
            (name,),
        ).fetchall()


def test_migrations_produce_exactly_the_expected_schema(migrated_url: str) -> None:
    url = migrated_url

    diff = drift(url, metadata)

    assert diff == [], f"migrations drift from shared.tables.metadata:\n{format_diff(diff)}"
    assert current_revision(url) == revisions_from_base(url)[-1]
    # The composite type the recorder looks up (not in `metadata`, so checked here).
    assert composite_type(url, STORED_EVENT_TYPE) == [
        ("originator_id", "uuid"),
        ("originator_version", "bigint"),
        ("topic", "text"),
        ("state", "bytea"),
    ]


def _copy(source: MetaData) -> MetaData:
    target = MetaData()
    for table in source.sorted_tables:
        table.to_metadata(target)
    return target


def _replace_name_index(target: MetaData) -> None:
    tags = target.tables["tags"]
    tags.indexes = {index for index in tags.indexes if index.name != "tags_tenant_name_key"}
    Index("tags_tenant_name_key", tags.c.tenant_id, func.upper(tags.c.name), unique=True)


def _drop_name_index(target: MetaData) -> None:
    tags = target.tables["tags"]
    tags.indexes = {index for index in tags.indexes if index.name != "tags_tenant_name_key"}


def _drop_server_default(target: MetaData) -> None:
    target.tables["projects"].c.task_count.server_default = None


def _drop_identity(target: MetaData) -> None:
    column = target.tables[EVENTS_TABLE].c.notification_id
    column.identity = None
    column.server_default = None


def _widen_type(target: MetaData) -> None:
    target.tables["idempotency_keys"].c.status.type = BigInteger()


@pytest.mark.parametrize(
    "mutate",
    [_replace_name_index, _drop_name_index, _drop_server_default, _drop_identity, _widen_type],
    ids=["index-expression", "index-missing", "server-default", "identity", "column-type"],
)
def test_the_drift_check_sees_the_differences_it_is_meant_to(
    migrated_url: str, mutate: Callable[[MetaData], None]
) -> None:
    """Guards the test above: autogenerate does compare expression indexes (`lower(name)`),
    server defaults, identity and types here, so an empty diff means no drift."""
    url = migrated_url
    target = _copy(metadata)
    assert drift(url, target) == []

    mutate(target)

    assert drift(url, target) != []


def test_upgrade_twice_changes_nothing(new_database: Callable[[str], str]) -> None:
    url = new_database("idempotent")
    migrate.upgrade(url)
    before = snapshot(url)
    with psycopg.connect(DatabaseAddress.parse(url).conninfo()) as conn:
        conn.execute(
            "INSERT INTO projection_tracking (name, stream_sequence, position)"
            " VALUES ('kept', 7, 5)"
        )

    migrate.upgrade(url)

    changes = schema_changes(before, snapshot(url))
    assert changes == [], "\n".join(changes)
    assert current_revision(url) == revisions_from_base(url)[-1]
    with psycopg.connect(DatabaseAddress.parse(url).conninfo()) as conn:
        rows = conn.execute("SELECT name, stream_sequence, position FROM projection_tracking")
        assert rows.fetchall() == [("kept", 7, 5)]


def test_downgrade_to_base_leaves_nothing_and_upgrade_works_again(
    new_database: Callable[[str], str],
) -> None:
    url = new_database("base")
    empty = snapshot(url)
    assert all(rows == [] for rows in empty.values()), empty
    migrate.upgrade(url)
    at_head = snapshot(url)
    assert (STORED_EVENT_TYPE, "c") in at_head["types"]

    migrate.downgrade(url, BASE)

    changes = schema_changes(empty, snapshot(url))
    assert changes == [], "left behind by the downgrade:\n" + "\n".join(changes)
    assert current_revision(url) is None
    with psycopg.connect(DatabaseAddress.parse(url).conninfo()) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
        assert tables == [("alembic_version",)]
        leftover_type = conn.execute(
            "SELECT typname FROM pg_type WHERE typname = ANY(%s)",
            ([STORED_EVENT_TYPE, f"_{STORED_EVENT_TYPE}"],),  # and its array type
        ).fetchall()
        assert leftover_type == []

    migrate.upgrade(url)

    changes = schema_changes(at_head, snapshot(url))
    assert changes == [], "\n".join(changes)
    assert drift(url, metadata) == []


def test_every_downgrade_undoes_its_upgrade(new_database: Callable[[str], str]) -> None:
    url = new_database("steps")
    revisions = revisions_from_base(url)
    assert len(revisions) >= 2
    chain: list[str | None] = [None, *revisions]
    schema_at: dict[str | None, Snapshot] = {None: snapshot(url)}
    for previous, revision in itertools.pairwise(chain):
        assert revision is not None
        migrate.upgrade(url, revision)
        assert current_revision(url) == revision
        schema_at[revision] = snapshot(url)
        assert schema_changes(schema_at[previous], schema_at[revision]), f"{revision} is empty"

    for previous, revision in reversed(list(itertools.pairwise(chain))):
        migrate.downgrade(url, previous or BASE)
        assert current_revision(url) == previous, f"downgrade of {revision}"
        changes = schema_changes(schema_at[previous], snapshot(url))
        assert changes == [], f"downgrade of {revision} does not undo its upgrade:\n" + "\n".join(
            changes
        )

    for revision in revisions:
        migrate.upgrade(url, revision)
        assert current_revision(url) == revision
        changes = schema_changes(schema_at[revision], snapshot(url))
        assert changes == [], f"{revision} applied again gives another schema:\n" + "\n".join(
            changes
        )
    assert drift(url, metadata) == []


def test_event_store_schema_matches_what_the_library_creates(
    migrated_url: str, new_database: Callable[[str], str]
) -> None:
    """The events table and its composite type belong to `eventsourcing`; services run
    with CREATE_TABLE=n, so the migration must create what the recorder would.

    Compared: columns (name, type, NOT NULL), indexes, constraints, the composite type
    and the notification_id sequence. Not compared: how notification_id gets its value
    (the library's `bigserial` default, our IDENTITY; both draw from a sequence of the
    same name) and the library's autovacuum storage parameters on the table."""
    library = new_database("events_library")
    env = DatabaseAddress.parse(library).eventsourcing_env(1, 0) | {"CREATE_TABLE": "y"}
    TaskstreamApplication(env=env).close()

    def event_store(url: str) -> Snapshot:
        whole = snapshot(url)
        owned = {EVENTS_TABLE, STORED_EVENT_TYPE}
        return {
            "columns": [row[:5] for row in whole["columns"] if row[0] in owned],
            "indexes": [row for row in whole["indexes"] if row[0] == EVENTS_TABLE],
            "constraints": [row for row in whole["constraints"] if row[0] == EVENTS_TABLE],
            "types": [row for row in whole["types"] if row[0] == STORED_EVENT_TYPE],
            "sequences": [row for row in whole["sequences"] if row[0].startswith(EVENTS_TABLE)],
        }

    ours = event_store(migrated_url)
    assert all(ours.values()), ours
    # "-": the library creates it, the migration does not; "+": the other way round.
    changes = schema_changes(event_store(library), ours)
    assert changes == [], "\n".join(changes)
