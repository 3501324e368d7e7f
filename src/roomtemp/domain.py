"""The records that flow between the service and the storage backends (Celsius, epoch ms)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TypeGuard, TypeVar, overload

import numpy as np
import numpy.typing as npt

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


Item = TypeVar("Item")


class Columnar(Sequence[Item]):
    """A sequence kept as columns (numpy arrays): one item is built only when asked for
    (`_item`); subclasses iterate a column at a time."""

    @overload
    def __getitem__(self, index: int) -> Item: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Item]: ...

    def __getitem__(self, index: int | slice) -> Item | Sequence[Item]:
        if isinstance(index, slice):
            return list(self)[index]
        size = len(self)
        if not -size <= index < size:
            raise IndexError(index)
        return self._item(index % size)

    def _item(self, index: int) -> Item:
        raise NotImplementedError


SensorKey = tuple[str, str | None]
"""(room id, sensor id) of a series; None is the anonymous sensor."""


class ReadingColumns(Columnar[Reading]):
    """A batch of readings as columns: each reading's series as an index into `keys`, its
    timestamp (epoch ms) and its value (°C). Iterates as Readings, so any backend can take it;
    the embedded store uses the columns as they are (no object per reading)."""

    def __init__(
        self,
        keys: list[SensorKey],
        codes: npt.NDArray[np.int64],
        ts: npt.NDArray[np.int64],
        values: npt.NDArray[np.float64],
        raw: npt.NDArray[np.float64] | None = None,
    ) -> None:
        self.keys, self.codes, self.ts, self.values = keys, codes, ts, values
        self.raw = raw
        """The value as sent (°C) of calibrated readings, NaN for the others; None: none is."""

    @classmethod
    def of(cls, readings: Sequence[Reading]) -> ReadingColumns:
        """The columns of any sequence of readings."""
        if isinstance(readings, ReadingColumns):
            return readings
        index: dict[SensorKey, int] = {}
        codes = [index.setdefault((r[0], r[1]), len(index)) for r in readings]
        count = len(readings)
        return cls(
            list(index),
            np.array(codes, np.int64),
            np.fromiter((r[2] for r in readings), np.int64, count),
            np.fromiter((r[3] for r in readings), np.float64, count),
        )

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def _item(self, index: int) -> Reading:
        room, sensor = self.keys[int(self.codes[index])]
        return Reading(room, sensor, int(self.ts[index]), float(self.values[index]))

    def __iter__(self) -> Iterator[Reading]:
        keys = self.keys
        for code, ts, value in zip(
            self.codes.tolist(), self.ts.tolist(), self.values.tolist(), strict=True
        ):
            room, sensor = keys[code]
            yield Reading(room, sensor, ts, value)

    def take(self, index: npt.NDArray[np.bool_] | npt.NDArray[np.intp]) -> ReadingColumns:
        raw = None if self.raw is None else self.raw[index]
        return ReadingColumns(self.keys, self.codes[index], self.ts[index], self.values[index], raw)


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


@dataclass(frozen=True, slots=True)
class SensorSettings:
    """What people say about one sensor of a room: the offset added to its readings when they
    are stored (°C, after unit conversion) and how often it should report (ms)."""

    sensor_id: str
    offset_celsius: float | None = None
    expected_interval_ms: int | None = None


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
    """Sum, count, min and max of the readings in one bucket (all sensors of a room), and what
    the time-weighted mean and the coverage are made of: the held values' integral (°C x ms),
    the sensors' total held time, the time at least one sensor held a value, and the bucket's
    length inside the range (ms). Zero where a backend does not compute them.

    Not frozen: a year of hourly buckets builds thousands, and frozen init costs twice as much.
    """

    start_ms: int
    end_ms: int
    total: float
    count: int
    minimum: float
    maximum: float
    integral: float = 0.0
    held_ms: float = 0.0
    covered_ms: float = 0.0
    length_ms: int = 0

    @property
    def mean(self) -> float:
        return self.total / self.count

    @property
    def mean_time_weighted(self) -> float | None:
        return self.integral / self.held_ms if self.held_ms > 0 else None

    @property
    def coverage(self) -> float | None:
        return self.covered_ms / self.length_ms if self.length_ms > 0 else None


F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


class AggregateColumns(Columnar[Aggregate]):
    """A room's buckets holding readings as columns (no object per bucket until asked), and
    `totals`: the whole range at once, including the held time and coverage of buckets
    without readings (a reading held into them), for the summary."""

    def __init__(self, start: I64, end: I64, sums: dict[str, np.ndarray], totals: Aggregate):
        self.start, self.end, self.sums, self.totals = start, end, sums, totals

    def __len__(self) -> int:
        return int(self.start.shape[0])

    def _item(self, index: int) -> Aggregate:
        return self._rows(slice(index, index + 1))[0]

    def __iter__(self) -> Iterator[Aggregate]:
        return iter(self._rows(slice(None)))

    def _rows(self, part: slice) -> list[Aggregate]:
        columns = [self.start[part].tolist(), self.end[part].tolist()]
        columns += [self.sums[name][part].tolist() for name in AGGREGATE_SUMS]
        return [Aggregate(*row) for row in zip(*columns, strict=True)]


AGGREGATE_SUMS = ("total", "count", "minimum", "maximum", "integral", "held", "covered", "length")
"""The columns of AggregateColumns.sums, in Aggregate's field order."""


@dataclass(frozen=True)
class WriteResult:
    """What a write did: readings newly stored, identical re-sends ignored, whether the
    readings were only spooled locally (to be replayed once the engine is back), and the
    readings set aside by reason (None: the service does not set readings aside)."""

    accepted: int
    duplicates: int
    spooled: bool = False
    quarantined: dict[str, int] | None = None


class SetAside(NamedTuple):
    """A reading kept aside at ingest: its value as sent (°C) and why (QUARANTINE_REASONS)."""

    room_id: str
    sensor_id: str | None
    timestamp_ms: int
    value: float
    reason: str


QUARANTINE_REASONS = ("implausible", "rate")
"""Outside the plausible range; a jump faster than the maximum rate."""


@dataclass(frozen=True, slots=True)
class SetAsidePage:
    """Readings set aside in one room, oldest first, and the key to continue after the last."""

    readings: list[SetAside]
    next_after: tuple[int, str] | None


@dataclass(frozen=True, slots=True)
class RoomsRead:
    """A stretch of rooms by id as `Storage.list_rooms` lists them, the ones a filter kept, and
    the kept rooms' sensors: their newest readings (as `Storage.latest`) and their settings (as
    `Storage.sensor_settings`)."""

    listed: list[RoomMeta]
    rooms: list[RoomMeta]
    latest: dict[str, list[SensorLatest]]
    settings: dict[str, list[SensorSettings]]


@dataclass(frozen=True, slots=True)
class ReadingsPage:
    """Raw readings of one room, oldest first, and the key to continue after the last one."""

    readings: list[Reading]
    next_after: tuple[int, str] | None
    raw_values: list[float | None] | None = None
    """Per reading, the value as sent when it was calibrated (None: it was not); None: no
    reading of the page was."""
