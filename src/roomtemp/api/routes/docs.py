"""The Swagger UI at /docs, served from package files so that it works without internet access."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

WEB = files("roomtemp") / "web"


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return HTMLResponse((WEB / "docs.html").read_text(encoding="utf-8"))
