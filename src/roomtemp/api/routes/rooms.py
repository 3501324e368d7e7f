"""Rooms: list, get, create or update metadata, delete, current temperature."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from roomtemp.alerts.state import RoomState
from roomtemp.api.answers import ROOM_STATES, RoomOut, RoomsOut, TemperatureOut
from roomtemp.api.deps import (
    OutUnit,
    RoomId,
    Service,
    decode_room_cursor,
    encode_cursor,
    parse_choices,
)
from roomtemp.api.direct import DirectRoute
from roomtemp.api.models import RoomMetaIn
from roomtemp.api.present import FastJSONResponse, paced_list_answer, room_out, temperature_out
from roomtemp.domain import Comfort, RoomMeta
from roomtemp.listing import RoomsQuery
from roomtemp.security.access import CurrentCaller, requires
from roomtemp.security.scopes import Scope

router = APIRouter(route_class=DirectRoute, prefix="/api/v1", tags=["rooms"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "unknown room"}}
Building = Annotated[str | None, Query(description="only rooms of this building")]
Floor = Annotated[str | None, Query(description="only rooms on this floor")]
READ = [requires(Scope.READ)]
ADMIN = [requires(Scope.ADMIN)]


@router.get(
    "/rooms",
    response_model=RoomsOut,
    summary="Rooms sorted by id, each with its newest reading and current state, a page at a time",
    dependencies=READ,
)
async def list_rooms(
    service: Service,
    unit: OutUnit,
    caller: CurrentCaller,
    building: Building = None,
    floor: Floor = None,
    state: Annotated[
        str | None, Query(description=f"comma-separated states: {', '.join(ROOM_STATES)}")
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="a substring of the id, name or a label value"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="rooms per page")] = 1000,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> Response:
    query = RoomsQuery(
        building=building,
        floor=floor,
        states=parse_choices("state", state, RoomState),
        text=q or None,
        after=decode_room_cursor(cursor) if cursor else None,
        limit=limit,
        visible=caller.sees,
    )
    page = await service.rooms(query)
    cursor = encode_cursor(page.next_after) if page.next_after else None
    return await paced_list_answer(
        "rooms", page.rooms, lambda view: room_out(view, unit), next_cursor=cursor
    )


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
