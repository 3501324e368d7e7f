"""Dependencies as Annotated aliases: the service, and query parameters parsed into typed values."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, TypeVar

import orjson
from fastapi import Depends, Path, Query, Request

from roomtemp.domain import ID_PATTERN
from roomtemp.errors import InvalidInput
from roomtemp.service import RoomService
from roomtemp.statistics import StatsQuery
from roomtemp.timeparse import MS_PER_DAY, load_zone, parse_duration, parse_timestamp
from roomtemp.units import Unit, parse_unit

E = TypeVar("E", bound=StrEnum)


async def get_service(request: Request) -> RoomService:
    service: RoomService = request.app.state.service
    return service


Service = Annotated[RoomService, Depends(get_service)]
RoomId = Annotated[str, Path(pattern=ID_PATTERN, description="the room's id", examples=["kitchen"])]


@dataclass(frozen=True)
class TimeRange:
    start_ms: int
    end_ms: int


def _instant(name: str, text: str) -> int:
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise InvalidInput.single(("query", name), str(exc)) from None


async def get_range(
    service: Service,
    start: Annotated[
        str | None,
        Query(
            description="RFC 3339 or epoch seconds; default: end minus 24 h",
            examples=["2024-03-01T00:00:00Z"],
        ),
    ] = None,
    end: Annotated[
        str | None, Query(description="RFC 3339 or epoch seconds (exclusive); default: now")
    ] = None,
) -> TimeRange:
    end_ms = _instant("end", end) if end is not None else service.now_ms()
    start_ms = _instant("start", start) if start is not None else end_ms - MS_PER_DAY
    if start_ms >= end_ms:
        raise InvalidInput.single(("query", "start"), "start must be before end")
    return TimeRange(start_ms, end_ms)


Range = Annotated[TimeRange, Depends(get_range)]


async def get_unit(
    unit: Annotated[str, Query(description="celsius, fahrenheit, kelvin (or C, F, K)")] = "celsius",
) -> Unit:
    try:
        return parse_unit(unit)
    except ValueError as exc:
        raise InvalidInput.single(("query", "unit"), str(exc)) from None


OutUnit = Annotated[Unit, Depends(get_unit)]


async def get_stats_query(
    span: Range,
    step: Annotated[
        str | None,
        Query(
            description="bucket length (30s, 5m, 1h, 1d, 1h30m or seconds); default: whole range",
            examples=["1h"],
        ),
    ] = None,
    tz: Annotated[
        str | None,
        Query(
            description="IANA time zone: day steps then start buckets at local midnight",
            examples=["Europe/Paris"],
        ),
    ] = None,
) -> StatsQuery:
    step_ms = None
    if step is not None:
        try:
            step_ms = parse_duration(step)
        except ValueError as exc:
            raise InvalidInput.single(("query", "step"), str(exc)) from None
    zone = None
    if tz is not None:
        try:
            zone = load_zone(tz)
        except ValueError as exc:
            raise InvalidInput.single(("query", "tz"), str(exc)) from None
    return StatsQuery(span.start_ms, span.end_ms, step_ms, zone)


StatsParams = Annotated[StatsQuery, Depends(get_stats_query)]


def encode_cursor(after: tuple[int, str] | str) -> str:
    """An opaque cursor: where the next page continues (readings: (ms, sensor); rooms: an id)."""
    value = list(after) if isinstance(after, tuple) else after
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


def _cursor_value(cursor: str) -> object:
    try:
        return orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, orjson.JSONDecodeError, ValueError, TypeError):
        return None


def _bad_cursor() -> InvalidInput:
    return InvalidInput.single(
        ("query", "cursor"), "cursor is not one this server gave out; start again without it"
    )


def decode_cursor(cursor: str) -> tuple[int, str]:
    """The (ms, sensor) a page of readings continues after."""
    value = _cursor_value(cursor)
    if isinstance(value, list) and len(value) == 2:
        ts_ms, sensor = value
        if isinstance(ts_ms, int) and isinstance(sensor, str):
            return ts_ms, sensor
    raise _bad_cursor()


def decode_room_cursor(cursor: str) -> str:
    """The room id a page of rooms continues after."""
    value = _cursor_value(cursor)
    if isinstance(value, str):
        return value
    raise _bad_cursor()


def parse_choices(name: str, text: str | None, choices: type[E]) -> frozenset[E] | None:
    """A comma-separated filter of enum values (None: no filter); a 422 names the allowed ones."""
    if text is None:
        return None
    allowed = {member.value: member for member in choices}
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in wanted if part not in allowed]
    if unknown or not wanted:
        raise InvalidInput.single(
            ("query", name),
            f"unknown {name} {', '.join(map(repr, unknown)) or repr(text)}; "
            f"allowed: {', '.join(allowed)} (comma-separated)",
        )
    return frozenset(allowed[part] for part in wanted)
