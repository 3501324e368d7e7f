"""The alerts' own metrics, on the registry the app passes in (tests use a fresh one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from roomtemp.alerts.rules import Kind


class AlertMetrics:
    """Alerts firing per kind, notifications sent and failed per receiver, the outbox depth."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.firing = Gauge(
            "roomtemp_alerts_firing",
            "Alerts firing at the last evaluation, by kind",
            ["kind"],
            registry=registry,
        )
        for kind in Kind:
            self.firing.labels(kind.value).set(0)
        self.sent = Counter(
            "roomtemp_alert_notifications_sent_total",
            "Notifications a receiver took, by receiver and status (firing, resolved)",
            ["receiver", "status"],
            registry=registry,
        )
        self.failures = Counter(
            "roomtemp_alert_notification_failures_total",
            "Delivery attempts that failed (retried with backoff), by receiver",
            ["receiver"],
            registry=registry,
        )
        self.receiver_up = Gauge(
            "roomtemp_alert_receiver_up",
            "1 when the receiver took the last delivery, 0 after a failure or for a bad URL",
            ["receiver"],
            registry=registry,
        )
        self.queued = Gauge(
            "roomtemp_alert_outbox_notifications",
            "Notifications waiting in the outbox for a receiver",
            registry=registry,
        )
        self.evaluation_seconds = Histogram(
            "roomtemp_alert_evaluation_duration_seconds",
            "Time one evaluation of every room took",
            registry=registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.evaluation_failures = Counter(
            "roomtemp_alert_evaluation_failures_total",
            "Evaluations that failed (storage unavailable or a bug; see the log)",
            registry=registry,
        )
