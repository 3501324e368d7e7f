"""Room lists and alert lists: their filters, text search and pages (the service's queries)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from roomtemp.alerts.evaluate import Evaluation
from roomtemp.alerts.rules import AlertState, Kind
from roomtemp.alerts.state import Current, RoomState
from roomtemp.domain import RoomMeta, SensorLatest, SensorSettings


@dataclass(slots=True)
class RoomView:
    """A room's metadata, its newest reading and its current state (stale when that reading
    is). Not frozen, as Current."""

    meta: RoomMeta
    latest: SensorLatest | None
    current: Current


@dataclass(frozen=True)
class RoomsQuery:
    """Which rooms to list: filters, the room id to continue after, how many, and which rooms
    the caller may see (filtered before counting, so pages stay full)."""

    building: str | None = None
    floor: str | None = None
    states: frozenset[RoomState] | None = None
    text: str | None = None
    after: str | None = None
    limit: int = 1000
    visible: Callable[[str], bool] = lambda room_id: True


@dataclass(frozen=True)
class RoomsPage:
    """A page of rooms, and the room id to continue after (None: no more rooms)."""

    rooms: list[RoomView]
    next_after: str | None


@dataclass(frozen=True)
class AlertsQuery:
    """Filters of the active alerts; None leaves one open."""

    room_id: str | None = None
    kinds: frozenset[Kind] | None = None
    states: frozenset[AlertState] | None = None
    building: str | None = None
    floor: str | None = None
    visible: Callable[[str], bool] = lambda room_id: True


def view_of(evaluation: Evaluation, meta: RoomMeta) -> RoomView:
    """A room as it is in the evaluation."""
    sensors = evaluation.latest.get(meta.room_id, [])
    current = evaluation.current(meta.room_id)
    if not sensors:
        return RoomView(meta, None, current)
    newest = sensors[0] if len(sensors) == 1 else max(sensors, key=_recency)
    return RoomView(meta, newest, current)


def _recency(sensor: SensorLatest) -> tuple[int, str]:
    """Newest reading last, ties broken by sensor id."""
    return sensor.timestamp_ms, sensor.sensor_id or ""


def matches(meta: RoomMeta, query: RoomsQuery) -> bool:
    """Whether the room passes the query's filters (but the state, which needs its data)."""
    if not located(meta, query.building, query.floor):
        return False
    if query.text is not None and not _mentions(meta, query.text.casefold()):
        return False
    return query.visible(meta.room_id)


def located(meta: RoomMeta, building: str | None, floor: str | None) -> bool:
    """Whether the room is in this building and on this floor (None: any)."""
    return (building is None or meta.building == building) and (
        floor is None or meta.floor == floor
    )


def _mentions(meta: RoomMeta, text: str) -> bool:
    """`text` (casefolded) in the room's id, name or one of its label values."""
    return any(
        text in field.casefold() for field in (meta.room_id, meta.name or "", *meta.labels.values())
    )


@dataclass(frozen=True)
class SensorView:
    """A sensor of a room (None: the anonymous one): its settings, if any, and newest reading."""

    sensor_id: str | None
    settings: SensorSettings | None
    latest: SensorLatest | None


def sensor_views(settings: list[SensorSettings], latest: list[SensorLatest]) -> list[SensorView]:
    """Every sensor with settings or readings, sorted by id (the anonymous sensor first)."""
    newest = {s.sensor_id: s for s in latest}
    given: dict[str | None, SensorSettings] = {s.sensor_id: s for s in settings}
    ids = sorted(
        given.keys() | newest.keys(), key=lambda sensor: (sensor is not None, sensor or "")
    )
    return [SensorView(sensor, given.get(sensor), newest.get(sensor)) for sensor in ids]
