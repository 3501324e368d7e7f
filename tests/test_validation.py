"""The fast path of validation agrees with the full validator on every input."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from roomtemp.columns import SMALL_BATCH, Item, checked_few, checked_many
from roomtemp.errors import InvalidInput
from roomtemp.validation import Limits, _checked_readings, fast_readings

NOW_MS = 1_709_294_400_000
LIMITS = Limits(-60.0, 100.0, 300_000)

values = st.one_of(
    st.floats(-100, 400),
    st.integers(-100, 400),
    st.just(float("nan")),
    st.booleans(),
    st.text(max_size=4),
    st.none(),
    st.integers(10**300, 10**301),
)
stamps = st.one_of(
    st.none(),
    st.floats(-1e12, 1e12),
    st.integers(0, 2 * 10**9),
    st.sampled_from(
        [
            "2024-03-01T12:00:00Z",
            "2024-03-01T12:00:00",
            "2024-03-01T12:04:59+00:00",
            "2024-03-01T12:05:01Z",
            "soon",
            "1709294400.5",
            "",
        ]
    ),
    st.booleans(),
)
ids = st.one_of(
    st.none(), st.sampled_from(["lab", "a.b-c_1", "Lab", "-x", "", "r" * 65]), st.integers(0, 3)
)
items = st.fixed_dictionaries(
    {"value": values},
    optional={
        "unit": st.sampled_from(["C", "f", "Kelvin", "rankine", None, "", 3]),
        "timestamp": stamps,
        "sensor_id": ids,
        "room_id": ids,
        "extra": st.just(1),
    },
)


def full(batch: list[Any], room_id: str | None) -> list[Any] | None:
    try:
        return list(_checked_readings(batch, room_id, NOW_MS, LIMITS))
    except InvalidInput:
        return None


@given(
    st.lists(st.one_of(items, st.integers(), st.none()), min_size=1, max_size=5),
    st.sampled_from([None, "lab"]),
)
def test_fast_path_accepts_only_what_the_validator_accepts(
    batch: list[Any], room_id: str | None
) -> None:
    try:
        fast = fast_readings(batch, room_id=room_id, now_ms=NOW_MS, limits=LIMITS)
    except (OverflowError, TypeError, ValueError):
        fast = None
    if fast is not None:
        assert fast == full(batch, room_id)


valid_items = st.fixed_dictionaries(
    {"value": st.one_of(st.floats(-60, 100), st.integers(-60, 100))},
    optional={
        "unit": st.sampled_from(["C", "celsius", None]),
        "timestamp": st.one_of(
            st.none(),
            st.floats(1.6e9, 1.7e9),
            st.integers(0, 10**9),
            st.just("2024-03-01T12:00:00+02:00"),
        ),
        "sensor_id": st.sampled_from(["a", "b.c", None]),
        "room_id": st.just("lab"),
    },
)


@given(st.lists(valid_items, min_size=1, max_size=20), st.sampled_from([None, "lab"]))
def test_fast_path_takes_well_formed_batches(batch: list[Any], room_id: str | None) -> None:
    if room_id is None:
        batch = [{**item, "room_id": "lab"} for item in batch]
    fast = fast_readings(batch, room_id=room_id, now_ms=NOW_MS, limits=LIMITS)
    assert fast is not None
    assert fast == full(batch, room_id)


NOW_S = NOW_MS / 1000
typed_items = st.builds(
    Item,
    value=st.one_of(
        st.floats(-70, 110),
        st.sampled_from([-60.0, 100.0, 212.0, 373.15, -76.0, 500.0]),
        st.floats(allow_nan=True, allow_infinity=True),
    ),
    unit=st.sampled_from([None, "C", "celsius", "F", "fahrenheit", "K", "kelvin", "rankine", ""]),
    timestamp=st.one_of(
        st.none(),
        st.floats(NOW_S - 2 * 86_400, NOW_S + 400),
        st.sampled_from([NOW_S + 300, NOW_S + 300.001, NOW_S - 86_400, NOW_S - 86_400.001]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(["2024-03-01T12:00:00Z", "2024-03-01T12:05:01Z", "soon", ""]),
    ),
    sensor_id=st.sampled_from([None, "a", "b.c", "-x"]),
    room_id=st.sampled_from([None, "lab", "hall", "Lab", "r" * 65]),
)
good_items = st.builds(
    Item,
    value=st.one_of(st.floats(-60, 100), st.sampled_from([-60.0, 100.0])),
    unit=st.sampled_from([None, "C", "F", "kelvin"]),
    timestamp=st.one_of(
        st.none(),
        st.floats(NOW_S - 86_400, NOW_S + 300),
        st.sampled_from([NOW_S - 86_400, NOW_S + 300]),
    ),
    sensor_id=st.sampled_from([None, "a", "b.c"]),
    room_id=st.sampled_from(["lab", "hall", "attic"]),
)
"""Items that pass (a Fahrenheit or Kelvin one may still be out of range), mixed with any."""


@given(
    st.lists(st.one_of(good_items, good_items, typed_items), min_size=1, max_size=SMALL_BATCH),
    st.sampled_from([None, None, "lab"]),
    st.sampled_from([None, 86_400_000]),
)
@settings(max_examples=500)
def test_small_batches_checked_one_by_one_as_in_columns(
    batch: list[Item], room_id: str | None, max_age_ms: int | None
) -> None:
    limits = replace(LIMITS, max_age_ms=max_age_ms)
    few = checked_few(batch, room_id, NOW_MS, limits)
    many = checked_many(batch, room_id, NOW_MS, limits)
    assert (few is None) == (many is None)
    event("accepted" if few is not None else "refused")
    if few is not None and many is not None:
        assert few.keys == many.keys
        assert few.codes.tolist() == many.codes.tolist()
        assert few.ts.tolist() == many.ts.tolist()
        assert few.values.tolist() == many.values.tolist()
