"""The Swagger UI at /docs, served from package files so that it works without internet access."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from roomtemp.api.direct import DirectRoute
from roomtemp.api.web_files import serve
from roomtemp.security.access import PUBLIC
from roomtemp.security.headers import DOCS_POLICY

router = APIRouter(route_class=DirectRoute, include_in_schema=False, dependencies=[PUBLIC])


@router.get("/docs")
async def swagger_ui() -> Response:
    return serve("docs.html", DOCS_POLICY)
