"""Tag commands: translate HTTP to a use case and back."""

from __future__ import annotations

from functools import partial
from uuid import UUID, uuid4

from fastapi import APIRouter, Request, Response

from services.command import rendering
from services.command.application import UNSET
from services.command.deps import AppDep, CommandsDep, ContextDep, IdempotencyKeyDep, IfMatchDep
from services.command.idempotency import keyed_request
from services.command.routes.responses import WRITE_RESPONSES
from services.command.schemas import CreateTag, TagOut, UpdateTag

router = APIRouter(prefix="/api/v1", tags=["tags"], responses=WRITE_RESPONSES)


@router.post("/tags", status_code=201, response_model=TagOut)
async def create_tag(
    body: CreateTag,
    ctx: ContextDep,
    app: AppDep,
    commands: CommandsDep,
    request: Request,
    key: IdempotencyKeyDep,
) -> Response:
    """409 when the tenant already has a tag of that name, ignoring case."""
    decide = partial(app.create_tag, ctx, uuid4(), body.name, body.color)
    keyed = key and keyed_request(
        ctx.tenant_id, key, "POST", request.url.path, body.model_dump(mode="json")
    )
    return await commands.run(decide, rendering.created_tag, loads=False, keyed=keyed or None)


@router.patch("/tags/{tag_id}", response_model=TagOut)
async def update_tag(
    tag_id: UUID,
    body: UpdateTag,
    ctx: ContextDep,
    app: AppDep,
    commands: CommandsDep,
    version: IfMatchDep,
) -> Response:
    color = body.color if body.given("color") else UNSET
    decide = partial(app.update_tag, ctx, tag_id, version, body.name, color)
    return await commands.run(decide, rendering.updated_tag, target=tag_id)


@router.delete("/tags/{tag_id}", status_code=204, response_class=Response)
async def delete_tag(
    tag_id: UUID, ctx: ContextDep, app: AppDep, commands: CommandsDep, version: IfMatchDep
) -> Response:
    """The tag is removed from every task."""
    decide = partial(app.delete_tag, ctx, tag_id, version)
    return await commands.run(decide, rendering.no_content, target=tag_id)
