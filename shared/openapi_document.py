"""The last touches FastAPI's document generation cannot make from the routes alone:
problems as application/problem+json, the security schemes, and the headers a service
adds to every answer."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from shared.openapi_headers import Header, with_headers
from shared.openapi_security import security_schemes
from shared.problem_documents import problems_as_documents


def operation_id(route: APIRoute) -> str:
    """An operation is named by its endpoint (`create_task`), the name a generated client
    gives the function that calls it; FastAPI's default adds the path and method."""
    return route.name


def complete_document(app: FastAPI, every_answer: dict[str, Header] | None = None) -> None:
    """`app`'s OpenAPI document, built once as FastAPI builds it, then completed;
    `every_answer` are headers a middleware adds to every response."""
    build = app.openapi
    every_answer = every_answer or {}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        problems_as_documents(document)
        document["components"]["securitySchemes"] = security_schemes()
        for item in document.get("paths", {}).values():
            for operation in item.values():
                responses = operation["responses"]
                for status, response in responses.items():
                    responses[status] = with_headers(response, every_answer)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
