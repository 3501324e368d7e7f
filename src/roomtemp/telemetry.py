"""The service's own Prometheus metrics, on a registry passed in (tests use a fresh one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


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
        self.spool_depth = Gauge(
            "roomtemp_spool_readings",
            "Readings waiting in the local outage spool",
            registry=self.registry,
        )
