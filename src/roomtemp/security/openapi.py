"""The OpenAPI schema states each operation's access: its scope, or that it is open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from roomtemp.security.access import Access, access_of, route_entries

_ERROR = {"$ref": "#/components/schemas/Error"}
"""The error schema, a component that api/openapi.py adds to the document."""
_REFUSALS = {
    "401": "no bearer token, or one the server does not know",
    "403": "the token lacks the scope, or the room is outside the token's room globs",
    "429": "the token's rate limit is used up; retry after Retry-After seconds",
}


def document_access(app: FastAPI) -> None:
    """Wrap app.openapi so the generated schema carries each route's access decision."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            annotate(schema, app)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def annotate(schema: dict[str, Any], app: FastAPI) -> None:
    """Add scope notes, `x-required-scope` and 401/403/429 answers to every operation."""
    for entry in route_entries(app):
        access = access_of(app, entry.route)
        for method in entry.methods if entry.include_in_schema else ():
            operation = schema["paths"].get(entry.path, {}).get(method.lower())
            if operation is not None and access is not None:
                _describe(operation, access)


def _describe(operation: dict[str, Any], access: Access) -> None:
    if access.scope is None:
        operation["security"] = []
        note = "Open: no token needed."
    else:
        operation["x-required-scope"] = access.scope.value
        note = (
            f"Needs a bearer token with the `{access.scope.value}` scope (`admin` includes every "
            "scope); a token limited to rooms reaches only rooms matching its globs."
        )
        responses = operation.setdefault("responses", {})
        for status, why in _REFUSALS.items():
            responses.setdefault(
                status,
                {"description": why, "content": {"application/json": {"schema": _ERROR}}},
            )
    description = operation.get("description", "")
    operation["description"] = f"{description}\n\n{note}".strip()
