"""Query latency of the Prometheus backend: each endpoint through the API against the very PromQL
requests the API makes for it (recorded once in-process, then replayed straight to the engine)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from tests.engines import Engine

from roomtemp.config import Settings
from roomtemp.service import RoomService
from roomtemp.statistics import StatsQuery
from roomtemp.storage.prometheus import PrometheusStorage
from roomtemp.storage.prometheus.options import options_from
from roomtemp.wiring import service_options, storage_options

Call = Callable[[RoomService], Awaitable[Any]]
ROOM = "r0001"
"""A room the live ingest wrote through the API."""


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests on and remembers the PromQL ones, to replay them straight later."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[tuple[str, str, bytes]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        if "/api/v1/" in request.url.path and not request.url.path.endswith("/write"):
            self.requests.append((request.method, str(request.url), body))
        return await self.inner.handle_async_request(request)


async def engine_requests(settings: Settings, call: Call) -> list[tuple[str, str, bytes]]:
    recorder = Recorder()
    storage = PrometheusStorage(options_from(settings.storage, storage_options(settings)), recorder)
    await storage.open()
    recorder.requests.clear()  # the start-up re-assertion of room info is not part of a query
    try:
        await call(RoomService(storage, service_options(settings)))
    finally:
        await storage.close()
    return recorder.requests


async def timed(repeat: int, action: Callable[[], Awaitable[Any]]) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def cases(end_ms: int) -> list[tuple[str, str, Call]]:
    start_ms = end_ms - 3_600_000
    window = f"start={start_ms / 1000}&end={end_ms / 1000}"
    return [
        (
            "room stats, 5m buckets over 1h",
            f"/api/v1/rooms/{ROOM}/stats?{window}&step=5m",
            lambda s: s.stats(ROOM, StatsQuery(start_ms, end_ms, 300_000)),
        ),
        (
            "current temperature",
            f"/api/v1/rooms/{ROOM}/temperature",
            lambda s: s.temperature(ROOM),
        ),
        (
            "raw readings, 1h",
            f"/api/v1/rooms/{ROOM}/readings?{window}&limit=10000",
            lambda s: s.readings(ROOM, start_ms, end_ms, sensor_id=None, after=None, limit=10000),
        ),
        (
            "stats of every room, 1h",
            f"/api/v1/stats?{window}",
            lambda s: s.cross_room_stats(start_ms, end_ms, None, None),
        ),
    ]


async def query_latencies(
    api: str, engine: Engine, work: Path, end_ms: int
) -> list[tuple[str, float, float]]:
    """Per endpoint: median ms through the API, and of its PromQL requests sent straight."""
    settings = Settings(
        storage=engine.url.replace("http://", "prometheus://"),
        spool_dir=str(work / f"{engine.kind}-query-spool"),
    )
    found = []
    async with httpx.AsyncClient(base_url=api, timeout=60) as http, httpx.AsyncClient() as raw:
        for name, path, call in cases(end_ms):
            requests = await engine_requests(settings, call)

            async def through_api(path: str = path) -> None:
                assert (await http.get(path)).status_code == 200

            async def straight(requests: Any = requests) -> None:
                for method, url, body in requests:
                    answer = await raw.request(
                        method,
                        url,
                        content=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded"},
                    )
                    assert answer.status_code == 200

            await through_api()
            found.append((name, await timed(30, through_api), await timed(30, straight)))
    return found
