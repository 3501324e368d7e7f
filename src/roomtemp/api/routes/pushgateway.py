"""Pushgateway-compatible ingest: devices written for the prototype's Pushgateway push here.

`PUT`/`POST /metrics/job/<job>/room/<room>[/sensor/<sensor>]` with the text exposition format,
e.g. `room_temperature_celsius 21.5` (see roomtemp.ingest.pushgateway).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from roomtemp.api.deps import Service
from roomtemp.api.errors import problems_in
from roomtemp.api.models import WriteOut
from roomtemp.api.present import FastJSONResponse
from roomtemp.api.writes import store_items
from roomtemp.ingest.pushgateway import grouping_labels, readings_from_text
from roomtemp.security.access import CurrentCaller, requires
from roomtemp.security.gatekeeper import check_room
from roomtemp.security.scopes import Scope

router = APIRouter(tags=["readings"])

_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"model": WriteOut, "description": "stored"},
    202: {"model": WriteOut, "description": "the engine is down: spooled, replayed later"},
    409: {"description": "a reading with the same identity and another value is stored"},
    422: {"description": "bad grouping key, text format or reading"},
    503: {"description": "storage unavailable; retry after Retry-After seconds"},
}


_ROUTE: dict[str, Any] = {
    "path": "/metrics/job/{job}/{grouping:path}",
    "response_model": WriteOut,
    "responses": _RESPONSES,
    "dependencies": [requires(Scope.WRITE)],
    "openapi_extra": {
        "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}}
    },
}


@router.put(
    **_ROUTE,
    operation_id="pushgateway_put",
    summary="Pushgateway-compatible push (PUT): text exposition format, grouping key in the path",
)
@router.post(
    **_ROUTE,
    operation_id="pushgateway_post",
    summary="Pushgateway-compatible push (POST): same as PUT; readings are never replaced",
)
async def push(
    job: str, grouping: str, request: Request, service: Service, caller: CurrentCaller
) -> FastJSONResponse:
    with problems_in("path"):
        labels = grouping_labels(grouping)
    check_room(caller, labels["room"])
    with problems_in("body"):
        items = readings_from_text(
            await request.body(), labels.get("sensor"), service.options.max_batch
        )
    return await store_items(request, service, items, labels["room"], stored_status=200)
