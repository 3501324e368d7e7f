"""Reads of the embedded store: rooms, each sensor's newest reading, pages of raw readings."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from roomtemp.domain import Comfort, Reading, ReadingsPage, RoomMeta, SensorLatest
from roomtemp.storage.sqlite.catalog import Catalog
from roomtemp.storage.sqlite.hot import HotTier
from roomtemp.storage.sqlite.raw import series_raw_first


def room(conn: sqlite3.Connection, room_id: str) -> RoomMeta | None:
    row = conn.execute("SELECT * FROM rooms WHERE room_id = ?", (room_id,)).fetchone()
    return None if row is None else _room(row)


def rooms(conn: sqlite3.Connection, after: str | None, limit: int | None) -> list[RoomMeta]:
    """Rooms by id, after `after` (None: from the first), at most `limit` (None: all)."""
    rows = conn.execute(
        "SELECT * FROM rooms WHERE room_id > ? ORDER BY room_id LIMIT ?",
        ("" if after is None else after, -1 if limit is None else limit),
    )
    return [_room(row) for row in rows]


def latest(
    catalog: Catalog, hot: HotTier, room_ids: Sequence[str] | None
) -> dict[str, list[SensorLatest]]:
    """The newest reading of each sensor, per room (every room when `room_ids` is None): the
    chosen series' newest readings taken from the hot tier's columns in one go."""
    by_room = catalog.rooms
    chosen = by_room if room_ids is None else {r: by_room[r] for r in room_ids if r in by_room}
    rooms = sorted(chosen.items())
    series = np.array([sid for _, sensors in rooms for _, sid in sensors], np.int64)
    with hot.lock:
        held = series < hot.latest_ts.shape[0]  # a series made since the columns last grew
        stamps = np.full(series.shape[0], _NO_READING, np.int64)
        stamps[held] = hot.latest_ts[series[held]]
        values = np.zeros(series.shape[0])
        values[held] = hot.latest_value[series[held]]
    found: dict[str, list[SensorLatest]] = {}
    # zip takes from a room's sensors first, so each room takes only its own (stamp, value)s
    pairs = zip(stamps.tolist(), values.tolist(), strict=True)
    for room_id, sensors in rooms:
        known = [
            SensorLatest(sensor or None, ts, value)
            for (sensor, _), (ts, value) in zip(sensors, pairs, strict=False)
            if ts > _NO_READING
        ]
        if known:
            found[room_id] = known
    return found


_NO_READING = int(np.iinfo(np.int64).min)
"""The hot tier's newest timestamp of a series that has no reading."""


def readings_page(
    conn: sqlite3.Connection,
    hot: HotTier,
    series: list[tuple[str, int]],
    room_id: str,
    span: tuple[int, int],
    after: tuple[int, str] | None,
    limit: int,
) -> ReadingsPage:
    """Readings of a room's series in `[start, end)` by (timestamp, sensor), after `after`."""
    parts_ts, parts_rank, parts_values = [], [], []
    for rank, (sensor, sid) in enumerate(series):
        low = span[0]
        if after is not None:
            low = max(low, after[0] if sensor > after[1] else after[0] + 1)
        ts, values = series_raw_first(conn, hot, sid, (low, span[1]), limit + 1)
        parts_ts.append(ts[: limit + 1])
        parts_values.append(values[: limit + 1])
        parts_rank.append(np.full(min(ts.shape[0], limit + 1), rank, np.int64))
    if not parts_ts:
        return ReadingsPage([], None)
    ts, ranks = np.concatenate(parts_ts), np.concatenate(parts_rank)
    order = np.lexsort((ranks, ts))[: limit + 1]
    names = [sensor or None for sensor, _ in series]
    values = np.concatenate(parts_values)[order].tolist()
    chosen = zip(ts[order].tolist(), ranks[order].tolist(), values, strict=True)
    page = [Reading(room_id, names[r], t, v) for t, r, v in chosen]
    more = len(page) > limit
    page = page[:limit]
    return ReadingsPage(page, (page[-1][2], page[-1][1] or "") if more else None)


def _room(row: tuple[Any, ...]) -> RoomMeta:
    room_id, name, building, floor, labels, comfort_min, comfort_max = row
    return RoomMeta(
        room_id, name, building, floor, {} if labels == "{}" else _labels(labels),
        _comfort(comfort_min, comfort_max),
    )  # fmt: skip


def _labels(text: str) -> dict[str, str]:
    try:
        found: dict[str, str] = orjson.loads(text)
    except orjson.JSONDecodeError:  # a lone surrogate escape, which only json takes
        found = json.loads(text)
    return found


_COMFORTS: dict[tuple[float | None, float | None], Comfort] = {}


def _comfort(low: float | None, high: float | None) -> Comfort:
    """One Comfort per band (frozen: shared; a list of rooms has few distinct bands)."""
    found = _COMFORTS.get((low, high))
    if found is None:
        if len(_COMFORTS) > 4096:
            _COMFORTS.clear()
        found = _COMFORTS[low, high] = Comfort(low, high)
    return found
