"""A route class that reads a plain request's arguments itself: stands in for FastAPI's
own request handler (its dependency solver and its generic body reading).

FastAPI resolves every route's parameters generically on each request: its dependency
solver, then a JSON parse and a validation of the parsed dict. Most of our routes have
one plain shape: UUID path parameters, at most one JSON body model, and one dependency
of the service (`Call`, `Read`). `PlainRoute` reads exactly that: the path through
pydantic's UUID validator, the body by the model's own JSON validation, the dependency
by calling it. Anything else (another content type, a path or body that does not
validate) goes to FastAPI's own handler for the route, which answers it exactly as
before (422 problems included); an endpoint of another shape (a list with query
parameters) keeps FastAPI's handler altogether. Switched by `FastPath.PLAIN_ROUTES`
(shared/routes.py); bench/machinery/plain_routes.py measures it.
"""

from __future__ import annotations

import contextlib
import inspect
import typing
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
_UUID = TypeAdapter(UUID)


class PlainRoute(APIRoute):
    """Subclasses name the one dependency their endpoints take (`Annotated[T, Depends(f)]`,
    `f` taking the request, as a coroutine or an async generator)."""

    dependency: ClassVar[object]

    def get_route_handler(self) -> Handler:
        standard: Handler = super().get_route_handler()
        shape = Shape.of(self.endpoint, set(self.param_convertors), self.dependency)
        if shape is None:
            return standard
        endpoint: Callable[..., Coroutine[Any, Any, Response]] = self.endpoint
        provide = typing.get_args(self.dependency)[1].dependency
        if inspect.isasyncgenfunction(provide):
            provided = contextlib.asynccontextmanager(provide)

            async def handler(request: Request) -> Response:
                arguments = await shape.arguments(request)
                if arguments is None:
                    return await standard(request)
                async with provided(request) as value:
                    arguments[shape.dependency] = value
                    return await endpoint(**arguments)

            return handler

        async def call_handler(request: Request) -> Response:
            arguments = await shape.arguments(request)
            if arguments is None:
                return await standard(request)
            arguments[shape.dependency] = await provide(request)
            return await endpoint(**arguments)

        return call_handler


@dataclass(frozen=True)
class Shape:
    """Where a plain endpoint's arguments come from."""

    path: tuple[str, ...]
    body: tuple[str, type[BaseModel]] | None
    dependency: str

    @classmethod
    def of(
        cls, endpoint: Callable[..., Any], path_names: set[str], dependency: object
    ) -> Shape | None:
        """None unless every parameter is a UUID of the path, the body model, or the
        dependency."""
        hints = typing.get_type_hints(endpoint, include_extras=True)
        path: list[str] = []
        body: tuple[str, type[BaseModel]] | None = None
        provided: str | None = None
        for name in inspect.signature(endpoint).parameters:
            hint = hints.get(name)
            if hint is UUID and name in path_names:
                path.append(name)
            elif hint == dependency and provided is None:
                provided = name
            elif isinstance(hint, type) and issubclass(hint, BaseModel) and body is None:
                body = (name, hint)
            else:
                return None
        if provided is None or set(path) != path_names:
            return None
        return cls(tuple(path), body, provided)

    async def arguments(self, request: Request) -> dict[str, Any] | None:
        """The endpoint's arguments but the dependency; None if FastAPI should read them.
        Read before the dependency runs, so that falling back costs it nothing."""
        arguments: dict[str, Any] = {}
        try:
            for name in self.path:
                arguments[name] = _UUID.validate_python(request.path_params[name])
            if self.body is not None:
                if not _is_json(request.headers.get("content-type")):
                    return None
                name, model = self.body
                arguments[name] = model.model_validate_json(await request.body())
        except ValidationError:
            return None
        return arguments


def _is_json(content_type: str | None) -> bool:
    return (
        content_type is not None
        and content_type.partition(";")[0].strip().lower() == "application/json"
    )
