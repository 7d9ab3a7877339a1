"""What the query API adds to the shared resources (shared/resources.py): the counts its
lists and tags carry, and the pages. PostgreSQL builds the JSON from these
models (services/query/queries.py), and they document it."""

from __future__ import annotations

from pydantic import BaseModel

from shared.resources import Project, Tag, Task


class ProjectSummary(Project):
    task_count: int


class TagWithCount(Tag):
    task_count: int


class ProjectPage(BaseModel):
    items: list[ProjectSummary]
    next_cursor: str | None


class TaskPage(BaseModel):
    items: list[Task]
    next_cursor: str | None


class TagPage(BaseModel):
    items: list[TagWithCount]
    next_cursor: str | None
