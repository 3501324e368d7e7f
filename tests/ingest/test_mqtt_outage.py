"""While storage is unavailable the bridge acknowledges nothing: it retries, and a bridge stopped
meanwhile gets the message again from the broker. Storage is a real SQLite store behind a fault
injector; the broker is a real Mosquitto."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

import orjson
import pytest

from roomtemp.domain import WriteResult
from roomtemp.errors import StorageUnavailable
from roomtemp.ingest.mqtt_bridge import MqttBridge, MqttOptions
from roomtemp.ingest.mqtt_payloads import parse_patterns
from roomtemp.service import RoomService
from roomtemp.storage import StorageOptions, open_storage
from tests.brokers import Mosquitto
from tests.ingest.conftest import Publisher

T0 = 1_709_251_200


class Faulty:
    """RoomService.ingest that refuses (storage unavailable) while `down` is set."""

    def __init__(self, service: RoomService) -> None:
        self.service = service
        self.down = True
        self.refused = 0

    async def __call__(self, items: Sequence[object], room_id: str | None) -> WriteResult:
        if self.down:
            self.refused += 1
            raise StorageUnavailable("injected outage", retry_after_seconds=1)
        return await self.service.ingest(items, room_id)


async def _until(condition: object, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def _count(service: RoomService) -> int:
    page = await service.storage.readings(
        "outage", (T0 - 60) * 1000, (T0 + 60) * 1000, sensor_id=None, after=None, limit=100
    )
    return len(page.readings)


@pytest.mark.anyio
async def test_nothing_is_acknowledged_while_storage_is_down(
    tmp_path: Path, broker: Mosquitto, publisher: Publisher
) -> None:
    storage = await open_storage(f"sqlite:///{tmp_path / 'r.sqlite3'}", StorageOptions())
    service = RoomService(storage)
    options = MqttOptions(
        url=broker.url,
        patterns=parse_patterns("s/{room}/{sensor}"),
        client_id="outage-bridge",
        rejected_file=tmp_path / "rejected.jsonl",
    )
    try:
        faulty = Faulty(service)
        first = MqttBridge(options, faulty)
        await first.start()
        await asyncio.sleep(1.0)  # connected and subscribed
        payload = orjson.dumps({"value": 21.0, "timestamp": T0})
        await asyncio.to_thread(publisher.publish, "s/outage/a", payload)
        await _until(lambda: faulty.refused >= 2)  # retried, with backoff
        await first.stop()  # unacknowledged: the broker keeps the message for the session
        assert await _count(service) == 0

        faulty.down = False
        second = MqttBridge(options, faulty)
        await second.start()
        try:
            deadline = time.monotonic() + 20
            while await _count(service) == 0:
                assert time.monotonic() < deadline, "the broker did not deliver the message again"
                await asyncio.sleep(0.05)
        finally:
            await second.stop()
        assert await _count(service) == 1
        assert not (tmp_path / "rejected.jsonl").exists()
    finally:
        await storage.close()
