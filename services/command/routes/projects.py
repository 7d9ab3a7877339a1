"""Project commands: translate HTTP to a use case and back, nothing more."""

from __future__ import annotations

from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Depends, Request, Response

from services.command.application import TaskstreamApplication
from services.command.deps import context, write_headers
from services.command.domain.base import Context
from services.command.domain.project import Project
from services.command.schemas import CreateProject, ProjectOut

router = APIRouter(prefix="/api/v1", tags=["projects"])


def application(request: Request) -> TaskstreamApplication:
    app: TaskstreamApplication = request.app.state.application
    return app


AppDep = Annotated[TaskstreamApplication, Depends(application)]
ContextDep = Annotated[Context, Depends(context)]


@router.post("/projects", status_code=201, response_model=ProjectOut)
def create_project(
    body: CreateProject, ctx: ContextDep, app: AppDep, response: Response
) -> ProjectOut:
    written = app.create_project(ctx, uuid4(), body.name, body.description)
    write_headers(response, written.aggregate.version, written.position)
    response.headers["Location"] = f"/api/v1/projects/{written.aggregate.id}"
    return project_out(written.aggregate)


def project_out(project: Project) -> ProjectOut:
    return ProjectOut(
        id=project.id,
        name=project.name,
        description=project.description,
        created_at=project.created_on,
        updated_at=project.modified_on,
        version=project.version,
        tasks=[],
    )
