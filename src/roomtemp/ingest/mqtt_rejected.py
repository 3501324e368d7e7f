"""Where the MQTT bridge keeps the messages it could not use: a JSON-lines file of bounded size.

Each line holds the time, the topic, the reason and the payload (its first 4 KiB, as text when
it is UTF-8, else base64). When the file passes its bound it becomes `<file>.1` (replacing the
one before), so at most twice the bound is kept. A write that fails is logged, never raised:
the message is still counted and acknowledged.
"""

from __future__ import annotations

import base64
import logging
import os
import time
from pathlib import Path

import orjson

log = logging.getLogger("roomtemp.mqtt")

MAX_BYTES = 16 * 1024 * 1024
PAYLOAD_BYTES = 4096


class RejectedMessages:
    """Appends rejected messages to `path`, rotating it at `max_bytes`."""

    def __init__(self, path: Path, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes

    def add(self, topic: str, payload: bytes, reason: str) -> None:
        """Record one rejected message."""
        record: dict[str, object] = {
            "received": round(time.time(), 3),
            "topic": topic,
            "reason": reason,
            "payload_bytes": len(payload),
        }
        kept = payload[:PAYLOAD_BYTES]
        try:
            record["payload"] = kept.decode()
        except UnicodeDecodeError:
            record["payload_base64"] = base64.b64encode(kept).decode()
        try:
            self._append(orjson.dumps(record) + b"\n")
        except OSError as exc:
            log.error("cannot record a rejected MQTT message in %s: %s", self.path, exc.strerror)

    def _append(self, line: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if self.path.stat().st_size + len(line) > self.max_bytes:
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
        except FileNotFoundError:
            pass
        with self.path.open("ab") as out:
            out.write(line)
