"""The dashboard: static files shipped inside the package, served with a strict content policy."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from roomtemp.api.direct import DirectRoute
from roomtemp.api.web_files import serve
from roomtemp.security.access import PUBLIC

router = APIRouter(route_class=DirectRoute, include_in_schema=False, dependencies=[PUBLIC])


@router.get("/")
async def dashboard() -> Response:
    return serve("index.html")


@router.get("/web/{name:path}")
async def dashboard_file(name: str) -> Response:
    return serve(name)
