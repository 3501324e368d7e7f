"""The MQTT bridge: subscribes with QoS 1 and acknowledges a message only once its readings are
stored (or spooled), so a crash before that makes the broker deliver it again.

paho-mqtt runs the connection in its own thread (connecting, reconnecting with backoff from
1 s to 60 s, keeping a persistent session under a fixed client id so that messages published
while the bridge is down wait for it). Each message goes to one worker task on the event loop,
which stores what has arrived together in one batch and then acknowledges each message in the
order received (as MQTT requires). A bad message (no layout fits, an invalid or conflicting
reading, too large) is logged, counted, written to the rejected-messages file and acknowledged:
never retried forever. While storage is unavailable nothing is acknowledged and the batch is
retried with backoff; the broker holds the rest (QoS 1, at most its in-flight window unacked).

The rejected-messages file is this bridge's own bounded record of messages it could not use, not
the reading quarantine of implausible values.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from roomtemp.domain import WriteResult
from roomtemp.errors import (
    ConfigurationError,
    ConflictingReading,
    InvalidInput,
    StorageError,
    TooLarge,
)
from roomtemp.ingest.mqtt_payloads import Target, TopicPattern, message_items
from roomtemp.ingest.mqtt_rejected import RejectedMessages

log = logging.getLogger("roomtemp.mqtt")

Store = Callable[[Sequence[object], str | None], Awaitable[WriteResult]]
"""Validate and store raw items atomically (RoomService.ingest)."""
Outcome = Callable[[str, int], None]
"""Told how many messages ended `stored` or `rejected`."""
_BATCH = 1000
_REFUSED = (InvalidInput, ConflictingReading, TooLarge)
"""What a batch of readings can be refused for: its messages are set aside, not retried."""
_RETRY_MAX_SECONDS = 30.0


@dataclass(frozen=True)
class MqttOptions:
    """What the bridge needs: the broker, the topics, the device map, where rejects go."""

    url: str
    patterns: tuple[TopicPattern, ...]
    client_id: str = "roomtemp-bridge"
    devices: Mapping[str, Target] = field(default_factory=dict)
    rejected_file: Path = Path("./data/mqtt-rejected.jsonl")
    max_payload_bytes: int = 8 * 1024 * 1024
    keepalive_seconds: int = 30


@dataclass(frozen=True)
class _Message:
    topic: str
    payload: bytes
    mid: int
    qos: int


class MqttBridge:
    """Messages from a broker into storage; `start` on the running loop, `stop` to end."""

    def __init__(self, options: MqttOptions, store: Store, outcome: Outcome | None = None) -> None:
        self.options = options
        self._store = store
        self._outcome = outcome or (lambda _name, _count: None)
        self._rejected = RejectedMessages(options.rejected_file)
        self._queue: asyncio.Queue[_Message] = asyncio.Queue()
        self._client = _client(options)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._loop: asyncio.AbstractEventLoop | None = None
        self._worker: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        """Connect in the background (retrying until the broker answers) and start the worker."""
        self._loop = asyncio.get_running_loop()
        self._worker = asyncio.create_task(self._work(), name="mqtt-bridge")
        host, port = _address(self.options.url)
        self._client.connect_async(host, port, keepalive=self.options.keepalive_seconds)
        self._client.loop_start()
        log.info("MQTT bridge connecting to %s:%d as %r", host, port, self.options.client_id)

    async def stop(self) -> None:
        """Disconnect; messages not yet stored stay unacknowledged, so the broker keeps them."""
        self._stopping = True
        self._client.disconnect()
        self._client.loop_stop()
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        log.info("MQTT bridge stopped")

    def _on_connect(
        self, client: mqtt.Client, _data: Any, _flags: Any, reason: Any, _p: Any
    ) -> None:
        if reason.is_failure:
            log.error("MQTT broker refused the connection: %s", reason)
            return
        topics = [(pattern.subscription(), 1) for pattern in self.options.patterns]
        client.subscribe(topics)
        log.info("MQTT connected; subscribed to %s", ", ".join(topic for topic, _ in topics))

    def _on_disconnect(self, _c: mqtt.Client, _d: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not self._stopping:
            log.warning("MQTT disconnected (%s); reconnecting with backoff", reason)

    def _on_message(self, _client: mqtt.Client, _data: Any, message: mqtt.MQTTMessage) -> None:
        received = _Message(message.topic, bytes(message.payload), message.mid, message.qos)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, received)

    async def _work(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < _BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._handle(batch)
            except Exception as exc:  # a bug must not hold these messages, or loop on them
                log.exception("MQTT bridge: %d messages failed unexpectedly", len(batch))
                self._settle(batch, dict.fromkeys(range(len(batch)), f"internal error: {exc!r}"))

    async def _handle(self, batch: list[_Message]) -> None:
        """Store the batch's readings, then acknowledge every message in the order received."""
        parsed: dict[int, list[dict[str, Any]]] = {}
        reasons: dict[int, str] = {}
        for index, message in enumerate(batch):
            try:
                parsed[index] = self._items(message)
            except InvalidInput as exc:
                reasons[index] = _reason(exc)
        try:
            if parsed:
                await self._stored([item for items in parsed.values() for item in items])
        except _REFUSED:
            for index, items in parsed.items():  # the batch is atomic: find the bad ones
                try:
                    await self._stored(items)
                except _REFUSED as exc:
                    reasons[index] = _reason(exc)
        self._settle(batch, reasons)

    def _settle(self, batch: list[_Message], reasons: dict[int, str]) -> None:
        """Set aside the messages with a reason, then acknowledge all in the order received."""
        for index, message in enumerate(batch):
            if index in reasons:
                log.warning("MQTT message on %r rejected: %s", message.topic, reasons[index])
                self._rejected.add(message.topic, message.payload, reasons[index])
            if message.qos > 0:
                self._client.ack(message.mid, message.qos)
        self._outcome("stored", len(batch) - len(reasons))
        self._outcome("rejected", len(reasons))

    async def _stored(self, items: list[dict[str, Any]]) -> None:
        """Store, retrying with backoff while storage is unavailable (nothing is acknowledged)."""
        delay = 0.5
        while True:
            try:
                await self._store(items, None)
                return
            except StorageError as exc:
                log.warning("MQTT bridge: storage unavailable (%s); retrying in %g s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, _RETRY_MAX_SECONDS)

    def _items(self, message: _Message) -> list[dict[str, Any]]:
        if len(message.payload) > self.options.max_payload_bytes:
            raise InvalidInput.single(
                (),
                f"payload of {len(message.payload)} bytes is larger than the limit of "
                f"{self.options.max_payload_bytes}",
            )
        return message_items(
            message.topic, message.payload, self.options.patterns, self.options.devices
        )


def _reason(exc: Exception) -> str:
    if not isinstance(exc, InvalidInput):
        return str(exc)
    return "; ".join(
        f"{'.'.join(map(str, p.loc))}: {p.msg}" if p.loc else p.msg for p in exc.problems
    )


def _client(options: MqttOptions) -> mqtt.Client:
    parts = urlsplit(options.url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ConfigurationError(
            f"MQTT URL {parts.scheme}://{parts.hostname or ''}… is not mqtt://[user:pass@]host"
            "[:port] or mqtts://…"
        )
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=options.client_id,
        clean_session=False,  # the broker keeps our subscriptions and unacknowledged messages
        protocol=mqtt.MQTTv311,
        manual_ack=True,
    )
    if parts.username is not None:
        client.username_pw_set(unquote(parts.username), unquote(parts.password or ""))
    if parts.scheme == "mqtts":
        client.tls_set_context(ssl.create_default_context())
    client.reconnect_delay_set(min_delay=1, max_delay=60)
    return client


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    default = 8883 if parts.scheme == "mqtts" else 1883
    return parts.hostname or "localhost", parts.port or default
