"""The dashboard: static files shipped inside the package, served with a strict content policy."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

router = APIRouter(include_in_schema=False)

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # small files that change with each release: revalidate rather than serve an old script
    "Cache-Control": "no-cache",
}
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


@cache
def web_files() -> dict[str, bytes]:
    """Every servable file of roomtemp/web by name; nothing outside that folder can be asked for."""
    folder = resources.files("roomtemp") / "web"
    return {
        entry.name: entry.read_bytes()
        for entry in folder.iterdir()
        if entry.is_file() and any(entry.name.endswith(suffix) for suffix in MEDIA_TYPES)
    }


def _serve(name: str) -> Response:
    body = web_files().get(name)
    if body is None:
        raise HTTPException(404, "no such dashboard file")
    media_type = MEDIA_TYPES[name[name.rindex(".") :]]
    return Response(body, media_type=media_type, headers=SECURITY_HEADERS)


@router.get("/")
async def dashboard() -> Response:
    return _serve("index.html")


@router.get("/web/{name}")
async def dashboard_file(name: str) -> Response:
    return _serve(name)
