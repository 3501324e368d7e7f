"""roomtemp benchmark: starts the server itself, loads known data, prints a table (`make bench`).

Each figure stands next to its engine floor (the same work straight on SQLite or on the storage
layer, without HTTP) and the aim of issue 2. Load comes from this process (httpx, bodies encoded
before the clock starts) and from wrk (C, little CPU) when it is installed; the CPU that the server
and the load generator used is printed per phase, so a starved server shows.

    python bench/run.py [--quick] [--workers N] [--keep] [--profile DIR]
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from floors import (
    bytes_per_reading,
    commit_rate,
    insert_rate,
    sql_latencies,
    storage_latencies,
)
from harness import Meter, Server, profiled
from loads import (
    SINGLE_READING_SCRIPT,
    latencies,
    percentile,
    post_batches,
    run_wrk,
    single_posts_httpx,
    wrk_available,
)
from protocols import protocol_rows
from table import Row, print_table

MINUTE = 60_000
HOUR = 3_600_000
YEAR_START = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp() * 1000)
YEAR_END = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1000)
ROOMS_START = int(datetime(2024, 6, 1, tzinfo=UTC).timestamp() * 1000)


@dataclass(frozen=True)
class Sizes:
    batch: int = 1000
    clients: int = 4
    year_minutes: int = (YEAR_END - YEAR_START) // MINUTE
    rooms: int = 1000
    room_minutes: int = 300
    single_seconds: int = 10
    single_clients: int = 32
    latency_runs: int = 30
    protocol_readings: int = 100_000


QUICK = Sizes(
    year_minutes=60 * 24 * 60,
    room_minutes=60,
    single_seconds=4,
    latency_runs=10,
    protocol_readings=20_000,
)


def year_readings(minutes: int) -> list[tuple[str, int, float]]:
    """One room, one reading a minute from 2023-01-01: a daily cycle plus seeded noise."""
    noise = random.Random(1)
    return [
        (
            "year",
            YEAR_START + k * MINUTE,
            round(20 + 2 * math.sin(2 * math.pi * k / 1440) + noise.gauss(0, 0.2), 2),
        )
        for k in range(minutes)
    ]


def room_readings(rooms: int, minutes: int) -> list[tuple[str, int, float]]:
    """`rooms` rooms, each with a reading a minute, minute by minute (as gateways send them)."""
    noise = random.Random(2)
    return [
        (f"room-{r:04d}", ROOMS_START + k * MINUTE, round(21 + noise.gauss(0, 1), 2))
        for k in range(minutes)
        for r in range(rooms)
    ]


def encode(rows: list[tuple[str, int, float]], size: int) -> list[tuple[int, bytes]]:
    """JSON bodies of `size` readings, explicit timestamps as epoch seconds."""
    return [
        (
            len(rows[i : i + size]),
            orjson.dumps(
                [
                    {"room_id": r, "timestamp": t / 1000, "value": v}
                    for r, t, v in rows[i : i + size]
                ]
            ),
        )
        for i in range(0, len(rows), size)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--profile", type=Path, help="write py-spy flame graphs of each phase to this folder"
    )
    options = parser.parse_args()
    sizes = QUICK if options.quick else Sizes()
    folder = Path(tempfile.mkdtemp(prefix="roomtemp-bench-"))
    try:
        rows = run(folder, sizes, options.workers, options.profile)
    finally:
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept {folder}")
    print_table(rows, sizes, options.workers)


def run(folder: Path, sizes: Sizes, workers: int, profile: Path | None) -> list[Row]:
    year = year_readings(sizes.year_minutes)
    rooms = room_readings(sizes.rooms, sizes.room_minutes)
    year_bodies, room_bodies = encode(year, sizes.batch), encode(rooms, sizes.batch)
    print(f"data: {len(year)} readings of one room, {len(rooms)} of {sizes.rooms} rooms")
    server = Server.start(folder, workers)
    results: list[Row] = []
    try:
        results += ingest_rows(
            server, sizes, year, year_bodies, rooms, room_bodies, folder, profile
        )
        results += protocol_rows(
            server, sizes.protocol_readings, sizes.batch, sizes.clients, folder
        )
        results += single_rows(server, sizes, folder, profile)
        results += read_rows(server, sizes, profile)
    finally:
        server.stop()
    return results


def ingest_rows(
    server: Server,
    sizes: Sizes,
    year: list[tuple[str, int, float]],
    year_bodies: list[tuple[int, bytes]],
    rooms: list[tuple[str, int, float]],
    room_bodies: list[tuple[int, bytes]],
    folder: Path,
    profile: Path | None,
) -> list[Row]:
    out = []
    for name, label, data, bodies in (
        ("ingest-1-room", f"1 room, {sizes.batch}/request", year, year_bodies),
        ("ingest-rooms", f"{sizes.rooms} rooms, {sizes.batch}/request", rooms, room_bodies),
    ):
        with profiled(server, profile, name), Meter(server) as meter:
            result = post_batches(server.url, bodies, sizes.clients)
        floor = insert_rate(folder / f"floor-{len(out)}.sqlite3", data)
        floor_each = insert_rate(folder / f"floor-each-{len(out)}.sqlite3", data, sizes.batch)
        usage = meter.usage.describe(result.items, "readings")
        print(f"batch ingest {label}: {result.items_per_second:,.0f}/s; {usage}")
        out.append(
            Row(
                f"batch ingest, {label}, {sizes.clients} clients (readings/s)",
                f"{result.items_per_second:,.0f}",
                f"{floor:,.0f} executemany in 1 txn; "
                f"{floor_each:,.0f} with a commit every {sizes.batch}",
                ">= 150,000",
                result.items_per_second >= 150_000 and result.failures == 0,
                f"{result.failures} failed; {usage}",
            )
        )
    return out


def single_rows(server: Server, sizes: Sizes, folder: Path, profile: Path | None) -> list[Row]:
    base_ms = int(time.time() * 1000) - 2 * 86_400_000
    floor = commit_rate(folder / "floor-commit.sqlite3", 2000)
    with profiled(server, profile, "single"), Meter(server) as meter:
        if wrk_available():
            result = run_wrk(
                server.url,
                sizes.single_clients,
                sizes.single_seconds,
                SINGLE_READING_SCRIPT,
                [str(base_ms), "single"],
            )
            rate, count = result.requests_per_second, result.requests
            tool = f"wrk: p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
            tool += f"{result.non_2xx} non-2xx"
            ok = result.non_2xx == 0 and not result.errors
        else:
            rate = single_posts_httpx(
                server.url, "single", base_ms, sizes.single_clients, sizes.single_seconds
            )
            count, ok = round(rate * sizes.single_seconds), True
            tool = "httpx client (wrk not installed)"
    usage = meter.usage.describe(count)
    print(f"single readings: {rate:,.0f}/s ({tool}); {usage}")
    floors = f"{floor:,.0f} (1 commit/reading)"
    if wrk_available():
        with Meter(server) as health_meter:
            health = run_wrk(server.url + "/healthz", sizes.single_clients, 3)
        floors += f"; GET /healthz {health.requests_per_second:,.0f}/s "
        floors += f"({health.requests / max(health_meter.usage.server_cpu, 1e-9):,.0f}/CPU-s)"
    return [
        Row(
            f"single-reading POSTs, {sizes.single_clients} clients (requests/s)",
            f"{rate:,.0f}",
            floors,
            ">= 2,000",
            rate >= 2000 and ok,
            f"{tool}; {usage}",
        )
    ]


def read_rows(server: Server, sizes: Sizes, profile: Path | None) -> list[Row]:
    """Latency of the two read aims, then (server stopped) their floors and the size on disk."""
    end = YEAR_START + sizes.year_minutes * MINUTE
    params = {"start": str(YEAR_START / 1000), "end": str(end / 1000), "step": "1h"}
    with profiled(server, profile, "stats"), Meter(server) as stats_meter:
        stats = latencies(server.url, "/api/v1/rooms/year/stats", params, sizes.latency_runs)
    with profiled(server, profile, "rooms"), Meter(server) as rooms_meter:
        rooms = latencies(server.url, "/api/v1/rooms", {}, sizes.latency_runs)
    runs = sizes.latency_runs + 1  # with the warm-up
    server.stop()
    stats_floor, rooms_floor = storage_latencies(
        server.database, "year", YEAR_START, end, HOUR, sizes.latency_runs
    )
    rollup_sql, raw_sql = sql_latencies(
        server.database, "year", YEAR_START, end, sizes.latency_runs
    )
    per_file, per_table, readings = bytes_per_reading(server.database)
    hours = (end - YEAR_START) // HOUR
    return [
        Row(
            f"hourly stats, {hours:,} buckets of per-minute data (p50 / p95 ms)",
            _p50_p95(stats),
            f"{_p50_p95(stats_floor)} storage.aggregate; "
            f"{_p50_p95(rollup_sql)} SQL over hourly rollups; "
            f"{_p50_p95(raw_sql)} SQL GROUP BY over raw readings",
            "< 50",
            percentile(stats, 0.95) < 50,
            _cpu_note(stats_meter, runs),
        ),
        Row(
            f"GET /api/v1/rooms, {sizes.rooms:,}+ rooms (p50 / p95 ms)",
            _p50_p95(rooms),
            f"{_p50_p95(rooms_floor)} storage.list_rooms + latest",
            "< 50",
            percentile(rooms, 0.95) < 50,
            _cpu_note(rooms_meter, runs),
        ),
        Row(
            f"bytes per reading on disk ({readings:,} readings)",
            f"{per_file:.1f}",
            f"{per_table:.1f} (readings table alone)",
            "",
            None,
        ),
    ]


def _cpu_note(meter: Meter, runs: int) -> str:
    """Server CPU per request: close to the latency on an idle core, whatever the machine's load."""
    return f"{meter.usage.server_cpu / runs * 1000:.1f} ms server CPU per request"


def _p50_p95(values: list[float]) -> str:
    return f"{percentile(values, 0.5):.1f} / {percentile(values, 0.95):.1f}"


if __name__ == "__main__":
    main()
