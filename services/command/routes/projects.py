"""Project commands: translate HTTP to a use case and back, nothing more."""

from __future__ import annotations

from functools import partial
from uuid import UUID, uuid4

from fastapi import APIRouter, Request, Response

from services.command import rendering
from services.command.application import UNSET
from services.command.deps import AppDep, CommandsDep, ContextDep, IdempotencyKeyDep, IfMatchDep
from services.command.idempotency import keyed_request
from services.command.routes.responses import WRITE_RESPONSES
from services.command.schemas import CreateProject, NewProjectOut, ProjectOut, UpdateProject

router = APIRouter(prefix="/api/v1", tags=["projects"], responses=WRITE_RESPONSES)


@router.post("/projects", status_code=201, response_model=NewProjectOut)
async def create_project(
    body: CreateProject,
    ctx: ContextDep,
    app: AppDep,
    commands: CommandsDep,
    request: Request,
    key: IdempotencyKeyDep,
) -> Response:
    decide = partial(app.create_project, ctx, uuid4(), body.name, body.description)
    keyed = key and keyed_request(
        ctx.tenant_id, key, "POST", request.url.path, body.model_dump(mode="json")
    )
    return await commands.run(decide, rendering.created_project, loads=False, keyed=keyed or None)


@router.patch("/projects/{project_id}", response_model=ProjectOut)
async def update_project(
    project_id: UUID,
    body: UpdateProject,
    ctx: ContextDep,
    app: AppDep,
    commands: CommandsDep,
    version: IfMatchDep,
) -> Response:
    description = body.description if body.given("description") else UNSET
    decide = partial(app.update_project, ctx, project_id, version, body.name, description)
    return await commands.run(decide, rendering.updated_project, target=project_id)


@router.delete("/projects/{project_id}", status_code=204, response_class=Response)
async def delete_project(
    project_id: UUID, ctx: ContextDep, app: AppDep, commands: CommandsDep, version: IfMatchDep
) -> Response:
    """Its tasks are deleted with it."""
    decide = partial(app.delete_project, ctx, project_id, version)
    return await commands.run(decide, rendering.no_content, target=project_id)
