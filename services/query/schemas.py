"""What the query API adds to the shared resources (shared/resources.py): the counts its
lists and tags carry, and the pages. PostgreSQL builds the JSON (services/query/documents.py);
these models document it and are what that JSON is built from."""

from __future__ import annotations

from pydantic import BaseModel

from shared.resources import Project, Tag, Task


class ProjectSummary(Project):
    task_count: int


class CountedTag(Tag):
    task_count: int


class ProjectPage(BaseModel):
    items: list[ProjectSummary]
    next_cursor: str | None


class TaskPage(BaseModel):
    items: list[Task]
    next_cursor: str | None


class TagPage(BaseModel):
    items: list[CountedTag]
    next_cursor: str | None
