"""Deleting a room's series from the engine.

Prometheus keeps a deleted sample in its head (hidden by a tombstone) until the next compaction:
a sample written again at a deleted series' newest timestamp is refused (another value) or
dropped without a word (the same value), and a room created again at the same stamp stays
hidden. On engines with such a head (their `/api/v1/status/tsdb` reports `headStats`), a
staleness marker after each deleted series' newest sample sends later writes there through the
out-of-order path, where they are stored and seen; PromQL hides the markers. VictoriaMetrics
deletes for good and gets no markers (it would show them).
"""

from __future__ import annotations

import struct

from roomtemp.storage.prometheus.client import EngineClient
from roomtemp.storage.prometheus.newest import Head
from roomtemp.storage.prometheus.promql import ROOM_METRICS, selector
from roomtemp.storage.prometheus.remote_write import Labels, Sample, encode

STALE_NAN = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]
"""Prometheus's staleness marker: a NaN with this exact bit pattern."""


async def delete_room_series(
    client: EngineClient, head: Head, room_id: str, newest_reading_ms: int, window: tuple[int, int]
) -> None:
    """Delete every series of the room (those with samples in `window`, epoch ms); mark them
    stale where the engine needs it. `newest_reading_ms` is the room's newest reading."""
    match = selector("", __name__=ROOM_METRICS, room=room_id)
    marked: list[Labels] = []
    if await client.head_stats() is not None:
        marked = [tuple(sorted(labels.items())) for labels in await client.series(match, *window)]
    await client.delete_series(match)
    if marked:
        # after every deleted sample: roomtemp stamps its own at most at head.stamp(now)
        marker_ms = max(head.stamp(window[1]), newest_reading_ms) + 1
        series: list[tuple[Labels, list[Sample]]] = [(s, [(marker_ms, STALE_NAN)]) for s in marked]
        await client.write(encode(series))
        head.stamp_after(marker_ms)
