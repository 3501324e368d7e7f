"""The files under roomtemp/web (the dashboard, the offline Swagger UI), served from the package."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi.responses import Response

from roomtemp.errors import NotFound
from roomtemp.security.headers import PAGE_POLICY, page_headers

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


def serve(name: str, policy: str = PAGE_POLICY) -> Response:
    """A file of roomtemp/web with its page headers, or NotFound."""
    body = web_files().get(name)
    if body is None:
        raise NotFound("no such dashboard file")
    media_type = MEDIA_TYPES[name[name.rindex(".") :]]
    return Response(body, media_type=media_type, headers=page_headers(policy))
