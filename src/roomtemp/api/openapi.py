"""The OpenAPI document, completed so that client generators accept it.

FastAPI documents the models routes declare; this adds what it cannot see: the reading input as a
named component (the push routes read their bodies themselves, in several formats), a named
error schema on every non-2xx answer an operation can give, and 503 on every operation that
touches storage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from roomtemp.validation import ReadingIn

READING_SCHEMA = {"$ref": "#/components/schemas/ReadingIn"}
"""A reading as sent, for request bodies declared by hand."""
ERROR_REF = {"$ref": "#/components/schemas/Error"}
INFLUX_ERROR_REF = {"$ref": "#/components/schemas/InfluxError"}
PROBLEMS_REF = {"$ref": "#/components/schemas/HTTPValidationError"}
"""FastAPI's schema of a 422: every problem with its location."""

_COMPONENTS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "title": "Error",
        "description": "Every error answer but 422: what went wrong, in words",
        "properties": {"detail": {"type": "string", "title": "Detail"}},
        "required": ["detail"],
    },
    "InfluxError": {
        "type": "object",
        "title": "InfluxError",
        "description": "An error of the InfluxDB write routes, in InfluxDB's shape",
        "properties": {
            "code": {"type": "string", "title": "Code", "examples": ["invalid"]},
            "message": {"type": "string", "title": "Message"},
        },
        "required": ["code", "message"],
    },
}
_UNAVAILABLE = "storage unavailable, or the outage spool is full; retry after Retry-After seconds"


def document_answers(app: FastAPI) -> None:
    """Wrap app.openapi so the generated document has named input and error schemas."""
    generate: Callable[[], dict[str, Any]] = app.openapi
    completed: list[bool] = []

    def openapi() -> dict[str, Any]:
        schema = generate()
        if not completed:
            complete(schema)
            completed.append(True)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(schema: dict[str, Any]) -> None:
    """Add the named schemas, and an error schema to every error answer that has none."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    reading = ReadingIn.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(reading.pop("$defs", {}))
    components["ReadingIn"] = reading
    components.update(_COMPONENTS)
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            _complete_operation(path, operation)


def _complete_operation(path: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    if "x-required-scope" in operation:
        responses.setdefault("503", {"description": _UNAVAILABLE})
    if "application/json" in operation.get("requestBody", {}).get("content", {}):
        # FastAPI's own answer to a body that is not JSON at all (not UTF-8, say)
        responses.setdefault("400", {"description": "the body is not JSON"})
    influx = operation.get("x-error-shape") == "influx"
    error = INFLUX_ERROR_REF if influx else ERROR_REF
    for status, response in responses.items():
        if status[0] in "45" and (influx or "content" not in response):
            shape = PROBLEMS_REF if status == "422" and not influx else error
            response["content"] = {"application/json": {"schema": shape}}
