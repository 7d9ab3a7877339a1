"""The response headers both APIs send, each described once for the OpenAPI documents.

A header a client relies on is declared on every response that carries it, with its
schema, so a generated client and a conformance tool can check it. `required` says the
header is always sent with that response; the other ones are sent in some cases only.
"""

from __future__ import annotations

from typing import Any

Header = dict[str, Any]

ETAG: Header = {
    "description": 'The object\'s version as an entity tag, e.g. "3": send it back as If-Match '
    "to the command API, or as If-None-Match to the query API.",
    "required": True,
    "schema": {"type": "string"},
}
EVENT_POSITION: Header = {
    "description": "The global position of the last event this command recorded (or the "
    "current one when it recorded nothing): send it as X-Min-Position to the query API.",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}
LOCATION: Header = {
    "description": "The new object's URL on the query API.",
    "required": True,
    "schema": {"type": "string", "format": "uri"},
}
IDEMPOTENT_REPLAYED: Header = {
    "description": "Sent as `true` when this is the first answer to the same Idempotency-Key "
    "and body, given again; nothing new was recorded.",
    "required": False,
    "schema": {"type": "string", "enum": ["true"]},
}
PROJECTION_POSITION: Header = {
    "description": "The position of the event store the read model had applied when it answered.",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}
RETRY_AFTER: Header = {
    "description": "Seconds to wait before retrying.",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}


def _always_sent(description: str) -> Header:
    """A header every answer of its route carries, its value described in words."""
    return {"description": description, "required": True, "schema": {"type": "string"}}


CACHE_CONTROL = _always_sent(
    "`private, no-cache`: a shared cache must not keep a tenant's answer, "
    "and a client revalidates with If-None-Match."
)
VARY = _always_sent(
    "`X-Tenant-Token, Authorization, Accept-Encoding`: the answer depends "
    "on the caller and on the encodings it accepts."
)
SCHEMA_ETAG = _always_sent(
    "The schema's content as an entity tag: send it as If-None-Match to revalidate a kept copy."
)
PUBLIC_CACHE_CONTROL = _always_sent(
    "`public, max-age=3600`: any cache may keep it for an hour; a new minor "
    "of the major (additive) replaces it."
)
VARY_ENCODING = _always_sent(
    "`Accept-Encoding`: the answer depends only on the encodings the caller accepts."
)

WRITTEN = {"ETag": ETAG, "X-Event-Position": EVENT_POSITION}
"""What every successful command answers."""
CREATED = {**WRITTEN, "Location": LOCATION, "Idempotent-Replayed": IDEMPOTENT_REPLAYED}
READ = {"ETag": ETAG, "Cache-Control": CACHE_CONTROL, "Vary": VARY}
"""What a read of the query API answers, with its 200 and its 304."""
SCHEMA_READ = {"ETag": SCHEMA_ETAG, "Cache-Control": PUBLIC_CACHE_CONTROL, "Vary": VARY_ENCODING}
"""What a read of a published event schema answers, with its 200 and its 304."""
UNAVAILABLE = {"Retry-After": RETRY_AFTER}
ANSWERED_BY_QUERY = {"X-Projection-Position": PROJECTION_POSITION}
"""What every answer of the query API carries, problems included."""


def with_headers(response: dict[str, Any], headers: dict[str, Header]) -> dict[str, Any]:
    """`response` (an OpenAPI response object, or FastAPI's `responses=` entry) with
    `headers` added to those it declares."""
    if not headers:
        return response
    return {**response, "headers": {**response.get("headers", {}), **headers}}
