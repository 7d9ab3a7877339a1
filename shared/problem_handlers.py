"""Every error a request can raise, answered as a problem: ours as they are, FastAPI's
and Starlette's translated, a lost database as 503, anything else as a logged 500.

Two of FastAPI's answers are made to say what RFC 9110 asks: a body FastAPI could not
read as JSON because it was not sent as JSON is a 415 naming the media type to send
(FastAPI reports it as a 422 about the body), and a 405's Allow lists every method of
the path (FastAPI's names only the methods of the one route it tried).
"""

from __future__ import annotations

import logging
from http import HTTPStatus

import psycopg
from eventsourcing import persistence
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from shared.problems import Problem, problem_response

logger = logging.getLogger(__name__)


async def _on_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if not _is_json(request.headers.get("content-type")) and any(
        tuple(e.get("loc", ()))[:1] == ("body",) for e in exc.errors()
    ):
        return problem_response(_not_json(request))
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


def _is_json(content_type: str | None) -> bool:
    """FastAPI's own rule for a body it parses as JSON."""
    if content_type is None:
        return False
    media_type = content_type.partition(";")[0].strip().lower()
    main, _, sub = media_type.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def _not_json(request: Request) -> Problem:
    sent = request.headers.get("content-type")
    what = "no Content-Type" if sent is None else f"Content-Type {sent}"
    accepts = {"POST": "Accept-Post", "PATCH": "Accept-Patch"}.get(request.method)
    return Problem(
        415,
        "Unsupported Media Type",
        f"the body must be JSON, sent with Content-Type: application/json (it came with {what})",
        headers={accepts: "application/json"} if accepts else None,
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed(request: Request) -> str:
    """Every method some route of the app takes on this path; HEAD wherever GET is
    (shared/head_requests.py answers it)."""
    routes = request.app.router.routes
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]
    if "GET" in allowed and "HEAD" not in allowed:
        allowed.insert(1, "HEAD")
    return ", ".join(allowed)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = HTTPStatus(exc.status_code).phrase
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed(request)
    return problem_response(Problem(exc.status_code, title, str(exc.detail), headers=headers))


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
