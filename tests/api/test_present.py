"""Buckets given as columns are presented exactly as the same buckets given one by one, and
a stats answer holding them is written exactly as orjson writes it with the dicts; so is a page
of readings."""

from __future__ import annotations

import numpy as np
import orjson
from hypothesis import given
from hypothesis import strategies as st

from roomtemp.api.buckets import bucket_rows, buckets_out
from roomtemp.api.present import StructJSONResponse, reading_out
from roomtemp.api.readings_json import reading_rows
from roomtemp.domain import AGGREGATE_SUMS, Aggregate, AggregateColumns, Reading, ReadingsPage
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


def _answer(buckets: object, summary: object) -> dict[str, object]:
    """A stats answer as the route builds it (its keys in its order)."""
    return {"room_id": "lab", "start": "2024-03-01T00:00:00.000Z", "step": "1h",
            "unit": "celsius", "buckets": buckets, "summary": summary}  # fmt: skip


summaries = st.fixed_dictionaries(
    {"mean": st.none() | st.floats(-60, 100), "count": st.integers(0, 10**9),
     "coverage": st.none() | st.floats(0, 1)}
)  # fmt: skip


@given(bucket_columns(), st.sampled_from(list(Unit)), summaries)
def test_an_answer_is_written_as_orjson_writes_it_with_the_dicts(
    columns: AggregateColumns, unit: Unit, summary: dict[str, object]
) -> None:
    expected = orjson.dumps(_answer(buckets_out(list(columns), unit), summary))
    for given_as in (columns, list(columns)):
        answer = StructJSONResponse(_answer(bucket_rows(given_as, unit), summary))
        assert answer.body == expected
        assert answer.headers["content-type"] == "application/json"


def test_no_buckets_written_as_an_empty_list() -> None:
    empty = np.zeros(0, np.int64)
    sums = {name: np.zeros(0) for name in AGGREGATE_SUMS}
    columns = AggregateColumns(empty, empty, sums, Aggregate(0, 0, 0.0, 0, 0.0, 0.0))
    assert StructJSONResponse(bucket_rows(columns, Unit.celsius)).body == b"[]"


@st.composite
def readings_pages(draw: st.DrawFn) -> ReadingsPage:
    """Readings of any instant of years 1..9999 (ms included), any value a reading may hold,
    with and without a sensor, and raw values on none, some or all of them."""
    instant = st.integers(-62_135_596_800_000, 253_402_300_799_999)
    value = st.floats(-1e6, 1e6, allow_nan=False) | st.sampled_from([0.0, -0.0, 1e-7, 21.5])
    readings = draw(st.lists(st.builds(Reading, st.just("r"), st.sampled_from([None, "a", "b-1"]),
                                       instant, value), max_size=30))  # fmt: skip
    raws = draw(st.none() | st.lists(st.none() | value, min_size=len(readings),
                                     max_size=len(readings)))  # fmt: skip
    return ReadingsPage(readings, None, raws)


@given(readings_pages(), st.sampled_from(list(Unit)))
def test_readings_written_as_orjson_writes_the_dicts(page: ReadingsPage, unit: Unit) -> None:
    raws = page.raw_values if page.raw_values else [None] * len(page.readings)
    expected = orjson.dumps(
        [reading_out(r, unit, raw) for r, raw in zip(page.readings, raws, strict=True)]
    )
    assert StructJSONResponse(reading_rows(page, unit)).body == expected
