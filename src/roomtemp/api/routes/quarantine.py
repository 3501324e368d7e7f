"""Readings set aside at ingest (ROOMTEMP_IMPLAUSIBLE=quarantine), paged like raw readings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from roomtemp.api.answers import QuarantineOut
from roomtemp.api.deps import Range, RoomId, Service, decode_cursor, encode_cursor
from roomtemp.api.direct import DirectRoute
from roomtemp.api.present import FastJSONResponse, set_aside_out
from roomtemp.security.access import requires
from roomtemp.security.scopes import Scope

router = APIRouter(route_class=DirectRoute, prefix="/api/v1", tags=["readings"])


@router.get(
    "/rooms/{room}/quarantine",
    response_model=QuarantineOut,
    responses={404: {"description": "unknown room"}},
    summary="Readings set aside at ingest in [start, end), oldest first, with the reason",
    dependencies=[requires(Scope.READ)],
)
async def get_quarantine(
    room: RoomId,
    span: Range,
    service: Service,
    limit: Annotated[int, Query(ge=1, le=10_000, description="page size")] = 1000,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> FastJSONResponse:
    after = decode_cursor(cursor) if cursor else None
    page = await service.quarantine(
        room, span.start_ms, span.end_ms, after, min(limit, service.options.max_page)
    )
    answer: QuarantineOut = {
        "readings": [set_aside_out(r) for r in page.readings],
        "next_cursor": encode_cursor(page.next_after) if page.next_after else None,
    }
    return FastJSONResponse(answer)
