"""RFC 9457 problem details: the one shape every error of both APIs takes.

Raised anywhere as `Problem`; every other error becomes one in shared/problem_handlers.py,
and shared/problem_documents.py says so in the OpenAPI documents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.responses import JSONResponse

MEDIA_TYPE = "application/problem+json"


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


def problem_body(status: int, title: str, detail: str) -> dict[str, Any]:
    return {
        "type": f"https://taskstream.dev/problems/{status}",
        "title": title,
        "status": status,
        "detail": detail,
    }


def problem_response(problem: Problem) -> JSONResponse:
    body = problem_body(problem.status, problem.title, problem.detail)
    if problem.errors is not None:
        body["errors"] = problem.errors
    return JSONResponse(
        body, status_code=problem.status, headers=problem.headers, media_type=MEDIA_TYPE
    )


def not_found(kind: str) -> Problem:
    return Problem(404, "Not Found", f"no {kind} with that id exists for your tenant")
