"""Alerts and room states are the same on every backend, and equal an independent computation.

One set of rooms, each a case of the contract (DESIGN.md, Alerts), written with timestamps
relative to an injected clock; the answers are compared to tests/alerts/reference.py and, for
the cases the issue names, to the numbers written out by hand.
"""

from __future__ import annotations

import pytest

from roomtemp.alerts.rules import AlertRules
from roomtemp.domain import Comfort, Reading, RoomMeta, SensorSettings
from roomtemp.listing import AlertsQuery, RoomsQuery
from roomtemp.service import RoomService, ServiceOptions
from roomtemp.storage import Storage
from tests.alerts.reference import MINUTE, Expected, Point, expected_alerts, expected_state
from tests.support import FakeClock, ms

pytestmark = pytest.mark.anyio

NOW = ms("2024-03-01T12:00:00Z")
BAND = (19.0, 24.0)


def every_minute(
    room: str, first: int, last: int, value: float, sensor: str | None = None, second: int = 30
) -> list[Point]:
    """One reading a minute, `second` seconds into minutes first..last before NOW."""
    return [
        Point(room, sensor, NOW - m * MINUTE + second * 1000, value)
        for m in range(first, last - 1, -1)
    ]


CASES: dict[str, list[Point]] = {
    # hot for 30 minutes: firing since 11:30
    "hot-30": every_minute("hot-30", 60, 31, 21.0) + every_minute("hot-30", 30, 1, 26.0),
    # hot for the last 3 minutes: pending since 11:57
    "hot-3": every_minute("hot-3", 30, 4, 21.0) + every_minute("hot-3", 3, 1, 25.0),
    # readings on the minute: one in-band minute at 11:40 breaks the run, so since 11:41
    "broken-minute": [
        p if p.ts != NOW - 20 * MINUTE else Point(p.room, None, p.ts, 22.0)
        for p in every_minute("broken-minute", 40, 1, 26.0, second=0)
    ],
    # hot, then 20 minutes without readings (> stale-after), then hot again from 11:40
    "broken-gap": every_minute("broken-gap", 60, 41, 26.0)
    + every_minute("broken-gap", 20, 1, 26.0),
    # hot readings every 10 minutes (< stale-after): one run since 11:00
    "sparse": [Point("sparse", None, NOW - m * MINUTE + 5_000, 27.0) for m in range(60, 0, -10)],
    # too cold for 20 minutes, reported every 2 minutes by a sensor on the last ms of a minute
    "cold": every_minute("cold", 20, 1, 15.5, "floor", second=59)[::2],
    # exactly on the band's upper edge: inside it (the band is strict)
    "edge": every_minute("edge", 30, 1, 24.0),
    # two sensors disagreeing: minute means 25 (too hot), one sensor alone would say 20
    "disagree": every_minute("disagree", 15, 1, 30.0, "window")
    + every_minute("disagree", 15, 1, 20.0, "door", second=10),
    # one sensor went quiet 20 minutes ago: silent (the room stays ok on the other one)
    "quiet": every_minute("quiet", 40, 20, 21.0, "a") + every_minute("quiet", 40, 1, 21.0, "b"),
    # every sensor quiet: stale, and both silent
    "stale": every_minute("stale", 60, 30, 30.0, "a") + every_minute("stale", 60, 25, 30.0, "b"),
    # hot but without a band: no room alert
    "no-band": every_minute("no-band", 30, 1, 40.0),
}
BANDS = {room: BAND for room in CASES if room != "no-band"}


async def _service(storage: Storage, rules: AlertRules | None = None) -> RoomService:
    for room, band in BANDS.items():
        await storage.put_room(RoomMeta(room, comfort=Comfort(*band)))
    points = [p for case in CASES.values() for p in case]
    await storage.write([Reading(p.room, p.sensor, p.ts, p.value) for p in points])
    options = ServiceOptions(alerts=rules or AlertRules())
    return RoomService(storage, options, FakeClock(NOW / 1000))


def _as_expected(alert: object) -> Expected:
    return Expected(
        alert.room_id,
        alert.sensor_id,
        alert.kind.value,
        alert.state.value,  # type: ignore[attr-defined]
        alert.since_ms,
        alert.value,
        alert.threshold,  # type: ignore[attr-defined]
    )


async def test_alerts_match_the_reference_and_the_cases(storage: Storage) -> None:
    service = await _service(storage)
    found = [_as_expected(a) for a in await service.alerts(AlertsQuery())]
    points = [p for case in CASES.values() for p in case]
    expected = expected_alerts(points, BANDS, NOW)
    assert [(a.room, a.sensor, a.kind, a.state, a.since, a.threshold) for a in found] == [
        (e.room, e.sensor, e.kind, e.state, e.since, e.threshold) for e in expected
    ]
    assert [a.value for a in found] == pytest.approx([e.value for e in expected], rel=1e-9)
    by_room = {(a.room, a.sensor): a for a in found}
    at = ms  # the hand-written times below
    assert by_room[("hot-30", None)].since == at("2024-03-01T11:30:00Z")
    assert by_room[("hot-30", None)].state == "firing"
    assert by_room[("hot-3", None)].since == at("2024-03-01T11:57:00Z")
    assert by_room[("hot-3", None)].state == "pending"
    assert by_room[("broken-minute", None)].since == at("2024-03-01T11:41:00Z")
    assert by_room[("broken-gap", None)].since == at("2024-03-01T11:40:00Z")
    assert by_room[("sparse", None)].since == at("2024-03-01T11:00:00Z")
    assert (by_room[("cold", None)].kind, by_room[("cold", None)].threshold) == ("too_cold", 19.0)
    assert by_room[("disagree", None)].value == pytest.approx(25.0)
    assert ("edge", None) not in by_room
    assert ("no-band", None) not in by_room
    assert by_room[("quiet", "a")].since == at("2024-03-01T11:40:30Z")
    assert {s for r, s in by_room if r == "stale"} == {"a", "b"}


async def test_room_states_match_the_reference(storage: Storage) -> None:
    service = await _service(storage)
    page = await service.rooms(RoomsQuery())
    points = [p for case in CASES.values() for p in case]
    found = {v.meta.room_id: (v.current.state.value, v.current.since_ms) for v in page.rooms}
    expected = {
        room: expected_state(points, room, BANDS.get(room, (None, None)), NOW) for room in CASES
    }
    assert found == expected
    assert found["stale"] == ("stale", ms("2024-03-01T11:35:30Z") + 15 * MINUTE)
    hot = await service.rooms(RoomsQuery(states=frozenset({"too_hot"}), limit=2))  # type: ignore[arg-type]
    assert [v.meta.room_id for v in hot.rooms] == ["broken-gap", "broken-minute"]


async def test_a_default_band_applies_to_rooms_without_one(storage: Storage) -> None:
    service = await _service(storage, AlertRules(default_comfort=Comfort(None, 30.0)))
    alerts = await service.alerts(AlertsQuery(room_id="no-band"))
    assert [(a.kind.value, a.threshold, a.since_ms) for a in alerts] == [
        ("too_hot", 30.0, NOW - 30 * MINUTE)
    ]


async def test_episodes_are_the_runs_of_the_range(storage: Storage) -> None:
    service = await _service(storage)
    episodes = await service.episodes("broken-gap", NOW - 2 * 60 * MINUTE, NOW)
    assert [(e.kind.value, e.start_ms, e.end_ms, e.peak) for e in episodes] == [
        ("too_hot", NOW - 60 * MINUTE, NOW - 40 * MINUTE, 26.0),
        ("silent", NOW - 41 * MINUTE + 30_000, NOW - 20 * MINUTE + 30_000, None),
        ("too_hot", NOW - 20 * MINUTE, None, 26.0),
    ]
    # a range starting inside a run shows the run's real start; one ending earlier, its end
    later = await service.episodes("hot-30", NOW - 10 * MINUTE, NOW - 5 * MINUTE)
    assert [(e.start_ms, e.end_ms) for e in later] == [(NOW - 30 * MINUTE, NOW - 5 * MINUTE)]
    quiet = await service.episodes("quiet", NOW - 60 * MINUTE, NOW)
    assert [(e.kind.value, e.sensor_id, e.start_ms, e.end_ms) for e in quiet] == [
        ("silent", "a", NOW - 20 * MINUTE + 30_000, None)
    ]


async def test_a_sensor_is_silent_after_three_expected_intervals(storage: Storage) -> None:
    # written out from the rule: stale-after is 15 min; "fast" expects a reading a minute and
    # has been quiet 5 min (> 3 min): silent; "slow" expects one every 10 min and has been quiet
    # 20 min (< 30 min), its longest gap 30 min (not above): never silent, though the
    # stale-after time alone would say so
    readings = [Reading("lab", "fast", NOW - m * MINUTE, 21.0) for m in (7, 6, 5)]
    readings += [Reading("lab", "slow", NOW - m * MINUTE, 21.0) for m in (60, 50, 20)]
    readings += [Reading("lab", "plain", NOW - 16 * MINUTE, 21.0)]
    await storage.write(readings)
    await storage.put_sensor("lab", SensorSettings("fast", None, MINUTE))
    await storage.put_sensor("lab", SensorSettings("slow", 0.5, 10 * MINUTE))
    service = RoomService(storage, ServiceOptions(), FakeClock(NOW / 1000))
    found = await service.alerts(AlertsQuery(room_id="lab"))
    assert [(a.sensor_id, a.kind.value, a.since_ms) for a in found] == [
        ("fast", "silent", NOW - 5 * MINUTE),
        ("plain", "silent", NOW - 16 * MINUTE),
    ]
    episodes = await service.episodes("lab", NOW - 2 * 60 * MINUTE, NOW)
    assert [(e.sensor_id, e.start_ms, e.end_ms) for e in episodes] == [
        ("plain", NOW - 16 * MINUTE, None),
        ("fast", NOW - 5 * MINUTE, None),
    ]
