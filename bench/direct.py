"""The same work straight into Prometheus and VictoriaMetrics: remote write (grouped per series,
as Prometheus sends it), the PromQL queries that answer each question, bytes on disk."""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
from tests.engines import Engine

from harness import process_cpu_seconds
from roomtemp.storage.prometheus.remote_write import HEADERS

METRIC = "room_temperature_celsius"


def ingest(engine: Engine, bodies: Sequence[tuple[int, bytes]]) -> tuple[float, float]:
    """(samples/s, engine CPU seconds per million samples) of sequential remote writes."""
    assert engine.process is not None
    cpu = process_cpu_seconds(engine.process.pid)
    started = time.perf_counter()
    with httpx.Client(timeout=120) as client:
        for _, body in bodies:
            answer = client.post(engine.url + "/api/v1/write", content=body, headers=HEADERS)
            answer.raise_for_status()
    seconds = time.perf_counter() - started
    samples = sum(n for n, _ in bodies)
    used = process_cpu_seconds(engine.process.pid) - cpu
    if engine.flush_url:
        httpx.get(engine.flush_url, timeout=60)
    return samples / seconds, used / samples * 1e6


def query_ms(engine: Engine, requests: Sequence[tuple[str, dict[str, str]]], runs: int) -> float:
    """Median wall time of one round of the given PromQL requests (path, params), in ms."""
    found = []
    extra = {"nocache": "1"} if engine.kind == "victoriametrics" else {}
    with httpx.Client(base_url=engine.url, timeout=60) as client:
        for _ in range(runs + 1):
            started = time.perf_counter()
            for path, params in requests:
                answer = client.get(path, params={**params, **extra})
                answer.raise_for_status()
                assert answer.json()["status"] == "success", answer.text[:200]
            found.append((time.perf_counter() - started) * 1000)
    return statistics.median(found[1:])


def hourly(room: str, start_ms: int, end_ms: int) -> list[tuple[str, dict[str, str]]]:
    """Hourly mean, min and max of a room: three range queries."""
    step = 3600
    last = (end_ms - 1) // 1000 // step * step
    return [
        (
            "/api/v1/query_range",
            {
                "query": f'{fn}_over_time({METRIC}{{room="{room}"}}[1h])',
                "start": str(start_ms // 1000 + step),
                "end": str(last),
                "step": str(step),
            },
        )
        for fn in ("avg", "min", "max")
    ]


def latest_all(end_ms: int) -> list[tuple[str, dict[str, str]]]:
    return [
        ("/api/v1/query", {"query": f"last_over_time({METRIC}[1h])", "time": str(end_ms / 1000)})
    ]


def mean_per_room(end_ms: int) -> list[tuple[str, dict[str, str]]]:
    query = f"avg by (room) (avg_over_time({METRIC}[1d]))"
    return [("/api/v1/query", {"query": query, "time": str(end_ms / 1000)})]


def raw_day(room: str, end_ms: int) -> list[tuple[str, dict[str, str]]]:
    query = f'{METRIC}{{room="{room}"}}[1d]'
    return [("/api/v1/query", {"query": query, "time": str(end_ms / 1000)})]


def bytes_on_disk(engine: Engine, samples: int) -> float:
    """Bytes per sample of the engine's storage once written out: Prometheus' blocks (a
    snapshot writes the head as a compacted block), VictoriaMetrics' parts after a merge."""
    if engine.kind == "prometheus":
        try:
            name = httpx.post(engine.url + "/api/v1/admin/tsdb/snapshot", timeout=90).json()
            folder = engine.data_dir / "tsdb" / "snapshots" / name["data"]["name"]
        except httpx.TimeoutException:  # out-of-order heads take long: the data as it lies
            print("  (snapshot too slow: bytes of the TSDB folder as it is, WAL included)")
            folder = engine.data_dir / "tsdb"
    else:
        httpx.get(engine.url + "/internal/force_flush", timeout=120)
        httpx.get(engine.url + "/internal/force_merge", timeout=600)
        time.sleep(2)
        folder = engine.data_dir / "vm"
    return _size(folder, skip=("cache", "snapshots")) / samples


def _size(folder: Path, skip: tuple[str, ...]) -> int:
    """Bytes of the files under `folder` (os.walk: the engine may remove temporary folders
    while it runs)."""
    total = 0
    for root, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if name not in skip]
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                total += (Path(root) / name).stat().st_size
    return total
