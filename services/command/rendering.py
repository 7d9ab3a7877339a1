"""From a decision to the HTTP answer: status, JSON body (a resource of
shared/resources.py, as the query API shows it), ETag and Location: the absolute URL
of the created resource on the query API (`query_url`), the one API that reads it."""

from __future__ import annotations

from typing import Any

from services.command.domain.project import Project
from services.command.domain.tag import Tag
from services.command.domain.task import Task
from services.command.handling import Answer
from services.command.use_cases.decision import Decision
from shared import resources


def _etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def project_out(project: Project) -> resources.Project:
    return resources.Project(**_project_fields(project))


def _project_fields(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "description": project.description,
        "created_at": project.created_on,
        "updated_at": project.modified_on,
        "version": project.version,
    }


def task_out(task: Task, tags: list[Tag]) -> resources.Task:
    return resources.Task(
        id=task.id,
        project_id=task.project_id,
        title=task.title,
        description=task.description,
        status=task.status,
        due_on=task.due_on,
        assignee=task.assignee,
        tags=[resources.TagRef(id=t.id, name=t.name, color=t.color) for t in tags],
        created_at=task.created_on,
        updated_at=task.modified_on,
        version=task.version,
    )


def tag_out(tag: Tag) -> resources.Tag:
    return resources.Tag(
        id=tag.id,
        name=tag.name,
        color=tag.color,
        created_at=tag.created_on,
        updated_at=tag.modified_on,
        version=tag.version,
    )


def _location(query_url: str, kind: str, id: object) -> dict[str, str]:
    return {"Location": f"{query_url}/api/v1/{kind}/{id}"}


def created_project(query_url: str, decision: Decision[Any]) -> Answer:
    project: Project = decision.aggregate
    body = (
        resources.ProjectWithTasks(**_project_fields(project), tasks=[]).model_dump_json().encode()
    )
    headers = _etag(project.version) | _location(query_url, "projects", project.id)
    return Answer(201, body, headers)


def updated_project(decision: Decision[Any]) -> Answer:
    project: Project = decision.aggregate
    return Answer(200, project_out(project).model_dump_json().encode(), _etag(project.version))


def created_task(query_url: str, decision: Decision[Any]) -> Answer:
    task: Task = decision.aggregate
    body = task_out(task, decision.tags).model_dump_json().encode()
    return Answer(201, body, _etag(task.version) | _location(query_url, "tasks", task.id))


def updated_task(decision: Decision[Any]) -> Answer:
    task: Task = decision.aggregate
    body = task_out(task, decision.tags).model_dump_json().encode()
    return Answer(200, body, _etag(task.version))


def created_tag(query_url: str, decision: Decision[Any]) -> Answer:
    tag: Tag = decision.aggregate
    body = tag_out(tag).model_dump_json().encode()
    return Answer(201, body, _etag(tag.version) | _location(query_url, "tags", tag.id))


def updated_tag(decision: Decision[Any]) -> Answer:
    tag: Tag = decision.aggregate
    return Answer(200, tag_out(tag).model_dump_json().encode(), _etag(tag.version))


def no_content(decision: Decision[Any]) -> Answer:
    return Answer(204, b"", _etag(decision.aggregate.version), media_type=None)
