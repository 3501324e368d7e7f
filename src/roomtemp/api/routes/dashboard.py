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
    """Every servable file under roomtemp/web by relative path; nothing outside can be asked for."""
    found: dict[str, bytes] = {}
    folders = [("", resources.files("roomtemp") / "web")]
    while folders:
        prefix, folder = folders.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                folders.append((f"{prefix}{entry.name}/", entry))
            elif any(entry.name.endswith(suffix) for suffix in MEDIA_TYPES):
                found[prefix + entry.name] = entry.read_bytes()
    return found


def serve(name: str, policy: str = CONTENT_SECURITY_POLICY) -> Response:
    """A file of roomtemp/web with the security headers, or 404."""
    body = web_files().get(name)
    if body is None:
        raise HTTPException(404, "no such dashboard file")
    media_type = MEDIA_TYPES[name[name.rindex(".") :]]
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": policy}
    return Response(body, media_type=media_type, headers=headers)


@router.get("/")
async def dashboard() -> Response:
    return serve("index.html")


@router.get("/web/{name:path}")
async def dashboard_file(name: str) -> Response:
    return serve(name)
