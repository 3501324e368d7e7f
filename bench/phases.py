"""The benchmark's phases: the same ingest and queries through roomtemp and straight into each
engine, single-reading POSTs against a trivial endpoint, and a 10 M-reading store."""

from __future__ import annotations

import os
import signal
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tests.engines import Engine

import direct
import weighted
from figures import Results
from floors import file_bytes, fsync_ms, sqlite_commits_per_second, storage_ingest
from harness import Meter, Server, profiled, rss_mb
from loads import (
    SINGLE_READING_SCRIPT,
    latencies,
    plain_latencies,
    run_wrk,
    single_posts_httpx,
    wrk_available,
)
from sizes import Sizes
from workloads import Row, Workload, json_bodies, now_minute, remote_write_bodies

DAY = 86_400_000
INGEST = {"what": "batch ingest, 1 client, 1,000 readings a request", "unit": "readings/s"}
GATEWAY = {"what": "gateway shape, 1 client, one reading of each of 1,000 rooms a request",
           "unit": "readings/s", "higher_is_better": True}  # fmt: skip
CPU = {"what": "server CPU seconds per million readings", "unit": "s", "higher_is_better": False}
BYTES = {"what": "bytes per reading on disk, {}", "unit": "B", "higher_is_better": False}
QUERIES = {
    "hourly_week": "hourly mean+min+max, one room, {} days",
    "latest": "latest value, all {} rooms",
    "mean_day": "mean per room, last day",
    "raw_day": "raw readings, one room, one day",
    "hourly_year": "hourly stats over {} days of one room (p50)",
}


def engine_phase(
    kind: str, folder: Path, sizes: Sizes, rooms: Workload, year: Workload, gateway: list[Row],
    results: Results,
) -> None:  # fmt: skip
    """Ingest, queries and bytes on disk of both workloads, then the gateway shape's ingest,
    straight into one engine."""
    print(f"{kind}:")
    for workload in (rooms, year):
        engine = Engine(kind, folder / f"{kind}-{workload.name}").start()
        try:
            bodies = remote_write_bodies(workload.rows, sizes.batch)
            rate, cpu = direct.ingest(engine, bodies)
            if workload is rooms:
                results.put("ingest", kind, rate, higher_is_better=True, **INGEST)
                results.put("cpu", kind, cpu, **CPU)
                _engine_queries(engine, kind, sizes, rooms, results)
            else:
                requests = direct.hourly("year", year.start_ms, year.end_ms)
                _query(results, "hourly_year", kind, direct.query_ms(engine, requests, sizes.runs),
                       sizes, year)  # fmt: skip
                _weighted_on_engine(engine, kind, year, folder, results)
            size = direct.bytes_on_disk(engine, len(workload.rows))
            results.put(f"bytes_{workload.name}", kind, size, **_bytes(workload))
        finally:
            engine.stop()
    _gateway_on_engine(kind, folder, sizes, gateway, results)


def _gateway_on_engine(
    kind: str, folder: Path, sizes: Sizes, gateway: list[Row], results: Results
) -> None:
    """The gateway shape straight into a fresh engine: each request one sample of each of
    1,000 series (remote write, a series per room)."""
    engine = Engine(kind, folder / f"{kind}-gateway").start()
    try:
        bodies = remote_write_bodies(gateway, sizes.gateway_rooms)
        rate, _ = direct.ingest(engine, bodies)
        results.put("gateway", kind, rate, **GATEWAY)
    finally:
        engine.stop()


def _weighted_on_engine(
    engine: Engine, kind: str, year: Workload, folder: Path, results: Results
) -> None:
    """Hourly stats with time-weighted figures through roomtemp's Prometheus backend, for
    growing ranges: time, engine queries, samples read."""
    under = 0
    for days, ms, queries, samples in weighted.engine_ranges(engine, "year", year.end_ms, folder):
        print(f"  {kind}: {days} days of hourly tw stats: {ms:,.0f} ms, {queries} queries, "
              f"{samples:,} samples")  # fmt: skip
        if ms < 1000:
            under = days
        results.put(f"tw_{days}", kind, ms, unit="ms", higher_is_better=False,
                    what=f"roomtemp on the engine: hourly stats with tw, {days} days",
                    note=f"{queries} queries, {samples:,} samples")  # fmt: skip
    results.put(
        "tw_under",
        kind,
        under,
        unit="days",
        higher_is_better=True,
        what="roomtemp on the engine: longest range of hourly tw stats under 1 s",
    )


def _engine_queries(
    engine: Engine, kind: str, sizes: Sizes, rooms: Workload, results: Results
) -> None:
    first = rooms.rooms[0]
    asked = {
        "hourly_week": direct.hourly(first, rooms.start_ms, rooms.end_ms),
        "latest": direct.latest_all(rooms.end_ms),
        "mean_day": direct.mean_per_room(rooms.end_ms),
        "raw_day": direct.raw_day(first, rooms.end_ms),
    }
    for key, requests in asked.items():
        _query(results, key, kind, direct.query_ms(engine, requests, sizes.runs), sizes, rooms)


def _query(
    results: Results, key: str, who: str, ms: float, sizes: Sizes, data: Workload, note: str = ""
) -> None:
    what = QUERIES[key].format(
        sizes.days if key == "hourly_week" else len(data.rooms) if key == "latest" else
        (data.end_ms - data.start_ms) // DAY
    )  # fmt: skip
    aims = {"hourly_year": "p50 < 10 ms, <= 0.5x Prom", "latest": "<= 1.0x Prom",
            "raw_day": "<= 1.0x Prom", "mean_day": "<= 0.5x Prom"}  # fmt: skip
    results.put(key, who, ms, what=what, unit="ms", higher_is_better=False, aim=aims.get(key, ""),
                note=note)  # fmt: skip


def _bytes(workload: Workload) -> dict[str, object]:
    label = f"{len(workload.rows):,} readings of {len(workload.rooms)} rooms"
    return {**BYTES, "what": BYTES["what"].format(label), "aim": "<= 2.0 (roomtemp)"}


def roomtemp_phase(
    folder: Path, sizes: Sizes, rooms: Workload, year: Workload, results: Results,
    profile: Path | None,
) -> None:  # fmt: skip
    """Both workloads through the API (1 client), their queries, bytes after a clean stop."""
    print("roomtemp:")
    for workload in (rooms, year):
        server = Server.start(folder, 1, workload.name)
        bodies = json_bodies(workload.rows, sizes.batch)
        with profiled(server.process, profile, f"ingest-{workload.name}"), Meter(server) as meter:
            outcome = _post_sequentially(server.url, bodies)
        rate = len(workload.rows) / meter.usage.wall
        server.wait_sealed()
        if workload is rooms:
            alone = storage_ingest(folder, rooms.rows, sizes.batch)
            note = f"{outcome}; storage layer alone {alone:,.0f}/s"
            results.put("ingest", "roomtemp", rate, higher_is_better=True, aim=">= 0.5x Prom",
                        note=note, **INGEST)  # fmt: skip
            results.put("cpu", "roomtemp", meter.usage.server_cpu / len(rooms.rows) * 1e6, **CPU)
            _roomtemp_queries(server, sizes, rooms, results, profile)
        else:
            params = _span(year.start_ms, year.end_ms) | {"step": "1h"}
            with profiled(server.process, profile, "stats-year"):
                ms = statistics.median(latencies(server.url, "/api/v1/rooms/year/stats",
                                                 params, sizes.runs))  # fmt: skip
            lean = statistics.median(plain_latencies(server.url, "/api/v1/rooms/year/stats",
                                                     params, sizes.runs))  # fmt: skip
        server.stop()
        if workload is year:
            full, plain = weighted.embedded_ratio(server.database, "year", year.start_ms,
                                                  year.end_ms, sizes.runs)  # fmt: skip
            _query(results, "hourly_year", "roomtemp", ms, sizes, year,
                   note=f"with http.client {lean:.1f} ms; the storage layer's read alone "
                   f"{full:.1f} ms")  # fmt: skip
            results.put("tw_cost", "roomtemp", full / plain, unit="x plain",
                        what="hourly stats over the year with tw + coverage vs plain sums, "
                        "storage layer", higher_is_better=False, aim="<= 1.5",
                        note=f"{full:.1f} ms with, {plain:.1f} ms without")  # fmt: skip
        size = file_bytes(server.database) / len(workload.rows)
        results.put(f"bytes_{workload.name}", "roomtemp", size, **_bytes(workload))
    results.put("fsync", "roomtemp", fsync_ms(folder), what="floor: write 4 KB + fsync",
                unit="ms", higher_is_better=False)  # fmt: skip
    results.put("commits", "roomtemp", sqlite_commits_per_second(folder),
                what="floor: SQLite one-row commits (WAL, FULL)", unit="/s",
                higher_is_better=True)  # fmt: skip


def _roomtemp_queries(
    server: Server, sizes: Sizes, rooms: Workload, results: Results, profile: Path | None
) -> None:
    first, end = rooms.rooms[0], rooms.end_ms
    asked = {
        "hourly_week": (f"/api/v1/rooms/{first}/stats",
                        _span(rooms.start_ms, end) | {"step": "1h"}),
        "latest": ("/api/v1/rooms", {}),
        "mean_day": ("/api/v1/stats", _span(end - DAY, end)),
        "raw_day": (f"/api/v1/rooms/{first}/readings", _span(end - DAY, end) | {"limit": "10000"}),
    }  # fmt: skip
    for key, (path, params) in asked.items():
        with profiled(server.process, profile, f"query-{key}"):
            ms = statistics.median(latencies(server.url, path, params, sizes.runs))
        _query(results, key, "roomtemp", ms, sizes, rooms)


def _span(start_ms: int, end_ms: int) -> dict[str, str]:
    return {"start": str(start_ms / 1000), "end": str(end_ms / 1000)}


def _post_sequentially(url: str, bodies: list[tuple[int, bytes]]) -> str:
    failures = 0
    headers = {"Content-Type": "application/json"}
    with httpx.Client(base_url=url, timeout=120) as client:
        for _, body in bodies:
            answer = client.post("/api/v1/readings", content=body, headers=headers)
            if answer.status_code != 201:
                failures += 1
    return f"{failures} failed"


def single_readings(
    folder: Path, sizes: Sizes, rows: list[Row], results: Results, profile: Path | None
) -> None:
    """The gateway shape (`rows`: one reading of each of 1,000 rooms a request), then
    one-reading POSTs from 32 connections against GET /healthz on the same server."""
    server = Server.start(folder, 1, "gateway")
    try:
        bodies = json_bodies(rows, sizes.gateway_rooms)
        with profiled(server.process, profile, "ingest-gateway"), Meter(server) as meter:
            outcome = _post_sequentially(server.url, bodies)
        results.put("gateway", "roomtemp", len(rows) / meter.usage.wall, aim=">= 0.5x Prom",
                    note=outcome, **GATEWAY)  # fmt: skip
        posts, healthz, tool = _single(server, sizes, profile)
        results.put("single", "roomtemp", posts.rate / healthz.rate, unit="x GET /healthz",
                    what=f"single-reading POSTs, {sizes.single_clients} connections ({tool})",
                    higher_is_better=True, aim=">= 0.8",
                    note=f"{posts.rate:,.0f} POST/s, {healthz.rate:,.0f} GET /healthz/s; server "
                    f"CPU a request {posts.cpu_us:,.0f} us, {healthz.cpu_us:,.0f} us")  # fmt: skip
    finally:
        server.stop()


@dataclass
class Rate:
    """Requests/s of one load, and the server CPU each request took (less moved by the other
    loads on a shared machine than the rate)."""

    rate: float
    cpu_us: float


def _single(server: Server, sizes: Sizes, profile: Path | None) -> tuple[Rate, Rate, str]:
    base_ms = now_minute() - DAY // 2
    clients, seconds = sizes.single_clients, sizes.single_seconds
    if not wrk_available():
        with Meter(server) as meter:
            posts = single_posts_httpx(server.url, "single", base_ms, clients, seconds)
        rate = Rate(posts, meter.usage.server_cpu / (posts * meter.usage.wall) * 1e6)
        return rate, rate, "wrk not installed: no ratio"
    with profiled(server.process, profile, "single"):
        posts = _wrk_rate(server, server.url, clients, seconds, SINGLE_READING_SCRIPT,
                          [str(base_ms), "single"])  # fmt: skip
    return posts, _wrk_rate(server, server.url + "/healthz", clients, seconds), "wrk"


def _wrk_rate(server: Server, url: str, *wrk: Any) -> Rate:
    with Meter(server) as meter:
        found = run_wrk(url, *wrk)
    return Rate(found.requests_per_second, meter.usage.server_cpu / found.requests * 1e6)


def big_store(folder: Path, sizes: Sizes, results: Results) -> None:
    """10 M readings in 1,000 series (live-style, up to now): the server's memory holding
    them, then kill -9 and the time until a restarted server answers."""
    minutes = sizes.big_minutes
    end = now_minute()
    server = Server.start(folder, 1, "big")
    batch_minutes = max(1, 10 * sizes.batch // sizes.big_series)  # what matters here is the store
    with httpx.Client(base_url=server.url, timeout=120) as client:
        for first in range(0, minutes, batch_minutes):
            body = [
                {"room_id": f"big-{s:04d}", "value": 20 + (s + m) % 97 / 10,
                 "timestamp": (end - (minutes - m) * 60_000) / 1000}
                for m in range(first, min(first + batch_minutes, minutes))
                for s in range(sizes.big_series)
            ]  # fmt: skip
            client.post("/api/v1/readings", json=body).raise_for_status()
    count = minutes * sizes.big_series
    just_written = rss_mb(server.process.pid)
    server.wait_sealed()  # the days due sealed: what the server holds from then on
    note = f"{just_written:.0f} MB before the due days were sealed"
    results.put("rss", "roomtemp", rss_mb(server.process.pid), unit="MB", higher_is_better=False,
                what=f"server RSS holding {count:,} readings in {sizes.big_series:,} series",
                aim="< 300", note=note)  # fmt: skip
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    started = time.perf_counter()
    again = Server.start(folder, 1, "big")
    httpx.get(again.url + "/api/v1/rooms", timeout=60).raise_for_status()
    results.put("restart", "roomtemp", time.perf_counter() - started, unit="s",
                what=f"restart after kill -9 with {count:,} readings, until it answers",
                higher_is_better=False, aim="< 5")  # fmt: skip
    again.stop()
