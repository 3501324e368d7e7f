"""Alerts benchmark: one evaluation of 1,000 rooms with a day of per-minute data each, on SQLite
(in process and through `GET /api/v1/alerts`) and on Prometheus (engine queries per evaluation),
and the rooms list over 100,000 rooms: its pages, and a writer's latency while they are served,
against the same list built by the code of `main` (before paging) in the same run.

    python bench/alerts.py [--rooms 1000] [--minutes 1440] [--runs 10] [--big 100000]
                           [--skip-prometheus] [--skip-big] [--before REF]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.engines import start_engine
from tests.processes import ServerProcess

from roomtemp.domain import Comfort, Reading, RoomMeta
from roomtemp.service import RoomService
from roomtemp.storage import Storage, open_storage
from roomtemp.storage.base import StorageOptions
from roomtemp.storage.prometheus import PrometheusStorage
from roomtemp.storage.prometheus.options import options_from
from roomtemp.timeparse import epoch_buckets

MINUTE = 60_000
BAND = Comfort(19.0, 24.0)


SCENARIOS = {
    # (share of rooms too hot, longest run in minutes, share too cold, share with a silent sensor)
    "typical": (0.03, 120, 0.02, 0.02),
    "heavy": (0.10, 600, 0.05, 0.05),
}


def day_of_rooms(
    rooms: int, minutes: int, now_ms: int, scenario: str
) -> tuple[list[RoomMeta], list[Reading]]:
    """`rooms` rooms with a reading a minute for `minutes` minutes up to now; some too hot (for
    the last 5 minutes up to the scenario's longest run), some too cold for the last 45 minutes,
    some with a sensor silent for the last 30 minutes, the rest in their band."""
    hot, longest, cold, silent = SCENARIOS[scenario]
    rng = random.Random(7)
    metas, readings = [], []
    for index in range(rooms):
        room = f"room-{index:05d}"
        metas.append(RoomMeta(room, building=f"b{index % 10}", floor=str(index % 5), comfort=BAND))
        draw = rng.random()
        hot_for = rng.randrange(5, longest) if draw < hot else 0
        cold_for = 45 if hot <= draw < hot + cold else 0
        quiet_from = 30 if hot + cold <= draw < hot + cold + silent else 0
        for minute in range(minutes, quiet_from, -1):
            value = 21.0 + rng.uniform(-1, 1)
            if minute <= hot_for:
                value = 26.0 + rng.uniform(0, 2)
            elif minute <= cold_for:
                value = 17.0
            readings.append(Reading(room, None, now_ms - minute * MINUTE + 7_000, value))
    return metas, readings


async def sqlite_figures(
    database: Path, metas: list[RoomMeta], readings: list[Reading], now_ms: int, runs: int
) -> tuple[dict[str, str], dict[str, str]]:
    """The figures of a store that has been running (the day's readings in its hot tier), then
    of the same store after a restart (a clean stop seals everything: the day is read from its
    sealed blocks)."""
    storage = await open_storage(f"sqlite:///{database}")
    try:
        await load(storage, metas, readings)
        running = await evaluation_figures(storage, now_ms, runs)
    finally:
        await storage.close()
    storage = await open_storage(f"sqlite:///{database}")
    try:
        return running, await evaluation_figures(storage, now_ms, runs)
    finally:
        await storage.close()


async def load(storage: Storage, metas: list[RoomMeta], readings: list[Reading]) -> None:
    for meta in metas:
        await storage.put_room(meta)
    for first in range(0, len(readings), 20_000):
        await storage.write(readings[first : first + 20_000])


async def timed(call: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    await call()  # warm-up
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        found.append((time.perf_counter() - started) * 1000)
    return found


def summary(values: Sequence[float]) -> str:
    ordered = sorted(values)
    return (
        f"p50 {statistics.median(ordered):.0f} ms, max {ordered[-1]:.0f} ms ({len(ordered)} runs)"
    )


async def evaluation_figures(storage: Storage, now_ms: int, runs: int) -> dict[str, str]:
    """One evaluator cycle (every room: alerts and states) and its floor: the two storage reads
    any evaluation needs (every sensor's newest reading, every room's newest minutes)."""
    service = RoomService(storage, clock=lambda: now_ms / 1000)
    rooms = [m.room_id for m in await storage.list_rooms()]
    recent = epoch_buckets(now_ms - 17 * MINUTE, now_ms, MINUTE)

    async def cycle() -> None:
        await (await service.evaluate_all()).alerts()

    async def floor() -> None:
        await storage.list_rooms()
        await storage.latest()
        await storage.plain_aggregate(rooms, recent)  # plain minute means, as the evaluator

    evaluation = await service.evaluate_all()
    alerts = await evaluation.alerts()
    kinds = {
        kind: sum(1 for a in alerts if a.kind.value == kind)
        for kind in ("too_hot", "too_cold", "silent")
    }
    return {
        "alerts": ", ".join(f"{n} {kind}" for kind, n in kinds.items()),
        "cycle": summary(await timed(cycle, runs)),
        "floor": summary(await timed(floor, runs)),
    }


def http_alerts(database: Path, folder: Path, runs: int) -> str:
    settings = {
        "ROOMTEMP_STORAGE": f"sqlite:///{database}",
        "ROOMTEMP_LOG_LEVEL": "warning",
        "ROOMTEMP_ALERT_INTERVAL": "1h",
    }
    server = ServerProcess(settings, folder / "alerts-server.log")
    try:
        server.wait_ready("/readyz")
        found = []
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for _ in range(runs + 1):
                started = time.perf_counter()
                client.get("/api/v1/alerts").raise_for_status()
                found.append((time.perf_counter() - started) * 1000)
        return summary(found[1:])
    finally:
        server.stop()


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts the engine requests of the Prometheus backend, by path."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.counts: dict[str, int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.counts[request.url.path] = self.counts.get(request.url.path, 0) + 1
        return await self.inner.handle_async_request(request)


async def prometheus_figures(
    folder: Path, metas: list[RoomMeta], readings: list[Reading], now_ms: int, runs: int
) -> dict[str, str]:
    engine = start_engine("prometheus", folder / "prometheus")
    transport = CountingTransport()
    url = engine.url.replace("http://", "prometheus://")
    storage = PrometheusStorage(
        options_from(url, StorageOptions(spool_dir=folder / "spool")), transport
    )
    await storage.open()
    try:
        await load(storage, metas, readings)
        service = RoomService(storage, clock=lambda: now_ms / 1000)
        await service.evaluate_all()  # the first one also probes the engine's range selectors
        transport.counts.clear()
        started = time.perf_counter()
        await (await service.evaluate_all()).alerts()
        elapsed = (time.perf_counter() - started) * 1000
        queries = sum(n for path, n in transport.counts.items() if "/api/v1/" in path)
        detail = ", ".join(
            f"{path.rsplit('/', 1)[-1]} {n}" for path, n in sorted(transport.counts.items())
        )
        cycle = summary(await timed(lambda: service.evaluate_all(), runs))
        return {"queries": f"{queries} ({detail})", "cycle": cycle, "one": f"{elapsed:.0f} ms"}
    finally:
        await storage.close()
        engine.stop()


# -- the rooms list over many rooms ---------------------------------------------------------------


def many_rooms(database: Path, count: int, now_ms: int) -> None:
    async def fill() -> None:
        storage = await open_storage(f"sqlite:///{database}")
        try:
            rooms = [f"r{i:06d}" for i in range(count)]
            for meta in (
                RoomMeta(r, name=f"Room {i}", building=f"b{i % 50}", comfort=BAND)
                for i, r in enumerate(rooms)
            ):
                await storage.put_room(meta)
            readings = [
                Reading(r, None, now_ms - 60_000, 21.0 + i % 7) for i, r in enumerate(rooms)
            ]
            for first in range(0, len(readings), 20_000):
                await storage.write(readings[first : first + 20_000])
        finally:
            await storage.close()

    asyncio.run(fill())


def writer_latencies(url: str, seconds: float) -> list[float]:
    """One client POSTing single readings back to back; each request's latency in ms."""
    found = []
    base = round(time.time() * 1000) - 3_000_000
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=60) as client:
        index = 0
        while time.monotonic() < deadline:
            body = {"value": 21.0, "timestamp": (base + index) / 1000}
            started = time.perf_counter()
            client.post("/api/v1/rooms/writer/readings", json=body).raise_for_status()
            found.append((time.perf_counter() - started) * 1000)
            index += 1
    return found


def read_all(url: str, params: dict[str, str], stop: threading.Event, pages: list[float]) -> None:
    """Read the whole list again and again (following next_cursor where there is one)."""
    with httpx.Client(base_url=url, timeout=120) as client:
        while not stop.is_set():
            cursor = None
            while True:
                started = time.perf_counter()
                answer = client.get(
                    "/api/v1/rooms", params={**params, **({"cursor": cursor} if cursor else {})}
                )
                answer.raise_for_status()
                pages.append((time.perf_counter() - started) * 1000)
                cursor = answer.json().get("next_cursor")
                if cursor is None or stop.is_set():
                    break


def p99(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


VARIANTS = [
    ("before (main: one answer of every room)", True, {}),
    ("this branch, default pages (1,000 rooms)", False, {}),
    ("this branch, pages of 10,000 rooms", False, {"limit": "10000"}),
]


def list_round(
    database: Path, folder: Path, source: Path | None, params: dict[str, str], seconds: float
) -> tuple[float, float, float, float]:
    """(answer MB, answer p50 ms, writer p99 idle, writer p99 while the list is read)."""
    env = {
        "ROOMTEMP_STORAGE": f"sqlite:///{database}",
        "ROOMTEMP_LOG_LEVEL": "warning",
        "ROOMTEMP_ALERT_INTERVAL": "1h",
    }
    if source is not None:
        env["PYTHONPATH"] = str(source / "src")
    server = ServerProcess(env, folder / "list-server.log")
    try:
        server.wait_ready("/readyz")
        with httpx.Client(base_url=server.url, timeout=120) as client:
            if source is None:  # the notifier's first evaluation of every room is done
                done = "roomtemp_alert_evaluation_duration_seconds_count 1.0"
                while done not in client.get("/metrics").text:
                    time.sleep(0.5)
            size = len(client.get("/api/v1/rooms", params=params).content)
        idle = writer_latencies(server.url, seconds)
        stop, pages = threading.Event(), []
        reader = threading.Thread(target=read_all, args=(server.url, params, stop, pages))
        reader.start()
        busy = writer_latencies(server.url, seconds)
        stop.set()
        reader.join()
        return size / 1e6, statistics.median(pages), p99(idle), p99(busy)
    finally:
        server.stop()


def list_figures(
    database: Path, folder: Path, before: Path | None, seconds: float, rounds: int
) -> list[str]:
    """Each variant `rounds` times, the variants interleaved (the machine's speed drifts)."""
    results: dict[str, list[tuple[float, float, float, float]]] = {}
    for _ in range(rounds):
        for label, old, params in VARIANTS:
            if old and before is None:
                continue
            source = before if old else None
            results.setdefault(label, []).append(
                list_round(database, folder, source, params, seconds)
            )
    lines = []
    for label, found in results.items():
        size = found[0][0]
        pages = _range([f[1] for f in found], "{:.0f}")
        idle = _range([f[2] for f in found], "{:.0f}")
        busy = _range([f[3] for f in found], "{:.0f}")
        ratio = _range([f[3] / f[2] for f in found], "{:.1f}")
        lines.append(
            f"{label}: answer {size:.1f} MB in {pages} ms (p50); writer p99 {idle} ms idle, "
            f"{busy} ms while the list is read again and again ({ratio}x), {len(found)} rounds"
        )
    return lines


def _range(values: Sequence[float], form: str) -> str:
    low, high = min(values), max(values)
    return (
        form.format(low)
        if form.format(low) == form.format(high)
        else (f"{form.format(low)}-{form.format(high)}")
    )


def git(*arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], check=True, capture_output=True, text=True
    ).stdout.strip()


def checkout(ref: str, into: Path) -> Path:
    """The package as it is at `ref`, for the 'before' figures (git archive, no worktree)."""
    archive = subprocess.run(["git", "archive", ref, "src"], check=True, capture_output=True).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def evaluation_report(args: argparse.Namespace, folder: Path, now_ms: int) -> None:
    for scenario in SCENARIOS:
        metas, readings = day_of_rooms(args.rooms, args.minutes, now_ms, scenario)
        print(
            f"{scenario}: {args.rooms} rooms, {len(readings):,} readings ({args.minutes} min each)"
        )
        database = folder / f"{scenario}.sqlite3"
        running, restarted = asyncio.run(
            sqlite_figures(database, metas, readings, now_ms, args.runs)
        )
        print(f"  alerts: {running['alerts']}")
        for when, figures in (("running", running), ("after a restart", restarted)):
            print(f"  SQLite {when}, one evaluator cycle (every room): {figures['cycle']}")
            print(f"  SQLite {when}, floor (list_rooms, latest, newest minutes): "
                  f"{figures['floor']}")  # fmt: skip
        alerts = http_alerts(database, folder, args.runs)
        print(f"  SQLite after a restart, GET /api/v1/alerts: {alerts}")
        if not args.skip_prometheus:
            runs = max(3, args.runs // 3)
            engine = asyncio.run(
                prometheus_figures(folder / scenario, metas, readings, now_ms, runs)
            )
            print(f"  Prometheus, engine requests in one evaluation: {engine['queries']}")
            print(f"  Prometheus, one evaluation: {engine['cycle']}")


def list_report(args: argparse.Namespace, folder: Path, now_ms: int) -> None:
    big = folder / "big.sqlite3"
    many_rooms(big, args.big, now_ms)
    ref = args.before or git("merge-base", "HEAD", "main")
    before = checkout(ref, folder / "before")
    print(f"{args.big:,} rooms, GET /api/v1/rooms while one client POSTs single readings")
    print(f"  (before: the code at {ref[:10]})")
    for line in list_figures(big, folder, before, args.seconds, args.rounds):
        print(f"  {line}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rooms", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=1440)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--before",
        default=None,
        help="git ref of the code before paging (default: where this branch left main)",
    )
    parser.add_argument("--skip-prometheus", action="store_true")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--skip-evaluation", action="store_true")
    args = parser.parse_args()
    now_ms = round(time.time() * 1000) // MINUTE * MINUTE + 30_000
    with tempfile.TemporaryDirectory(prefix="roomtemp-alerts-bench-") as name:
        if not args.skip_evaluation:
            evaluation_report(args, Path(name), now_ms)
        if not args.skip_big:
            list_report(args, Path(name), now_ms)


if __name__ == "__main__":
    main()
