"""Sensor offsets applied to a batch as it is stored: one rule for every backend.

A calibrated reading is stored as its value plus the sensor's offset, and keeps the value as
sent in `ReadingColumns.raw`. Identity checks compare values as sent (`sent_values`), so a
re-send of a reading is a duplicate whatever the offset was when either copy arrived.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from roomtemp.domain import Reading, ReadingColumns, SensorKey, SensorSettings
from roomtemp.storage.rollups.records import F64


def offsets_of(by_room: Mapping[str, Sequence[SensorSettings]]) -> dict[SensorKey, float]:
    """The non-zero offsets of sensor settings, by (room, sensor)."""
    return {
        (room_id, s.sensor_id): s.offset_celsius
        for room_id, settings in by_room.items()
        for s in settings
        if s.offset_celsius
    }


def calibrated(readings: Sequence[Reading], offsets: Mapping[SensorKey, float]) -> ReadingColumns:
    """The batch with each calibrated sensor's offset added and its value as sent kept in `raw`
    (the batch as it is when no sensor of it has an offset: nothing is copied). Readings that
    come with their value as sent (`raw` given) are calibrated already: no offset is added."""
    batch = ReadingColumns.of(readings)
    if batch.raw is None and not offsets:
        return batch
    shift = np.array([offsets.get(key, np.nan) for key in batch.keys], np.float64)
    if batch.raw is None and np.isnan(shift).all():
        return batch
    per_reading = shift[batch.codes]
    mine = ~np.isnan(per_reading)
    if batch.raw is not None:  # calibrated already (an import of an export): kept as it is
        mine &= np.isnan(batch.raw)
    values = batch.values.copy()
    values[mine] += per_reading[mine]
    raw = np.where(mine, batch.values, np.nan if batch.raw is None else batch.raw)
    raw[raw == values] = np.nan  # stored as sent: nothing to keep beside it
    return ReadingColumns(batch.keys, batch.codes, batch.ts, values, raw)


def sent_values(values: F64, raw: F64 | None) -> F64:
    """The values as sent: the raw value where there is one, else the stored value."""
    if raw is None:
        return values
    return np.where(np.isnan(raw), values, raw)
