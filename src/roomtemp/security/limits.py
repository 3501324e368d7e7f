"""Request limits enforced while reading: header size (431), body size (413), upload time (408).

A declared Content-Length above the limit is refused before a byte of the body is read; a body
that grows past it (chunked, or lying about its length) is cut off as soon as it does. A body
that trickles in slower than the timeout allows is cut off too, so a slow client cannot hold a
worker forever. The server (security/server.py) already caps a request head that arrives in
pieces; a head that arrives whole is measured here.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roomtemp.api.errors import error_response
from roomtemp.errors import HeadersTooLarge, RoomtempError, TooLarge, TooSlow


def body_too_large(limit: int) -> TooLarge:
    return TooLarge(f"request body is larger than the limit of {limit} bytes")


def body_too_slow(timeout: float) -> TooSlow:
    return TooSlow(f"request body took longer than {timeout:g} s to arrive")


def headers_too_large(limit: int) -> HeadersTooLarge:
    return HeadersTooLarge(f"request headers are larger than the limit of {limit} bytes")


class RequestLimits:
    """ASGI middleware: refuses heads above `max_header_bytes`, bodies above `max_bytes` or
    slower than `timeout_seconds`."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, timeout_seconds: float, max_header_bytes: int
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head_bytes = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
        if head_bytes > self.max_header_bytes:
            await _refuse(scope, receive, send, headers_too_large(self.max_header_bytes))
            return
        if _declared_length(scope) > self.max_bytes:
            await _refuse(scope, receive, send, body_too_large(self.max_bytes))
            return
        started = False

        async def watch_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            body = _LimitedBody(receive, self.max_bytes, self.timeout_seconds)
            await self.app(scope, body, watch_start)
        except (TooLarge, TooSlow) as exc:
            if started:
                raise
            await _refuse(scope, receive, send, exc)


class _LimitedBody:
    """A `receive` that counts body bytes and enforces the upload deadline until the body ends."""

    def __init__(self, receive: Receive, max_bytes: int, timeout_seconds: float) -> None:
        self.receive = receive
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds
        self.loop = asyncio.get_running_loop()
        self.deadline = self.loop.time() + timeout_seconds
        self.received = 0
        self.done = False

    async def __call__(self) -> Message:
        if self.done:
            return await self.receive()
        try:
            # a deadline on this task, not wait_for: that wraps receive() in a task of its own,
            # an extra turn of the event loop for every body (15 us a body against 5 us, alone)
            async with asyncio.timeout_at(self.deadline):
                message = await self.receive()
        except TimeoutError:
            raise body_too_slow(self.timeout_seconds) from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.done = not message.get("more_body", False)
            if self.received > self.max_bytes:
                raise body_too_large(self.max_bytes)
        return message


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


async def _refuse(scope: Scope, receive: Receive, send: Send, exc: RoomtempError) -> None:
    """Answer before (or instead of) the app, and close: the rest of the body is not read."""
    response = error_response(exc, path=scope["path"])
    response.headers["connection"] = "close"
    await response(scope, receive, send)
