"""The resources both APIs answer with: a project, a task, a tag, as the command API's
201/200 and the query API's reads show them.

Defined once, so the two services cannot drift apart: the command API renders these
models from its aggregates, and the query API's SQL builds its JSON from their fields
(services/query/queries.py). Field order is the order of the JSON keys.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel

from shared.task_status import Status
from shared.timestamps import Timestamp


class TagRef(BaseModel):
    """A tag as a task carries it."""

    id: UUID
    name: str
    color: str | None


class Project(BaseModel):
    id: UUID
    name: str
    description: str | None
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class Task(BaseModel):
    id: UUID
    project_id: UUID
    title: str
    description: str | None
    status: Status
    due_on: date | None
    assignee: str | None
    tags: list[TagRef]
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class ProjectWithTasks(Project):
    """The seed's nested view: the project with its tasks, each with its tags (a new
    project's is empty)."""

    tasks: list[Task]


class Tag(BaseModel):
    id: UUID
    name: str
    color: str | None
    created_at: Timestamp
    updated_at: Timestamp
    version: int
