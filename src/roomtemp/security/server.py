"""The HTTP protocol roomtemp serves with: uvicorn's h11 protocol plus a deadline on request heads.

uvicorn times out idle keep-alive connections but not a request head that trickles in a byte at a
time (slowloris): enough such connections would hold every connection slot. Here a connection
whose request line and headers are not complete within ROOMTEMP_HEAD_TIMEOUT seconds of their
first byte (or of connecting) is closed. h11 also caps the bytes of a head it buffers.
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("roomtemp.security")
PROTOCOL = "roomtemp.security.server:HeadTimeoutH11Protocol"


class HeadTimeoutH11Protocol(H11Protocol):
    """h11 with a deadline on each request head.

    uvicorn builds the protocol itself, so the deadline is set on the class by the app factory of
    each worker process (`app_from_environment`), before the first connection.
    """

    head_timeout_seconds: float = 10.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._disarm()
        elif self.conn.trailing_data[0]:
            self._arm()

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
