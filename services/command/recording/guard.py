"""A batch as the event store's recorder runs it inside the transaction that records
its events (the `Guard` of shared/stored_events/recording.py), on either persistence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import Cursor

from services.command.recording import in_memory, statements
from services.command.recording.batch import Batch


@dataclass(frozen=True)
class BatchGuard:
    batch: Batch

    def before_events(self, cur: Cursor[tuple[Any, ...]]) -> None:
        statements.check_and_write_before(self.batch, cur)

    def after_events(self, cur: Cursor[tuple[Any, ...]]) -> None:
        statements.write_after(self.batch, cur)

    def in_memory(self, tables: dict[str, Any], version_of: Callable[[UUID], int]) -> None:
        in_memory.check_and_write(self.batch, tables, version_of)
