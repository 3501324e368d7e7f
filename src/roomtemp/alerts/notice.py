"""A notification about one alert: its labels as Alertmanager knows them, firing or resolved."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from roomtemp.alerts.evaluate import Alert
from roomtemp.alerts.rules import ALERT_NAMES, SEVERITY, Kind
from roomtemp.domain import RoomMeta

FIRING = "firing"
RESOLVED = "resolved"


@dataclass(frozen=True)
class Notice:
    """What a receiver is told: `key` names the alert (kind, room, sensor), `status` is firing or
    resolved, `starts_ms` is the alert's since, `ends_ms` the time it was seen resolved."""

    key: str
    status: str
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    starts_ms: int = 0
    ends_ms: int | None = None

    def resolved(self, at_ms: int) -> Notice:
        """The same alert, resolved at `at_ms`."""
        return replace(self, status=RESOLVED, ends_ms=at_ms)


def alert_key(alert: Alert) -> str:
    """The alert's identity: one per kind, room and sensor (its since may move with late data)."""
    return f"{alert.kind.value}|{alert.room_id}|{alert.sensor_id or ''}"


def firing_notice(alert: Alert, meta: RoomMeta | None) -> Notice:
    """The notice of a firing alert, labelled as DESIGN.md says (Alertmanager drops empty ones)."""
    labels = {
        "alertname": ALERT_NAMES[alert.kind],
        "room": alert.room_id,
        "sensor": alert.sensor_id or "",
        "building": (meta.building if meta else None) or "",
        "floor": (meta.floor if meta else None) or "",
        "severity": SEVERITY,
    }
    labels = {name: value for name, value in labels.items() if value}
    return Notice(alert_key(alert), FIRING, labels, _annotations(alert, meta), alert.since_ms)


def _annotations(alert: Alert, meta: RoomMeta | None) -> dict[str, str]:
    name = (meta.name if meta else None) or alert.room_id
    if alert.kind is Kind.silent:
        sensor = alert.sensor_id or "(anonymous)"
        return {
            "summary": f"sensor {sensor} in {alert.room_id} is silent",
            "description": f"No reading from sensor {sensor} of {name}; its last reading was "
            f"{alert.value:.1f} °C.",
        }
    word = "hot" if alert.kind is Kind.too_hot else "cold"
    return {
        "summary": f"{alert.room_id} is too {word}",
        "description": f"{name} is at {alert.value:.1f} °C, outside its comfort band "
        f"(edge {alert.threshold:.1f} °C).",
    }
