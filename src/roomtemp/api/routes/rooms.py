"""Rooms: list, get, create or update metadata, delete, current temperature."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from roomtemp.api.deps import OutUnit, RoomId, Service
from roomtemp.api.present import room_out, temperature_out
from roomtemp.domain import Comfort, RoomMeta
from roomtemp.models import RoomMetaIn, RoomOut, RoomsOut, TemperatureOut

router = APIRouter(prefix="/api/v1", tags=["rooms"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "unknown room"}}
Building = Annotated[str | None, Query(description="only rooms of this building")]
Floor = Annotated[str | None, Query(description="only rooms on this floor")]


@router.get("/rooms", response_model=RoomsOut, summary="Every room with its newest reading")
async def list_rooms(
    service: Service, unit: OutUnit, building: Building = None, floor: Floor = None
) -> RoomsOut:
    views = await service.rooms(building, floor)
    return RoomsOut(rooms=[room_out(view, unit) for view in views])


@router.get("/rooms/{room}", response_model=RoomOut, responses=_NOT_FOUND, summary="One room")
async def get_room(room: RoomId, service: Service, unit: OutUnit) -> RoomOut:
    return room_out(await service.room(room), unit)


@router.put(
    "/rooms/{room}",
    response_model=RoomOut,
    responses={201: {"model": RoomOut, "description": "room created"}},
    summary="Create a room or replace its metadata",
)
async def put_room(room: RoomId, meta: RoomMetaIn, service: Service) -> JSONResponse:
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
    return JSONResponse(room_out(view).model_dump(), status_code=201 if created else 200)


@router.delete(
    "/rooms/{room}", status_code=204, responses=_NOT_FOUND, summary="Delete a room and its readings"
)
async def delete_room(room: RoomId, service: Service) -> Response:
    await service.delete_room(room)
    return Response(status_code=204)


@router.get(
    "/rooms/{room}/temperature",
    response_model=TemperatureOut,
    responses={404: {"description": "unknown room, or a room without readings"}},
    summary="Current temperature: mean of each sensor's latest non-stale reading",
)
async def temperature(room: RoomId, service: Service, unit: OutUnit) -> TemperatureOut:
    return temperature_out(await service.temperature(room), unit)
