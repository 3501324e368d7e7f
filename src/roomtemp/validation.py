"""Turning readings as sent into validated readings: ids, units, plausible range, timestamps.

Every problem of a batch is collected (with the item's index) before anything is stored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from roomtemp.domain import Reading
from roomtemp.errors import ConflictingReading, InvalidInput, Problem
from roomtemp.models import ROOM_ID_PATTERN, ReadingIn
from roomtemp.timeparse import parse_timestamp
from roomtemp.units import parse_unit, to_celsius

_ID = re.compile(ROOM_ID_PATTERN)
ID_RULE = (
    "1 to 64 characters: lowercase letters, digits, '_', '.', '-', starting with a letter or digit"
)


def check_id(value: str, what: str) -> str:
    """Return `value` if it is a valid room or sensor id, else ValueError naming the rule."""
    if not _ID.match(value):
        raise ValueError(f"invalid {what} {value!r}: {ID_RULE}")
    return value


@dataclass(frozen=True)
class Limits:
    """The rules a reading must pass."""

    min_celsius: float
    max_celsius: float
    clock_skew_ms: int


@dataclass(frozen=True)
class ValidBatch:
    """Readings ready to store (identities unique) and how many in-batch re-sends were dropped."""

    readings: list[Reading]
    duplicates: int


def validate_batch(
    items: Sequence[ReadingIn],
    *,
    room_id: str | None,
    now_ms: int,
    limits: Limits,
    loc_prefix: tuple[str | int, ...] = ("body",),
    indexed: bool = True,
) -> ValidBatch:
    """Validate every item; InvalidInput lists all problems, ConflictingReading a clash inside."""
    problems: list[Problem] = []
    readings: list[Reading] = []
    for index, item in enumerate(items):
        loc = (*loc_prefix, index) if indexed else loc_prefix
        reading = _validate_one(item, room_id, now_ms, limits, loc, problems)
        if reading is not None:
            readings.append(reading)
    if problems:
        raise InvalidInput(problems)
    return _deduplicate(readings)


def _validate_one(
    item: ReadingIn,
    room_id: str | None,
    now_ms: int,
    limits: Limits,
    loc: tuple[str | int, ...],
    problems: list[Problem],
) -> Reading | None:
    before = len(problems)
    room = _room_of(item, room_id, loc, problems)
    sensor = item.sensor_id
    if sensor is not None and not _ID.match(sensor):
        problems.append(Problem((*loc, "sensor_id"), f"invalid sensor_id {sensor!r}: {ID_RULE}"))
    value = _celsius(item, limits, loc, problems)
    timestamp_ms = _timestamp(item, now_ms, limits, loc, problems)
    if len(problems) > before or room is None or value is None or timestamp_ms is None:
        return None
    return Reading(room, sensor, timestamp_ms, value)


def _room_of(
    item: ReadingIn, room_id: str | None, loc: tuple[str | int, ...], problems: list[Problem]
) -> str | None:
    if room_id is not None:
        if item.room_id is not None and item.room_id != room_id:
            problems.append(
                Problem(
                    (*loc, "room_id"),
                    f"room_id {item.room_id!r} differs from the path's {room_id!r}",
                )
            )
        return room_id
    if item.room_id is None:
        problems.append(Problem((*loc, "room_id"), "room_id is required", "missing"))
        return None
    if not _ID.match(item.room_id):
        problems.append(Problem((*loc, "room_id"), f"invalid room_id {item.room_id!r}: {ID_RULE}"))
        return None
    return item.room_id


def _celsius(
    item: ReadingIn, limits: Limits, loc: tuple[str | int, ...], problems: list[Problem]
) -> float | None:
    if not math.isfinite(item.value):
        problems.append(Problem((*loc, "value"), "value must be a finite number"))
        return None
    try:
        unit = parse_unit(item.unit)
    except ValueError as exc:
        problems.append(Problem((*loc, "unit"), str(exc)))
        return None
    celsius = to_celsius(item.value, unit)
    if not limits.min_celsius <= celsius <= limits.max_celsius:
        problems.append(
            Problem(
                (*loc, "value"),
                f"value {item.value} {unit.value} is {celsius:.2f} °C, outside the plausible range "
                f"{limits.min_celsius:g} to {limits.max_celsius:g} °C",
            )
        )
        return None
    return celsius


def _timestamp(
    item: ReadingIn,
    now_ms: int,
    limits: Limits,
    loc: tuple[str | int, ...],
    problems: list[Problem],
) -> int | None:
    if item.timestamp is None:
        return now_ms
    try:
        timestamp_ms = parse_timestamp(item.timestamp)
    except ValueError as exc:
        problems.append(Problem((*loc, "timestamp"), str(exc)))
        return None
    ahead_ms = timestamp_ms - now_ms
    if ahead_ms > limits.clock_skew_ms:
        problems.append(
            Problem(
                (*loc, "timestamp"),
                f"timestamp is {ahead_ms / 1000:.1f} s in the future, more than the allowed clock "
                f"skew of {limits.clock_skew_ms / 1000:g} s; check the sensor's clock",
            )
        )
        return None
    return timestamp_ms


def _deduplicate(readings: list[Reading]) -> ValidBatch:
    seen: dict[tuple[str, str | None, int], float] = {}
    unique: list[Reading] = []
    for reading in readings:
        key = (reading.room_id, reading.sensor_id, reading.timestamp_ms)
        stored = seen.get(key)
        if stored is None:
            seen[key] = reading.value
            unique.append(reading)
        elif stored != reading.value:
            raise ConflictingReading(
                reading.room_id, reading.sensor_id, reading.timestamp_ms, stored, reading.value
            )
    return ValidBatch(unique, len(readings) - len(unique))
