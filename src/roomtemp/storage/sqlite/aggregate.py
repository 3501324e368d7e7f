"""Stats queries for the SQLite backend: which SQL answers a list of buckets, and fast.

Whole hours come from the `rollup_hour` table (sums, counts, minima, maxima per series and hour),
the ragged edges from raw readings. Evenly spaced buckets are grouped arithmetically in one range
scan; uneven ones (local days across DST) are joined against a list of pieces.
"""

from __future__ import annotations

import json
import operator
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from roomtemp.domain import Aggregate
from roomtemp.storage.sqlite.schema import HOUR_MS
from roomtemp.timeparse import Bucket

Query = tuple[str, dict[str, Any]]
_room_bucket = operator.itemgetter(0, 1)

_RAW = {
    "table": "readings",
    "ts": "ts_ms",
    "sum": "sum(r.value)",
    "count": "count(*)",
    "min": "min(r.value)",
    "max": "max(r.value)",
}
_ROLLUP = {
    "table": "rollup_hour",
    "ts": "hour_ms",
    "sum": "sum(r.total)",
    "count": "sum(r.count)",
    "min": "min(r.minimum)",
    "max": "max(r.maximum)",
}

_CHOSEN = """
    chosen AS (
        SELECT series_id, room_id FROM series
        WHERE room_id IN (SELECT value FROM json_each(:rooms))
    )
"""

_GROUPED = """
    WITH {chosen}
    SELECT chosen.room_id, (r.{ts} - :origin) / :step AS bucket, {sum}, {count}, {min}, {max}
    FROM chosen JOIN {table} AS r ON r.series_id = chosen.series_id
    WHERE r.{ts} >= :lo AND r.{ts} < :hi
    GROUP BY chosen.room_id, bucket
"""

_PIECES = """
    WITH pieces (bucket, lo, hi) AS (
        SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(:pieces)
    ),
    {chosen}
    SELECT chosen.room_id, pieces.bucket, {sum}, {count}, {min}, {max}
    FROM pieces CROSS JOIN chosen
    JOIN {table} AS r
        ON r.series_id = chosen.series_id AND r.{ts} >= pieces.lo AND r.{ts} < pieces.hi
    GROUP BY chosen.room_id, pieces.bucket
"""

GROUPED_RAW = _GROUPED.format(chosen=_CHOSEN, **_RAW)
GROUPED_ROLLUP = _GROUPED.format(chosen=_CHOSEN, **_ROLLUP)
PIECES_RAW = _PIECES.format(chosen=_CHOSEN, **_RAW)
PIECES_ROLLUP = _PIECES.format(chosen=_CHOSEN, **_ROLLUP)


def plan(room_ids: Sequence[str], buckets: Sequence[Bucket]) -> list[Query]:
    """The queries whose rows, combined, give every bucket's aggregate."""
    if not buckets:
        return []
    rooms = json.dumps(list(room_ids))
    step = buckets[0].end_ms - buckets[0].start_ms
    if all(b.end_ms - b.start_ms == step for b in buckets):
        return _grouped(rooms, buckets, step)
    return _pieces(rooms, buckets)


def _grouped(rooms: str, buckets: Sequence[Bucket], step: int) -> list[Query]:
    origin = buckets[0].start_ms
    low, high = buckets[0].clip_start_ms, buckets[-1].clip_end_ms
    first_hour, last_hour = _ceil_hour(low), high // HOUR_MS * HOUR_MS
    aligned = len(buckets) == 1 or (step % HOUR_MS == 0 and origin % HOUR_MS == 0)
    common = {"rooms": rooms, "origin": origin, "step": step}
    if not aligned or first_hour >= last_hour:
        return [(GROUPED_RAW, {**common, "lo": low, "hi": high})]
    queries = [(GROUPED_ROLLUP, {**common, "lo": first_hour, "hi": last_hour})]
    for edge_low, edge_high in ((low, first_hour), (last_hour, high)):
        if edge_low < edge_high:
            queries.append((GROUPED_RAW, {**common, "lo": edge_low, "hi": edge_high}))
    return queries


def _pieces(rooms: str, buckets: Sequence[Bucket]) -> list[Query]:
    raw: list[list[int]] = []
    rolled: list[list[int]] = []
    for index, bucket in enumerate(buckets):
        low, high = bucket.clip_start_ms, bucket.clip_end_ms
        first_hour, last_hour = _ceil_hour(low), high // HOUR_MS * HOUR_MS
        if first_hour >= last_hour:
            raw.append([index, low, high])
            continue
        rolled.append([index, first_hour, last_hour])
        for edge_low, edge_high in ((low, first_hour), (last_hour, high)):
            if edge_low < edge_high:
                raw.append([index, edge_low, edge_high])
    return [
        (sql, {"rooms": rooms, "pieces": json.dumps(pieces)})
        for sql, pieces in ((PIECES_RAW, raw), (PIECES_ROLLUP, rolled))
        if pieces
    ]


def _ceil_hour(ms: int) -> int:
    return -(-ms // HOUR_MS) * HOUR_MS


def combine(
    rows: Sequence[Any], buckets: Sequence[Bucket], queries: int
) -> dict[str, list[Aggregate]]:
    """Merge partial rows (room, bucket index, sum, count, min, max) from `queries` queries into
    one Aggregate each. A single query groups by room and bucket: there is nothing to merge."""
    if queries == 1:
        result: dict[str, list[Aggregate]] = defaultdict(list)
        for room_id, index, total, count, minimum, maximum in sorted(rows, key=_room_bucket):
            bucket = buckets[index]
            result[room_id].append(
                Aggregate(bucket.start_ms, bucket.end_ms, total, count, minimum, maximum)
            )
        return dict(result)
    acc: dict[str, dict[int, list[float]]] = defaultdict(dict)
    for room_id, index, total, count, minimum, maximum in rows:
        slot = acc[room_id].get(index)
        if slot is None:
            acc[room_id][index] = [total, count, minimum, maximum]
        else:
            slot[0] += total
            slot[1] += count
            slot[2] = min(slot[2], minimum)
            slot[3] = max(slot[3], maximum)
    return {
        room_id: [
            Aggregate(buckets[i].start_ms, buckets[i].end_ms, s[0], int(s[1]), s[2], s[3])
            for i, s in sorted(by_bucket.items())
        ]
        for room_id, by_bucket in acc.items()
    }
