"""Prometheus exposition: each sensor's latest reading and its time, and the service's metrics.

`room_temperature_celsius` holds only current readings (a sensor whose latest reading is stale
has none), so a query for the current temperature never gets an old value;
`room_temperature_reading_timestamp_seconds` is there for every sensor, so a silent one can be
alerted on (`time() - room_temperature_reading_timestamp_seconds > 900`).
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from roomtemp.api.deps import Service
from roomtemp.api.direct import DirectRoute
from roomtemp.domain import RoomMeta, SensorLatest
from roomtemp.errors import StorageUnavailable
from roomtemp.security.access import CurrentCaller, requires
from roomtemp.security.scopes import Scope

router = APIRouter(route_class=DirectRoute, tags=["health"])
LABELS = ["room", "sensor", "building", "floor"]


class _RoomGauges(Collector):
    def __init__(self, rooms: list[tuple[RoomMeta, list[SensorLatest]]], fresh_after_ms: int):
        self._rooms = rooms
        self._fresh_after_ms = fresh_after_ms

    def collect(self) -> Iterator[GaugeMetricFamily]:
        value = GaugeMetricFamily(
            "room_temperature_celsius",
            "Latest reading of each room sensor, in degrees Celsius, while it is not stale",
            labels=LABELS,
        )
        timestamp = GaugeMetricFamily(
            "room_temperature_reading_timestamp_seconds",
            "Time of the latest reading of each room sensor (Unix seconds), stale or not",
            labels=LABELS,
        )
        for meta, sensors in self._rooms:
            for s in sensors:
                labels = [meta.room_id, s.sensor_id or "", meta.building or "", meta.floor or ""]
                timestamp.add_metric(labels, s.timestamp_ms / 1000)
                if s.timestamp_ms >= self._fresh_after_ms:
                    value.add_metric(labels, s.value)
        yield value
        yield timestamp


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    summary="Prometheus text format: room gauges and the service's own metrics",
    dependencies=[requires(Scope.READ)],
)
async def metrics(request: Request, service: Service, caller: CurrentCaller) -> Response:
    own = request.app.state.metrics
    status = service.storage_status()
    if status is not None:
        own.observe_storage(status)
    visible = [room for room in await _sensors_by_room(service) if caller.sees(room[0].room_id)]
    rooms = CollectorRegistry()
    rooms.register(_RoomGauges(visible, service.now_ms() - service.options.stale_after_ms))
    return Response(generate_latest(rooms) + own.exposition(), media_type=CONTENT_TYPE_LATEST)


async def _sensors_by_room(service: Service) -> list[tuple[RoomMeta, list[SensorLatest]]]:
    """The room gauges; none while a remote engine is down, so the service's own metrics
    (engine reachability, spool depth) still get scraped."""
    try:
        return await service.sensors_by_room()
    except StorageUnavailable:
        return []
