"""Domain errors to HTTP answers, in one place."""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from roomtemp.errors import (
    ConflictingReading,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    RateLimited,
    RoomNotFound,
    StorageError,
    StorageUnavailable,
    TooLarge,
)

log = logging.getLogger("roomtemp.api")


def _detail(status: int, detail: object, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidInput)
    _count_rejected(request, "invalid")
    return _detail(422, [{"loc": list(p.loc), "msg": p.msg, "type": p.type} for p in exc.problems])


class _AsciiJSONResponse(JSONResponse):
    """JSON with every non-ASCII character escaped: a lone surrogate sent in a body and named in
    an error's location cannot be encoded as UTF-8, but can be escaped."""

    def render(self, content: object) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


async def _request_invalid(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own validation errors, in the shape of ours: loc, msg, type (input not echoed)."""
    assert isinstance(exc, RequestValidationError)
    _count_rejected(request, "invalid")
    problems = [
        {"loc": list(error["loc"]), "msg": str(error["msg"]), "type": str(error["type"])}
        for error in exc.errors()
    ]
    return _AsciiJSONResponse({"detail": problems}, status_code=422)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return _detail(404, str(exc))


async def _conflict(request: Request, exc: Exception) -> JSONResponse:
    _count_rejected(request, "conflict")
    return _detail(409, str(exc))


async def _too_large(request: Request, exc: Exception) -> JSONResponse:
    _count_rejected(request, "too_large")
    return _detail(413, str(exc))


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StorageUnavailable)
    log.warning("storage unavailable: %s", exc)
    return _detail(503, str(exc), {"Retry-After": str(exc.retry_after_seconds)})


async def _storage_failed(request: Request, exc: Exception) -> JSONResponse:
    log.error("storage failed: %s", exc)
    return _detail(503, f"storage failed: {exc}", {"Retry-After": "5"})


async def _not_authenticated(request: Request, exc: Exception) -> JSONResponse:
    challenge = 'Bearer error="invalid_token"' if "authorization" in request.headers else "Bearer"
    return _detail(401, str(exc), {"WWW-Authenticate": challenge})


async def _forbidden(request: Request, exc: Exception) -> JSONResponse:
    _count_rejected(request, "forbidden")
    return _detail(403, str(exc))


async def _rate_limited(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimited)
    return _detail(429, str(exc), {"Retry-After": str(exc.retry_after_seconds)})


def _count_rejected(request: Request, reason: str) -> None:
    """Count a refused push: readings posted to the API or to the Pushgateway-compatible route."""
    path = request.url.path
    pushed = request.method == "POST" and path.endswith("/readings")
    if pushed or (request.method in ("PUT", "POST") and path.startswith("/metrics/job/")):
        request.app.state.metrics.rejected.labels(reason).inc()


def install(app: FastAPI) -> None:
    """Register the translation of every domain error."""
    app.add_exception_handler(InvalidInput, _invalid)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(RoomNotFound, _not_found)
    app.add_exception_handler(ConflictingReading, _conflict)
    app.add_exception_handler(TooLarge, _too_large)
    app.add_exception_handler(NotAuthenticated, _not_authenticated)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_exception_handler(StorageUnavailable, _unavailable)
    app.add_exception_handler(StorageError, _storage_failed)
