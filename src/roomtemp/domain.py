"""The records that flow between the service and the storage backends (Celsius, epoch ms)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple, TypeGuard

ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
"""Room and sensor ids."""
ID_RULE = (
    "1 to 64 characters: lowercase letters, digits, '_', '.', '-', starting with a letter or digit"
)
_ID = re.compile(ID_PATTERN)


def is_valid_id(value: object) -> TypeGuard[str]:
    """True for a valid room or sensor id (matched in full: `$` alone would let a final newline
    through)."""
    return type(value) is str and _ID.fullmatch(value) is not None


def check_id(value: str, what: str) -> str:
    """Return `value` if it is a valid room or sensor id, else ValueError naming the rule."""
    if not is_valid_id(value):
        raise ValueError(f"invalid {what} {value!r}: {ID_RULE}")
    return value


class Reading(NamedTuple):
    """One validated reading: identity is (room_id, sensor_id, timestamp_ms); value in Celsius.

    A named tuple rather than a dataclass: batches hold thousands, and tuples are built fastest.
    """

    room_id: str
    sensor_id: str | None
    timestamp_ms: int
    value: float


@dataclass(frozen=True, slots=True)
class SensorLatest:
    """The newest reading of one sensor of a room."""

    sensor_id: str | None
    timestamp_ms: int
    value: float


@dataclass(frozen=True)
class Comfort:
    """The band a room should stay in; either side may be open."""

    min_celsius: float | None = None
    max_celsius: float | None = None


@dataclass(frozen=True)
class RoomMeta:
    """What people say about a room; every field but the id is optional."""

    room_id: str
    name: str | None = None
    building: str | None = None
    floor: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    comfort: Comfort = field(default_factory=Comfort)


@dataclass(slots=True)
class Aggregate:
    """Sum, count, min and max of the readings in one bucket (all sensors of a room).

    Not frozen: a year of hourly buckets builds thousands, and frozen init costs twice as much.
    """

    start_ms: int
    end_ms: int
    total: float
    count: int
    minimum: float
    maximum: float

    @property
    def mean(self) -> float:
        return self.total / self.count


@dataclass(frozen=True)
class WriteResult:
    """What a write did: readings newly stored, identical re-sends ignored, and whether the
    readings were only spooled locally (to be replayed once the engine is back)."""

    accepted: int
    duplicates: int
    spooled: bool = False


@dataclass(frozen=True, slots=True)
class ReadingsPage:
    """Raw readings of one room, oldest first, and the key to continue after the last one."""

    readings: list[Reading]
    next_after: tuple[int, str] | None
