"""GROUP_COMMIT off: each command saved by the library's own `save()` keeps the batch
writer's guarantees on PostgreSQL: versions relied on, tag names and Idempotency-Keys
are checked in the library's transaction, and the answer is the command's position."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import psycopg
import pytest

from services.command.app import create_app
from services.command.application import TaskstreamApplication
from services.command.domain.base import Context
from services.command.recording.group_commit import BatchWriter
from services.command.recording.idempotency import find_replay, keyed_request
from services.command.recording.library_saves import LibrarySaves
from services.command.recording.refusals import KeyUsed, NameTaken, Stale
from services.command.use_cases.decision import UNSET
from shared.database import DatabaseAddress
from shared.settings import Settings

CTX = Context(uuid4(), "test", datetime.now(UTC))


def test_a_stale_decision_is_refused_and_a_fresh_one_answers_its_position(
    app: TaskstreamApplication,
) -> None:
    saves = LibrarySaves(app)
    project = app.create_project(CTX, uuid4(), "p", None)
    created = asyncio.run(saves.record(project.change))
    stale = app.update_project(CTX, project.aggregate.id, None, "late", UNSET)
    renamed = asyncio.run(
        saves.record(app.update_project(CTX, project.aggregate.id, None, "first", UNSET).change)
    )
    with pytest.raises(Stale):
        asyncio.run(saves.record(stale.change))
    assert created < renamed == app.current_position()
    assert app.repository.get(project.aggregate.id).name == "first"
    assert (saves.commands, saves.batches) == (2, 2)


def test_a_taken_tag_name_is_refused_with_nothing_recorded(app: TaskstreamApplication) -> None:
    saves = LibrarySaves(app)
    asyncio.run(saves.record(app.create_tag(CTX, uuid4(), "Urgent", None).change))
    before = app.current_position()
    with pytest.raises(NameTaken):
        asyncio.run(saves.record(app.create_tag(CTX, uuid4(), "urgent", None).change))
    assert app.current_position() == before


def test_an_idempotency_answer_is_stored_with_the_command_s_position(
    app: TaskstreamApplication, database_url: str
) -> None:
    saves = LibrarySaves(app)
    keyed = keyed_request(CTX.tenant_id, "key-1", "POST", "/api/v1/projects", {"name": "p"})
    first = app.create_project(CTX, uuid4(), "p", None).change
    first.answer = keyed.answer(201, b"{}", {"ETag": '"1"'})
    position = asyncio.run(saves.record(first))
    again = app.create_project(CTX, uuid4(), "p", None).change
    again.answer = keyed.answer(201, b"{}", {"ETag": '"1"'})
    with pytest.raises(KeyUsed):
        asyncio.run(saves.record(again))
    with psycopg.connect(DatabaseAddress.parse(database_url).conninfo()) as conn:
        replay = find_replay(conn, keyed)
    assert replay is not None
    assert (replay.position, replay.status, replay.headers) == (position, 201, {"ETag": '"1"'})


@pytest.mark.parametrize(("off", "writer"), [("", BatchWriter), ("group_commit", LibrarySaves)])
async def test_the_composition_root_switches_group_commit_by_its_fast_path(
    settings: Settings, off: str, writer: type[object]
) -> None:
    app = create_app(settings.model_copy(update={"fast_paths_off": off}))
    async with app.router.lifespan_context(app):
        assert type(app.state.writer) is writer
