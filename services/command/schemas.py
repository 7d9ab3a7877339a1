"""Request shapes of the command API (distinct from events and read rows); it answers
with the resources both APIs share (shared/resources.py)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.command.domain.task import MAX_TAGS_PER_TASK
from shared.task_fields import Assignee, CalendarDate
from shared.task_status import Status
from shared.text_rules import NO_NUL, NOT_BLANK

Name255 = StringConstraints(strip_whitespace=True, min_length=1, max_length=255, pattern=NOT_BLANK)
ProjectName = Annotated[str, Name255]
ProjectDescription = Annotated[str, StringConstraints(max_length=1000, pattern=NO_NUL)]
TaskTitle = Annotated[str, Name255]
TaskDescription = Annotated[str, StringConstraints(max_length=10000, pattern=NO_NUL)]
TagName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NOT_BLANK)
]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]


def _document_not_nullable(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """The fields a patch refuses as null are documented as optional and not nullable:
    only the other branch of their `anyOf`, and no `null` default."""
    not_nullable: tuple[str, ...] = getattr(model, "not_nullable", ())
    for name in not_nullable:
        field = schema["properties"][name]
        field.pop("default", None)
        (kept,) = [branch for branch in field.pop("anyOf") if branch != {"type": "null"}]
        field.update(kept)


class _Patch(BaseModel):
    """A partial update: absent fields stay as they are; `null` clears a nullable field."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_document_not_nullable)
    not_nullable: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _no_null_for_required(self) -> Any:
        for name in self.not_nullable:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null; leave it out to keep it unchanged")
        return self

    def given(self, name: str) -> bool:
        return name in self.model_fields_set


class CreateProject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ProjectName
    description: ProjectDescription | None = None


class UpdateProject(_Patch):
    not_nullable = ("name",)

    name: ProjectName | None = None
    description: ProjectDescription | None = None


class CreateTask(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: TaskTitle
    description: TaskDescription | None = None
    status: Status = Status.PENDING
    tag_ids: list[UUID] = Field(default_factory=list, max_length=MAX_TAGS_PER_TASK)
    due_on: CalendarDate | None = None
    assignee: Assignee | None = None

    def keyed_form(self) -> dict[str, Any]:
        """The body as an Idempotency-Key compares it. The fields that came after the
        first version are left out while null, so that a request retried across the
        upgrade that added them still matches the one it repeats."""
        later = {name for name in ("due_on", "assignee") if getattr(self, name) is None}
        return self.model_dump(mode="json", exclude=later)


class UpdateTask(_Patch):
    not_nullable = ("title", "status", "project_id")

    title: TaskTitle | None = None
    description: TaskDescription | None = None
    status: Status | None = None
    project_id: UUID | None = None
    due_on: CalendarDate | None = None
    assignee: Assignee | None = None


class CreateTag(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TagName
    color: Color | None = None


class UpdateTag(_Patch):
    not_nullable = ("name",)

    name: TagName | None = None
    color: Color | None = None
