"""Every HTTP error answer is made here: domain errors, FastAPI's validation errors, and the
refusals of the security middleware, all as `{"detail": ...}` with the right status and headers
(FastAPI's own 404 and 405 for unknown paths and methods have the same shape). The InfluxDB write
routes answer as InfluxDB does instead: `{"code", "message"}`, and 400 for invalid input.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from roomtemp.errors import (
    BadRequest,
    ConflictingReading,
    Forbidden,
    HeadersTooLarge,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    Problem,
    RateLimited,
    RoomtempError,
    StorageError,
    StorageUnavailable,
    TooLarge,
    TooSlow,
    UnsupportedMediaType,
)
from roomtemp.security.scopes import Caller, Scope

log = logging.getLogger("roomtemp.api")

STATUS: dict[type[RoomtempError], int] = {
    InvalidInput: 422,
    BadRequest: 400,
    NotFound: 404,
    ConflictingReading: 409,
    TooLarge: 413,
    UnsupportedMediaType: 415,
    HeadersTooLarge: 431,
    TooSlow: 408,
    NotAuthenticated: 401,
    Forbidden: 403,
    RateLimited: 429,
    StorageError: 503,
}
"""The status of each domain error; a subclass answers as its nearest listed base."""

_REJECTED = {
    InvalidInput: "invalid",
    BadRequest: "invalid",
    ConflictingReading: "conflict",
    TooLarge: "too_large",
    Forbidden: "forbidden",
}
"""Refused pushes are counted in roomtemp_readings_rejected_total by these reasons."""


INFLUX_PATHS = frozenset({"/write", "/api/v2/write"})
"""The InfluxDB write routes (v1, v2): their errors have InfluxDB's shape."""
_INFLUX_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    408: "request timeout",
    409: "conflict",
    413: "request too large",
    415: "unsupported media type",
    429: "too many requests",
    431: "request header fields too large",
    503: "unavailable",
}


def error_response(
    exc: RoomtempError,
    *,
    sent_credentials: bool = False,
    caller: Caller | None = None,
    path: str = "",
) -> JSONResponse:
    """The answer to a domain error. `sent_credentials` tells a 401 for a bad token from one for
    a missing token (the challenge differs); a 409 shows the stored value only to a `caller`
    who may read the room; `path` picks InfluxDB's shape for its write routes."""
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 500)
    headers: dict[str, str] = {}
    detail: object = str(exc)
    if isinstance(exc, ConflictingReading):
        readable = caller is not None and caller.has(Scope.READ) and caller.sees(exc.room_id)
        detail = exc.describe(show_stored=readable)
    elif isinstance(exc, InvalidInput):
        detail = [{"loc": list(p.loc), "msg": p.msg, "type": p.type} for p in exc.problems]
    elif isinstance(exc, StorageUnavailable | RateLimited):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    elif isinstance(exc, StorageError):
        detail = f"storage failed: {exc}"
        headers["Retry-After"] = "5"
    elif isinstance(exc, NotAuthenticated):
        headers["WWW-Authenticate"] = (
            'Bearer error="invalid_token"' if sent_credentials else "Bearer"
        )
    if path in INFLUX_PATHS:
        return influx_response(status, detail, headers)
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _located(loc: list[object], msg: str) -> str:
    return f"{'.'.join(map(str, loc))}: {msg}" if loc else msg


def influx_response(status: int, detail: object, headers: dict[str, str]) -> JSONResponse:
    """An error as InfluxDB answers it: `{"code", "message"}`, invalid input as a 400."""
    status = 400 if status == 422 else status
    if isinstance(detail, list):
        detail = "; ".join(_located(problem["loc"], problem["msg"]) for problem in detail)
    body = {"code": _INFLUX_CODES.get(status, "internal error"), "message": str(detail)}
    return JSONResponse(body, status_code=status, headers=headers)


@contextmanager
def problems_in(where: str, *, single_item: bool = False) -> Iterator[None]:
    """Locate the problems of InvalidInput raised below in the request: under `where` (`body`,
    `query`, `path`). With `single_item`, the body was one object, not a list: its problems are
    not prefixed by the item's index."""
    try:
        yield
    except InvalidInput as exc:
        if single_item:
            exc = InvalidInput([_unindexed(problem) for problem in exc.problems])
        raise exc.under(where) from None


def _unindexed(problem: Problem) -> Problem:
    if problem.loc[:1] != (0,):
        return problem
    return Problem(problem.loc[1:], problem.msg, problem.type)


class _AsciiJSONResponse(JSONResponse):
    """JSON with every non-ASCII character escaped: a lone surrogate sent in a body and named in
    an error's location cannot be encoded as UTF-8, but can be escaped."""

    def render(self, content: object) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RoomtempError)
    reason = next((why for kind, why in _REJECTED.items() if isinstance(exc, kind)), None)
    if reason is not None:
        _count_rejected(request, reason)
    if isinstance(exc, StorageUnavailable):
        log.warning("storage unavailable: %s", exc)
    elif isinstance(exc, StorageError):
        log.error("storage failed: %s", exc)
    return error_response(
        exc,
        sent_credentials="authorization" in request.headers,
        caller=getattr(request.state, "caller", None),
        path=request.url.path,
    )


async def _request_invalid(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own validation errors, in the shape of ours: loc, msg, type (input not echoed)."""
    assert isinstance(exc, RequestValidationError)
    _count_rejected(request, "invalid")
    problems = [
        {"loc": list(error["loc"]), "msg": str(error["msg"]), "type": str(error["type"])}
        for error in exc.errors()
    ]
    if request.url.path in INFLUX_PATHS:
        return influx_response(422, problems, {})
    return _AsciiJSONResponse({"detail": problems}, status_code=422)


def _count_rejected(request: Request, reason: str) -> None:
    """Count a refused push: readings posted to the API, the Pushgateway-compatible route or the
    InfluxDB write routes."""
    path = request.url.path
    pushed = request.method == "POST" and (path.endswith("/readings") or path in INFLUX_PATHS)
    if pushed or (request.method in ("PUT", "POST") and path.startswith("/metrics/job")):
        request.app.state.metrics.rejected.labels(reason).inc()


def install(app: FastAPI) -> None:
    """Register the translation of every error into its answer."""
    app.add_exception_handler(RoomtempError, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_invalid)
