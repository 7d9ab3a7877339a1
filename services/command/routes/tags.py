"""Tag commands: translate HTTP to a use case and back."""

from __future__ import annotations

from functools import partial
from uuid import UUID, uuid4

from fastapi import APIRouter, Response

from services.command import rendering
from services.command.deps import KEYED, VERSIONED, CallDep, CommandRoute
from services.command.routes.responses import CHANGES, CREATES, UPDATES
from services.command.schemas import CreateTag, UpdateTag
from services.command.use_cases.decision import UNSET
from shared.openapi_document import operation_id
from shared.resources import Tag

router = APIRouter(
    prefix="/api/v1",
    tags=["tags"],
    route_class=CommandRoute,
    generate_unique_id_function=operation_id,
)


@router.post("/tags", status_code=201, response_model=Tag, responses=CREATES, openapi_extra=KEYED)
async def create_tag(body: CreateTag, call: CallDep) -> Response:
    """409 when the tenant already has a tag of that name, ignoring case."""
    decide = partial(call.app.create_tag, call.ctx, uuid4(), body.name, body.color)
    keyed = call.keyed(body.model_dump(mode="json"))
    return await call.commands.run(
        decide, partial(rendering.created_tag, call.query_url), loads=False, keyed=keyed
    )


@router.patch("/tags/{tag_id}", response_model=Tag, responses=UPDATES, openapi_extra=VERSIONED)
async def update_tag(tag_id: UUID, body: UpdateTag, call: CallDep) -> Response:
    color = body.color if body.given("color") else UNSET
    decide = partial(call.app.update_tag, call.ctx, tag_id, call.if_match, body.name, color)
    return await call.commands.run(decide, rendering.updated_tag, target=tag_id)


@router.delete(
    "/tags/{tag_id}",
    status_code=204,
    response_class=Response,
    responses=CHANGES,
    openapi_extra=VERSIONED,
)
async def delete_tag(tag_id: UUID, call: CallDep) -> Response:
    """The tag is removed from every task."""
    decide = partial(call.app.delete_tag, call.ctx, tag_id, call.if_match)
    return await call.commands.run(decide, rendering.no_content, target=tag_id)
