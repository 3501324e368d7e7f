"""Remote-write POSTs over a few keep-alive HTTP/1.1 connections (h11 on asyncio streams).

httpx spent 1.5-2 ms of CPU on each remote-write request here (its connection pool and anyio
under it), as much as encoding 2,000 samples; this sends the same request for a sixth of that.
Only writes go this way, and only straight to the engine: with an HTTP proxy configured for the
URL, or a transport given (tests), EngineClient keeps sending them through httpx. A request that
fails on a connection that had been idle is tried once more on a new one (the server may have
closed it meanwhile; engines take a repeated write as the same samples).
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11
import httpx

MAX_IDLE = 8
_READ_BYTES = 65536


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str


class SenderError(Exception):
    """The engine could not be reached, or the exchange broke off."""


class SenderTimeout(SenderError):
    """The engine did not answer in time (not retried: it may be busy with the request)."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.http = h11.Connection(h11.CLIENT)

    async def exchange(self, request: h11.Request, body: bytes) -> Answer:
        http = self.http
        self.writer.write(
            http.send(request) + http.send(h11.Data(data=body)) + http.send(h11.EndOfMessage())
        )
        await self.writer.drain()
        response: h11.Response | None = None
        content = bytearray()
        while True:
            event = http.next_event()
            if event is h11.NEED_DATA:
                http.receive_data(await self.reader.read(_READ_BYTES))
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                content += event.data
            elif isinstance(event, h11.EndOfMessage) and response is not None:
                headers = {k.decode().lower(): v.decode() for k, v in response.headers}
                return Answer(response.status_code, headers, content.decode(errors="replace"))
            elif isinstance(event, h11.ConnectionClosed):
                raise SenderError("the engine closed the connection before answering")

    def reusable(self) -> bool:
        if self.http.our_state is h11.DONE and self.http.their_state is h11.DONE:
            self.http.start_next_cycle()
            return True
        return False

    def close(self) -> None:
        self.writer.close()


class RemoteWriteSender:
    """POSTs bodies to one URL, keeping connections open between requests."""

    def __init__(
        self, url: str, headers: Mapping[str, str], auth: tuple[str, str] | None, timeout: float
    ) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or ""
        self.tls = parts.scheme == "https"
        self.port = parts.port or (443 if self.tls else 80)
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.timeout = timeout
        self._headers = [("Host", parts.netloc.rpartition("@")[2]), *headers.items()]
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            self._headers.append(("Authorization", f"Basic {token}"))
        self._ssl: ssl.SSLContext | None = httpx.create_ssl_context() if self.tls else None
        self._idle: list[_Connection] = []

    async def post(self, body: bytes, headers: Mapping[str, str]) -> Answer:
        """One POST; SenderError when the engine cannot be reached or breaks off."""
        request = h11.Request(
            method="POST",
            target=self.target,
            headers=[*self._headers, *headers.items(), ("Content-Length", str(len(body)))],
        )
        while self._idle:
            connection = self._idle.pop()
            try:
                return await self._exchange(connection, request, body)
            except SenderTimeout:
                raise
            except (SenderError, OSError, h11.ProtocolError):
                continue  # an idle connection the engine had closed: try another, then a new one
        connection = await self._connect()
        try:
            return await self._exchange(connection, request, body)
        except (OSError, h11.ProtocolError) as exc:
            raise SenderError(repr(exc)) from exc

    async def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()

    async def _exchange(self, connection: _Connection, request: h11.Request, body: bytes) -> Answer:
        try:
            # a deadline on this task, not wait_for: that runs the exchange in a task of its own
            async with asyncio.timeout(self.timeout):
                answer = await connection.exchange(request, body)
        except TimeoutError as exc:
            connection.close()
            raise SenderTimeout(f"no answer within {self.timeout} s") from exc
        except BaseException:
            connection.close()
            raise
        if connection.reusable() and len(self._idle) < MAX_IDLE:
            self._idle.append(connection)
        else:
            connection.close()
        return answer

    async def _connect(self) -> _Connection:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, ssl=self._ssl), self.timeout
            )
        except (OSError, TimeoutError) as exc:
            raise SenderError(f"cannot connect to {self.host}:{self.port}: {exc!r}") from exc
        return _Connection(reader, writer)


def goes_straight(url: str) -> bool:
    """True when no HTTP proxy from the environment applies to the URL (httpx would use one)."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return True
    return bool(urllib.request.proxy_bypass(parts.hostname or ""))
