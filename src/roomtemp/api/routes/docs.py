"""The Swagger UI at /docs, served from package files so that it works without internet access."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from roomtemp.api.routes.dashboard import CONTENT_SECURITY_POLICY, serve

router = APIRouter(include_in_schema=False)

# Swagger UI draws its icons from data: URLs; everything else stays as strict as the dashboard.
DOCS_POLICY = CONTENT_SECURITY_POLICY.replace("img-src 'self'", "img-src 'self' data:")


@router.get("/docs")
async def swagger_ui() -> Response:
    return serve("docs.html", DOCS_POLICY)
