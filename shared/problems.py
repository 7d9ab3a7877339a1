"""RFC 9457 problem details: the one shape every error of both APIs takes."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import psycopg
from eventsourcing import persistence
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger(__name__)


class Problem(Exception):
    """An error a client can act on; raised anywhere, answered in one place."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})
        self.errors = list(errors) if errors is not None else None


def problem_response(problem: Problem) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://taskstream.dev/problems/{problem.status}",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    return JSONResponse(
        body, status_code=problem.status, headers=problem.headers, media_type=MEDIA_TYPE
    )


def not_found(kind: str) -> Problem:
    return Problem(404, "Not Found", f"no {kind} with that id exists for your tenant")


async def _on_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc)


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
        for e in exc.errors()
    ]
    fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors)
    return problem_response(
        Problem(
            422, "Unprocessable Content", f"the request is not valid: check {fields}", errors=errors
        )
    )


async def _on_http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = HTTPStatus(exc.status_code).phrase
    return problem_response(
        Problem(exc.status_code, title, str(exc.detail), headers=exc.headers or None)
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", extra={"path": request.url.path})
    return problem_response(
        Problem(500, "Internal Server Error", "the server failed; the error has been logged")
    )


async def _on_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database went away (a restart, a failover): the client can retry, not
    just give up as on a 500. The services reconnect on their own."""
    logger.warning("database unavailable", extra={"path": request.url.path, "error": repr(exc)})
    return problem_response(
        Problem(
            503,
            "Service Unavailable",
            "the database is unavailable; retry shortly (a command sent with an "
            "Idempotency-Key can be sent again safely: it is never applied twice)",
            headers={"Retry-After": "1"},
        )
    )


# What a lost or refused database connection raises, through psycopg, its pool, and
# the eventsourcing library's recorder.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    PoolTimeout,
    persistence.OperationalError,
    persistence.InterfaceError,
)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    for error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, _on_database_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)


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
