"""Domain results to JSON answers, converting Celsius to the unit asked for.

Answers are plain dicts serialised by orjson, each built as the TypedDict of models.py that the
route declares (mypy checks every key), so what is sent is what the OpenAPI schema says.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import msgspec
import orjson
from fastapi.responses import Response

from roomtemp.alerts.evaluate import Alert, Episode
from roomtemp.alerts.pacing import STRETCH
from roomtemp.alerts.state import Current
from roomtemp.api.answers import (
    AlertOut,
    CurrentOut,
    EpisodeOut,
    LatestOut,
    ReadingOut,
    RoomOut,
    SensorSettingsOut,
    SetAsideOut,
    TemperatureOut,
)
from roomtemp.api.stats_answers import StatsSummaryOut, SummaryOut
from roomtemp.domain import Reading, SensorLatest, SetAside
from roomtemp.listing import RoomView, SensorView
from roomtemp.service import Temperature
from roomtemp.statistics import Summary
from roomtemp.timeparse import format_duration
from roomtemp.timeparse import format_timestamp as ts
from roomtemp.units import Unit, from_celsius

T = TypeVar("T")


class FastJSONResponse(Response):
    """A JSON answer serialised by orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class StructJSONResponse(Response):
    """A JSON answer that may hold msgspec structs (bucket and reading rows), written in one
    msgspec pass: the same bytes orjson writes for the same answer with dicts, without writing
    the rows apart and copying them in (a year of hourly buckets is 1.5 MB)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return _STRUCT_ENCODER.encode(content)


_STRUCT_ENCODER = msgspec.json.Encoder()


async def paced_list_answer(
    name: str, items: Sequence[T], build: Callable[[T], object], **rest: object
) -> Response:
    """`{name: [build(item), ...], **rest}` as JSON, built and serialised a stretch of items at a
    time with other requests answered in between (a page of 10,000 rooms takes tens of ms)."""
    pieces = []
    for first in range(0, len(items), STRETCH):
        pieces.append(orjson.dumps([build(item) for item in items[first : first + STRETCH]])[1:-1])
        await asyncio.sleep(0)
    listed = b"[" + b",".join(piece for piece in pieces if piece) + b"]"
    body = orjson.dumps({name: orjson.Fragment(listed), **rest})
    return Response(body, media_type="application/json")


def _convert(value: float | None, unit: Unit) -> float | None:
    return None if value is None else from_celsius(value, unit)


def room_out(view: RoomView, unit: Unit = Unit.celsius) -> RoomOut:
    meta, latest = view.meta, view.latest
    return {
        "room_id": meta.room_id,
        "name": meta.name,
        "building": meta.building,
        "floor": meta.floor,
        "labels": meta.labels,
        "comfort": {
            "min_celsius": meta.comfort.min_celsius,
            "max_celsius": meta.comfort.max_celsius,
        },
        "latest": None if latest is None else _latest_out(latest, unit),
        "stale": view.current.stale,  # all stale when the newest reading is
        "current": current_out(view.current, unit),
    }


def sensor_out(view: SensorView, unit: Unit = Unit.celsius) -> SensorSettingsOut:
    settings, latest = view.settings, view.latest
    interval = None if settings is None else settings.expected_interval_ms
    return {
        "sensor_id": view.sensor_id,
        "offset_celsius": None if settings is None else settings.offset_celsius,
        "expected_interval": None if interval is None else format_duration(interval),
        "latest": None if latest is None else _latest_out(latest, unit),
    }


def _latest_out(latest: SensorLatest, unit: Unit) -> LatestOut:
    return {
        "value": from_celsius(latest.value, unit),
        "timestamp": ts(latest.timestamp_ms),
        "sensor_id": latest.sensor_id,
    }


def current_out(current: Current, unit: Unit) -> CurrentOut:
    return {
        "value": _convert(current.value, unit),
        "timestamp": _time(current.timestamp_ms),
        "stale": current.stale,
        "state": current.state,  # a StrEnum: orjson writes its value
        "state_since": _time(current.since_ms),
    }


def alert_out(alert: Alert, unit: Unit) -> AlertOut:
    return {
        "room_id": alert.room_id,
        "sensor_id": alert.sensor_id,
        "kind": alert.kind.value,
        "state": alert.state.value,
        "since": ts(alert.since_ms),
        "value": from_celsius(alert.value, unit),
        "threshold": _convert(alert.threshold, unit),
    }


def episode_out(episode: Episode, unit: Unit) -> EpisodeOut:
    return {
        "kind": episode.kind.value,
        "sensor_id": episode.sensor_id,
        "start": ts(episode.start_ms),
        "end": _time(episode.end_ms),
        "peak": _convert(episode.peak, unit),
    }


def _time(ms: int | None) -> str | None:
    return None if ms is None else ts(ms)


def temperature_out(temp: Temperature, unit: Unit) -> TemperatureOut:
    return {
        "room_id": temp.room_id,
        "value": from_celsius(temp.value, unit),
        "unit": unit.value,
        "timestamp": ts(temp.timestamp_ms),
        "age_seconds": temp.age_seconds,
        "stale": temp.stale,
        "sensors": [
            {
                "sensor_id": s.sensor_id,
                "value": from_celsius(s.value, unit),
                "timestamp": ts(s.timestamp_ms),
                "stale": stale,
            }
            for s, stale in temp.sensors
        ],
    }


def reading_out(reading: Reading, unit: Unit, raw: float | None = None) -> ReadingOut:
    answer: ReadingOut = {
        "timestamp": ts(reading.timestamp_ms),
        "value": from_celsius(reading.value, unit),
        "sensor_id": reading.sensor_id,
    }
    if raw is not None:
        answer["raw_value"] = from_celsius(raw, unit)
    return answer


def set_aside_out(reading: SetAside) -> SetAsideOut:
    return {
        "timestamp": ts(reading.timestamp_ms),
        "value": reading.value,
        "sensor_id": reading.sensor_id,
        "reason": reading.reason,
    }


def summary_out(summary: Summary, unit: Unit) -> SummaryOut:
    return {
        "mean": _convert(summary.mean, unit),
        "min": _convert(summary.minimum, unit),
        "max": _convert(summary.maximum, unit),
        "count": summary.count,
    }


def stats_summary_out(summary: Summary, unit: Unit) -> StatsSummaryOut:
    """A room's summary: plain figures, time-weighted mean and coverage."""
    return {
        **summary_out(summary, unit),
        "mean_time_weighted": _convert(summary.mean_time_weighted, unit),
        "coverage": summary.coverage,
    }
