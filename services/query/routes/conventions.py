"""What every read route shares: its router's settings and what its OpenAPI entry says
(the headers it reads, its 304, the bounds of `limit`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.query.reading import ReadRoute
from shared.headers import MAX_POSITION
from shared.problem_documents import problem_responses

Limit = Annotated[int, Query(ge=1, le=200)]
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified since the ETag in If-None-Match"}
}


def read_router(resource: str) -> APIRouter:
    return APIRouter(
        prefix="/api/v1",
        tags=[resource],
        responses=problem_responses(400, 404, 503),
        route_class=ReadRoute,
    )


READ_HEADERS: dict[str, Any] = {
    "parameters": [
        {
            "name": "X-Tenant-Token",
            "in": "header",
            "required": False,
            "description": "The tenant's JWT (or send Authorization: Bearer <token>).",
            "schema": {"type": "string"},
        },
        {
            "name": "X-Min-Position",
            "in": "header",
            "required": False,
            "description": "Answer only once the read model has applied this position (a "
            "command's X-Event-Position); 503 with Retry-After past the wait bound.",
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_POSITION},
        },
        {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": "An ETag from an earlier answer: 304 if the body is unchanged.",
            "schema": {"type": "string"},
        },
    ]
}
