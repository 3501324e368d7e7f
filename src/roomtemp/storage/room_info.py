"""Room metadata as info series, so that every replica (and alert rules) can read it.

`roomtemp_room_info{room, name, building, floor, labels, comfort_min, comfort_max}` holds all of
it (labels as JSON, comfort bounds as exact float text); its value is the version (epoch ms of the
change), so the newest label set wins when metadata changes. The comfort bounds are also written as
`roomtemp_room_comfort_{min,max}_celsius{room}` gauges for alert rules to join on.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from roomtemp.domain import Comfort, RoomMeta
from roomtemp.storage.promql import COMFORT_MAX_METRIC, COMFORT_MIN_METRIC, ROOM_INFO_METRIC
from roomtemp.storage.remote_write import Labels, Sample, series_labels

VersionedRoom = tuple[RoomMeta, float]


def info_series(meta: RoomMeta, version: float, at_ms: int) -> list[tuple[Labels, list[Sample]]]:
    """The series that assert a room's metadata at `at_ms`."""
    comfort = meta.comfort
    info = series_labels(
        ROOM_INFO_METRIC,
        room=meta.room_id,
        name=meta.name,
        building=meta.building,
        floor=meta.floor,
        labels=orjson.dumps(meta.labels, option=orjson.OPT_SORT_KEYS).decode()
        if meta.labels
        else None,
        comfort_min=_number(comfort.min_celsius),
        comfort_max=_number(comfort.max_celsius),
    )
    series = [(info, [(at_ms, version)])]
    for metric, bound in (
        (COMFORT_MIN_METRIC, comfort.min_celsius),
        (COMFORT_MAX_METRIC, comfort.max_celsius),
    ):
        if bound is not None:
            series.append((series_labels(metric, room=meta.room_id), [(at_ms, bound)]))
    return series


def newest_rooms(found: Iterable[tuple[dict[str, str], float]]) -> dict[str, VersionedRoom]:
    """Per room, the metadata of the info series with the highest version."""
    rooms: dict[str, VersionedRoom] = {}
    for labels, version in found:
        room_id = labels.get("room")
        if not room_id:
            continue
        known = rooms.get(room_id)
        if known is None or version > known[1]:
            rooms[room_id] = (_meta(room_id, labels), version)
    return rooms


def _meta(room_id: str, labels: dict[str, str]) -> RoomMeta:
    return RoomMeta(
        room_id=room_id,
        name=labels.get("name") or None,
        building=labels.get("building") or None,
        floor=labels.get("floor") or None,
        labels=orjson.loads(labels["labels"]) if labels.get("labels") else {},
        comfort=Comfort(_float(labels.get("comfort_min")), _float(labels.get("comfort_max"))),
    )


def _number(value: float | None) -> str | None:
    return None if value is None else repr(value)


def _float(text: str | None) -> float | None:
    return float(text) if text else None
