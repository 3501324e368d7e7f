"""HEAD answers as GET does, without the body (RFC 9110: every GET resource supports HEAD).

FastAPI routes declared with `@router.get` take GET only, so a HEAD (what link checkers and
monitoring probes send) would be a 405. This middleware runs it as a GET and drops the body.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """ASGI middleware: a HEAD request is served as a GET whose body is not sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # a scope of its own: the server's stays HEAD (uvicorn's httptools protocol sends no
        # body and expects none for a HEAD by it); the route matched is handed back for the
        # request metrics around this, which count a HEAD as HEAD
        inner = {**scope, "method": "GET"}
        try:
            await self.app(inner, receive, without_body)
        finally:
            if "route" in inner:
                scope["route"] = inner["route"]
