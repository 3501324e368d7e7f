"""Aggregates: per bucket for one room, and one summary per room."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from roomtemp.api.buckets import bucket_rows
from roomtemp.api.deps import OutUnit, Range, RoomId, Service, StatsParams
from roomtemp.api.direct import DirectRoute
from roomtemp.api.errors import problems_in
from roomtemp.api.present import (
    FastJSONResponse,
    StructJSONResponse,
    stats_summary_out,
    summary_out,
)
from roomtemp.api.stats_answers import CrossRoomStatsOut, StatsOut
from roomtemp.security.access import CurrentCaller, requires
from roomtemp.security.scopes import Scope
from roomtemp.timeparse import format_duration, format_timestamp

router = APIRouter(
    route_class=DirectRoute, prefix="/api/v1", tags=["stats"], dependencies=[requires(Scope.READ)]
)


@router.get(
    "/rooms/{room}/stats",
    response_model=StatsOut,
    responses={404: {"description": "unknown room"}, 422: {"description": "bad range or step"}},
    summary="Mean, min, max and count per bucket of `step` in [start, end)",
)
async def room_stats(
    room: RoomId, query: StatsParams, unit: OutUnit, service: Service
) -> StructJSONResponse:
    with problems_in("query"):
        buckets, summary = await service.stats(room, query)
    step_ms = query.step_ms if query.step_ms is not None else query.end_ms - query.start_ms
    return StructJSONResponse(
        {
            "room_id": room,
            "start": format_timestamp(query.start_ms),
            "end": format_timestamp(query.end_ms),
            "step": format_duration(step_ms),
            "unit": unit.value,
            "buckets": bucket_rows(buckets, unit),
            "summary": stats_summary_out(summary, unit),
        }
    )


@router.get(
    "/stats",
    response_model=CrossRoomStatsOut,
    summary="One summary (mean, min, max, count) per room over [start, end)",
)
async def cross_room_stats(
    span: Range,
    unit: OutUnit,
    service: Service,
    caller: CurrentCaller,
    building: Annotated[str | None, Query(description="only rooms of this building")] = None,
    floor: Annotated[str | None, Query(description="only rooms on this floor")] = None,
) -> FastJSONResponse:
    found = await service.cross_room_stats(span.start_ms, span.end_ms, building, floor)
    rooms = [
        {"room_id": room_id, **summary_out(summary, unit)}
        for room_id, summary in found
        if caller.sees(room_id)
    ]
    return FastJSONResponse({"rooms": rooms})
