"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from roomtemp.api.deps import Service
from roomtemp.errors import StorageError
from roomtemp.models import HealthOut
from roomtemp.security.access import PUBLIC

router = APIRouter(tags=["health"], dependencies=[PUBLIC])


@router.get("/healthz", response_model=HealthOut, summary="The process is alive")
async def healthz() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "storage unreachable"}},
    summary="The storage answers",
)
async def readyz(service: Service) -> JSONResponse:
    try:
        await service.storage.check()
    except StorageError as exc:
        body = HealthOut(status="unavailable", detail=str(exc)).model_dump()
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    return JSONResponse(HealthOut(status="ok").model_dump())
