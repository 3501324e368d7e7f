"""Pushing readings (JSON, CSV, NDJSON) and reading them back raw."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from roomtemp.api.answers import ReadingsOut
from roomtemp.api.bodies import read_body
from roomtemp.api.deps import OutUnit, Range, RoomId, Service, decode_cursor, encode_cursor
from roomtemp.api.direct import DirectRoute
from roomtemp.api.errors import problems_in
from roomtemp.api.models import WriteOut
from roomtemp.api.openapi import READING_SCHEMA
from roomtemp.api.present import FastJSONResponse, StructJSONResponse
from roomtemp.api.readings_json import reading_rows
from roomtemp.api.writes import store_items
from roomtemp.domain import ID_RULE, ReadingsPage, is_valid_id
from roomtemp.errors import InvalidInput
from roomtemp.ingest.formats import MEDIA_TYPES, parse_body
from roomtemp.security.access import CurrentCaller, requires
from roomtemp.security.gatekeeper import check_batch_rooms
from roomtemp.security.scopes import Caller, Scope
from roomtemp.timeparse import format_timestamp
from roomtemp.units import Unit, from_celsius

router = APIRouter(route_class=DirectRoute, prefix="/api/v1", tags=["readings"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    202: {"model": WriteOut, "description": "the engine is down: spooled, replayed later"},
    409: {"description": "a reading with the same identity and another value is stored"},
    413: {"description": "more readings than the batch limit, or a body above the size limit"},
    415: {"description": "a content type or content encoding this route does not take"},
    422: {"description": "invalid input: every bad item listed by index"},
}


def _body_schema(csv_example: str) -> dict[str, Any]:
    one_or_many = {"oneOf": [READING_SCHEMA, {"type": "array", "items": READING_SCHEMA}]}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": one_or_many},
                "text/csv": {"schema": {"type": "string"}, "example": csv_example},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    }


async def _ingest(
    request: Request, service: Service, room_id: str | None, caller: Caller
) -> FastJSONResponse:
    with problems_in("body"):
        body, media = await read_body(request, MEDIA_TYPES, "application/json")
        items, is_list = parse_body(
            body, media, service.options.max_batch, room_in_path=room_id is not None
        )
    check_batch_rooms(caller, items)
    return await store_items(request, service, items, room_id, is_list=is_list)


_PUSH: dict[str, Any] = {
    "methods": ["POST"],
    "status_code": 201,
    "response_model": WriteOut,
    "responses": _ERRORS,
    "dependencies": [requires(Scope.WRITE)],
}


async def push_room_readings(
    room: RoomId, request: Request, service: Service, caller: CurrentCaller
) -> FastJSONResponse:
    return await _ingest(request, service, room, caller)


async def push_readings(
    request: Request, service: Service, caller: CurrentCaller
) -> FastJSONResponse:
    return await _ingest(request, service, None, caller)


router.add_api_route(
    "/rooms/{room}/readings",
    push_room_readings,
    **_PUSH,
    summary="Push one reading (object) or many (array) for a room",
    openapi_extra=_body_schema("value,timestamp,unit,sensor_id\n21.5,2024-03-01T12:00:00Z,,\n"),
)
router.add_api_route(
    "/readings",
    push_readings,
    **_PUSH,
    summary="Push a batch across rooms: JSON array, CSV or NDJSON, each reading with room_id",
    openapi_extra=_body_schema(
        "room_id,value,timestamp,unit,sensor_id\nkitchen,21.5,2024-03-01T12:00:00Z,C,\n"
    ),
)


@router.get(
    "/rooms/{room}/readings",
    response_model=ReadingsOut,
    summary="Raw readings in [start, end), oldest first, paginated by cursor",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        404: {"description": "unknown room"},
    },
    dependencies=[requires(Scope.READ)],
)
async def get_readings(
    room: RoomId,
    span: Range,
    unit: OutUnit,
    service: Service,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=10_000, description="page size")] = 1000,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    sensor_id: Annotated[str | None, Query(description="only this sensor")] = None,
    format: Annotated[str, Query(pattern="^(json|csv)$", description="json or csv")] = "json",
) -> Response:
    if sensor_id is not None:
        _check_sensor(sensor_id)
    page = await service.readings(
        room,
        span.start_ms,
        span.end_ms,
        sensor_id=sensor_id,
        after=decode_cursor(cursor) if cursor else None,
        limit=min(limit, service.options.max_page),
    )
    next_cursor = encode_cursor(page.next_after) if page.next_after else None
    if format == "csv":
        return _csv_page(room, page, unit, request, next_cursor)
    return StructJSONResponse({"readings": reading_rows(page, unit), "next_cursor": next_cursor})


def _check_sensor(sensor_id: str) -> None:
    if not is_valid_id(sensor_id):
        raise InvalidInput.single(("query", "sensor_id"), f"invalid sensor_id: {ID_RULE}")


def _csv_page(
    room: str, page: ReadingsPage, unit: Unit, request: Request, next_cursor: str | None
) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("room_id", "sensor_id", "timestamp", "value"))
    for r in page.readings:
        writer.writerow(
            (
                room,
                r.sensor_id or "",
                format_timestamp(r.timestamp_ms),
                repr(from_celsius(r.value, unit)),
            )
        )
    headers = {}
    if next_cursor is not None:
        # a relative reference: an absolute one would repeat whatever Host header was sent
        query = request.url.include_query_params(cursor=next_cursor).query
        headers["Link"] = f'<{request.url.path}?{query}>; rel="next"'
    return Response(out.getvalue(), media_type="text/csv", headers=headers)
