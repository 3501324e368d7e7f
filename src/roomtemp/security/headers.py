"""Security headers on every answer: no sniffing, no referrer, no framing, a content policy.

The one place that says which headers an answer carries. The API's policy allows scripts, styles
and images from this server only (inline styles too, which Swagger UI sets; inline scripts never).
Pages (the dashboard, the docs) set a stricter policy of their own with `page_headers`, which the
middleware keeps.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_POLICY = "; ".join(
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
"""The dashboard's policy: nothing inline, nothing from elsewhere."""
DOCS_POLICY = PAGE_POLICY.replace("img-src 'self'", "img-src 'self' data:")
"""Swagger UI draws its icons from data: URLs; everything else as strict as the dashboard."""

HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "content-security-policy": API_POLICY,
}

_RAW_HEADERS = [
    (name.encode("latin-1"), value.encode("latin-1")) for name, value in HEADERS.items()
]


def page_headers(policy: str = PAGE_POLICY) -> dict[str, str]:
    """Headers of a page file: its own policy, and revalidation (files change with releases)."""
    return {"content-security-policy": policy, "cache-control": "no-cache"}


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
