"""The one place where domain refusals become HTTP problems."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.command.domain.errors import Conflict, DomainError, NotFound, VersionMismatch
from shared.problems import Problem, problem_response

_STATUS: dict[type[DomainError], tuple[int, str]] = {
    NotFound: (404, "Not Found"),
    Conflict: (409, "Conflict"),
    VersionMismatch: (412, "Precondition Failed"),
}


async def _on_domain_error(_: Request, exc: Exception) -> JSONResponse:
    status, title = next(
        (v for cls, v in _STATUS.items() if isinstance(exc, cls)), (422, "Unprocessable Content")
    )
    return problem_response(Problem(status, title, str(exc)))


def install_domain_errors(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _on_domain_error)
