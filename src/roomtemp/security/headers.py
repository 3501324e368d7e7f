"""Security headers on every answer, with a Content-Security-Policy fitting the page.

API answers and the dashboard get a strict same-origin policy. The Swagger UI and ReDoc pages load
their scripts from a CDN and start them with an inline script: their policy allows that CDN and
exactly those inline scripts (by hash), nothing else. A route may set its own CSP; it is kept.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'none'; script-src 'self' https://cdn.jsdelivr.net {hashes}; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https:; connect-src 'self'; "
    "worker-src blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
FIXED_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def inline_script_hashes(html: bytes) -> list[str]:
    """CSP source expressions (`'sha256-…'`) for each inline `<script>` of a page."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    ]


class SecurityHeaders:
    """ASGI middleware adding the headers; pages in `docs_paths` get the docs policy."""

    def __init__(self, app: ASGIApp, docs_paths: frozenset[str]) -> None:
        self.app = app
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in self.docs_paths:
            await self.app(scope, receive, _DocsPage(send))
            return

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _secure(MutableHeaders(scope=message), DEFAULT_CSP)
            await send(message)

        await self.app(scope, receive, add_headers)


class _DocsPage:
    """Holds a docs page back until its body is complete, to hash its inline scripts."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.start: Message | None = None
        self.body = b""

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            return
        if message["type"] != "http.response.body" or self.start is None:
            await self.send(message)
            return
        self.body += message.get("body", b"")
        if message.get("more_body", False):
            return
        hashes = " ".join(inline_script_hashes(self.body))
        _secure(MutableHeaders(scope=self.start), DOCS_CSP.format(hashes=hashes))
        await self.send(self.start)
        await self.send({"type": "http.response.body", "body": self.body})


def _secure(headers: MutableHeaders, csp: str) -> None:
    for name, value in FIXED_HEADERS.items():
        headers.setdefault(name, value)
    headers.setdefault("content-security-policy", csp)
