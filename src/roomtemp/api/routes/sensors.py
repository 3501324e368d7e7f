"""Sensors of a room: their settings (calibration offset, expected interval) and newest reading."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from roomtemp.api.answers import SensorSettingsOut, SensorsOut
from roomtemp.api.deps import OutUnit, RoomId, Service
from roomtemp.api.direct import DirectRoute
from roomtemp.api.models import SensorSettingsIn
from roomtemp.api.present import FastJSONResponse, sensor_out
from roomtemp.domain import ID_PATTERN, SensorSettings
from roomtemp.errors import InvalidInput
from roomtemp.security.access import requires
from roomtemp.security.scopes import Scope

router = APIRouter(route_class=DirectRoute, prefix="/api/v1", tags=["sensors"])

SensorId = Annotated[
    str, Path(pattern=ID_PATTERN, description="the sensor's id", examples=["window"])
]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "unknown room"}}


@router.get(
    "/rooms/{room}/sensors",
    response_model=SensorsOut,
    responses=_NOT_FOUND,
    summary="A room's sensors: those with settings and those with readings, each with its newest",
    dependencies=[requires(Scope.READ)],
)
async def list_sensors(room: RoomId, service: Service, unit: OutUnit) -> FastJSONResponse:
    answer: SensorsOut = {"sensors": [sensor_out(v, unit) for v in await service.sensors(room)]}
    return FastJSONResponse(answer)


@router.get(
    "/rooms/{room}/sensors/{sensor}",
    response_model=SensorSettingsOut,
    responses=_NOT_FOUND,
    summary="One sensor's settings and newest reading",
    dependencies=[requires(Scope.READ)],
)
async def get_sensor(
    room: RoomId, sensor: SensorId, service: Service, unit: OutUnit
) -> FastJSONResponse:
    return FastJSONResponse(sensor_out(await service.sensor(room, sensor), unit))


@router.put(
    "/rooms/{room}/sensors/{sensor}",
    response_model=SensorSettingsOut,
    responses={201: {"model": SensorSettingsOut, "description": "settings created"}},
    summary="Set a sensor's calibration offset and expected interval (creating its room)",
    dependencies=[requires(Scope.ADMIN)],
)
async def put_sensor(
    room: RoomId, sensor: SensorId, given: SensorSettingsIn, service: Service
) -> FastJSONResponse:
    try:
        interval_ms = given.expected_interval_ms()
    except ValueError as exc:
        raise InvalidInput.single(("body", "expected_interval"), str(exc)) from None
    settings = SensorSettings(sensor, given.offset_celsius, interval_ms)
    view, created = await service.put_sensor(room, settings)
    return FastJSONResponse(sensor_out(view), status_code=201 if created else 200)
