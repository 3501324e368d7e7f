"""The HTTP protocol roomtemp serves with: uvicorn's h11 protocol plus a deadline on request heads.

uvicorn times out idle keep-alive connections but not a request head that trickles in a byte at a
time (slowloris): enough such connections would hold every connection slot. Here a connection
whose request line and headers are not complete within ROOMTEMP_HEAD_TIMEOUT seconds of their
first byte (or of connecting) is closed. h11 also caps the bytes of a head it buffers; a head
over that cap is answered 431, as the app answers one that arrived whole (uvicorn answers every
refusal of h11's 400).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("roomtemp.security")
PROTOCOL = "roomtemp.security.server:HeadTimeoutH11Protocol"


class _HintedConnection(h11.Connection):
    """h11's connection, keeping the status its last refusal of the client hinted at."""

    refusal_status = 400

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.refusal_status = exc.error_status_hint
            raise


class HeadTimeoutH11Protocol(H11Protocol):
    """h11 with a deadline on each request head.

    uvicorn builds the protocol itself, so the deadline is set on the class by the app factory of
    each worker process (`app_from_environment`), before the first connection.
    """

    head_timeout_seconds: float = 10.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self.conn = _HintedConnection(h11.SERVER, self._head_cap())
        self._arm()

    def send_400_response(self, msg: str) -> None:
        if getattr(self.conn, "refusal_status", 400) != 431:
            super().send_400_response(msg)
            return
        log.info("refusing a request whose head is over %d bytes", self._head_cap())
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
        for event in (
            h11.Response(
                status_code=431, headers=headers, reason=b"Request Header Fields Too Large"
            ),
            h11.Data(data=b"request head too large: see ROOMTEMP_MAX_HEADER_BYTES"),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._disarm()
        elif self.conn.trailing_data[0]:
            self._arm()

    def _head_cap(self) -> int:
        cap = self.config.h11_max_incomplete_event_size
        return cap if cap is not None else DEFAULT_MAX_INCOMPLETE_EVENT_SIZE

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout_seconds, self._head_too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            log.info(
                "closing a connection whose request head took over %g s", self.head_timeout_seconds
            )
            self.transport.close()
