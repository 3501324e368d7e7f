"""The column encoder writes the reference encoder's bytes, which the protobuf library reads back;
grouping a batch a column at a time gives the series a reading at a time would."""

from __future__ import annotations

import cramjam
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from roomtemp.domain import Reading, ReadingColumns
from roomtemp.storage.prometheus.batches import group, readings_of
from roomtemp.storage.prometheus.frames import (
    FIXED_HIGH_MS,
    FIXED_LOW_MS,
    decode_columns,
    encode_columns,
    fixed_width,
)
from roomtemp.storage.prometheus.remote_write import (
    decode_samples,
    encode_labelled,
    encode_samples,
    labels_bytes,
    series_labels,
)
from tests.prometheus.test_remote_write import WriteRequest

values = st.floats(allow_nan=False)
fixed_times = st.integers(FIXED_LOW_MS, FIXED_HIGH_MS - 1)
edges = st.sampled_from(
    [0, 1, -1, 127, 128, FIXED_LOW_MS - 1, FIXED_LOW_MS, FIXED_HIGH_MS - 1, FIXED_HIGH_MS]
)
any_times = st.one_of(fixed_times, edges, st.integers(-(2**63), 2**63 - 1))


def columns(times: list[int], found: list[float]) -> tuple[np.ndarray, np.ndarray]:
    return np.array(times, np.int64), np.array(found, np.float64)


@given(st.data())
def test_column_encoding_is_the_reference_encoding(data: st.DataObject) -> None:
    times = data.draw(st.lists(st.one_of(fixed_times, any_times), max_size=30))
    found = data.draw(st.lists(values, min_size=len(times), max_size=len(times)))
    ts, vs = columns(times, found)
    encoded = encode_columns(ts, vs)
    assert encoded == encode_samples(zip(times, found, strict=True))
    assert decode_samples(encoded) == list(zip(times, found, strict=True))
    back_ts, back_values = decode_columns(encoded)
    assert back_ts.tolist() == times
    assert back_values.tolist() == found


@given(st.lists(st.tuples(fixed_times, values), min_size=1, max_size=30))
def test_fixed_width_frames_are_18_bytes_and_read_back_a_column_at_a_time(
    samples: list[tuple[int, float]],
) -> None:
    ts, vs = columns([t for t, _ in samples], [v for _, v in samples])
    assert fixed_width(ts)
    encoded = encode_columns(ts, vs)
    assert len(encoded) == 18 * len(samples)
    back_ts, back_values = decode_columns(encoded)
    assert back_ts.tolist() == ts.tolist()
    assert back_values.tolist() == vs.tolist()


ids = st.sampled_from(["a", "b", "lab-2"])
sensors = st.sampled_from([None, "s1", "s2"])


@given(
    st.lists(st.tuples(ids, sensors, st.one_of(fixed_times, any_times), values), max_size=40),
)
def test_grouped_batch_decodes_as_the_protobuf_library_reads_it(
    rows: list[tuple[str, str | None, int, float]],
) -> None:
    unique = list({(r, s, t): (r, s, t, v) for r, s, t, v in rows}.values())
    readings = [Reading(*row) for row in unique]
    batch = group(ReadingColumns.of(readings))
    series = [
        (series_labels("m", room=room, sensor=sensor), run.encoded)
        for (room, sensor), run in batch.items()
    ]
    body = encode_labelled((labels_bytes(labels), samples) for labels, samples in series)
    decoded = WriteRequest.FromString(bytes(cramjam.snappy.decompress_raw(body)))
    by_series: dict[tuple[str, str | None], list[tuple[int, float]]] = {}
    for room, sensor, timestamp_ms, value in readings:
        by_series.setdefault((room, sensor), []).append((timestamp_ms, value))
    expected = WriteRequest(
        timeseries=[
            {
                "labels": [
                    {"name": n, "value": v}
                    for n, v in series_labels("m", room=key[0], sensor=key[1])
                ],
                "samples": [{"value": v, "timestamp": t} for t, v in sorted(by_series[key])],
            }
            for key in batch
        ]
    )
    assert decoded == expected
    assert set(readings_of(batch)) == set(readings)
    for key, run in batch.items():
        times = sorted(t for t, _ in by_series[key])
        assert (run.first_ms, run.last_ms, run.count) == (times[0], times[-1], len(times))
