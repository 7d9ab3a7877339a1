"""Every error a request can raise, answered as a problem: ours as they are, FastAPI's
and Starlette's translated, a lost database as 503, anything else as a logged 500."""

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

from shared.problems import Problem, problem_response

logger = logging.getLogger(__name__)


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
