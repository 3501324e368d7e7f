"""What an alert is: its kinds, names and thresholds; the evaluator and the PromQL rules share them.

A room is `too_hot` (`too_cold`) while the newest minute of its readings (the mean of the minute,
as `stats?step=1m`) is above `max_celsius` (below `min_celsius`); the alert's `since` is the start
of the unbroken run of such minutes, broken by any other minute or by a gap longer than the
stale-after time. It is `pending` until the run has lasted `for_ms`, then `firing`. A sensor is
`silent` when its newest reading is older than `silent_after_ms`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from roomtemp.domain import Comfort
from roomtemp.timeparse import MS_PER_DAY

MINUTE_MS = 60_000


class Kind(StrEnum):
    """What is wrong: the room is too hot or too cold (room level), or a sensor is silent."""

    too_hot = "too_hot"
    too_cold = "too_cold"
    silent = "silent"


class AlertState(StrEnum):
    """`pending` until a room has been out of its band for the `for` time, then `firing`."""

    pending = "pending"
    firing = "firing"


ALERT_NAMES = {
    Kind.too_hot: "RoomTooHot",
    Kind.too_cold: "RoomTooCold",
    Kind.silent: "SensorSilent",
}
"""The `alertname` label in Alertmanager and in the Prometheus rules."""
SEVERITY = "warning"


@dataclass(frozen=True)
class AlertRules:
    """The thresholds and durations of every alert (epoch ms throughout)."""

    stale_after_ms: int = 900_000
    for_ms: int = 600_000
    lookback_ms: int = 7 * MS_PER_DAY
    default_comfort: Comfort = field(default_factory=Comfort)

    def band(self, comfort: Comfort) -> Comfort:
        """The band a room is held to: its own edges, open ones filled from the default band
        (the room's own band itself when there is nothing to fill: a list asks for each room's)."""
        low, high = comfort.min_celsius, comfort.max_celsius
        default = self.default_comfort
        if (low is not None or default.min_celsius is None) and (
            high is not None or default.max_celsius is None
        ):
            return comfort
        return Comfort(
            low if low is not None else default.min_celsius,
            high if high is not None else default.max_celsius,
        )

    def silent_after_ms(self, expected_interval_ms: int | None = None) -> int:
        """How long a sensor may stay quiet before it is silent: three times its expected
        interval (sensor settings) when it has one, else the stale-after time."""
        if expected_interval_ms is not None:
            return 3 * expected_interval_ms
        return self.stale_after_ms


def side_of(mean: float, band: Comfort) -> Kind | None:
    """too_hot above the band, too_cold below it (strictly), None inside it or without an edge."""
    if band.max_celsius is not None and mean > band.max_celsius:
        return Kind.too_hot
    if band.min_celsius is not None and mean < band.min_celsius:
        return Kind.too_cold
    return None


def threshold_of(kind: Kind, band: Comfort) -> float | None:
    """The band edge a too_hot or too_cold room crossed."""
    return band.max_celsius if kind is Kind.too_hot else band.min_celsius
