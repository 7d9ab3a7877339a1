"""The problem answers every write route may give, for the OpenAPI document."""

from __future__ import annotations

from typing import Any

from shared.problems import ProblemDocument


def _problem(description: str) -> dict[str, Any]:
    return {"model": ProblemDocument, "description": description}


WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem("Malformed header (If-Match, Idempotency-Key)"),
    401: _problem("Missing, malformed or expired tenant token"),
    404: _problem("No such object for this tenant"),
    409: _problem("Conflict: the name is taken, or the object kept changing"),
    412: _problem("If-Match names a version that is not the current one"),
    422: _problem("Invalid body, or an Idempotency-Key reused for another request"),
}
