"""Where a service's routers join its app, with or without the plain routes fast path.

On (the default), the routes go into the app's own list as they are: FastAPI (0.165)
keeps an included router as a branch that every request walks, and our routers are
complete when added (prefix, tags and responses set on the router itself). Off
(`TASKSTREAM_FAST_PATHS_OFF=plain_routes`), every `PlainRoute` is rebuilt as FastAPI's
own `APIRoute` from the same arguments and the routers are included the library's way,
so the endpoints, their dependency and the OpenAPI document stay the same.
"""

from __future__ import annotations

import inspect

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from shared.fast_paths import FastPath
from shared.plain_routes import PlainRoute
from shared.settings import Settings

_ROUTE_ARGUMENTS = tuple(name for name in inspect.signature(APIRoute).parameters)


def add_routes(app: FastAPI, settings: Settings, *routers: APIRouter) -> None:
    """In the order given, and ahead of the routes FastAPI made itself (its OpenAPI
    document and the pages that show it): routes are tried in order on every request."""
    if settings.fast(FastPath.PLAIN_ROUTES):
        app.router.routes[:0] = [route for router in routers for route in router.routes]
        return
    ours = len(app.router.routes)
    for router in routers:
        standard = APIRouter()
        standard.routes.extend(_standard(route) for route in router.routes)
        app.include_router(standard)
    app.router.routes[:] = app.router.routes[ours:] + app.router.routes[:ours]


def _standard(route: BaseRoute) -> BaseRoute:
    """A plain route as FastAPI's own route class, from the arguments it was made with."""
    if not isinstance(route, PlainRoute):
        return route
    return APIRoute(**{name: getattr(route, name) for name in _ROUTE_ARGUMENTS})
