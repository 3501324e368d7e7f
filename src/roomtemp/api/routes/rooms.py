"""Rooms: list, get, create or update metadata, delete, current temperature."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from roomtemp.api.deps import OutUnit, RoomId, Service
from roomtemp.api.models import RoomMetaIn, RoomOut, RoomsOut, TemperatureOut
from roomtemp.api.present import FastJSONResponse, room_out, temperature_out
from roomtemp.domain import Comfort, RoomMeta
from roomtemp.security.access import CurrentCaller, requires
from roomtemp.security.scopes import Scope

router = APIRouter(prefix="/api/v1", tags=["rooms"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "unknown room"}}
Building = Annotated[str | None, Query(description="only rooms of this building")]
Floor = Annotated[str | None, Query(description="only rooms on this floor")]
READ = [requires(Scope.READ)]
ADMIN = [requires(Scope.ADMIN)]


@router.get(
    "/rooms",
    response_model=RoomsOut,
    summary="Every room with its newest reading",
    dependencies=READ,
)
async def list_rooms(
    service: Service,
    unit: OutUnit,
    caller: CurrentCaller,
    building: Building = None,
    floor: Floor = None,
) -> FastJSONResponse:
    views = await service.rooms(building, floor)
    answer: RoomsOut = {"rooms": [room_out(v, unit) for v in views if caller.sees(v.meta.room_id)]}
    return FastJSONResponse(answer)


@router.get(
    "/rooms/{room}",
    response_model=RoomOut,
    responses=_NOT_FOUND,
    summary="One room",
    dependencies=READ,
)
async def get_room(room: RoomId, service: Service, unit: OutUnit) -> FastJSONResponse:
    return FastJSONResponse(room_out(await service.room(room), unit))


@router.put(
    "/rooms/{room}",
    response_model=RoomOut,
    responses={201: {"model": RoomOut, "description": "room created"}},
    summary="Create a room or replace its metadata",
    dependencies=ADMIN,
)
async def put_room(room: RoomId, meta: RoomMetaIn, service: Service) -> FastJSONResponse:
    view, created = await service.put_room(
        RoomMeta(
            room_id=room,
            name=meta.name,
            building=meta.building,
            floor=meta.floor,
            labels=meta.labels,
            comfort=Comfort(meta.comfort.min_celsius, meta.comfort.max_celsius),
        )
    )
    return FastJSONResponse(room_out(view), status_code=201 if created else 200)


@router.delete(
    "/rooms/{room}",
    status_code=204,
    responses=_NOT_FOUND,
    summary="Delete a room and its readings",
    dependencies=ADMIN,
)
async def delete_room(room: RoomId, service: Service) -> Response:
    await service.delete_room(room)
    return Response(status_code=204)


@router.get(
    "/rooms/{room}/temperature",
    response_model=TemperatureOut,
    responses={404: {"description": "unknown room, or a room without readings"}},
    summary="Current temperature: mean of each sensor's latest non-stale reading",
    dependencies=READ,
)
async def temperature(room: RoomId, service: Service, unit: OutUnit) -> FastJSONResponse:
    return FastJSONResponse(temperature_out(await service.temperature(room), unit))
