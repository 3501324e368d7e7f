"""HTTP client of a Prometheus-compatible engine: remote write, PromQL queries, series, deletes.

Queries go through httpx; remote writes through sender.py where they can. Errors and answers are
mapped here, by what roomtemp should do about them:

StorageError
 ├── StorageUnavailable
 │    └── EngineUnavailable     unreachable, 5xx, 429, 408: retry later
 │         └── EngineMisconfigured   401, 403, 404, 405, 413 and other 4xx: the engine refuses
 │                                   roomtemp itself (credentials, URL, size limit); retried, and
 │                                   reported until someone fixes it
 └── EngineRejected             400, 409, 422 and Prometheus's "too old sample" 500: the engine
                                refuses the data; retrying the same samples will not help
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from roomtemp.errors import StorageError, StorageUnavailable
from roomtemp.storage.prometheus.remote_write import HEADERS as REMOTE_WRITE_HEADERS
from roomtemp.storage.prometheus.sender import RemoteWriteSender, SenderError, goes_straight

Sample = tuple[int, float]
Series = tuple[dict[str, str], list[Sample]]


_REFUSALS_SENT_AS_500 = ("too old sample", "admin APIs disabled")
"""Prometheus 2.42 answers 500 for a sample behind its out-of-order window (retrying would block
the spool forever) and for a delete without --web.enable-admin-api: refusals, like a 4xx."""
_DATA_REFUSALS = {400, 409, 422}
"""Statuses by which engines refuse samples as data (Thanos Receive answers 409 for them)."""
_TRANSIENT = {408, 429}


class EngineUnavailable(StorageUnavailable):
    """The engine cannot be reached, or answered 5xx, 429 or 408."""

    def __init__(self, message: str, retry_after_seconds: int = 5, status: int | None = None):
        super().__init__(message, retry_after_seconds)
        self.status = status


class EngineMisconfigured(EngineUnavailable):
    """The engine refuses roomtemp's requests (401, 403, 404, 405, 413, ...): a setting is wrong."""


class EngineRejected(StorageError):
    """The engine refuses the data (400, 409, 422, "too old sample")."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class EngineConfig:
    """Where the engine is and how to authenticate to it."""

    write_url: str
    query_url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: tuple[str, str] | None = None
    timeout_seconds: float = 10.0
    flush_url: str | None = None


class EngineClient:
    """One pooled HTTP client for writes and reads."""

    def __init__(self, config: EngineConfig, transport: httpx.AsyncBaseTransport | None = None):
        self.config = config
        self._http = httpx.AsyncClient(
            headers=dict(config.headers),
            auth=config.auth,
            timeout=config.timeout_seconds,
            transport=transport,
        )
        self._sender = None
        if transport is None and goes_straight(config.write_url):
            self._sender = RemoteWriteSender(
                config.write_url, config.headers, config.auth, config.timeout_seconds
            )

    async def close(self) -> None:
        await self._http.aclose()
        if self._sender is not None:
            await self._sender.close()

    async def write(self, body: bytes) -> None:
        """Send one snappy-compressed remote-write request."""
        url = self.config.write_url
        if self._sender is None:
            await self._send("POST", url, content=body, headers=REMOTE_WRITE_HEADERS)
        else:
            try:
                answer = await self._sender.post(body, REMOTE_WRITE_HEADERS)
            except SenderError as exc:
                raise EngineUnavailable(f"engine at {url} unreachable: {exc}") from exc
            _check(url, answer.status, answer.headers, answer.text)
        if self.config.flush_url:
            await self._send("GET", self.config.flush_url)

    async def instant(self, query: str, at_ms: int) -> list[Series]:
        """An instant query; a range-vector query gives each series' raw samples."""
        data = await self._api("/api/v1/query", {"query": query, "time": _seconds(at_ms)})
        if data["resultType"] == "matrix":
            return [(item["metric"], _samples(item["values"])) for item in data["result"]]
        if data["resultType"] == "vector":
            return [(item["metric"], _samples([item["value"]])) for item in data["result"]]
        raise StorageError(f"unexpected PromQL result type {data['resultType']!r}")

    async def range_query(
        self, query: str, start_ms: int, end_ms: int, step_ms: int
    ) -> list[Series]:
        """A range query: one point per step from start to end (inclusive)."""
        form = {
            "query": query,
            "start": _seconds(start_ms),
            "end": _seconds(end_ms),
            "step": _seconds(step_ms),
            "nocache": "1",  # VictoriaMetrics: its cache would align windows to the step
        }
        data = await self._api("/api/v1/query_range", form)
        return [(item["metric"], _samples(item["values"])) for item in data["result"]]

    async def series(self, match: str, start_ms: int, end_ms: int) -> list[dict[str, str]]:
        """Label sets of the series matching a selector in a time range."""
        form = {"match[]": match, "start": _seconds(start_ms), "end": _seconds(end_ms)}
        result: list[dict[str, str]] = await self._api("/api/v1/series", form)
        return result

    async def head_stats(self) -> dict[str, Any] | None:
        """The engine's in-memory head (Prometheus's TSDB status), None for engines without one."""
        try:
            status = await self._api("/api/v1/status/tsdb", {})
        except (EngineRejected, EngineMisconfigured):
            return None
        head: dict[str, Any] | None = status.get("headStats")
        return head

    async def delete_series(self, match: str) -> None:
        """Delete series through the admin API (Prometheus and VictoriaMetrics have one)."""
        url = self.config.query_url + "/api/v1/admin/tsdb/delete_series"
        try:
            await self._send("POST", url, data={"match[]": match})
        except (EngineRejected, EngineMisconfigured) as exc:
            raise StorageError(
                f"this engine refuses to delete series ({exc}): Prometheus needs "
                "--web.enable-admin-api; Mimir, Thanos and managed services delete through "
                "their own tenant or retention tools, not through roomtemp"
            ) from exc
        if self.config.flush_url:
            await self._send("GET", self.config.flush_url)

    async def _api(self, path: str, form: dict[str, str]) -> Any:
        method = "POST" if form else "GET"
        response = await self._send(method, self.config.query_url + path, data=form or None)
        try:
            document = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise StorageError(f"engine answered {path} with non-JSON: {exc}") from exc
        if document.get("status") != "success":
            raise StorageError(f"engine query failed: {document.get('error', document)}")
        return document["data"]

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise EngineUnavailable(f"engine at {url} unreachable: {exc!r}") from exc
        _check(url, response.status_code, response.headers, response.text)
        return response


def _check(url: str, status: int, headers: Mapping[str, str], text: str) -> None:
    """Raise the error an answer means (see the module docstring); nothing for a success."""
    if status < 400:
        return
    said = f"engine at {url} answered {status}: {text[:300]}"
    if status in _DATA_REFUSALS or (
        status >= 500 and any(refusal in text for refusal in _REFUSALS_SENT_AS_500)
    ):
        raise EngineRejected(said, status)
    if status >= 500 or status in _TRANSIENT:
        retry = headers.get("retry-after", "")
        raise EngineUnavailable(said, int(retry) if retry.isdigit() else 5, status)
    raise EngineMisconfigured(
        f"{said} (a configuration problem: check the engine's URL, credentials and "
        "request size limit; roomtemp keeps the readings and retries)",
        status=status,
    )


def _seconds(ms: int) -> str:
    sign = "-" if ms < 0 else ""
    whole, frac = divmod(abs(ms), 1000)
    return f"{sign}{whole}.{frac:03d}"


def _samples(values: list[list[Any]]) -> list[Sample]:
    return [(round(float(ts) * 1000), float(value)) for ts, value in values]
