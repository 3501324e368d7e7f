"""Aggregates of the embedded store: one room's buckets from the tiers (with what the
time-weighted figures need), or one summary per room for many rooms at once."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np

from roomtemp.domain import AGGREGATE_SUMS, Aggregate, AggregateColumns
from roomtemp.storage.rollups.timeweighted import BucketSums
from roomtemp.storage.sqlite import schema, stats, summaries
from roomtemp.storage.sqlite.catalog import Catalog
from roomtemp.storage.sqlite.decoded import DecodedSlots
from roomtemp.storage.sqlite.hot import HotTier
from roomtemp.timeparse import Bucket, BucketColumns

Found = dict[str, Sequence[Aggregate]]


def per_room_summaries(
    conn: sqlite3.Connection, hot: HotTier, catalog: Catalog, room_ids: Sequence[str],
    bucket: Bucket,
) -> Found:  # fmt: skip
    """Count, sum, min and max of each room over one bucket (rooms without readings left out)."""
    owners = _owners(catalog, room_ids)
    sums = summaries.summaries(
        conn, hot, [sid for sid, _ in owners], bucket.clip_start_ms, bucket.clip_end_ms
    )
    per_room: dict[str, list[float]] = {}
    for (_, room), count, total, low, high in zip(
        owners, sums.count.tolist(), sums.total.tolist(), sums.minimum.tolist(),
        sums.maximum.tolist(), strict=True,
    ):  # fmt: skip
        if count:
            acc = per_room.setdefault(room, [0, 0.0, low, high])
            acc[0] += count
            acc[1] += total
            acc[2], acc[3] = min(acc[2], low), max(acc[3], high)
    return {
        room: [Aggregate(bucket.start_ms, bucket.end_ms, a[1], int(a[0]), a[2], a[3])]
        for room, a in per_room.items()
    }


def plain_buckets(
    conn: sqlite3.Connection, hot: HotTier, catalog: Catalog, room_ids: Sequence[str],
    buckets: Sequence[Bucket],
) -> Found | None:  # fmt: skip
    """Count, sum, min and max of every bucket of each room, all rooms at once (None where raw
    readings have expired in the range)."""
    edges = _edges(buckets)
    cut = edges.copy()
    cut[0], cut[-1] = buckets[0].clip_start_ms, buckets[-1].clip_end_ms
    owners = _owners(catalog, room_ids)
    sums = summaries.grid(conn, hot, [sid for sid, _ in owners], cut)
    if sums is None:
        return None
    width = edges.shape[0] - 1
    rooms = sorted({room for _, room in owners})
    row_of = {room: row for row, room in enumerate(rooms)}
    where = np.repeat([row_of[room] for _, room in owners], width) * width + np.tile(
        np.arange(width), len(owners)
    )
    per_room = summaries.Sums(len(rooms) * width)
    per_room.fold(where, sums.count, sums.total, sums.minimum, sums.maximum)
    return _plain_columns(rooms, edges, per_room)


def _plain_columns(rooms: list[str], edges: np.ndarray, sums: summaries.Sums) -> Found:
    """Each room's buckets holding readings (sums flat by room then bucket), every Aggregate
    made in one pass (the evaluator walks them one by one)."""
    width = edges.shape[0] - 1
    kept = np.flatnonzero(sums.count > 0)
    bucket = kept % width
    columns = (edges[:-1][bucket], edges[1:][bucket], sums.total[kept], sums.count[kept],
               sums.minimum[kept], sums.maximum[kept])  # fmt: skip
    made = list(map(Aggregate, *(column.tolist() for column in columns)))
    bounds = np.searchsorted(kept // width, np.arange(len(rooms) + 1)).tolist()
    return {room: made[bounds[row] : bounds[row + 1]] for row, room in enumerate(rooms)}


def _owners(catalog: Catalog, room_ids: Sequence[str]) -> list[tuple[int, str]]:
    """(series, room) of every series of these rooms, by series; a room asked twice counts once."""
    return sorted({(sid, room) for room in room_ids for _, sid in catalog.rooms.get(room, [])})


def _edges(buckets: Sequence[Bucket]) -> np.ndarray:
    if isinstance(buckets, BucketColumns):
        return buckets.edges
    return np.array([b.start_ms for b in buckets] + [buckets[-1].end_ms], np.int64)


def room_buckets(
    conn: sqlite3.Connection, hot: HotTier, decoded: DecodedSlots, catalog: Catalog,
    room_ids: Sequence[str], buckets: Sequence[Bucket], stale_ms: int,
) -> Found:  # fmt: skip
    """Every bucket of each room, as columns with the whole range's totals."""
    edges = _edges(buckets)
    start, end = buckets[0].clip_start_ms, buckets[-1].clip_end_ms
    reader = stats.StatsReader(conn, hot, decoded, schema.GAP_MS)
    found: Found = {}
    for room in room_ids:
        series = [sid for _, sid in catalog.rooms.get(room, [])]
        if series:
            sums = reader.room(series, edges, start, end, stale_ms)
            found[room] = columns_of(sums, edges)  # with no reading, coverage is still known
    return found


def columns_of(sums: BucketSums, edges: np.ndarray) -> AggregateColumns:
    """The buckets holding readings as columns, with the whole range's totals."""
    kept = np.flatnonzero(sums.count > 0)
    arrays = {name: getattr(sums, name)[kept] for name in AGGREGATE_SUMS}
    totals = Aggregate(
        int(edges[0]), int(edges[-1]), float(sums.total.sum()), int(sums.count.sum()),
        float(sums.minimum.min(initial=np.inf)), float(sums.maximum.max(initial=-np.inf)),
        float(sums.integral.sum()),
        float(sums.held.sum()), float(sums.covered.sum()), int(sums.length.sum()),
    )  # fmt: skip
    return AggregateColumns(edges[:-1][kept], edges[1:][kept], arrays, totals)
