"""A room's `current`: its value (as /temperature computes it) and its state, from its sensors'
newest readings and the run it is in now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from roomtemp.alerts.runs import Run
from roomtemp.domain import SensorLatest


class RoomState(StrEnum):
    """What a room is now; the alert kinds name the same conditions."""

    no_data = "no_data"
    stale = "stale"
    too_cold = "too_cold"
    too_hot = "too_hot"
    ok = "ok"


@dataclass(frozen=True)
class RoomValue:
    """The mean of each sensor's newest non-stale reading (of every sensor's, when all are stale),
    the newest of the readings used, and each sensor with whether it is stale."""

    value: float
    timestamp_ms: int
    stale: bool
    sensors: list[tuple[SensorLatest, bool]]


@dataclass(slots=True)
class Current:
    """`current` of a room: value and time (None without readings), staleness, state, since.

    Not frozen: every room of every list builds one, and a frozen init costs four times as
    much."""

    value: float | None
    timestamp_ms: int | None
    stale: bool
    state: RoomState
    since_ms: int | None


def room_value(sensors: Sequence[SensorLatest], now_ms: int, stale_after_ms: int) -> RoomValue:
    """The room's value from its sensors' newest readings (at least one)."""
    marked = [(s, now_ms - s.timestamp_ms > stale_after_ms) for s in sensors]
    return RoomValue(*_mean_of(sensors, now_ms, stale_after_ms), marked)


def _mean_of(
    sensors: Sequence[SensorLatest], now_ms: int, stale_after_ms: int
) -> tuple[float, int, bool]:
    """The mean of the non-stale sensors' newest readings (of all, when all are stale), the
    newest of the readings used, and whether all were stale."""
    if len(sensors) == 1:  # most rooms: nothing to gather
        only = sensors[0]
        return only.value, only.timestamp_ms, now_ms - only.timestamp_ms > stale_after_ms
    fresh = [s for s in sensors if now_ms - s.timestamp_ms <= stale_after_ms]
    used = fresh or sensors
    newest = max(s.timestamp_ms for s in used)
    return sum(s.value for s in used) / len(used), newest, not fresh


def current_of(
    sensors: Sequence[SensorLatest], run: Run | None, now_ms: int, stale_after_ms: int
) -> Current:
    """The state follows the condition, not the alert: a run of two minutes is already too_hot.
    `since` is the run's start, or for a stale room its newest reading plus stale-after."""
    if not sensors:
        return Current(None, None, True, RoomState.no_data, None)
    value, newest, stale = _mean_of(sensors, now_ms, stale_after_ms)
    if stale:
        return Current(value, newest, True, RoomState.stale, newest + stale_after_ms)
    if run is not None:
        return Current(value, newest, False, RoomState(run.kind.value), run.start_ms)
    return Current(value, newest, False, RoomState.ok, None)
