"""The values as sent of calibrated readings, as their own series: `room_temperature_raw_celsius`
with the reading's labels, written only for calibrated sensors (nothing for the others), after the
readings; when that write fails, or the readings are spooled, they are spooled with them."""

from __future__ import annotations

import numpy as np

from roomtemp.domain import ReadingColumns, ReadingsPage
from roomtemp.storage.prometheus.batches import SeriesBatch, SeriesKey, group
from roomtemp.storage.prometheus.client import EngineClient
from roomtemp.storage.prometheus.promql import RAW_METRIC
from roomtemp.storage.prometheus.reads import PromqlReader
from roomtemp.storage.prometheus.remote_write import encode_labelled, labels_bytes, series_labels

Key = tuple[str, str | None, int]


def sent_of(batch: ReadingColumns) -> dict[Key, float]:
    """The values as sent of the batch's calibrated readings, by identity."""
    if batch.raw is None:
        return {}
    mine = np.flatnonzero(~np.isnan(batch.raw))
    return {
        (*batch.keys[code], ts): raw
        for code, ts, raw in zip(
            batch.codes[mine].tolist(), batch.ts[mine].tolist(), batch.raw[mine].tolist(),
            strict=True,
        )
    }  # fmt: skip


def sent_batch(batch: ReadingColumns) -> SeriesBatch:
    """The values as sent of the batch's calibrated readings, grouped by series."""
    if batch.raw is None:
        return {}
    mine = ~np.isnan(batch.raw)
    if not mine.any():
        return {}
    return group(ReadingColumns(batch.keys, batch.codes[mine], batch.ts[mine], batch.raw[mine]))


async def send(client: EngineClient, sent: SeriesBatch) -> None:
    """Write the values as sent beside the readings (StorageError when the engine fails)."""
    if sent:
        series = [(_labels(key), run.encoded) for key, run in sent.items()]
        await client.write(encode_labelled(series))


def _labels(key: SeriesKey) -> bytes:
    return labels_bytes(series_labels(RAW_METRIC, room=key[0], sensor=key[1]))


async def with_raw(reader: PromqlReader, page: ReadingsPage, room_id: str) -> ReadingsPage:
    """The page with the values as sent of its calibrated readings (one query)."""
    if not page.readings:
        return page
    low, high = page.readings[0].timestamp_ms, page.readings[-1].timestamp_ms + 1
    found = {
        (r.sensor_id, r.timestamp_ms): r.value
        for r in await reader.raw([room_id], low, high, metric=RAW_METRIC)
    }
    if not found:
        return page
    raw_values = [found.get((r.sensor_id, r.timestamp_ms)) for r in page.readings]
    return ReadingsPage(page.readings, page.next_after, raw_values)
