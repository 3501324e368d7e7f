"""The values as sent of calibrated readings, as their own series: `room_temperature_raw_celsius`
with the reading's labels, written only for calibrated sensors (nothing for the others)."""

from __future__ import annotations

import logging
from collections import defaultdict

import numpy as np

from roomtemp.domain import ReadingColumns, ReadingsPage
from roomtemp.errors import StorageError
from roomtemp.storage.prometheus.client import EngineClient
from roomtemp.storage.prometheus.promql import RAW_METRIC
from roomtemp.storage.prometheus.reads import PromqlReader
from roomtemp.storage.prometheus.remote_write import Labels, Sample, encode, series_labels

log = logging.getLogger("roomtemp.storage.prometheus")

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


async def write_raw(client: EngineClient, sent: dict[Key, float]) -> None:
    """Write the values as sent beside the readings; a failure loses only them (logged): the
    calibrated readings are stored, and raw readings then show no `raw_value` for them."""
    by_series: dict[tuple[str, str | None], list[Sample]] = defaultdict(list)
    for (room_id, sensor_id, ts), raw in sorted(sent.items(), key=lambda item: item[0][2]):
        by_series[room_id, sensor_id].append((ts, raw))
    series: list[tuple[Labels, list[Sample]]] = [
        (series_labels(RAW_METRIC, room=room_id, sensor=sensor_id), samples)
        for (room_id, sensor_id), samples in by_series.items()
    ]
    try:
        await client.write(encode(series))
    except StorageError as exc:
        log.warning("the values as sent of %d calibrated readings were not stored: %s",
                    len(sent), exc)  # fmt: skip


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
