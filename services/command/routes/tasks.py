"""Task commands, including tagging: translate HTTP to a use case and back."""

from __future__ import annotations

from functools import partial
from uuid import UUID, uuid4

from fastapi import APIRouter, Response

from services.command import rendering
from services.command.deps import KEYED, VERSIONED, CallDep, CommandRoute
from services.command.routes.responses import CHANGES, CREATES_IN, UPDATES
from services.command.schemas import CreateTask, UpdateTask
from services.command.use_cases.decision import UNSET
from services.command.use_cases.tasks import TaskEdit
from shared.openapi_document import operation_id
from shared.resources import Task

router = APIRouter(
    prefix="/api/v1",
    tags=["tasks"],
    route_class=CommandRoute,
    generate_unique_id_function=operation_id,
)


@router.post(
    "/projects/{project_id}/tasks",
    status_code=201,
    response_model=Task,
    responses=CREATES_IN,
    openapi_extra=KEYED,
)
async def create_task(project_id: UUID, body: CreateTask, call: CallDep) -> Response:
    decide = partial(
        call.app.create_task,
        call.ctx,
        project_id,
        uuid4(),
        body.title,
        body.description,
        body.status,
        body.tag_ids,
        due_on=body.due_on,
        assignee=body.assignee,
    )
    keyed = call.keyed(body.keyed_form())
    return await call.commands.run(
        decide, partial(rendering.created_task, call.query_url), keyed=keyed
    )


@router.patch("/tasks/{task_id}", response_model=Task, responses=UPDATES, openapi_extra=VERSIONED)
async def update_task(task_id: UUID, body: UpdateTask, call: CallDep) -> Response:
    """Changing `project_id` moves the task to another live project of the tenant;
    `due_on` or `assignee` given as null clears it."""
    edit = TaskEdit(
        title=body.title,
        description=body.description if body.given("description") else UNSET,
        status=body.status,
        project_id=body.project_id,
        due_on=body.due_on if body.given("due_on") else UNSET,
        assignee=body.assignee if body.given("assignee") else UNSET,
    )
    decide = partial(call.app.update_task, call.ctx, task_id, call.if_match, edit)
    return await call.commands.run(decide, rendering.updated_task, target=task_id)


@router.delete(
    "/tasks/{task_id}",
    status_code=204,
    response_class=Response,
    responses=CHANGES,
    openapi_extra=VERSIONED,
)
async def delete_task(task_id: UUID, call: CallDep) -> Response:
    decide = partial(call.app.delete_task, call.ctx, task_id, call.if_match)
    return await call.commands.run(decide, rendering.no_content, target=task_id)


@router.put(
    "/tasks/{task_id}/tags/{tag_id}",
    status_code=204,
    response_class=Response,
    responses=CHANGES,
    openapi_extra=VERSIONED,
)
async def tag_task(task_id: UUID, tag_id: UUID, call: CallDep) -> Response:
    """Tagging twice records one event. If-Match refers to the task's version."""
    decide = partial(call.app.tag_task, call.ctx, task_id, tag_id, call.if_match)
    return await call.commands.run(decide, rendering.no_content, target=task_id)


@router.delete(
    "/tasks/{task_id}/tags/{tag_id}",
    status_code=204,
    response_class=Response,
    responses=CHANGES,
    openapi_extra=VERSIONED,
)
async def untag_task(task_id: UUID, tag_id: UUID, call: CallDep) -> Response:
    decide = partial(call.app.untag_task, call.ctx, task_id, tag_id, call.if_match)
    return await call.commands.run(decide, rendering.no_content, target=task_id)
