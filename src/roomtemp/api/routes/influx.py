"""InfluxDB's write API, so Telegraf, InfluxDB client libraries and devices that speak line
protocol push unchanged: `POST /api/v2/write` and InfluxDB 1's `POST /write`.

A batch is atomic like every other; the answers are InfluxDB's: 204 when stored (or spooled),
errors as `{"code", "message"}` naming the line (see api/errors.py). `bucket`, `org` and `db`
are accepted and ignored: every reading goes to the one store. `GET /ping` and `GET /health`
answer as InfluxDB's do (open, like theirs), for clients and gateways that check before writing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from roomtemp import __version__
from roomtemp.api.bodies import read_body
from roomtemp.api.deps import Service
from roomtemp.api.direct import DirectRoute
from roomtemp.api.models import InfluxHealthOut
from roomtemp.api.present import FastJSONResponse
from roomtemp.api.writes import stored
from roomtemp.errors import InvalidInput, TooLarge
from roomtemp.ingest.line_protocol import on_lines, parse_lines, precision_of
from roomtemp.security.access import PUBLIC, CurrentCaller, requires
from roomtemp.security.gatekeeper import check_batch_rooms
from roomtemp.security.scopes import Caller, Scope

router = APIRouter(route_class=DirectRoute, tags=["influxdb"])

MEDIA_TYPES = ("text/plain", "application/octet-stream", "application/x-www-form-urlencoded")
"""Line protocol under any name clients give it (curl's default is the form type)."""
_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "a line is not line protocol, or its reading is invalid (named)"},
    409: {"description": "a reading with the same identity and another value is stored"},
    413: {"description": "more readings than the batch limit, or a body above the size limit"},
    415: {"description": "a content type or content encoding this route does not take"},
}
_ROUTE: dict[str, Any] = {
    "status_code": 204,
    "response_class": Response,
    "responses": _RESPONSES,
    "openapi_extra": {
        "x-error-shape": "influx",
        "requestBody": {
            "required": True,
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
    },
}
Ignored = Annotated[str | None, Query(description="accepted and ignored: one store holds all")]
VERSION_HEADERS = {"X-Influxdb-Version": f"roomtemp-{__version__}", "X-Influxdb-Build": "roomtemp"}


@router.get(
    "/ping",
    status_code=204,
    response_class=Response,
    dependencies=[PUBLIC],
    summary="InfluxDB's ping: 204 with the X-Influxdb-Version header (the process is alive)",
)
async def influxdb_ping() -> Response:
    return Response(status_code=204, headers=VERSION_HEADERS)


@router.get(
    "/health",
    response_model=InfluxHealthOut,
    dependencies=[PUBLIC],
    responses={503: {"model": InfluxHealthOut, "description": "the storage takes no writes"}},
    summary="InfluxDB 2's health check: pass while writes can be taken (as /readyz)",
)
async def influxdb_health(service: Service) -> FastJSONResponse:
    readiness = await service.readiness()
    answer: InfluxHealthOut = {
        "name": "roomtemp",
        "message": "ready for writes" if readiness.ready else readiness.detail or "not ready",
        "status": "pass" if readiness.ready else "fail",
        "checks": [],
        "version": __version__,
    }
    return FastJSONResponse(answer, status_code=200 if readiness.ready else 503)


@router.post(
    "/api/v2/write",
    **_ROUTE,
    summary="InfluxDB 2 write: line protocol, `Authorization: Token …` or Bearer",
    dependencies=[requires(Scope.WRITE)],
)
async def influxdb_v2_write(
    request: Request,
    service: Service,
    caller: CurrentCaller,
    bucket: Ignored = None,
    org: Ignored = None,
    precision: Annotated[str | None, Query(description="ns (default), us, ms or s")] = None,
) -> Response:
    return await _write(request, service, caller, precision_of(precision))


@router.post(
    "/write",
    **_ROUTE,
    summary="InfluxDB 1 write: line protocol, the token as `p` or the basic-auth password",
    dependencies=[requires(Scope.WRITE, query_password=True)],
)
async def influxdb_v1_write(
    request: Request,
    service: Service,
    caller: CurrentCaller,
    db: Ignored = None,
    precision: Annotated[str | None, Query(description="n (default), u, ms or s")] = None,
) -> Response:
    return await _write(request, service, caller, precision_of(precision, v1=True))


async def _write(request: Request, service: Service, caller: Caller, precision: str) -> Response:
    body, _ = await read_body(request, MEDIA_TYPES, "text/plain")
    batch = parse_lines(body, precision)
    request.app.state.metrics.points_ignored.inc(batch.ignored)
    limit = service.options.max_batch
    if len(batch.items) > limit:
        raise TooLarge(f"{len(batch.items)} readings in one write, more than the limit of {limit}")
    if batch.items:
        check_batch_rooms(caller, batch.items)
        try:
            await stored(request, service, batch.items, None)
        except InvalidInput as exc:
            raise on_lines(exc.problems, batch, body) from None
    return Response(status_code=204)
