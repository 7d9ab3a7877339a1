"""The problem answers every write route may give, for the OpenAPI document."""

from __future__ import annotations

from shared.problem_documents import problem_responses

WRITE_RESPONSES = problem_responses(400, 401, 404, 409, 412, 422)
