"""Tag reads, each with the number of tasks that carry the tag."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from services.query import pages
from services.query.pagination import decode_cursor, list_scope, page_body
from services.query.reading import READ_HEADERS, ReadDep, ReadRoute
from services.query.routes.projects import NOT_MODIFIED, Limit
from services.query.schemas import CountedTag, TagPage
from shared.problems import not_found, problem_responses

router = APIRouter(
    prefix="/api/v1",
    tags=["tags"],
    responses=problem_responses(400, 404, 503),
    route_class=ReadRoute,
)


@router.get(
    "/tags", responses={200: {"model": TagPage}, **NOT_MODIFIED}, openapi_extra=READ_HEADERS
)
async def list_tags(read: ReadDep, limit: Limit = 50, cursor: str | None = None) -> Response:
    scope = list_scope("tags", read.caller.tenant_id)
    items, next_key = await pages.tag_page(
        read.pool, read.caller.tenant_id, decode_cursor(cursor, scope), limit
    )
    return read.json(page_body(items, next_key, scope))


@router.get(
    "/tags/{tag_id}",
    responses={200: {"model": CountedTag}, **NOT_MODIFIED},
    openapi_extra=READ_HEADERS,
)
async def get_tag(tag_id: UUID, read: ReadDep) -> Response:
    body = await read.objects.tag(read.caller.tenant_id, tag_id)
    if body is None:
        raise not_found("tag")
    return read.json(body)
