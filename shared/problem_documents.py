"""What the OpenAPI documents say about errors: each is a problem document served as
application/problem+json, with the statuses a route can give."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from shared.openapi_headers import UNAVAILABLE, with_headers
from shared.problems import MEDIA_TYPE


class ProblemDocument(BaseModel):
    """The problem body, for OpenAPI documents (answered as application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


_DESCRIPTIONS = {
    400: "Malformed header or cursor",
    401: "Missing, malformed or expired tenant token",
    404: "No such object for this tenant",
    408: "The body did not arrive in time",
    409: "Conflict: the name is taken, or the object kept changing",
    412: "If-Match names no current version of the object",
    413: "The body is larger than the limit",
    415: "The body is not application/json",
    422: "Invalid request: the problem lists the offending fields",
    503: "Not available yet: retry after the number of seconds in Retry-After",
}
BODY_PROBLEMS = (408, 413, 415, 422)
"""What a route that reads a JSON body may answer about it."""


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for problem answers (media type fixed by
    `problems_as_documents`)."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        response = {"model": ProblemDocument, "description": _DESCRIPTIONS[status]}
        responses[status] = with_headers(response, UNAVAILABLE) if status == 503 else response
    return responses


def problems_as_documents(document: dict[str, Any]) -> None:
    """Every error of an API route is a problem document served as
    application/problem+json, every API route may answer 422, and every one that takes a
    token 401."""
    problem = {"$ref": "#/components/schemas/ProblemDocument"}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ProblemDocument", ProblemDocument.model_json_schema())
    for path, operations in document.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status in ("401", "422") if "security" in operation else ("422",):
                responses.setdefault(status, {"description": _DESCRIPTIONS[int(status)]})
            for status, response in responses.items():
                if int(status) >= 400:
                    response["content"] = {MEDIA_TYPE: {"schema": problem}}
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
