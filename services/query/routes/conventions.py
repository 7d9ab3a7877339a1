"""What every read route shares: its router's settings and what its OpenAPI entry says
(the headers it reads and answers, its 304, the bounds of `limit`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.query.reading import ReadRoute
from shared.headers import MAX_POSITION
from shared.openapi_document import operation_id
from shared.openapi_headers import READ
from shared.openapi_security import TOKEN_REQUIRED
from shared.problem_documents import problem_responses

Limit = Annotated[int, Query(ge=1, le=200)]
Responses = dict[int | str, dict[str, Any]]


def _read(model: type[BaseModel]) -> Responses:
    return {
        200: {"model": model, "headers": READ},
        304: {"description": "Not modified since the ETag in If-None-Match", "headers": READ},
    }


def reads_object(model: type[BaseModel]) -> Responses:
    """What a read of one object answers: 503 when X-Min-Position is not reached in time
    or the database is unreachable."""
    return _read(model) | problem_responses(401, 404, 422, 503)


def reads_page(model: type[BaseModel]) -> Responses:
    """What a list answers: 400 for a cursor it did not give (or given for another list)."""
    return _read(model) | problem_responses(400, 401, 422, 503)


def read_router(resource: str) -> APIRouter:
    return APIRouter(
        prefix="/api/v1",
        tags=[resource],
        route_class=ReadRoute,
        generate_unique_id_function=operation_id,
    )


IF_NONE_MATCH: dict[str, Any] = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "An ETag from an earlier answer: 304 if the body is unchanged.",
    "schema": {"type": "string"},
}
READ_HEADERS: dict[str, Any] = {
    "security": TOKEN_REQUIRED,
    "parameters": [
        {
            "name": "X-Min-Position",
            "in": "header",
            "required": False,
            "description": "Answer only once the read model has applied this position (a "
            "command's X-Event-Position); 503 with Retry-After past the wait bound.",
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_POSITION},
        },
        IF_NONE_MATCH,
    ],
}
