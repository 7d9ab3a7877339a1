"""The four states of a task: one vocabulary for the domain that decides them, the
events that record them, the read model that stores them and both APIs that show them."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"
