"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from roomtemp.api.deps import Service
from roomtemp.errors import StorageError
from roomtemp.models import HealthOut, ReadyOut
from roomtemp.service import RoomService
from roomtemp.storage.base import ReportsStatus

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, summary="The process is alive")
async def healthz() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "storage unreachable"}},
    summary="Writes can be taken: the storage answers (or, for an engine, its spool has room)",
)
async def readyz(service: Service) -> JSONResponse:
    try:
        await service.storage.check()
    except StorageError as exc:
        body = _body(ReadyOut(status="unavailable", detail=str(exc), **_status(service)))
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    extra = _status(service)
    if extra.get("engine_up") is False:
        detail = "engine unreachable: writes go to the outage spool, reads fail"
        return JSONResponse(_body(ReadyOut(status="degraded", detail=detail, **extra)))
    return JSONResponse(_body(ReadyOut(status="ok", **extra)))


def _body(health: ReadyOut) -> dict[str, Any]:
    """The answer, without the engine fields for backends that have no engine."""
    no_engine = health.engine_up is None
    return health.model_dump(exclude={"engine_up", "spooled_readings"} if no_engine else None)


def _status(service: RoomService) -> dict[str, Any]:
    """Engine reachability and spool depth, for backends that have them."""
    if not isinstance(service.storage, ReportsStatus):
        return {}
    status = service.storage.status()
    return {"engine_up": status.engine_up, "spooled_readings": status.spooled_readings}
