"""The write job of a batch of readings: sensor offsets applied, series ids, exact duplicate and
conflict checks, and the batch's readings handed to the group (or, outside the hot tier's window,
sealed at once); the values as sent of calibrated readings go to their side table."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from roomtemp.domain import Reading, ReadingColumns, WriteResult
from roomtemp.errors import ConflictingReading
from roomtemp.storage.calibration import calibrated, sent_values
from roomtemp.storage.rollups.records import F64, I64
from roomtemp.storage.sqlite import schema, sealer, sensors
from roomtemp.storage.sqlite.catalog import Catalog
from roomtemp.storage.sqlite.hot import HotTier, lookup
from roomtemp.storage.sqlite.keys import composite, in_window
from roomtemp.storage.sqlite.writer import Group

BlockCache = dict[int, tuple[I64, F64] | None]


@dataclass(frozen=True)
class Columns:
    """A batch as columns sorted by (series, ts); (series, ts) is unique inside it. `raw`: the
    values as sent of calibrated readings (NaN for others), None when none is calibrated."""

    series: I64
    ts: I64
    values: F64
    raw: F64 | None = None

    def take(self, index: np.ndarray) -> Columns:
        raw = None if self.raw is None else self.raw[index]
        return Columns(self.series[index], self.ts[index], self.values[index], raw)


def columns(batch: ReadingColumns, catalog: Catalog, conn: sqlite3.Connection) -> Columns:
    """The readings as columns sorted by (series, ts), creating series as needed."""
    keys = [(room, sensor or "") for room, sensor in batch.keys]
    ids = catalog.ensure(conn, set(keys))
    series = np.array([ids[key] for key in keys], np.int64)[batch.codes]
    order = np.lexsort((batch.ts, series))
    raw = None if batch.raw is None else batch.raw[order]
    return Columns(series[order], batch.ts[order], batch.values[order], raw)


def write_job(
    readings: Sequence[Reading], catalog: Catalog, hot: HotTier, blocks: BlockCache, gap_ms: int
) -> Callable[[Group], WriteResult]:
    """The job that stores `readings` atomically in the group it runs in."""

    given = ReadingColumns.of(readings)

    def job(group: Group) -> WriteResult:
        conn = group.conn
        batch = columns(calibrated(given, group.read(sensors.offsets)), catalog, conn)
        duplicate = _duplicates(conn, batch, hot, group, blocks, catalog)
        fresh = batch.take(~duplicate) if duplicate.any() else batch
        if fresh.ts.shape[0]:
            _store(conn, fresh, hot, group, blocks, gap_ms)
            if fresh.raw is not None:
                sensors.store_raw(conn, fresh.series, fresh.ts, fresh.raw)
        return WriteResult(int(fresh.ts.shape[0]), int(duplicate.sum()))

    return job


def _duplicates(
    conn: sqlite3.Connection,
    batch: Columns,
    hot: HotTier,
    group: Group,
    blocks: BlockCache,
    catalog: Catalog,
) -> np.ndarray:
    """Mask of readings stored with the same value; ConflictingReading for another value.

    Only readings at or before their series' bound can be stored already, so live ingest
    (every reading newer than its series' newest) takes no lookup at all."""
    with hot.lock:
        hot.grow(int(batch.series.max()))
        slow = np.flatnonzero(batch.ts <= hot.bound[batch.series])
        if not slow.shape[0]:
            return np.zeros(batch.ts.shape[0], bool)
        found, stored = _lookup(conn, batch.take(slow), hot, group, blocks)
    sent = batch.values[slow]
    clash = _not_resent(conn, batch.take(slow), np.flatnonzero(found & (stored != sent)), stored)
    if clash.shape[0]:
        at = slow[clash[0]]
        room, sensor = catalog.key_of(conn, int(batch.series[at]))
        raise ConflictingReading(
            room, sensor or None, int(batch.ts[at]), float(stored[clash[0]]), float(sent[clash[0]])
        )
    duplicate = np.zeros(batch.ts.shape[0], bool)
    duplicate[slow[found]] = True
    return duplicate


def _not_resent(conn: sqlite3.Connection, batch: Columns, clash: I64, stored: F64) -> I64:
    """The clashes whose values as sent differ too: a reading calibrated differently (an offset
    set or changed between two sends of it) is a re-send, not a conflict."""
    if not clash.shape[0]:
        return clash
    sent = sent_values(batch.values[clash], None if batch.raw is None else batch.raw[clash])
    series, ts = batch.series[clash].tolist(), batch.ts[clash].tolist()
    stored_sent = [
        raw if (raw := sensors.raw_at(conn, sid, t)) is not None else value
        for sid, t, value in zip(series, ts, stored[clash].tolist(), strict=True)
    ]
    differ: I64 = clash[np.asarray(stored_sent) != sent]
    return differ


def _lookup(
    conn: sqlite3.Connection, batch: Columns, hot: HotTier, group: Group, blocks: BlockCache
) -> tuple[np.ndarray, F64]:
    """(found, stored value): in the hot tier, the group's earlier jobs, then sealed days."""
    found = np.zeros(batch.ts.shape[0], bool)
    stored = np.full(batch.ts.shape[0], np.nan)
    inside = np.flatnonzero(in_window(batch.ts))
    if inside.shape[0]:
        keys = composite(batch.series[inside], batch.ts[inside])
        hit, value = lookup([*hot.runs, *group.pending()], keys)
        found[inside], stored[inside] = hit, value
    rest = np.flatnonzero(~found)
    keys = schema.day_key(batch.series[rest], schema.day_index(batch.ts[rest]))
    for key in np.unique(keys).tolist():
        block = _block(conn, key, blocks)
        if block is None:
            continue
        mine = rest[keys == key]
        pos = np.minimum(np.searchsorted(block[0], batch.ts[mine]), block[0].shape[0] - 1)
        hit = block[0][pos] == batch.ts[mine]
        found[mine[hit]] = True
        stored[mine[hit]] = block[1][pos[hit]]
    return found, stored


def _block(conn: sqlite3.Connection, key: int, blocks: BlockCache) -> tuple[I64, F64] | None:
    """A sealed day's readings, decoded once and kept while no seal changes days."""
    if key not in blocks:
        if len(blocks) > 512:
            blocks.clear()
        blocks[key] = sealer.raw_of(conn, key)
    return blocks[key]


def _store(
    conn: sqlite3.Connection,
    fresh: Columns,
    hot: HotTier,
    group: Group,
    blocks: BlockCache,
    gap_ms: int,
) -> None:
    hot.raise_bounds(fresh.series, fresh.ts)
    inside = in_window(fresh.ts)
    if inside.all():
        group.keys.append(composite(fresh.series, fresh.ts))
        group.values.append(fresh.values)
        return
    outside = fresh.take(~inside)
    sealer.write_days(conn, outside.series, outside.ts, outside.values, gap_ms)
    pairs = np.unique((outside.series << 32) | schema.day_index(outside.ts))
    sealer.record(conn, pairs, hot.high_water, int(outside.ts.shape[0]))
    blocks.clear()
    group.after_commit.append(lambda: hot.note_stored(outside.series, outside.ts, outside.values))
    if inside.any():
        kept = fresh.take(inside)
        group.keys.append(composite(kept.series, kept.ts))
        group.values.append(kept.values)
