"""Task commands, including tagging: translate HTTP to a use case and back."""

from __future__ import annotations

from functools import partial
from uuid import UUID, uuid4

from fastapi import APIRouter, Request, Response

from services.command import rendering
from services.command.application import UNSET, TaskEdit
from services.command.deps import AppDep, CommandsDep, ContextDep, IdempotencyKeyDep, IfMatchDep
from services.command.idempotency import keyed_request
from services.command.routes.responses import WRITE_RESPONSES
from services.command.schemas import CreateTask, TaskOut, UpdateTask

router = APIRouter(prefix="/api/v1", tags=["tasks"], responses=WRITE_RESPONSES)


@router.post("/projects/{project_id}/tasks", status_code=201, response_model=TaskOut)
async def create_task(
    project_id: UUID,
    body: CreateTask,
    ctx: ContextDep,
    app: AppDep,
    commands: CommandsDep,
    request: Request,
    key: IdempotencyKeyDep,
) -> Response:
    decide = partial(
        app.create_task,
        ctx,
        project_id,
        uuid4(),
        body.title,
        body.description,
        body.status,
        body.tag_ids,
    )
    keyed = key and keyed_request(
        ctx.tenant_id, key, "POST", request.url.path, body.model_dump(mode="json")
    )
    return await commands.run(decide, rendering.created_task, keyed=keyed or None)


@router.patch("/tasks/{task_id}", response_model=TaskOut)
async def update_task(
    task_id: UUID,
    body: UpdateTask,
    ctx: ContextDep,
    app: AppDep,
    commands: CommandsDep,
    version: IfMatchDep,
) -> Response:
    """Changing `project_id` moves the task to another live project of the tenant."""
    edit = TaskEdit(
        title=body.title,
        description=body.description if body.given("description") else UNSET,
        status=body.status,
        project_id=body.project_id,
    )
    decide = partial(app.update_task, ctx, task_id, version, edit)
    return await commands.run(decide, rendering.updated_task, target=task_id)


@router.delete("/tasks/{task_id}", status_code=204, response_class=Response)
async def delete_task(
    task_id: UUID, ctx: ContextDep, app: AppDep, commands: CommandsDep, version: IfMatchDep
) -> Response:
    decide = partial(app.delete_task, ctx, task_id, version)
    return await commands.run(decide, rendering.no_content, target=task_id)


@router.put("/tasks/{task_id}/tags/{tag_id}", status_code=204, response_class=Response)
async def tag_task(
    task_id: UUID,
    tag_id: UUID,
    ctx: ContextDep,
    app: AppDep,
    commands: CommandsDep,
    version: IfMatchDep,
) -> Response:
    """Tagging twice records one event. If-Match refers to the task's version."""
    decide = partial(app.tag_task, ctx, task_id, tag_id, version)
    return await commands.run(decide, rendering.no_content, target=task_id)


@router.delete("/tasks/{task_id}/tags/{tag_id}", status_code=204, response_class=Response)
async def untag_task(
    task_id: UUID,
    tag_id: UUID,
    ctx: ContextDep,
    app: AppDep,
    commands: CommandsDep,
    version: IfMatchDep,
) -> Response:
    decide = partial(app.untag_task, ctx, task_id, tag_id, version)
    return await commands.run(decide, rendering.no_content, target=task_id)
