"""Benchmark of the Prometheus backend: the API against the engine's own speed, in one run.

For Prometheus and VictoriaMetrics (real processes on loopback, temp dirs), side by side:
- live ingest: readings/s through the API (JSON batches to `roomtemp serve`) against the
  engine's own remote-write ingest of the same shape of data (pre-encoded, sent straight),
  alternated `--repeat` times;
- history import into a fresh engine, through the API and straight: rates, and the share of the
  samples the engine appended out of order (Prometheus's own counters; VictoriaMetrics has no
  such path);
- an outage: readings/s the API takes into its spool while the engine is down, then the rate at
  which it replays the backlog from the moment the engine is back (and from the first sample
  the engine takes: the difference is replay's start, backoff cut short by readiness probes);
- query latency through the API against the very PromQL requests the API makes for that
  endpoint (recorded once in-process, then replayed straight to the engine).

Run: `.venv/bin/python bench/prometheus.py [--readings 100000] [--engines prometheus,...]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.engines import Engine  # noqa: E402
from tests.processes import ServerProcess  # noqa: E402

from harness import process_cpu_seconds, profiled  # noqa: E402
from prometheus_queries import query_latencies  # noqa: E402
from roomtemp.storage.prometheus.remote_write import HEADERS, encode, series_labels  # noqa: E402

ROOMS, SENSORS, BATCH, CONCURRENCY, STEP_MS = 100, 2, 1000, 4, 10_000
MINUTE_MS = 60_000
Batch = list[tuple[str, str, int, float]]


def make_batches(total: int, prefix: str, end_ms: int, step_ms: int = STEP_MS) -> list[Batch]:
    """Gateways pushing every sensor of every room every step, `BATCH` readings a request."""
    per_tick = ROOMS * SENSORS
    ticks = total // per_tick
    first = end_ms - ticks * step_ms
    flat = [
        (f"{prefix}{room:03d}", f"s{sensor}", first + tick * step_ms, 18 + (tick % 50) / 10)
        for tick in range(ticks)
        for room in range(ROOMS)
        for sensor in range(SENSORS)
    ]
    return [flat[i : i + BATCH] for i in range(0, len(flat), BATCH)]


async def pump(
    bodies: list[Any], send: Callable[[Any], Awaitable[None]], in_flight: int = CONCURRENCY
) -> float:
    """Send every body in order with `in_flight` requests at once; returns seconds taken."""
    queue = list(reversed(bodies))

    async def worker() -> None:
        while queue:
            await send(queue.pop())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return time.perf_counter() - started


async def ingest_api(
    api: str, batches: list[Batch], expect: int = 201, in_flight: int = CONCURRENCY
) -> float:
    """JSON batches, encoded before the clock starts, POSTed to the API."""
    bodies = [
        orjson.dumps(
            [{"room_id": r, "sensor_id": s, "timestamp": t / 1000, "value": v} for r, s, t, v in b]
        )
        for b in batches
    ]
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=api, timeout=120) as http:

        async def send(body: bytes) -> None:
            answer = await http.post("/api/v1/readings", content=body, headers=headers)
            assert answer.status_code == expect, answer.text

        return await pump(bodies, send, in_flight)


async def ingest_direct(
    engine: Engine, batches: list[Batch], in_flight: int = CONCURRENCY
) -> float:
    bodies = []
    for batch in batches:
        series: dict[Any, list[tuple[int, float]]] = {}
        for room, sensor, ts, value in batch:
            labels = series_labels("room_temperature_celsius", room=room, sensor=sensor)
            series.setdefault(labels, []).append((ts, value))
        bodies.append(encode(series.items()))
    async with httpx.AsyncClient(timeout=120) as http:

        async def send(body: bytes) -> None:
            answer = await http.post(engine.url + "/api/v1/write", content=body, headers=HEADERS)
            assert answer.status_code == 204, answer.text

        return await pump(bodies, send, in_flight)


def start_api(engine: Engine, folder: Path, workers: int) -> ServerProcess:
    settings = {
        "ROOMTEMP_WORKERS": str(workers),
        "ROOMTEMP_STORAGE": engine.url.replace("http://", "prometheus://"),
        "ROOMTEMP_SPOOL_DIR": str(folder / "spool"),
        "ROOMTEMP_SPOOL_MAX_BYTES": str(2 << 30),
        "ROOMTEMP_LOG_LEVEL": "warning",
    }
    folder.mkdir(parents=True, exist_ok=True)
    server = ServerProcess(settings, folder / "api.log")
    server.wait_ready("/readyz")
    return server


TAKEN = ("prometheus_tsdb_head_samples_appended_total", 'vm_rows_inserted_total{type="promremote')
"""The engines' counters of samples taken (VictoriaMetrics counts them as they arrive, before its
in-memory buffers reach storage a second later)."""


def appended(engine: Engine) -> tuple[float, float | None]:
    """Samples the engine took, and how many of them out of order (None: no such path)."""
    text = httpx.get(engine.url + "/metrics").text
    total, out_of_order = 0.0, 0.0
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name.startswith(TAKEN):
            total += float(value)
        elif name.startswith("prometheus_tsdb_head_out_of_order_samples_appended_total"):
            out_of_order += float(value)
    return total, out_of_order if engine.kind == "prometheus" else None


def replay_done(engine: Engine, api_url: str, count: int, workers: int) -> bool:
    """Whether the engine has acknowledged every spooled reading. With one worker its /readyz
    says so (the spool is empty and the engine takes writes): VictoriaMetrics's own counter
    lags its acknowledgements by up to a second, which is the whole replay of a 500,000-reading
    backlog. Several workers each answer for their own spool, so then the engine counts."""
    if workers == 1:
        ready = httpx.get(api_url + "/readyz").json()
        return bool(ready["spooled_readings"] == 0 and ready["engine_up"])
    return appended(engine)[0] >= count


def now_ms() -> int:
    return (round(time.time() * 1000) // MINUTE_MS) * MINUTE_MS


Results = dict[str, str]
"""One engine's figures by row name, as printed in the table at the end."""


async def live_ingest(kind: str, args: argparse.Namespace, work: Path, out: Results) -> None:
    """Live readings straight and through the API, alternated; then query latencies."""
    engine = Engine(kind, work / f"{kind}-live").start()
    api = start_api(engine, work / f"{kind}-live-api", args.workers)
    try:
        end_ms, count = now_ms(), args.readings
        direct, through, cpu = [], [], []
        for round_ in range(args.repeat):
            seconds = await ingest_direct(engine, make_batches(count, f"d{round_}", end_ms))
            direct.append(count / seconds)
            before = process_cpu_seconds(api.process.pid)
            with profiled(api.process, args.profile, f"{kind}-live-{round_}"):
                seconds = await ingest_api(api.url, make_batches(count, f"r{round_}", end_ms))
            through.append(count / seconds)
            cpu.append((process_cpu_seconds(api.process.pid) - before) / count * 1e6)
        ratios = [t / d for t, d in zip(through, direct, strict=True)]
        out["live ingest straight (readings/s)"] = _range(direct)
        out["live ingest through the API (readings/s)"] = _range(through)
        out["live ingest API / straight"] = _range(ratios, ".2f")
        out["API CPU per reading (us)"] = _range(cpu, ".1f")
        await asyncio.sleep(2)  # VictoriaMetrics makes new series searchable within a second or two
        for name, api_ms, engine_ms in await query_latencies(api.url, engine, work, end_ms):
            out[f"{name} (ms): API | straight"] = f"{api_ms:.1f} | {engine_ms:.1f}"
    finally:
        api.stop()
        engine.stop()


async def history_import(kind: str, args: argparse.Namespace, work: Path, out: Results) -> None:
    """The same history, one request at a time, straight into one fresh engine and through the
    API into another; how much of it each engine appended out of order."""
    total = round(args.import_days * 1440) * ROOMS * SENSORS
    batches = make_batches(total, "h", now_ms() - 86_400_000, MINUTE_MS)
    rates = {}
    for how in ("straight", "through the API"):
        engine = Engine(kind, work / f"{kind}-import-{how[0]}").start()
        api = (
            start_api(engine, work / f"{kind}-import-api", args.workers) if how[0] == "t" else None
        )
        try:
            if api is None:
                seconds = await ingest_direct(engine, batches, in_flight=1)
            else:
                seconds = await ingest_api(api.url, batches, in_flight=1)
            samples, out_of_order = appended(engine)
        finally:
            if api is not None:
                api.stop()
            engine.stop()
        rates[how] = total / seconds
        share = "none (no such path)" if out_of_order is None else f"{out_of_order / samples:.1%}"
        out[f"import {how} (readings/s)"] = f"{total / seconds:,.0f}"
        out[f"import {how}: appended out of order"] = share
    out["import API / straight"] = f"{rates['through the API'] / rates['straight']:.2f}"


async def outage(kind: str, args: argparse.Namespace, work: Path, out: Results) -> None:
    """Ingest while the engine is down (spooled), then time the replay of that backlog, from the
    moment the engine is back (its start-up is not counted; readiness probes then tell replay
    to stop backing off) until it has taken every reading (each worker replays its own spool)."""
    count = args.outage_readings
    engine = Engine(kind, work / f"{kind}-outage").start()
    api = start_api(engine, work / f"{kind}-outage-api", args.workers)
    try:
        engine.stop()
        spooled = await ingest_api(api.url, make_batches(count, "o", now_ms()), expect=202)
        with profiled(api.process, args.profile, f"{kind}-replay"):
            engine.start()
            started, first = time.perf_counter(), None
            for _ in range(2 * args.workers):  # as readiness probes do: replay stops backing off
                httpx.get(api.url + "/readyz")
            while not replay_done(engine, api.url, count, args.workers):
                if first is None and appended(engine)[0]:  # the restarted engine counts from 0
                    first = time.perf_counter()
                await asyncio.sleep(0.01)
            ended = time.perf_counter()
        replayed = ended - started
        flowing = ended - (first or started)
    finally:
        api.stop()
        engine.stop()
    out["outage: into the spool (readings/s)"] = f"{count / spooled:,.0f}"
    out["outage: replay (readings/s)"] = f"{count / replayed:,.0f}"
    out["outage: replay from its first sample (readings/s)"] = f"{count / flowing:,.0f}"
    out["replay / spooling ingest"] = f"{spooled / replayed:.2f}"
    live = float(out["live ingest through the API (readings/s)"].split()[0].replace(",", ""))
    out["replay / live ingest through the API"] = f"{count / replayed / live:.2f}"


def _range(values: list[float], spec: str = ",.0f") -> str:
    low, middle, high = min(values), statistics.median(values), max(values)
    return f"{middle:{spec}} ({low:{spec}}-{high:{spec}})"


def print_table(results: dict[str, Results]) -> None:
    """Every figure of every engine side by side (median, range over the repeats)."""
    engines = list(results)
    rows = list(dict.fromkeys(row for found in results.values() for row in found))
    width = max(len(row) for row in rows)
    print(f"\n{'':{width}}  " + "  ".join(f"{kind:>28}" for kind in engines))
    for row in rows:
        cells = "  ".join(f"{results[kind].get(row, ''):>28}" for kind in engines)
        print(f"{row:{width}}  {cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--import-days", type=float, default=2.0)
    parser.add_argument("--engines", default="prometheus,victoriametrics")
    parser.add_argument("--workers", type=int, default=1, help="API worker processes")
    parser.add_argument(
        "--outage-readings",
        type=int,
        default=500_000,
        help="readings spooled while the engine is down, then replayed (the first and the last"
        " chunk take the longest: a larger backlog shows the rate in between)",
    )
    parser.add_argument(
        "--profile", type=Path, help="folder for py-spy flame graphs of the API (live, replay)"
    )
    args = parser.parse_args()
    print(
        f"{args.readings} live readings x {args.repeat} rounds, {BATCH} a request, "
        f"{CONCURRENCY} at once; {args.workers} API worker(s); {ROOMS} rooms x {SENSORS} sensors"
    )
    results: dict[str, Results] = {}
    with tempfile.TemporaryDirectory(prefix="roomtemp-bench-") as folder:
        for kind in args.engines.split(","):
            found = results[kind] = {}
            for phase in (live_ingest, history_import, outage):
                asyncio.run(phase(kind, args, Path(folder), found))
    print_table(results)


if __name__ == "__main__":
    main()
