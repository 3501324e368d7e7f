"""Turning readings as sent into validated readings: ids, units, plausible range, timestamps.

Every problem of a batch is collected before anything is stored, each located by the item's
index and field (`(3, "value")`); where the items came from (a request body, a file) is for
the caller to say.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from roomtemp.columns import Limits, SeriesItems, TypedItems, as_items, checked, checked_series
from roomtemp.domain import ID_RULE, Reading, ReadingColumns, is_valid_id
from roomtemp.errors import ConflictingReading, InvalidInput, Problem
from roomtemp.timeparse import MAX_MS, MIN_MS, format_duration, parse_timestamp
from roomtemp.units import parse_unit, to_celsius

__all__ = ["Limits", "ReadingIn", "ValidBatch", "fast_readings", "validate_batch"]

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
    raw_value: float | None = Field(
        None,
        description="for a reading calibrated already (an export of roomtemp): the value as its "
        "sensor sent it, in the same unit; the value is then stored as it is, no offset added",
    )

    @field_validator("value", "timestamp", "raw_value", mode="before")
    @classmethod
    def _not_boolean(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("must be a number, not true or false")
        return value


_ONE = TypeAdapter(ReadingIn)


def fast_readings(
    items: Sequence[object], *, room_id: str | None, now_ms: int, limits: Limits
) -> list[Reading] | None:
    """The fast path (columns.checked) on parsed items, as readings, or None to take the full
    validator, which is the authority: this accepts only what that accepts, and gives the same
    readings."""
    typed = as_items(items)
    if typed is None:
        return None
    found = checked(typed, room_id=room_id, now_ms=now_ms, limits=limits)
    return None if found is None else list(found)


@dataclass(frozen=True)
class ValidBatch:
    """Readings ready to store (identities unique) and how many in-batch re-sends were dropped."""

    readings: ReadingColumns
    duplicates: int


def validate_batch(
    items: Sequence[object], *, room_id: str | None, now_ms: int, limits: Limits
) -> ValidBatch:
    """Validate raw items (as parsed from JSON, CSV, NDJSON or line protocol; one series' columns
    for a line protocol body of one series key) into readings with unique identities.

    InvalidInput lists every problem of every item, located by index; ConflictingReading names a
    clash inside the batch.
    """
    found = None
    if isinstance(items, SeriesItems):
        found = checked_series(items.series, room_id=room_id, now_ms=now_ms, limits=limits)
    elif (typed := as_items(items)) is not None:
        found = checked(typed, room_id=room_id, now_ms=now_ms, limits=limits)
    if found is None:
        generic = items.generic() if isinstance(items, (TypedItems, SeriesItems)) else items
        found = _checked_readings(generic, room_id, now_ms, limits)
    return _deduplicate(found)


def _checked_readings(
    items: Sequence[object], room_id: str | None, now_ms: int, limits: Limits
) -> ReadingColumns:
    problems: list[Problem] = []
    readings: list[Reading] = []
    raws: list[float] = []
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
            raws.append(_raw_celsius(item, loc, problems))
    if problems:
        raise InvalidInput(problems)
    found = ReadingColumns.of(readings)
    if not all(math.isnan(value) for value in raws):
        found.raw = np.array(raws, np.float64)
    return found


def _raw_celsius(item: ReadingIn, loc: Location, problems: list[Problem]) -> float:
    """The value as sent of a reading calibrated already, in °C (NaN: not given)."""
    if item.raw_value is None:
        return math.nan
    if not math.isfinite(item.raw_value):
        problems.append(Problem((*loc, "raw_value"), "raw_value must be a finite number"))
        return math.nan
    return to_celsius(item.raw_value, parse_unit(item.unit))


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
    if limits.max_age_ms is not None and -ahead_ms > limits.max_age_ms:
        problems.append(
            Problem(
                (*loc, "timestamp"),
                f"timestamp is older than the raw retention of {format_duration(limits.max_age_ms)}"
                " (ROOMTEMP_RETENTION_RAW): the store keeps no raw readings that old",
            )
        )
        return None
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


def _deduplicate(readings: ReadingColumns) -> ValidBatch:
    """Drop in-batch re-sends (same series, timestamp and value); a different value is a clash."""
    if len(readings) < 2:
        return ValidBatch(readings, 0)
    order = np.lexsort((readings.ts, readings.codes))
    codes, ts = readings.codes[order], readings.ts[order]
    again = (codes[1:] == codes[:-1]) & (ts[1:] == ts[:-1])
    if not again.any():
        return ValidBatch(readings, 0)
    values = readings.values[order]
    clash = np.flatnonzero(again & (values[1:] != values[:-1]))
    if clash.shape[0]:
        first = clash[0]
        room, sensor = readings.keys[int(codes[first])]
        raise ConflictingReading(
            room,
            sensor,
            int(ts[first]),
            float(values[first]),
            float(values[first + 1]),
            in_batch=True,
        )
    kept = np.sort(order[np.concatenate(([True], ~again))])
    return ValidBatch(readings.take(kept), len(readings) - int(kept.shape[0]))
