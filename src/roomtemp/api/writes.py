"""What every ingest route does once its body is parsed: store, count, answer."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request

from roomtemp.api.errors import problems_in
from roomtemp.api.models import WriteOut
from roomtemp.api.present import FastJSONResponse
from roomtemp.domain import WriteResult
from roomtemp.service import RoomService


async def stored(
    request: Request, service: RoomService, items: Sequence[object], room_id: str | None
) -> WriteResult:
    """Validate and store raw items, counted in the service's metrics; InvalidInput located by
    item index, for the caller to place."""
    result = await service.ingest(items, room_id)
    request.app.state.metrics.count_write(result)
    return result


async def store_items(
    request: Request,
    service: RoomService,
    items: Sequence[object],
    room_id: str | None,
    *,
    is_list: bool = True,
    stored_status: int = 201,
) -> FastJSONResponse:
    """Validate and store raw items; `stored_status` when stored, 202 when only spooled."""
    with problems_in("body", single_item=not is_list):
        result = await stored(request, service, items, room_id)
    answer: WriteOut = {"accepted": result.accepted, "duplicates": result.duplicates}
    if result.quarantined is not None:
        answer["quarantined"] = sum(result.quarantined.values())
    return FastJSONResponse(answer, status_code=202 if result.spooled else stored_status)
