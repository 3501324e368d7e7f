"""The service's own Prometheus metrics, on a registry passed in (tests use a fresh one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from roomtemp.domain import WriteResult
from roomtemp.storage.base import StorageStatus


class ServiceMetrics:
    """Requests, latencies, readings ingested, duplicated and rejected, spool depth."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
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
        self.ingested = Counter(
            "roomtemp_readings_ingested_total",
            "Readings newly stored (or spooled)",
            registry=self.registry,
        )
        self.duplicates = Counter(
            "roomtemp_readings_duplicate_total",
            "Identical re-sent readings ignored",
            registry=self.registry,
        )
        self.rejected = Counter(
            "roomtemp_readings_rejected_total",
            "Readings refused, by reason",
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
        self.spool_depth = Gauge(
            "roomtemp_spool_readings",
            "Readings waiting in the local outage spool",
            registry=self.registry,
        )
        self.engine_up = Gauge(
            "roomtemp_storage_engine_up",
            "1 when the remote storage engine answers, 0 when writes go to the spool",
            registry=self.registry,
        )
        self.set_aside = Gauge(
            "roomtemp_spool_set_aside_readings",
            "Readings the engine refused for good, kept aside in the spool directory",
            registry=self.registry,
        )

    def count_write(self, result: WriteResult) -> None:
        """Count what a write stored and what it found already stored."""
        self.ingested.inc(result.accepted)
        self.duplicates.inc(result.duplicates)

    def count_mqtt(self, outcome: str, messages: int) -> None:
        """Count MQTT messages the bridge stored or rejected."""
        self.mqtt_messages.labels(outcome).inc(messages)

    def observe_storage(self, status: StorageStatus) -> None:
        """Copy a backend's engine and spool state into the gauges (at scrape time)."""
        self.engine_up.set(1 if status.engine_up else 0)
        self.spool_depth.set(status.spooled_readings)
        self.set_aside.set(status.set_aside_readings)
