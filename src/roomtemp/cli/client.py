"""A small HTTP client of the roomtemp API for the command line: auth, retries with backoff.

Connection errors, 429 and 5xx answers are retried with exponential backoff (honouring
`Retry-After`); other answers are returned to the caller, which knows what they mean.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import orjson

log = logging.getLogger("roomtemp.cli")

DEFAULT_URL = "http://127.0.0.1:8000"
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class ApiError(Exception):
    """The server refused a request (or could not be reached after every retry)."""

    def __init__(self, message: str, status: int | None = None, detail: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class ApiClient:
    """Talks to one roomtemp server; `retries` extra attempts, backoff doubling up to a cap."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        token: str | None = None,
        retries: int = 5,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 30.0,
        timeout_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=url, headers=headers, timeout=timeout_seconds, transport=transport
        )
        self.url = url
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._sleep = sleep

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def post_readings(self, body: bytes, content_type: str = "application/json") -> dict[str, Any]:
        """POST a batch to /api/v1/readings; `{"accepted", "duplicates"}` or ApiError."""
        response = self.request(
            "POST", "/api/v1/readings", content=body, headers={"Content-Type": content_type}
        )
        return _json_or_raise(response, "pushing readings")

    def put_room(self, room_id: str, metadata: Mapping[str, object]) -> None:
        response = self.request("PUT", f"/api/v1/rooms/{room_id}", json=dict(metadata))
        _json_or_raise(response, f"describing room {room_id}")

    def get_json(self, path: str, params: Mapping[str, str | int]) -> dict[str, Any]:
        response = self.request("GET", path, params=dict(params))
        return _json_or_raise(response, f"reading {path}")

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send, retrying connection errors, 429 and 5xx; the last answer or ApiError."""
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if last:
                    raise ApiError(f"{method} {self.url}{path}: {exc!r}; gave up") from exc
                self._wait(attempt, f"{method} {path}: {exc!r}", None)
                continue
            if response.status_code not in RETRIED_STATUSES or last:
                return response
            self._wait(attempt, f"{method} {path}: {response.status_code}", response)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait(self, attempt: int, what: str, response: httpx.Response | None) -> None:
        delay = min(self.max_backoff_seconds, self.backoff_seconds * 2**attempt)
        delay *= random.uniform(0.8, 1.2)
        retry_after = response.headers.get("Retry-After") if response is not None else None
        if retry_after is not None and retry_after.isdigit():
            delay = max(delay, float(retry_after))
        log.warning("%s; retry %d of %d in %.1f s", what, attempt + 1, self.retries, delay)
        self._sleep(delay)


def _json_or_raise(response: httpx.Response, doing: str) -> dict[str, Any]:
    try:
        body = orjson.loads(response.content) if response.content else {}
    except orjson.JSONDecodeError:
        body = {"detail": response.text}
    if response.is_success:
        return body if isinstance(body, dict) else {"detail": body}
    detail = body.get("detail") if isinstance(body, dict) else body
    raise ApiError(f"{doing}: HTTP {response.status_code}: {detail}", response.status_code, detail)
