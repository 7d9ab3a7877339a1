"""Response shapes of the query API, for the OpenAPI document (PostgreSQL builds the JSON)."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel

from shared.timestamps import Timestamp


class TagRef(BaseModel):
    id: UUID
    name: str
    color: str | None


class Task(BaseModel):
    id: UUID
    project_id: UUID
    title: str
    description: str | None
    status: str
    tags: list[TagRef]
    created_at: Timestamp
    updated_at: Timestamp
    version: int


class ProjectDetail(BaseModel):
    id: UUID
    name: str
    description: str | None
    created_at: Timestamp
    updated_at: Timestamp
    version: int
    tasks: list[Task]


class ProjectSummary(BaseModel):
    id: UUID
    name: str
    description: str | None
    created_at: Timestamp
    updated_at: Timestamp
    version: int
    task_count: int


class ProjectPage(BaseModel):
    items: list[ProjectSummary]
    next_cursor: str | None


class TaskPage(BaseModel):
    items: list[Task]
    next_cursor: str | None


class Tag(BaseModel):
    id: UUID
    name: str
    color: str | None
    created_at: Timestamp
    updated_at: Timestamp
    version: int
    task_count: int


class TagPage(BaseModel):
    items: list[Tag]
    next_cursor: str | None
