"""The fast path of ingest: JSON bodies decoded by msgspec into typed items, checked as numpy
columns, handed on as ReadingColumns (no object per reading).

It accepts only what the full validator (validation.py) accepts, and gives the same readings:
anything it is unsure of (a unit spelling it does not know, a bad id, a value out of range, a
timestamp too far ahead, ...) makes it return None, and the full validator, which is the
authority and writes every message, takes the batch from its generic parse.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast, overload

import msgspec
import numpy as np
import orjson

from roomtemp.domain import ReadingColumns, SensorKey, is_valid_id
from roomtemp.timeparse import MAX_MS, MIN_MS, parse_timestamp
from roomtemp.units import Unit, parse_unit

MIN_S, MAX_S = MIN_MS / 1000, MAX_MS / 1000
Values = TypeVar("Values", float, np.ndarray)


@dataclass(frozen=True)
class Limits:
    """The rules a reading must pass (`max_age_ms`: how old it may be, None: any age)."""

    min_celsius: float
    max_celsius: float
    clock_skew_ms: int
    max_age_ms: int | None = None


class Item(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """One reading as JSON sends it, typed: anything else fails the fast path. Not tracked by
    the garbage collector (its fields are scalars: it cannot be part of a cycle), which makes
    decoding a batch faster."""

    value: float
    unit: str | None = None
    timestamp: float | str | None = None
    sensor_id: str | None = None
    room_id: str | None = None
    raw_value: float | None = None


class TypedItems(list[Item]):
    """The typed items of a JSON body, and the body, parsed generically when the full
    validator needs it (its messages refer to the body as sent)."""

    def __init__(self, items: list[Item], body: bytes) -> None:
        super().__init__(items)
        self.body = body

    def generic(self) -> list[Any]:
        document = orjson.loads(self.body)
        return document if isinstance(document, list) else [document]


@dataclass(frozen=True)
class Series:
    """The readings of one series as columns: its room, sensor and unit, each reading's value
    and its time in epoch seconds (a line protocol body of one series key, parsed as the full
    line parser parses each line)."""

    room_id: str
    sensor_id: str | None
    unit: str | None
    values: list[float]
    seconds: list[float]


class SeriesItems(Sequence[dict[str, object]]):
    """The raw readings of one series given as columns: `checked_series` checks the columns
    as they are; the raw items (dicts, as the full parser gives them) are made only when the
    full validator needs them, or when they are looked at one by one."""

    def __init__(self, series: Series) -> None:
        self.series = series
        self._items: list[dict[str, object]] | None = None

    def __len__(self) -> int:
        return len(self.series.values)

    @overload
    def __getitem__(self, index: int) -> dict[str, object]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, object]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, object] | list[dict[str, object]]:
        return self.generic()[index]

    def __iter__(self) -> Iterator[dict[str, object]]:
        return iter(self.generic())

    def generic(self) -> list[dict[str, object]]:
        if self._items is None:
            one = self.series
            self._items = [
                {"room_id": one.room_id, "sensor_id": one.sensor_id, "value": value,
                 "unit": one.unit, "timestamp": seconds}
                for value, seconds in zip(one.values, one.seconds, strict=True)
            ]  # fmt: skip
        return self._items


_DECODER = msgspec.json.Decoder(list[Item] | Item)
_UNITS: dict[str | None, Unit] = {
    spelling: parse_unit(name)
    for name in ("celsius", "fahrenheit", "kelvin", "c", "f", "k")
    for spelling in (name, name.capitalize(), name.upper())
}
_UNITS[None] = Unit.celsius
_valid_ids: set[str] = set()
_VALUE, _UNIT, _TIMESTAMP = (operator.attrgetter(n) for n in ("value", "unit", "timestamp"))
_SENSOR, _ROOM = operator.attrgetter("sensor_id"), operator.attrgetter("room_id")
_RAW = operator.attrgetter("raw_value")
_PAIR = operator.attrgetter("room_id", "sensor_id")  # one tuple an item, made in C


def decode_json(body: bytes) -> tuple[TypedItems, bool] | None:
    """The typed items of a JSON body and whether it was a list, or None when it is not made
    of well-typed readings (then it is parsed generically and validated in full)."""
    try:
        document = _DECODER.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    if isinstance(document, list):
        return TypedItems(document, body), True
    return TypedItems([document], body), False


def as_items(raw: Sequence[object]) -> list[Item] | None:
    """Parsed items (dicts) as typed items, or None if any does not type-check."""
    if isinstance(raw, TypedItems):
        return raw
    try:
        return msgspec.convert(raw, list[Item], strict=True)
    except (msgspec.ValidationError, TypeError, ValueError, OverflowError):
        return None


def _known_id(value: object) -> bool:
    """True for a valid id; remembers valid ids so a batch checks each room's regex once."""
    if value in _valid_ids:
        return True
    if is_valid_id(value):
        if len(_valid_ids) < 100_000:
            _valid_ids.add(value)
        return True
    return False


SMALL_BATCH = 4
"""Up to this many items, numpy's cost per call outweighs its speed: they are checked one by one."""


def checked(
    items: list[Item], *, room_id: str | None, now_ms: int, limits: Limits
) -> ReadingColumns | None:
    """The readings of typed items if every rule holds, else None (see the module's doc)."""
    if not items or list(map(_RAW, items)).count(None) != len(items):
        return None  # readings calibrated already (an export) take the full validator
    check = checked_few if len(items) <= SMALL_BATCH else checked_many
    return check(items, room_id, now_ms, limits)


def checked_series(
    series: Series, *, room_id: str | None, now_ms: int, limits: Limits
) -> ReadingColumns | None:
    """`checked` of one series' columns: the same rules and arithmetic as checked_many gives
    its items (None: take the full validator)."""
    unit = _UNITS.get(series.unit)
    if unit is None or not series.values or (room_id is not None and series.room_id != room_id):
        return None
    values = np.array(series.values, np.float64)
    if unit is not Unit.celsius:
        with np.errstate(over="ignore"):  # a huge value becomes inf, refused below
            values = _converted(values, unit)
    if not _within(values, limits):
        return None
    ts = _timestamps(series.seconds, now_ms, limits)
    if ts is None:
        return None
    if not (
        _ids_hold({series.sensor_id}, optional=True) and _ids_hold({series.room_id}, optional=False)
    ):
        return None
    key = (series.room_id, series.sensor_id)
    return ReadingColumns([key], np.zeros(values.shape[0], np.int64), ts, values)


def checked_many(
    items: list[Item], room_id: str | None, now_ms: int, limits: Limits
) -> ReadingColumns | None:
    """`checked` as columns: a few numpy calls for the whole batch."""
    celsius = _celsius(items, limits)
    ts = _timestamps(list(map(_TIMESTAMP, items)), now_ms, limits)
    if celsius is None or ts is None:
        return None
    keys = _keys(items, room_id)
    if keys is None:
        return None
    return ReadingColumns(keys[0], keys[1], ts, celsius)


def checked_few(
    items: list[Item], room_id: str | None, now_ms: int, limits: Limits
) -> ReadingColumns | None:
    """`checked` item by item, with the same arithmetic: the same readings as checked_many,
    its series in the same order."""
    celsius = [_celsius_of(item, limits) for item in items]
    stamps = [_timestamp(item.timestamp, now_ms) for item in items]
    if None in celsius or None in stamps:
        return None
    ts = cast(list[int], stamps)
    if not _recent(min(ts), max(ts), now_ms, limits):
        return None
    found = _keys(items, room_id)
    if found is None:
        return None
    keys, index = found
    return ReadingColumns(keys, index, np.array(ts, np.int64), np.array(celsius, np.float64))


def _celsius_of(item: Item, limits: Limits) -> float | None:
    unit = _UNITS.get(item.unit)
    if unit is None:
        return None
    value = float(item.value)
    if unit is not Unit.celsius:
        value = _converted(value, unit)
    return value if limits.min_celsius <= value <= limits.max_celsius else None


def _recent(earliest: int, latest: int, now_ms: int, limits: Limits) -> bool:
    """No reading further ahead of the clock than the skew allowed, none older than the age."""
    if latest > now_ms + limits.clock_skew_ms:
        return False
    return limits.max_age_ms is None or earliest >= now_ms - limits.max_age_ms


def _celsius(items: list[Item], limits: Limits) -> np.ndarray | None:
    values = np.array(list(map(_VALUE, items)), np.float64)
    units = list(map(_UNIT, items))
    found = set(units)
    if not found <= _UNITS.keys():
        return None
    if found != {None}:
        for spelling in found:
            unit = _UNITS[spelling]
            if unit is not Unit.celsius:
                mask = np.fromiter((u == spelling for u in units), bool, len(units))
                with np.errstate(over="ignore"):  # a huge value becomes inf, refused below
                    values[mask] = _converted(values[mask], unit)
    return values if _within(values, limits) else None


def _within(values: np.ndarray, limits: Limits) -> bool:
    """Every value inside the limits (NaN and infinities are not)."""
    return bool(np.all((values >= limits.min_celsius) & (values <= limits.max_celsius)))


def _converted(values: Values, unit: Unit) -> Values:
    """The same arithmetic as units.to_celsius, so the results are the same floats."""
    if unit is Unit.fahrenheit:
        return (values - 32.0) * 5.0 / 9.0
    return values - 273.15


def _timestamps(
    stamps: Sequence[float | str | None], now_ms: int, limits: Limits
) -> np.ndarray | None:
    kinds = set(map(type, stamps))
    if kinds == {float}:
        seconds = np.array(stamps, np.float64)
        if not np.all((seconds > MIN_S) & (seconds < MAX_S)):
            return None
        ts = np.rint(seconds * 1000).astype(np.int64)
    elif kinds == {type(None)}:
        ts = np.full(len(stamps), now_ms, np.int64)
    else:
        one = [_timestamp(stamp, now_ms) for stamp in stamps]
        if None in one:
            return None
        ts = np.array(one, np.int64)
    return ts if _recent(int(ts.min()), int(ts.max()), now_ms, limits) else None


def _timestamp(stamp: float | str | None, now_ms: int) -> int | None:
    if stamp is None:
        return now_ms
    if isinstance(stamp, str):
        try:
            return parse_timestamp(stamp)
        except ValueError:
            return None
    if math.isfinite(stamp) and MIN_S < stamp < MAX_S:
        return round(stamp * 1000)
    return None


def _ids_hold(ids: set[str | None], optional: bool) -> bool:
    """Every id valid (None too when `optional`); set operations first, the regex once per id."""
    fresh = ids - _valid_ids
    if None in fresh:
        if not optional:
            return False
        fresh.discard(None)
    return all(_known_id(value) for value in fresh)


def _keys(items: list[Item], room_id: str | None) -> tuple[list[SensorKey], np.ndarray] | None:
    """The distinct (room, sensor) pairs (first seen first) and each item's index into them,
    if all ids hold."""
    if room_id is not None:
        if not set(map(_ROOM, items)) <= {None, room_id}:
            return None
        pairs: list[tuple[str | None, str | None]] = [(room_id, s) for s in map(_SENSOR, items)]
    else:
        pairs = list(map(_PAIR, items))
    distinct = list(dict.fromkeys(pairs))
    rooms = {room for room, _ in distinct}
    if not _ids_hold({s for _, s in distinct}, optional=True):
        return None
    if not _ids_hold(rooms, optional=False):
        return None
    keys = cast(list[SensorKey], distinct)  # every room id holds: none is None
    if len(keys) == 1:
        return keys, np.zeros(len(items), np.int64)
    index = {pair: code for code, pair in enumerate(distinct)}
    return keys, np.fromiter(map(index.__getitem__, pairs), np.int64, len(pairs))
