"""How a caller authenticates, as the OpenAPI documents declare it: a tenant token in
`X-Tenant-Token` or as `Authorization: Bearer`, either one.

The schemes are FastAPI's own (`APIKeyHeader`, `HTTPBearer`), registered in the
document only: no route depends on them, so they never run. Every request is
authenticated once, by shared/auth.py, whether a fast path or FastAPI's own handler
serves it; a security dependency would add a second reading of the same header to
every request FastAPI's handler serves, for nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.security import APIKeyHeader, HTTPBearer

_WHAT_IT_IS = "a JWT signed with the tenant secret, its `tenant_id` claim naming the tenant"
TENANT_TOKEN = APIKeyHeader(
    name="X-Tenant-Token",
    scheme_name="TenantToken",
    description=f"The tenant token: {_WHAT_IT_IS}.",
    auto_error=False,
)
BEARER = HTTPBearer(
    scheme_name="Bearer",
    bearerFormat="JWT",
    description=f"The same token as `Authorization: Bearer <token>`: {_WHAT_IT_IS}.",
    auto_error=False,
)
SCHEMES = (TENANT_TOKEN, BEARER)

TOKEN_REQUIRED: list[dict[str, list[str]]] = [{scheme.scheme_name: []} for scheme in SCHEMES]
"""An operation's `security`: one of the two schemes suffices."""


def security_schemes() -> dict[str, Any]:
    """The document's `components.securitySchemes`, as FastAPI would write them."""
    return {
        scheme.scheme_name: jsonable_encoder(scheme.model, by_alias=True, exclude_none=True)
        for scheme in SCHEMES
    }
