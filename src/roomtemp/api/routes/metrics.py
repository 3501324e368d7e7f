"""Prometheus exposition: each room's latest reading as a gauge, and the service's own metrics."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from roomtemp.api.deps import Service
from roomtemp.domain import RoomMeta, SensorLatest
from roomtemp.errors import StorageUnavailable
from roomtemp.security.access import CurrentCaller, requires
from roomtemp.security.scopes import Scope

router = APIRouter(tags=["health"])


class _RoomGauges(Collector):
    def __init__(self, rooms: list[tuple[RoomMeta, list[SensorLatest]]]) -> None:
        self._rooms = rooms

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "room_temperature_celsius",
            "Latest reading of each room sensor, in degrees Celsius",
            labels=["room", "sensor", "building", "floor"],
        )
        for meta, sensors in self._rooms:
            for s in sensors:
                labels = [meta.room_id, s.sensor_id or "", meta.building or "", meta.floor or ""]
                gauge.add_metric(labels, s.value)
        yield gauge


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    summary="Prometheus text format: room gauges and the service's own metrics",
    dependencies=[requires(Scope.READ)],
)
async def metrics(request: Request, service: Service, caller: CurrentCaller) -> Response:
    status = service.storage_status()
    if status is not None:
        request.app.state.metrics.observe_storage(status)
    visible = [room for room in await _sensors_by_room(service) if caller.sees(room[0].room_id)]
    rooms = CollectorRegistry()
    rooms.register(_RoomGauges(visible))
    body = generate_latest(rooms) + generate_latest(request.app.state.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


async def _sensors_by_room(service: Service) -> list[tuple[RoomMeta, list[SensorLatest]]]:
    """The room gauges; none while a remote engine is down, so the service's own metrics
    (engine reachability, spool depth) still get scraped."""
    try:
        return await service.sensors_by_room()
    except StorageUnavailable:
        return []
