"""A room's `current` from its sensors' newest readings, against a direct computation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from roomtemp.alerts.state import RoomState, current_of, room_value
from roomtemp.domain import SensorLatest

NOW = 1_800_000_000_000
STALE_AFTER = 900_000

sensors = st.lists(
    st.builds(
        SensorLatest,
        st.sampled_from([None, "a", "b", "c"]),
        st.integers(NOW - 3 * STALE_AFTER, NOW),
        st.floats(-40, 60),
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda s: s.sensor_id,
)


@given(sensors)
def test_current_is_the_mean_of_the_fresh_or_of_all(found: list[SensorLatest]) -> None:
    fresh = [s for s in found if NOW - s.timestamp_ms <= STALE_AFTER]
    used = fresh or found
    current = current_of(found, None, NOW, STALE_AFTER)
    assert current.value == sum(s.value for s in used) / len(used)
    assert current.timestamp_ms == max(s.timestamp_ms for s in used)
    # stale when every reading is, which is when the newest is (the room list's `stale`)
    assert current.stale is (not fresh)
    assert current.stale is (NOW - max(s.timestamp_ms for s in found) > STALE_AFTER)
    assert current.state is (RoomState.stale if current.stale else RoomState.ok)
    value = room_value(found, NOW, STALE_AFTER)
    assert (value.value, value.timestamp_ms, value.stale) == (
        current.value,
        current.timestamp_ms,
        current.stale,
    )
    assert value.sensors == [(s, NOW - s.timestamp_ms > STALE_AFTER) for s in found]


def test_no_readings_is_no_data() -> None:
    current = current_of([], None, NOW, STALE_AFTER)
    assert (current.value, current.stale, current.state) == (None, True, RoomState.no_data)
