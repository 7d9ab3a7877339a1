"""What the OpenAPI documents say about errors: each is a problem document served as
application/problem+json, with the statuses a route can give."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

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
    409: "Conflict: the name is taken, or the object kept changing",
    412: "If-Match names a version that is not the current one",
    422: "Invalid request: the problem lists the offending fields",
    503: "Not ready: retry after the number of seconds in Retry-After",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for problem answers (media type fixed by
    `document_problems`)."""
    return {s: {"model": ProblemDocument, "description": _DESCRIPTIONS[s]} for s in statuses}


def document_problems(app: FastAPI) -> None:
    """Makes the OpenAPI document say what the API does: every error is a problem
    document served as application/problem+json, and every route may answer 401 and 422."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        problem = {"$ref": "#/components/schemas/ProblemDocument"}
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("ProblemDocument", ProblemDocument.model_json_schema())
        for path, operations in document.get("paths", {}).items():
            if not path.startswith("/api/"):
                continue
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status in ("401", "422"):
                    responses.setdefault(status, {"description": _DESCRIPTIONS[int(status)]})
                for status, response in responses.items():
                    if int(status) >= 400:
                        response["content"] = {MEDIA_TYPE: {"schema": problem}}
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
