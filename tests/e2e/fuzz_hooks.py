"""Schemathesis hooks for the runs of tests/e2e/test_openapi_fuzz.py, loaded by the
`schemathesis` command through SCHEMATHESIS_HOOKS.

Each one keeps a check from judging what a request cannot tell it, and says why.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import schemathesis
from schemathesis.checks import not_a_server_error

from services.command.deps import ENTITY_TAGS, PRINTABLE

if TYPE_CHECKING:
    from schemathesis import CheckContext, HookContext, Response
    from schemathesis.core.failures import Failure
    from schemathesis.specs.openapi.schemas import OpenApiCase as Case

_KEY = re.compile(PRINTABLE)
_IF_MATCH = re.compile(ENTITY_TAGS)


@schemathesis.hook
def map_case(context: HookContext, case: Case) -> Case:
    """A valid Idempotency-Key is made unique: the same key with another body is refused
    by design (422), and a generator repeats short keys across bodies. A list cursor is
    left out: it is opaque, so no schema can say which strings the API issued (any
    other is a 400)."""
    headers: MutableMapping[str, Any] = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and _KEY.fullmatch(key) and len(key) <= 255:
        headers["Idempotency-Key"] = uuid4().hex
    if case.query:
        case.query.pop("cursor", None)
    return case


@schemathesis.check
def not_a_server_error_but_catching_up(
    ctx: CheckContext, response: Response, case: Case
) -> bool | None:
    """`not_a_server_error`, except the query API's designed answer to X-Min-Position.

    A read asking for a position the read model has not reached within the wait is
    answered 503 with Retry-After (services/query/freshness/gate.py): back-pressure, not
    a crash; `status_code_conformance` still checks that the 503 is documented.
    """
    if (
        response.status_code == 503
        and "retry-after" in response.headers
        and "X-Min-Position" in response.request.headers
    ):
        return None
    return not_a_server_error(ctx, response, case)


@schemathesis.hook
def filter_failure(context: HookContext, failure: Failure, case: Case, response: Response) -> bool:
    """An unknown request header is not invalid data: HTTP has a recipient ignore the
    header fields it does not recognize (RFC 9110, section 5.1), so its acceptance is no
    failure of `negative_data_rejection`.

    Nor is the refusal of an If-Match outside its pattern a failure of
    `positive_data_acceptance`: schemathesis's coverage phase makes header values of
    letters and digits only, so it cannot write the quotes every entity tag has, and
    sends such a value (`0`) as if it were valid."""
    headers: MutableMapping[str, Any] = case.headers or {}
    unknown = any("unknown-property" in name.lower() for name in headers)
    if_match = headers.get("If-Match")
    invalid = isinstance(if_match, str) and _IF_MATCH.fullmatch(if_match) is None
    return not ((failure.code == "ST201" and unknown) or (failure.code == "ST202" and invalid))
