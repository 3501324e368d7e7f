"""The Pushgateway protocol: what Prometheus client libraries push, stored as readings.

`PUT`/`POST /metrics/job/<job>/room/<room>[/sensor/<sensor>]` with the text exposition format
(`room_temperature_celsius 21.5`) or the protobuf delimited format, gzip allowed; labels may be
`label@base64`. Readings are history, not a group's last push: `DELETE` and an empty push answer
202 and delete nothing (see roomtemp.ingest.pushgateway).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from roomtemp.api.bodies import read_body
from roomtemp.api.deps import Service
from roomtemp.api.direct import DirectRoute
from roomtemp.api.errors import problems_in
from roomtemp.api.models import WriteOut
from roomtemp.api.present import FastJSONResponse
from roomtemp.api.writes import store_items
from roomtemp.ingest.exposition import PROTOBUF_TYPE
from roomtemp.ingest.pushgateway import MEDIA_TYPES, grouping_labels, readings_from_body, room_of
from roomtemp.security.access import CurrentCaller, requires
from roomtemp.security.gatekeeper import check_room
from roomtemp.security.scopes import Scope

router = APIRouter(
    route_class=DirectRoute, tags=["pushgateway"], dependencies=[requires(Scope.WRITE)]
)

PATH = "/metrics/{grouping:path}"
_GROUPING = (
    "the grouping key after /metrics/: `job/<job>` then `<label>/<value>` pairs, which must "
    "include `room/<room_id>` and may include `sensor/<sensor_id>`; `label@base64/<base64url>` "
    "for values with slashes"
)
Grouping = Annotated[str, Path(description=_GROUPING, examples=["job/gw/room/kitchen"])]
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": WriteOut, "description": "stored"},
    202: {"model": WriteOut, "description": "nothing to store (empty body), or spooled"},
    400: {"description": "the grouping key names no room"},
    404: {"description": "a path no grouping key can be (it holds a line break)"},
    409: {"description": "a reading with the same identity and another value is stored"},
    413: {"description": "more readings than the batch limit, or a body above the size limit"},
    415: {"description": "a content type or content encoding this route does not take"},
    422: {"description": "bad grouping key, exposition format or reading"},
}
_BODY = {
    "requestBody": {
        "required": False,
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            PROTOBUF_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
_PUSH: dict[str, Any] = {
    "path": PATH,
    "response_model": WriteOut,
    "responses": _RESPONSES,
    "openapi_extra": _BODY,
}


@router.put(
    **_PUSH,
    operation_id="pushgateway_put",
    summary="Pushgateway push (PUT): text or protobuf exposition, grouping key in the path",
)
@router.post(
    **_PUSH,
    operation_id="pushgateway_post",
    summary="Pushgateway push (POST): the same as PUT; readings are never replaced",
)
async def push(
    grouping: Grouping, request: Request, service: Service, caller: CurrentCaller
) -> FastJSONResponse:
    with problems_in("path"):
        labels = grouping_labels(grouping)
        room = room_of(labels)
    check_room(caller, room)
    with problems_in("body"):
        body, media = await read_body(request, MEDIA_TYPES, "text/plain")
        if not body.strip():
            nothing: WriteOut = {"accepted": 0, "duplicates": 0}
            return FastJSONResponse(nothing, status_code=202)
        items = readings_from_body(body, media, labels, service.options.max_batch)
    return await store_items(request, service, items, room, stored_status=200)


@router.delete(
    PATH,
    status_code=202,
    response_class=Response,
    operation_id="pushgateway_delete",
    summary="Pushgateway delete: accepted, and nothing is deleted (readings are history)",
    responses={
        404: _RESPONSES[404],
        422: {"description": "the path is not a grouping key"},
    },
)
async def delete(grouping: Grouping, caller: CurrentCaller) -> Response:
    with problems_in("path"):
        labels = grouping_labels(grouping)
    if labels.get("room"):
        check_room(caller, labels["room"])
    return Response(status_code=202)
