"""Alerts: the ones active now, and a room's episodes over a range (both derived from the data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from roomtemp.alerts.rules import AlertState, Kind
from roomtemp.api.answers import ALERT_KINDS, ALERT_STATES, AlertsOut, EpisodesOut
from roomtemp.api.deps import OutUnit, Range, RoomId, Service, parse_choices
from roomtemp.api.direct import DirectRoute
from roomtemp.api.present import FastJSONResponse, alert_out, episode_out
from roomtemp.domain import ID_PATTERN
from roomtemp.listing import AlertsQuery
from roomtemp.security.access import CurrentCaller, requires
from roomtemp.security.scopes import Scope

router = APIRouter(
    route_class=DirectRoute, prefix="/api/v1", tags=["alerts"], dependencies=[requires(Scope.READ)]
)


@router.get(
    "/alerts",
    response_model=AlertsOut,
    responses={422: {"description": "an unknown kind or state"}},
    summary="The alerts active now: rooms too hot or too cold, sensors silent",
)
async def active_alerts(
    service: Service,
    unit: OutUnit,
    caller: CurrentCaller,
    room: Annotated[str | None, Query(pattern=ID_PATTERN, description="only this room")] = None,
    kind: Annotated[
        str | None, Query(description=f"comma-separated kinds: {', '.join(ALERT_KINDS)}")
    ] = None,
    state: Annotated[
        str | None, Query(description=f"comma-separated states: {', '.join(ALERT_STATES)}")
    ] = None,
    building: Annotated[str | None, Query(description="only rooms of this building")] = None,
    floor: Annotated[str | None, Query(description="only rooms on this floor")] = None,
) -> FastJSONResponse:
    query = AlertsQuery(
        room_id=room,
        kinds=parse_choices("kind", kind, Kind),
        states=parse_choices("state", state, AlertState),
        building=building,
        floor=floor,
        visible=caller.sees,
    )
    alerts = await service.alerts(query)
    answer: AlertsOut = {"alerts": [alert_out(alert, unit) for alert in alerts]}
    return FastJSONResponse(answer)


@router.get(
    "/rooms/{room}/alerts",
    response_model=EpisodesOut,
    responses={404: {"description": "unknown room"}},
    summary="The room's alert episodes in [start, end), oldest first",
)
async def room_episodes(
    room: RoomId, span: Range, unit: OutUnit, service: Service
) -> FastJSONResponse:
    episodes = await service.episodes(room, span.start_ms, span.end_ms)
    answer: EpisodesOut = {"episodes": [episode_out(episode, unit) for episode in episodes]}
    return FastJSONResponse(answer)
