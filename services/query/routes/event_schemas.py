"""The published schemas of the events' data, where a CloudEvent's `dataschema` points:
`urn:taskstream:schema:<Type>:<major>` is served at `/api/v1/schemas/<Type>/<major>`, as
the major's latest minor (shared/event_schemas.py), byte for byte.

Public: a schema is no tenant's data, so the read gate lets these paths by (no token, no
X-Min-Position) and any cache may keep an answer. A major changes only by a new minor,
which is additive, so the ETag names the content and max-age bounds how long a cache may
go on serving the minor before.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from services.query.etags import etag_matches, etag_of
from services.query.routes.conventions import IF_NONE_MATCH
from shared import event_schemas
from shared.openapi_document import operation_id
from shared.openapi_headers import SCHEMA_READ
from shared.problem_documents import problem_responses
from shared.problems import Problem

MEDIA_TYPE = "application/schema+json"
CACHING = {"Cache-Control": "public, max-age=3600", "Vary": "Accept-Encoding"}


class SchemaDocument(Response):
    media_type = MEDIA_TYPE


router = APIRouter(prefix="/api/v1", tags=["schemas"], generate_unique_id_function=operation_id)


@router.get(
    "/schemas/{event_type}/{major}",
    response_class=SchemaDocument,
    responses={
        200: {
            "description": "The JSON Schema (draft 2020-12) of the event type's `data` at "
            "that major: its latest minor",
            "content": {MEDIA_TYPE: {"schema": {"type": "object"}}},
            "headers": SCHEMA_READ,
        },
        304: {
            "description": "Not modified since the ETag in If-None-Match",
            "headers": SCHEMA_READ,
        },
        **problem_responses(404),
    },
    openapi_extra={"parameters": [IF_NONE_MATCH]},
)
async def get_event_schema(
    event_type: str, major: Annotated[int, Path(ge=1)], request: Request
) -> Response:
    """The schema a CloudEvent's `dataschema` names; needs no token."""
    body, etag = _served(event_type, major)
    headers = {"ETag": etag, **CACHING}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return SchemaDocument(body, headers=headers)


@cache
def _served(event_type: str, major: int) -> tuple[bytes, str]:
    """The body and its ETag; a miss raises its problem, and is not kept."""
    try:
        majors = event_schemas.majors(event_type)
    except KeyError:
        raise Problem(
            404,
            "Not Found",
            f"no event type {event_type!r} has a published schema; a CloudEvent's "
            "dataschema urn:taskstream:schema:<type>:<major> is served at "
            "/api/v1/schemas/<type>/<major>",
        ) from None
    if major not in majors:
        published = ", ".join(str(m) for m in majors)
        raise Problem(
            404, "Not Found", f"{event_type} has no major {major} (published: {published})"
        )
    body = event_schemas.schema_bytes(event_type, major)
    return body, etag_of(body)
