"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from roomtemp.api.deps import Service
from roomtemp.api.direct import DirectRoute
from roomtemp.api.models import HealthOut, ReadyOut
from roomtemp.api.present import FastJSONResponse
from roomtemp.security.access import PUBLIC
from roomtemp.service import Readiness

router = APIRouter(route_class=DirectRoute, tags=["health"], dependencies=[PUBLIC])

DEGRADED = "the engine does not take writes now: they go to the outage spool and are replayed"


@router.get("/healthz", response_model=HealthOut, summary="The process is alive")
async def healthz() -> FastJSONResponse:
    answer: HealthOut = {"status": "ok", "detail": None}
    return FastJSONResponse(answer)


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "storage unreachable"}},
    summary="Writes can be taken: the storage answers (or, for an engine, its spool has room)",
)
async def readyz(service: Service) -> FastJSONResponse:
    readiness = await service.readiness()
    if not readiness.ready:
        answer = ready_out(readiness, "unavailable", readiness.detail)
        return FastJSONResponse(answer, status_code=503, headers={"Retry-After": "5"})
    if readiness.engine is not None and not readiness.engine.engine_up:
        why = readiness.engine.problem
        return FastJSONResponse(
            ready_out(readiness, "degraded", f"{DEGRADED}: {why}" if why else DEGRADED)
        )
    return FastJSONResponse(ready_out(readiness, "ok", None))


def ready_out(readiness: Readiness, status: str, detail: str | None) -> ReadyOut:
    """The answer; the engine fields only for backends that have an engine."""
    answer: ReadyOut = {"status": status, "detail": detail}
    if readiness.engine is not None:
        answer["engine_up"] = readiness.engine.engine_up
        answer["spooled_readings"] = readiness.engine.spooled_readings
    return answer
