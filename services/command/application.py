"""The event store of every tenant, and the use cases that decide on it.

The persistence is the library's, chosen by its environment: PostgreSQL
(`PERSISTENCE_MODULE=eventsourcing.postgres`, what the services run) or its in-memory
POPO recorder (the default, what the use-case unit tests run). Either recorder runs a
batch's checks in the transaction that records its events, so the rules are the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, IntegrityError

from services.command.recording.batch import Batch
from services.command.recording.changes import Change
from services.command.recording.guard import BatchGuard
from services.command.recording.refusals import Rejected, Stale
from services.command.use_cases.decision import Decision
from services.command.use_cases.projects import ProjectUseCases
from services.command.use_cases.tagging import TaggingUseCases
from services.command.use_cases.tags import TagUseCases
from services.command.use_cases.tasks import TaskUseCases
from shared.database import EVENT_STORE_NAME
from shared.stored_events.recording import GUARD, in_memory_recorder


class TaskstreamApplication(ProjectUseCases, TaskUseCases, TaggingUseCases, TagUseCases):
    """`name` fixes the table (`taskstream_events`)."""

    name = EVENT_STORE_NAME
    env = {"APPLICATION_RECORDER_TOPIC": "services.command.recording.recorder:TaskstreamRecorder"}

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env=env)

    def construct_recorder(self) -> ApplicationRecorder:
        return in_memory_recorder(self.factory) or super().construct_recorder()

    def current_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def record(self, decision: Decision[Any]) -> int:
        return self.record_change(decision.change)

    def record_change(self, change: Change) -> int:
        """Saves one command's change by the library's own `save()`, its checks inside
        the library's transaction; the position of its last event (or the current one
        when it has none). Refused as the batch writer refuses it: Stale, KeyUsed or
        NameTaken."""
        if not change.events:
            return self.current_position()
        try:
            recordings = self.save(*change.events, **{GUARD: BatchGuard(Batch([change]))})
        except Rejected as rejected:
            raise next(iter(rejected.rejections.values())) from None
        except IntegrityError as e:
            raise Stale() from e
        return max(r.notification.id for r in recordings)
