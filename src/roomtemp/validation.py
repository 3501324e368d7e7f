"""Turning readings as sent into validated readings: ids, units, plausible range, timestamps.

Every problem of a batch is collected before anything is stored, each located by the item's
index and field (`(3, "value")`); where the items came from (a request body, a file) is for
the caller to say.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from roomtemp.domain import ID_RULE, Reading, is_valid_id
from roomtemp.errors import ConflictingReading, InvalidInput, Problem
from roomtemp.timeparse import MAX_MS, MIN_MS, parse_timestamp
from roomtemp.units import Unit, parse_unit, to_celsius

MIN_S, MAX_S = MIN_MS / 1000, MAX_MS / 1000
Location = tuple[str | int, ...]

Timestamp = Annotated[
    str | float | None,
    Field(
        description="RFC 3339 with an offset, or Unix epoch seconds; missing: time of receipt",
        examples=["2024-03-01T12:00:00Z", 1709294400.5],
    ),
]


class ReadingIn(BaseModel):
    """One reading as a sensor sends it (the API documents this model as its input)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"value": 21.5},
                {
                    "value": 70.7,
                    "unit": "F",
                    "timestamp": "2024-03-01T12:00:00+01:00",
                    "sensor_id": "window",
                },
            ]
        },
    )

    value: float = Field(description="the temperature, a finite number")
    unit: str | None = Field(None, description="celsius (default), fahrenheit, kelvin; C, F, K")
    timestamp: Timestamp = None
    sensor_id: str | None = Field(None, description="which sensor of the room; absent: anonymous")
    room_id: str | None = Field(None, description="required in cross-room batches")

    @field_validator("value", "timestamp", mode="before")
    @classmethod
    def _not_boolean(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("must be a number, not true or false")
        return value


_ONE = TypeAdapter(ReadingIn)


@dataclass(frozen=True)
class Limits:
    """The rules a reading must pass."""

    min_celsius: float
    max_celsius: float
    clock_skew_ms: int


_FIELDS = frozenset(("value", "unit", "timestamp", "sensor_id", "room_id"))
_UNITS: dict[str | None, Unit] = {
    spelling: parse_unit(name)
    for name in ("celsius", "fahrenheit", "kelvin", "c", "f", "k")
    for spelling in (name, name.capitalize(), name.upper())
}
_UNITS[None] = Unit.celsius
_valid_ids: set[str] = set()
_identity = operator.itemgetter(0, 1, 2)


def _known_id(value: object) -> bool:
    """True for a valid id; remembers valid ids so a batch checks each room's regex once."""
    if value in _valid_ids:
        return True
    if is_valid_id(value):
        if len(_valid_ids) < 100_000:
            _valid_ids.add(value)
        return True
    return False


def fast_readings(
    items: Sequence[object], *, room_id: str | None, now_ms: int, limits: Limits
) -> list[Reading] | None:
    """Readings from well-formed raw items (dicts as parsed from JSON), or None (or an exception)
    to take the full validator, which is the authority: this accepts only what that accepts, and
    gives the same readings.
    """
    readings: list[Reading] = []
    append = readings.append
    low, high, latest = limits.min_celsius, limits.max_celsius, now_ms + limits.clock_skew_ms
    for item in items:
        if type(item) is not dict or not item.keys() <= _FIELDS:
            return None
        get = item.get
        value, unit, stamp = get("value"), get("unit"), get("timestamp")
        room, sensor = get("room_id"), get("sensor_id")
        if unit is None and type(value) is float:
            celsius = value
        elif type(value) in (int, float) and unit in _UNITS:
            celsius = to_celsius(float(value), _UNITS[unit])  # type: ignore[arg-type]
        else:
            return None
        if not low <= celsius <= high:
            return None
        if stamp is None:
            timestamp_ms = now_ms
        elif type(stamp) in (int, float) and MIN_S < stamp < MAX_S:
            timestamp_ms = round(stamp * 1000)
        elif type(stamp) is str:
            timestamp_ms = parse_timestamp(stamp)
        else:
            return None
        if timestamp_ms > latest or (
            sensor is not None and sensor not in _valid_ids and not _known_id(sensor)
        ):
            return None
        if room_id is None:
            if room not in _valid_ids and not _known_id(room):
                return None
        elif room is not None and room != room_id:
            return None
        append(Reading(room_id or room, sensor, timestamp_ms, celsius))  # type: ignore[arg-type]
    return readings


@dataclass(frozen=True)
class ValidBatch:
    """Readings ready to store (identities unique) and how many in-batch re-sends were dropped."""

    readings: list[Reading]
    duplicates: int


def validate_batch(
    items: Sequence[object], *, room_id: str | None, now_ms: int, limits: Limits
) -> ValidBatch:
    """Validate raw items (as parsed from JSON, CSV or NDJSON) into readings with unique identities.

    InvalidInput lists every problem of every item, located by index; ConflictingReading names a
    clash inside the batch.
    """
    try:
        readings = fast_readings(items, room_id=room_id, now_ms=now_ms, limits=limits)
    except (OverflowError, TypeError, ValueError):
        readings = None
    if readings is None:
        readings = _checked_readings(items, room_id, now_ms, limits)
    return _deduplicate(readings)


def _checked_readings(
    items: Sequence[object], room_id: str | None, now_ms: int, limits: Limits
) -> list[Reading]:
    problems: list[Problem] = []
    readings: list[Reading] = []
    for index, raw in enumerate(items):
        loc: Location = (index,)
        try:
            item = _ONE.validate_python(raw)
        except ValidationError as exc:
            problems += [Problem((*loc, *e["loc"]), e["msg"], e["type"]) for e in exc.errors()]
            continue
        reading = _validate_one(item, room_id, now_ms, limits, loc, problems)
        if reading is not None:
            readings.append(reading)
    if problems:
        raise InvalidInput(problems)
    return readings


def _validate_one(
    item: ReadingIn,
    room_id: str | None,
    now_ms: int,
    limits: Limits,
    loc: Location,
    problems: list[Problem],
) -> Reading | None:
    before = len(problems)
    room = _room_of(item, room_id, loc, problems)
    sensor = item.sensor_id
    if sensor is not None and not is_valid_id(sensor):
        problems.append(Problem((*loc, "sensor_id"), f"invalid sensor_id {sensor!r}: {ID_RULE}"))
    value = _celsius(item, limits, loc, problems)
    timestamp_ms = _timestamp(item, now_ms, limits, loc, problems)
    if len(problems) > before or room is None or value is None or timestamp_ms is None:
        return None
    return Reading(room, sensor, timestamp_ms, value)


def _room_of(
    item: ReadingIn, room_id: str | None, loc: Location, problems: list[Problem]
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
    if not is_valid_id(item.room_id):
        problems.append(Problem((*loc, "room_id"), f"invalid room_id {item.room_id!r}: {ID_RULE}"))
        return None
    return item.room_id


def _celsius(
    item: ReadingIn, limits: Limits, loc: Location, problems: list[Problem]
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
    loc: Location,
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
    if len(set(map(_identity, readings))) == len(readings):
        return ValidBatch(readings, 0)
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
                reading.room_id,
                reading.sensor_id,
                reading.timestamp_ms,
                stored,
                reading.value,
                in_batch=True,
            )
    return ValidBatch(unique, len(readings) - len(unique))
