"""What the time-weighted figures cost: on the embedded store, hourly buckets over a year with
and without them (the same records, the plain sums alone); on an engine, through roomtemp's
Prometheus backend, the time per range and the engine queries and samples it reads."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

import httpx
import numpy as np
from tests.engines import Engine

from roomtemp.storage.base import StorageOptions
from roomtemp.storage.prometheus import PrometheusStorage
from roomtemp.storage.prometheus.options import options_from
from roomtemp.storage.rollups.timeweighted import bucket_sums
from roomtemp.storage.sqlite import SqliteStorage, stats
from roomtemp.timeparse import MS_PER_DAY, epoch_buckets

HOUR = 3_600_000
RANGES_DAYS = (1, 7, 30, 90, 365)


def embedded_ratio(
    database: Path, room: str, start: int, end: int, runs: int
) -> tuple[float, float]:
    """(ms with time-weighted figures, ms of the plain sums of the same records): hourly
    buckets over the range, at the storage layer."""

    async def measure() -> tuple[float, float]:
        storage = SqliteStorage(database)
        await storage.open()
        buckets = epoch_buckets(start, end, HOUR)
        series = [sid for _, sid in storage.catalog.rooms[room]]

        def both(conn: object) -> tuple[float, float]:
            reader = stats.StatsReader(conn, storage.hot, storage.decoded, 120_000)  # type: ignore[arg-type]
            full, plain = [], []
            for _ in range(runs):
                started = time.perf_counter()
                inputs = [reader._input(sid, start, end, HOUR, 900_000) for sid in series]
                loaded = time.perf_counter()
                bucket_sums(inputs, buckets.edges, start, end, 900_000)
                full.append((time.perf_counter() - started) * 1000)
                where = np.searchsorted(buckets.edges, inputs[0].records.first_ts, "right") - 1
                for column in ("count", "total"):
                    np.bincount(where, getattr(inputs[0].records, column), len(buckets))
                plain.append((loaded - started) * 1000 + (time.perf_counter() - loaded) * 1000)
            return statistics.median(full), statistics.median(plain)

        try:
            return await storage._read(both)  # type: ignore[arg-type]
        finally:
            await storage.close()

    return asyncio.run(measure())


class Counting(httpx.AsyncBaseTransport):
    """Counts the engine queries and the samples their answers hold."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.queries = 0
        self.samples = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if "/api/v1/query" in request.url.path:
            await response.aread()
            self.queries += 1
            body = response.json().get("data", {}).get("result", [])
            self.samples += sum(len(s.get("values", [])) for s in body)
        return response


def engine_ranges(
    engine: Engine, room: str, end: int, folder: Path
) -> list[tuple[int, float, int, int]]:
    """(days, ms, engine queries, samples read) of hourly stats through the backend."""

    async def measure() -> list[tuple[int, float, int, int]]:
        counting = Counting()
        url = engine.url.replace("http://", "prometheus://")
        options = options_from(url, StorageOptions(spool_dir=folder / f"spool-{engine.kind}"))
        storage = PrometheusStorage(options, counting)
        await storage.open()
        found = []
        try:
            for days in RANGES_DAYS:
                buckets = epoch_buckets(end - days * MS_PER_DAY, end, HOUR)
                counting.queries = counting.samples = 0
                started = time.perf_counter()
                await storage.aggregate([room], buckets)
                found.append((days, (time.perf_counter() - started) * 1000, counting.queries,
                              counting.samples))  # fmt: skip
        finally:
            await storage.close()
        return found

    return asyncio.run(measure())
