"""Readings set aside at ingest, in the engine: `roomtemp_quarantined_celsius{room, sensor,
reason}`, written directly (not spooled: while the engine is away, setting aside fails and the
write is a 503 after its good readings went in; the sensor's retry then stores the rest)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from roomtemp.domain import SetAside, SetAsidePage
from roomtemp.storage.prometheus.client import EngineClient
from roomtemp.storage.prometheus.promql import QUARANTINE_METRIC, selector
from roomtemp.storage.prometheus.reads import PromqlReader, page_after
from roomtemp.storage.prometheus.remote_write import Labels, Sample, encode, series_labels


async def write(client: EngineClient, readings: Sequence[SetAside]) -> None:
    """Write the readings set aside, one series per (room, sensor, reason)."""
    by_series: dict[Labels, list[Sample]] = defaultdict(list)
    for r in sorted(readings, key=lambda r: r.timestamp_ms):
        labels = series_labels(
            QUARANTINE_METRIC, room=r.room_id, sensor=r.sensor_id, reason=r.reason
        )
        by_series[labels].append((r.timestamp_ms, r.value))
    await client.write(encode(list(by_series.items())))


async def page(
    reader: PromqlReader,
    room_id: str,
    span: tuple[int, int],
    after: tuple[int, str] | None,
    limit: int,
) -> SetAsidePage:
    """Readings set aside in `[start, end)` by (timestamp, sensor), strictly after `after`."""
    low = max(span[0], after[0]) if after is not None else span[0]
    if low >= span[1]:
        return SetAsidePage([], None)
    found = sorted(
        (
            SetAside(room_id, labels.get("sensor") or None, ts, value, labels.get("reason", ""))
            for labels, ts, value in await reader.samples(
                selector(QUARANTINE_METRIC, room=room_id), low, span[1]
            )
        ),
        key=lambda r: (r.timestamp_ms, r.sensor_id or ""),
    )
    return SetAsidePage(*page_after(found, after, limit))
