"""Label values reach PromQL escaped: special characters never change what a query selects."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from roomtemp.domain import Comfort, Reading, RoomMeta
from roomtemp.storage.prometheus import PrometheusStorage
from roomtemp.storage.prometheus.promql import ROOM_INFO_METRIC, quote, regex_escape, selector
from roomtemp.timeparse import Bucket
from roomtemp.wiring import open_configured_storage
from tests.backends import engine_settings
from tests.engines import Engine
from tests.support import ms

pytestmark = pytest.mark.anyio
T0 = ms("2024-03-01T00:00:00Z")


def test_quote_and_regex_escape() -> None:
    assert quote('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert regex_escape("lab.1|x") == "lab\\.1\\|x"
    assert selector("m", room=["b", "a.b"], sensor="") == 'm{room=~"a\\\\.b|b", sensor=""}'
    with pytest.raises(ValueError, match="label name"):
        selector("m", **{"bad-name": "x"})


async def test_special_characters_round_trip_and_select_exactly(
    engine: Engine, tmp_path: Path
) -> None:
    settings = engine_settings(engine, tmp_path / "spool")
    storage = await open_configured_storage(settings)
    assert isinstance(storage, PrometheusStorage)
    try:
        tricky = 'He said "hi" \\ {room=~".*"} \n ok'
        meta = RoomMeta("lab.1", tricky, "b\\", "1", {"k": 'v"}'}, Comfort(18.5, None))
        await storage.put_room(meta)
        await storage.write([Reading("lab.1", None, T0, 20.0), Reading("labx1", None, T0, 30.0)])
        assert await storage.get_room("lab.1") == meta
        query = f"last_over_time({selector(ROOM_INFO_METRIC, name=tricky)}[1h])"
        deadline = time.monotonic() + 10
        while not (found := await storage.client.instant(query, now_ms())):
            # VictoriaMetrics indexes a new series by its other labels a second or two later
            assert time.monotonic() < deadline
            await asyncio.sleep(0.2)
        assert [labels["room"] for labels, _ in found] == ["lab.1"]
        bucket = Bucket(T0, T0 + 60_000, T0, T0 + 60_000)
        stats = await storage.aggregate(["lab.1", "nothing"], [bucket])
        assert list(stats) == ["lab.1"]
        assert stats["lab.1"][0].maximum == 20.0
    finally:
        await storage.close()


def now_ms() -> int:
    return round(time.time() * 1000) + 1000
