"""The evaluator against the independent computation, on random readings (SQLite)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roomtemp.alerts.rules import AlertRules
from roomtemp.domain import Comfort, Reading, RoomMeta
from roomtemp.listing import AlertsQuery, RoomsQuery
from roomtemp.service import RoomService, ServiceOptions
from roomtemp.storage import open_storage
from tests.alerts.reference import MINUTE, Point, Rules, expected_alerts, expected_state
from tests.support import FakeClock, ms

NOW = ms("2024-03-01T12:00:00Z")
RULES = Rules(stale=5 * MINUTE, for_=4 * MINUTE, lookback=90 * MINUTE)

VALUES = st.sampled_from([17.5, 18.0, 19.0, 21.0, 24.0, 24.5, 27.0, 27.0, 27.0])


@st.composite
def series(draw: st.DrawFn, room: str, sensor: str | None) -> list[Point]:
    """Readings going back from now in steps of whole minutes around the stale-after time (so
    that gaps of exactly it happen), at the edges of minutes or anywhere in them."""
    found = []
    at = NOW + draw(st.integers(-30_000, 30_000))
    for _ in range(draw(st.integers(0, 25))):
        into = draw(st.sampled_from([0, 1, 30_000, 59_999]) | st.integers(0, 59_999))
        found.append(Point(room, sensor, at - at % MINUTE + into, draw(VALUES)))
        at -= draw(st.sampled_from([1, 4, 5, 5, 6])) * MINUTE
    return found


@st.composite
def readings(draw: st.DrawFn) -> list[Point]:
    chosen = draw(
        st.lists(st.sampled_from([None, "s1", "s2"]), min_size=1, max_size=2, unique=True)
    )
    found = [p for sensor in chosen for p in draw(series("a", sensor))]
    found += draw(series("b", "x"))
    unique = {(p.room, p.sensor, p.ts): p for p in found}
    return list(unique.values())


bands = st.sampled_from([(18.0, 24.0), (None, 24.0), (19.0, None), (None, None), (24.0, 24.0)])


async def _evaluate(points: list[Point], band: tuple[float | None, float | None], now: int):  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as folder:
        storage = await open_storage(f"sqlite:///{Path(folder) / 'r.sqlite3'}")
        try:
            await storage.put_room(RoomMeta("a", comfort=Comfort(*band)))
            await storage.write([Reading(p.room, p.sensor, p.ts, p.value) for p in points])
            rules = AlertRules(RULES.stale, RULES.for_, RULES.lookback)
            options = ServiceOptions(stale_after_ms=RULES.stale, alerts=rules)
            service = RoomService(storage, options, FakeClock(now / 1000))
            alerts = await service.alerts(AlertsQuery())
            rooms = (await service.rooms(RoomsQuery())).rooms
            return alerts, rooms
        finally:
            await storage.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    found=readings(),
    band=bands,
    offset=st.integers(0, 59_999),
)
def test_alerts_and_states_equal_the_reference(
    found: list[Point], band: tuple[float | None, float | None], offset: int
) -> None:
    now = NOW + offset
    alerts, rooms = asyncio.run(_evaluate(found, band, now))
    expected = expected_alerts(found, {"a": band}, now, RULES)
    got = [(a.room_id, a.sensor_id, a.kind.value, a.state.value, a.since_ms) for a in alerts]
    assert got == [(e.room, e.sensor, e.kind, e.state, e.since) for e in expected]
    for alert, wanted in zip(alerts, expected, strict=True):
        assert abs(alert.value - wanted.value) < 1e-9
    for view in rooms:
        room_band = band if view.meta.room_id == "a" else (None, None)
        state = expected_state(found, view.meta.room_id, room_band, now, RULES)
        assert (view.current.state.value, view.current.since_ms) == state
