"""Buckets given as columns are presented exactly as the same buckets given one by one, and
written as JSON column by column exactly as orjson writes the dicts."""

from __future__ import annotations

import numpy as np
import orjson
from hypothesis import given
from hypothesis import strategies as st

from roomtemp.api.buckets import buckets_json, buckets_out
from roomtemp.domain import AGGREGATE_SUMS, Aggregate, AggregateColumns
from roomtemp.units import Unit

HOUR = 3_600_000


@st.composite
def bucket_columns(draw: st.DrawFn) -> AggregateColumns:
    """Hourly buckets from an arbitrary hour, some left out (a bucket without readings), with
    and without held time and length (mean_time_weighted and coverage null)."""
    first = draw(st.integers(-(10**6), 10**6)) * HOUR
    hours = sorted(draw(st.sets(st.integers(0, 60), min_size=1, max_size=40)))
    start = np.array([first + h * HOUR for h in hours], np.int64)
    size = len(hours)
    value = st.floats(-60, 100, allow_nan=False)
    minimum = np.array(draw(st.lists(value, min_size=size, max_size=size)))
    count = np.array(draw(st.lists(st.integers(1, 60), min_size=size, max_size=size)), np.int64)
    held = np.array(draw(st.lists(st.sampled_from([0.0, 1.0, 1234.5, HOUR]), min_size=size,
                                  max_size=size)))  # fmt: skip
    sums = {
        "total": minimum * count + count, "count": count, "minimum": minimum,
        "maximum": minimum + 1, "integral": held * minimum, "held": held,
        "covered": held / 2, "length": np.where(held > 0, HOUR, 0).astype(np.int64),
    }  # fmt: skip
    assert set(sums) == set(AGGREGATE_SUMS)
    return AggregateColumns(start, start + HOUR, sums, Aggregate(0, 0, 0.0, 0, 0.0, 0.0))


@given(bucket_columns(), st.sampled_from(list(Unit)))
def test_columns_answer_as_rows_do(columns: AggregateColumns, unit: Unit) -> None:
    assert buckets_out(columns, unit) == buckets_out(list(columns), unit)


@given(bucket_columns(), st.sampled_from(list(Unit)))
def test_columns_written_as_orjson_writes_the_dicts(columns: AggregateColumns, unit: Unit) -> None:
    expected = orjson.dumps(buckets_out(list(columns), unit))
    assert orjson.dumps(buckets_json(columns, unit)) == expected
    assert orjson.dumps(buckets_json(list(columns), unit)) == expected


def test_no_buckets_written_as_an_empty_list() -> None:
    empty = np.zeros(0, np.int64)
    sums = {name: np.zeros(0) for name in AGGREGATE_SUMS}
    columns = AggregateColumns(empty, empty, sums, Aggregate(0, 0, 0.0, 0, 0.0, 0.0))
    assert orjson.dumps(buckets_json(columns, Unit.celsius)) == b"[]"
