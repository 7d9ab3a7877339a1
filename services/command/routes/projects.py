"""Project commands: translate HTTP to a use case and back, nothing more."""

from __future__ import annotations

from functools import partial
from uuid import UUID, uuid4

from fastapi import APIRouter, Response

from services.command import rendering
from services.command.deps import KEYED, VERSIONED, CallDep, CommandRoute
from services.command.routes.responses import CHANGES, CREATES, UPDATES
from services.command.schemas import CreateProject, UpdateProject
from services.command.use_cases.decision import UNSET
from shared.openapi_document import operation_id
from shared.resources import Project, ProjectWithTasks

router = APIRouter(
    prefix="/api/v1",
    tags=["projects"],
    route_class=CommandRoute,
    generate_unique_id_function=operation_id,
)


@router.post(
    "/projects",
    status_code=201,
    response_model=ProjectWithTasks,
    responses=CREATES,
    openapi_extra=KEYED,
)
async def create_project(body: CreateProject, call: CallDep) -> Response:
    decide = partial(call.app.create_project, call.ctx, uuid4(), body.name, body.description)
    keyed = call.keyed(body.model_dump(mode="json"))
    return await call.commands.run(
        decide, partial(rendering.created_project, call.query_url), loads=False, keyed=keyed
    )


@router.patch(
    "/projects/{project_id}", response_model=Project, responses=UPDATES, openapi_extra=VERSIONED
)
async def update_project(project_id: UUID, body: UpdateProject, call: CallDep) -> Response:
    description = body.description if body.given("description") else UNSET
    decide = partial(
        call.app.update_project, call.ctx, project_id, call.if_match, body.name, description
    )
    return await call.commands.run(decide, rendering.updated_project, target=project_id)


@router.delete(
    "/projects/{project_id}",
    status_code=204,
    response_class=Response,
    responses=CHANGES,
    openapi_extra=VERSIONED,
)
async def delete_project(project_id: UUID, call: CallDep) -> Response:
    """Its tasks are deleted with it."""
    decide = partial(call.app.delete_project, call.ctx, project_id, call.if_match)
    return await call.commands.run(decide, rendering.no_content, target=project_id)
