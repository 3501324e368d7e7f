"""Security headers on every answer: no sniffing, no referrer, no framing, a same-origin CSP.

The policy allows scripts, styles and images from this server only (inline styles too, which
Swagger UI sets; inline scripts never). A route that sets its own Content-Security-Policy keeps it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "content-security-policy": CSP,
}


_RAW_HEADERS = [
    (name.encode("latin-1"), value.encode("latin-1")) for name, value in HEADERS.items()
]


class SecurityHeaders:
    """ASGI middleware adding HEADERS to every HTTP answer that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [raw for raw in _RAW_HEADERS if raw[0] not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, add_headers)
