"""Request and response shapes of the command API (distinct from events and read rows)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, StringConstraints

from shared.timestamps import Timestamp

ProjectName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
ProjectDescription = Annotated[str, StringConstraints(max_length=1000)]


class CreateProject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ProjectName
    description: ProjectDescription | None = None


class ProjectOut(BaseModel):
    id: UUID
    name: str
    description: str | None
    created_at: Timestamp
    updated_at: Timestamp
    version: int
    tasks: list[object]
