"""Tag reads, each with the number of tasks that carry the tag."""

from __future__ import annotations

from uuid import UUID

from fastapi.responses import Response

from services.query import pages
from services.query.pagination import decode_cursor, list_scope, page_body
from services.query.reading import ReadDep
from services.query.routes.conventions import (
    READ_HEADERS,
    Limit,
    read_router,
    reads_object,
    reads_page,
)
from services.query.schemas import TagPage, TagWithCount
from shared.problems import not_found

router = read_router("tags")


@router.get("/tags", responses=reads_page(TagPage), openapi_extra=READ_HEADERS)
async def list_tags(read: ReadDep, limit: Limit = 50, cursor: str | None = None) -> Response:
    scope = list_scope("tags", read.caller.tenant_id)
    items, next_key = await pages.tag_page(
        read.pool, read.caller.tenant_id, decode_cursor(cursor, scope), limit
    )
    return read.json(page_body(items, next_key, scope))


@router.get(
    "/tags/{tag_id}",
    responses=reads_object(TagWithCount),
    openapi_extra=READ_HEADERS,
)
async def get_tag(tag_id: UUID, read: ReadDep) -> Response:
    found = await read.objects.tag(read.caller.tenant_id, tag_id)
    if found is None:
        raise not_found("tag")
    return read.one(found)
