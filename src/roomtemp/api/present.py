"""Domain results to response models, converting Celsius to the unit asked for."""

from __future__ import annotations

from roomtemp.domain import Aggregate, Reading
from roomtemp.models import (
    BucketOut,
    ComfortModel,
    LatestOut,
    ReadingOut,
    RoomOut,
    SensorOut,
    SummaryOut,
    TemperatureOut,
)
from roomtemp.service import RoomView, Summary, Temperature
from roomtemp.timeparse import format_timestamp as ts
from roomtemp.units import Unit, from_celsius


def _convert(value: float | None, unit: Unit) -> float | None:
    return None if value is None else from_celsius(value, unit)


def room_out(view: RoomView, unit: Unit = Unit.celsius) -> RoomOut:
    meta, latest = view.meta, view.latest
    return RoomOut(
        room_id=meta.room_id,
        name=meta.name,
        building=meta.building,
        floor=meta.floor,
        labels=meta.labels,
        comfort=ComfortModel(
            min_celsius=meta.comfort.min_celsius, max_celsius=meta.comfort.max_celsius
        ),
        latest=None
        if latest is None
        else LatestOut(
            value=from_celsius(latest.value, unit),
            timestamp=ts(latest.timestamp_ms),
            sensor_id=latest.sensor_id,
        ),
        stale=view.stale,
    )


def temperature_out(temp: Temperature, unit: Unit) -> TemperatureOut:
    return TemperatureOut(
        room_id=temp.room_id,
        value=from_celsius(temp.value, unit),
        unit=unit.value,
        timestamp=ts(temp.timestamp_ms),
        age_seconds=temp.age_seconds,
        stale=temp.stale,
        sensors=[
            SensorOut(
                sensor_id=s.sensor_id,
                value=from_celsius(s.value, unit),
                timestamp=ts(s.timestamp_ms),
                stale=stale,
            )
            for s, stale in temp.sensors
        ],
    )


def reading_out(reading: Reading, unit: Unit) -> ReadingOut:
    return ReadingOut(
        timestamp=ts(reading.timestamp_ms),
        value=from_celsius(reading.value, unit),
        sensor_id=reading.sensor_id,
    )


def bucket_out(agg: Aggregate, unit: Unit) -> BucketOut:
    return BucketOut(
        start=ts(agg.start_ms),
        end=ts(agg.end_ms),
        mean=from_celsius(agg.mean, unit),
        min=from_celsius(agg.minimum, unit),
        max=from_celsius(agg.maximum, unit),
        count=agg.count,
    )


def summary_out(summary: Summary, unit: Unit) -> SummaryOut:
    return SummaryOut(
        mean=_convert(summary.mean, unit),
        min=_convert(summary.minimum, unit),
        max=_convert(summary.maximum, unit),
        count=summary.count,
    )
