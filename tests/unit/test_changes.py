"""Which versions a batch reads before recording: all a command relied on, except the
version 0 of what it creates itself."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from services.command.domain.base import Context, TenantAggregate
from services.command.domain.project import Project
from services.command.recording.changes import Change

CTX = Context(uuid4(), "test", datetime.now(UTC))


def events(project: Project) -> list[TenantAggregate.Event]:
    return [e for e in project.collect_events() if isinstance(e, TenantAggregate.Event)]


def test_a_create_reads_no_version() -> None:
    project = Project.create(CTX, uuid4(), "p", None)
    change = Change(events(project), {project.id: 0})
    assert change.checked_versions() == []


def test_what_a_command_reads_or_expects_absent_without_creating_is_checked() -> None:
    project = Project.create(CTX, uuid4(), "p", None)
    other, absent = uuid4(), uuid4()
    change = Change(events(project), {project.id: 0, other: 3, absent: 0})
    assert sorted(change.checked_versions()) == sorted([other, absent])
