"""Benchmark of the Prometheus backend: the API against the engine's own speed, in one run.

For Prometheus and VictoriaMetrics (real processes on loopback, temp dirs):
- ingest readings/s through the API (JSON batches, `roomtemp serve` on the engine) against the
  engine's own remote-write ingest of the same shape of data (pre-encoded, sent straight);
- query latency through the API against the very PromQL requests the API makes for that
  endpoint (recorded once in-process, then replayed straight to the engine).

Run: `.venv/bin/python bench/prometheus.py [--readings 100000] [--engines prometheus,...]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.engines import Engine  # noqa: E402
from tests.processes import free_port  # noqa: E402

from roomtemp.config import Settings  # noqa: E402
from roomtemp.service import RoomService, StatsQuery  # noqa: E402
from roomtemp.storage.prometheus import PrometheusStorage  # noqa: E402
from roomtemp.storage.prometheus.options import options_from  # noqa: E402
from roomtemp.storage.prometheus.remote_write import HEADERS, encode, series_labels  # noqa: E402
from roomtemp.wiring import service_options, storage_options  # noqa: E402

ROOMS, SENSORS, BATCH, CONCURRENCY, STEP_MS = 100, 2, 1000, 4, 10_000
Batch = list[tuple[str, str, int, float]]


def make_batches(total: int, prefix: str, end_ms: int) -> list[Batch]:
    """Gateways pushing every sensor of every room every 10 s, `BATCH` readings a request."""
    per_tick = ROOMS * SENSORS
    ticks = total // per_tick
    first = end_ms - ticks * STEP_MS
    flat = [
        (f"{prefix}{room:03d}", f"s{sensor}", first + tick * STEP_MS, 18 + (tick % 50) / 10)
        for tick in range(ticks)
        for room in range(ROOMS)
        for sensor in range(SENSORS)
    ]
    return [flat[i : i + BATCH] for i in range(0, len(flat), BATCH)]


async def pump(bodies: list[Any], send: Callable[[Any], Awaitable[None]]) -> float:
    """Send every body with CONCURRENCY requests in flight; returns seconds taken."""
    queue = list(reversed(bodies))

    async def worker() -> None:
        while queue:
            await send(queue.pop())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started


async def ingest_api(api: str, batches: list[Batch]) -> float:
    bodies = [
        [{"room_id": r, "sensor_id": s, "timestamp": t / 1000, "value": v} for r, s, t, v in b]
        for b in batches
    ]
    async with httpx.AsyncClient(base_url=api, timeout=60) as http:

        async def send(body: Any) -> None:
            answer = await http.post("/api/v1/readings", json=body)
            assert answer.status_code == 201, answer.text

        return await pump(bodies, send)


async def ingest_direct(engine: Engine, batches: list[Batch]) -> float:
    bodies = []
    for batch in batches:
        series: dict[Any, list[tuple[int, float]]] = {}
        for room, sensor, ts, value in batch:
            labels = series_labels("room_temperature_celsius", room=room, sensor=sensor)
            series.setdefault(labels, []).append((ts, value))
        bodies.append(encode(series.items()))
    async with httpx.AsyncClient(timeout=60) as http:

        async def send(body: bytes) -> None:
            answer = await http.post(engine.url + "/api/v1/write", content=body, headers=HEADERS)
            assert answer.status_code == 204, answer.text

        return await pump(bodies, send)


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


async def engine_requests(settings: Settings, call: Callable[[RoomService], Awaitable[Any]]) -> Any:
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


async def query_latencies(
    api: str, settings: Settings, end_ms: int
) -> list[tuple[str, float, float]]:
    start_ms = end_ms - 3_600_000
    window = f"start={start_ms / 1000}&end={end_ms / 1000}"
    cases: list[tuple[str, str, Callable[[RoomService], Awaitable[Any]]]] = [
        (
            "room stats, 5m buckets over 1h",
            f"/api/v1/rooms/r001/stats?{window}&step=5m",
            lambda s: s.stats("r001", StatsQuery(start_ms, end_ms, 300_000)),
        ),
        ("current temperature", "/api/v1/rooms/r001/temperature", lambda s: s.temperature("r001")),
        (
            "raw readings, 1h",
            f"/api/v1/rooms/r001/readings?{window}&limit=10000",
            lambda s: s.readings("r001", start_ms, end_ms, sensor_id=None, after=None, limit=10000),
        ),
        (
            "stats of 100 rooms, 1h",
            f"/api/v1/stats?{window}",
            lambda s: s.cross_room_stats(start_ms, end_ms, None, None),
        ),
    ]
    found = []
    async with httpx.AsyncClient(base_url=api, timeout=60) as http, httpx.AsyncClient() as raw:
        for name, path, call in cases:
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


def start_api(engine: Engine, spool: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "ROOMTEMP_WORKERS": str(workers),
        "ROOMTEMP_STORAGE": engine.url.replace("http://", "prometheus://"),
        "ROOMTEMP_PORT": str(port),
        "ROOMTEMP_SPOOL_DIR": str(spool),
        "ROOMTEMP_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen([sys.executable, "-m", "roomtemp", "serve"], env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/readyz").status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the API did not start")


async def bench_engine(kind: str, readings: int, workers: int, workdir: Path) -> None:
    engine = Engine(kind, workdir / kind).start()
    process, api = start_api(engine, workdir / f"{kind}-spool", workers)
    try:
        end_ms = (round(time.time() * 1000) // 60_000) * 60_000
        direct = await ingest_direct(engine, make_batches(readings, "d", end_ms))
        through = await ingest_api(api, make_batches(readings, "r", end_ms))
        print(
            f"\n{kind}: ingest of {readings} readings, {BATCH} a request, {CONCURRENCY} at once, "
            f"{workers} API worker(s)"
        )
        print(f"  engine remote write  {readings / direct:10.0f} readings/s")
        print(
            f"  through the API      {readings / through:10.0f} readings/s"
            f"   (API throughput / engine throughput = {direct / through:.2f})"
        )
        settings = Settings(
            storage=engine.url.replace("http://", "prometheus://"),
            spool_dir=str(workdir / f"{kind}-bench-spool"),
        )
        await asyncio.sleep(2)  # VictoriaMetrics makes new series searchable within a second or two
        print("  query latency, median of 30 (ms): API | same PromQL straight | ratio")
        for name, api_ms, engine_ms in await query_latencies(api, settings, end_ms):
            print(f"  {name:32s} {api_ms:8.2f} | {engine_ms:8.2f} | {api_ms / engine_ms:5.2f}x")
    finally:
        process.terminate()
        process.wait()
        engine.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--engines", default="prometheus,victoriametrics")
    parser.add_argument("--workers", type=int, default=1, help="API worker processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="roomtemp-bench-") as workdir:
        for kind in args.engines.split(","):
            asyncio.run(bench_engine(kind, args.readings, args.workers, Path(workdir)))


if __name__ == "__main__":
    main()
