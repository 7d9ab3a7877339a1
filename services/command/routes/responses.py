"""What each kind of command route may answer, for the OpenAPI document: its success
with the headers every write sends, and the problems it can give."""

from __future__ import annotations

from typing import Any

from shared.openapi_headers import CREATED, WRITTEN
from shared.problem_documents import BODY_PROBLEMS, problem_responses

Responses = dict[int | str, dict[str, Any]]
# 400: a malformed If-Match or Content-Length; 409: the name is taken, or the object kept
# changing under concurrent writes; 503: the database is unreachable.
_ANY_WRITE = (400, 401, 409, 503)


def _success(status: int, description: str, headers: dict[str, Any]) -> Responses:
    return {status: {"description": description, "headers": headers}}


CREATES = _success(201, "Created", CREATED) | problem_responses(*_ANY_WRITE, *BODY_PROBLEMS)
CREATES_IN = CREATES | problem_responses(404)
"""A create under a parent that must exist (a task in its project, with its tags)."""
UPDATES = _success(200, "Updated", WRITTEN) | problem_responses(
    *_ANY_WRITE, 404, 412, *BODY_PROBLEMS
)
CHANGES = _success(204, "Done", WRITTEN) | problem_responses(*_ANY_WRITE, 404, 412, 422)
"""A command without a body: a delete, a tagging."""
