"""The service's own Prometheus metrics, on a registry passed in (tests use a fresh one).

With several worker processes (`ROOMTEMP_WORKERS` > 1) the metrics live in prometheus_client's
multiprocess files (`prepare_worker_metrics` sets their directory before the workers start), so a
scrape answered by any worker sums every worker's counters: they never go back. A dead worker's
counters stay counted; its gauges are dropped. Each worker copies its storage state (its own
spool) into its gauges every second (`watch_storage`), so their sums are current.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from roomtemp.domain import WriteResult
from roomtemp.storage.base import StorageStatus

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
GaugeMode = Literal["livesum", "livemin", "livemax"]
"""How a gauge's values of several workers combine (live: of running workers only)."""
WATCH_SECONDS = 1.0


class ServiceMetrics:
    """Requests, latencies, readings ingested, duplicated and rejected, spool and engine state."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_ENV))
        self.requests = Counter(
            "roomtemp_http_requests_total",
            "HTTP requests answered",
            ["method", "route", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "roomtemp_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.ingested = self._counter("readings_ingested", "Readings newly stored (or spooled)")
        self.duplicates = self._counter("readings_duplicate", "Identical re-sent readings ignored")
        self.rejected = Counter(
            "roomtemp_readings_rejected_total",
            "Readings refused, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.quarantined = Counter(
            "roomtemp_readings_quarantined_total",
            "Readings set aside at ingest as implausible, by reason (implausible, rate)",
            ["reason"],
            registry=self.registry,
        )
        self.points_ignored = Counter(
            "roomtemp_line_protocol_points_ignored_total",
            "Line protocol points that are not readings (no room tag or temperature field)",
            registry=self.registry,
        )
        self.mqtt_messages = Counter(
            "roomtemp_mqtt_messages_total",
            "MQTT messages handled by the bridge, by outcome (stored, rejected)",
            ["outcome"],
            registry=self.registry,
        )
        self._storage_metrics()
        self._seen = StorageStatus(True, 0, 0)

    def _storage_metrics(self) -> None:
        self.spool_depth = self._gauge(
            "spool_readings", "Readings waiting in the local outage spool", "livesum"
        )
        self.engine_up = self._gauge(
            "storage_engine_up",
            "1 when the remote storage engine takes writes, 0 when they go to the spool",
            "livemin",
        )
        self.refusal_status = self._gauge(
            "storage_engine_refusal_status",
            "HTTP status by which the engine refuses roomtemp's writes for a configuration "
            "reason (401, 403, 404, 405, 413: fix the URL, credentials or size limit); 0 if none",
            "livemax",
        )
        self.set_aside = self._gauge(
            "spool_set_aside_readings",
            "Readings the engine refused as data, kept aside in the spool directory",
            "livesum",
        )
        self.replayed = self._counter("spool_replayed_readings", "Spooled readings replayed")
        self.damaged = self._counter(
            "spool_damaged_records", "Spool records found damaged (checksum mismatch) and skipped"
        )
        self.lost = self._counter(
            "spool_lost_readings", "Readings lost with damaged spool records (where known)"
        )

    def _counter(self, name: str, documentation: str) -> Counter:
        return Counter(f"roomtemp_{name}_total", documentation, registry=self.registry)

    def _gauge(self, name: str, documentation: str, mode: GaugeMode) -> Gauge:
        return Gauge(
            f"roomtemp_{name}", documentation, registry=self.registry, multiprocess_mode=mode
        )

    def count_write(self, result: WriteResult) -> None:
        """Count what a write stored and what it found already stored."""
        self.ingested.inc(result.accepted)
        self.duplicates.inc(result.duplicates)
        for reason, count in (result.quarantined or {}).items():
            self.quarantined.labels(reason).inc(count)

    def count_mqtt(self, outcome: str, messages: int) -> None:
        """Count MQTT messages the bridge stored or rejected."""
        self.mqtt_messages.labels(outcome).inc(messages)

    def observe_storage(self, status: StorageStatus) -> None:
        """Copy a backend's engine and spool state into the metrics."""
        self.engine_up.set(1 if status.engine_up else 0)
        self.spool_depth.set(status.spooled_readings)
        self.set_aside.set(status.set_aside_readings)
        self.refusal_status.set(status.refusal_status or 0)
        seen = self._seen
        self.replayed.inc(status.replayed_readings - seen.replayed_readings)
        self.damaged.inc(status.damaged_records - seen.damaged_records)
        self.lost.inc(status.lost_readings - seen.lost_readings)
        self._seen = status

    async def watch_storage(self, status: Callable[[], StorageStatus | None]) -> None:
        """Keep this worker's storage gauges current (multiprocess mode), until cancelled."""
        while self.multiprocess:
            found = status()
            if found is None:
                return
            self.observe_storage(found)
            await asyncio.sleep(WATCH_SECONDS)

    def exposition(self) -> bytes:
        """The text format of these metrics; in multiprocess mode, of every worker's."""
        if not self.multiprocess:
            return generate_latest(self.registry)
        directory = Path(os.environ[MULTIPROCESS_ENV])
        for pid in _dead_workers(directory):
            multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
        combined = CollectorRegistry()
        multiprocess.MultiProcessCollector(combined, str(directory))  # type: ignore[no-untyped-call]
        return generate_latest(combined)


def prepare_worker_metrics(workers: int) -> None:
    """Before starting several workers: a fresh multiprocess directory for their metrics
    (`PROMETHEUS_MULTIPROC_DIR` if set, emptied; else a new temporary one, removed at exit)."""
    if workers < 2:
        os.environ.pop(MULTIPROCESS_ENV, None)
        return
    given = os.environ.get(MULTIPROCESS_ENV)
    if given:
        for stale in Path(given).glob("*.db"):
            stale.unlink()
    else:
        directory = tempfile.mkdtemp(prefix="roomtemp-metrics-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        os.environ[MULTIPROCESS_ENV] = directory


def configure_logging(level: str) -> None:
    """Log at `level`; the HTTP client's line per engine request only at debug."""
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    debug = level.lower() == "debug"
    logging.getLogger("httpx").setLevel(logging.DEBUG if debug else logging.WARNING)


def _dead_workers(directory: Path) -> set[int]:
    """Processes whose live gauges are still in the directory but that have exited."""
    dead = set()
    for path in directory.glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            dead.add(pid)
        except PermissionError:
            continue
    return dead
