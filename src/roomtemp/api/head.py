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

        # the same scope, so that the request metrics around this see the route matched, and
        # HEAD again once it is answered (they count it as HEAD, not as a GET)
        scope["method"] = "GET"
        try:
            await self.app(scope, receive, without_body)
        finally:
            scope["method"] = "HEAD"
