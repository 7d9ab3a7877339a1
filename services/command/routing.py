"""Command routes whose arguments are read without FastAPI's per-request machinery.

FastAPI resolves a route's parameters generically on every request: its dependency
solver, then a JSON parse and a validation of the parsed dict. For a small command
here that cost more CPU than anything of ours (about 140 of 180 us per request in
process, against 50 for this route class). Every command route has one shape: UUID
path parameters, at most one JSON body model, and the caller's `Call`. So
`CommandRoute` reads exactly those: the path through one UUID validator, the body by
the model's own JSON validation.

Only the plain case is read here. Another content type, or a path or body that does
not validate, goes to FastAPI's own handler for the route, which answers it exactly
as before (its 422 problems included); an endpoint of another shape keeps FastAPI's
handler altogether. FastAPI still declares, documents and routes every command.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError

from services.command.deps import CallDep, command_call

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
_UUID = TypeAdapter(UUID)


class CommandRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        standard: Handler = super().get_route_handler()
        shape = Shape.of(self.endpoint, set(self.param_convertors))
        if shape is None:
            return standard
        endpoint: Callable[..., Awaitable[Response]] = self.endpoint

        async def handler(request: Request) -> Response:
            call = await command_call(request)
            arguments = await shape.arguments(request)
            if arguments is None:
                return await standard(request)
            arguments[shape.call] = call
            return await endpoint(**arguments)

        return handler


@dataclass(frozen=True)
class Shape:
    """Where a command endpoint's arguments come from."""

    path: tuple[str, ...]
    body: tuple[str, type[BaseModel]] | None
    call: str

    @classmethod
    def of(cls, endpoint: Callable[..., Any], path_names: set[str]) -> Shape | None:
        """None unless every parameter is a UUID of the path, the body model, or the Call."""
        hints = typing.get_type_hints(endpoint, include_extras=True)
        path: list[str] = []
        body: tuple[str, type[BaseModel]] | None = None
        call: str | None = None
        for name in inspect.signature(endpoint).parameters:
            hint = hints.get(name)
            if hint is UUID and name in path_names:
                path.append(name)
            elif hint == CallDep and call is None:
                call = name
            elif isinstance(hint, type) and issubclass(hint, BaseModel) and body is None:
                body = (name, hint)
            else:
                return None
        if call is None or set(path) != path_names:
            return None
        return cls(tuple(path), body, call)

    async def arguments(self, request: Request) -> dict[str, Any] | None:
        """The endpoint's arguments but the Call; None if FastAPI should read them."""
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
