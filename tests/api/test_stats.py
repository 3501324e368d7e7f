"""Stats per bucket and across rooms, checked against a plain-Python reference."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from tests.support import FakeClock, close, iso, ms, reference_buckets

T0 = ms("2024-03-01T00:00:00Z")
HOUR = 3_600_000
URL = "/api/v1/rooms/lab/stats"


def push(
    client: TestClient, points: list[tuple[int, float, str | None]], room: str = "lab"
) -> None:
    items = [{"value": v, "timestamp": t / 1000, "sensor_id": s} for t, v, s in points]
    answer = client.post(f"/api/v1/rooms/{room}/readings", json=items)
    assert answer.status_code == 201, answer.text[:300]


def assert_buckets(answer: dict[str, Any], expected: list[Any]) -> None:
    got = answer["buckets"]
    assert [(b["start"], b["end"], b["count"]) for b in got] == [
        (iso(e.start_ms), iso(e.end_ms), e.count) for e in expected
    ]
    for b, e in zip(got, expected, strict=True):
        assert close(b["mean"], e.mean)
        assert b["min"] == e.minimum
        assert b["max"] == e.maximum


def test_hourly_buckets_with_partial_edges(client: TestClient) -> None:
    points = [(T0 + i * 600_000, 20.0 + (i % 7) / 4, None) for i in range(30)]
    push(client, points)
    start, end = T0 + 1_800_000, T0 + 4 * HOUR + 900_000
    answer = client.get(URL, params={"start": iso(start), "end": iso(end), "step": "1h"}).json()
    edges = list(range(T0, T0 + 6 * HOUR, HOUR))
    expected = reference_buckets([(t, v) for t, v, _ in points], start, end, edges)
    assert_buckets(answer, expected)
    assert answer["step"] == "1h"
    assert (answer["start"], answer["end"]) == (iso(start), iso(end))
    total = [v for t, v, _ in points if start <= t < end]
    assert answer["summary"]["count"] == len(total)
    assert close(answer["summary"]["mean"], sum(total) / len(total))
    assert (answer["summary"]["min"], answer["summary"]["max"]) == (min(total), max(total))


def test_no_step_is_one_bucket_of_the_whole_range(client: TestClient) -> None:
    push(client, [(T0, 10.0, "a"), (T0 + 1000, 20.0, "b"), (T0 + 5000, 40.0, "a")])
    answer = client.get(URL, params={"start": iso(T0), "end": iso(T0 + 5000)}).json()
    assert answer["buckets"] == [
        {
            "start": iso(T0),
            "end": iso(T0 + 5000),
            "mean": 15.0,
            "min": 10.0,
            "max": 20.0,
            "count": 2,
            # a holds 10.0 for 5 s (to the end), b 20.0 for 4 s; every moment is held
            "mean_time_weighted": (10.0 * 5 + 20.0 * 4) / 9,
            "coverage": 1.0,
        }
    ]
    assert answer["step"] == "5s"


def test_units_convert_every_number(client: TestClient) -> None:
    push(client, [(T0, 10.0, None), (T0 + 1000, 20.0, None)])
    answer = client.get(URL, params={"start": iso(T0), "end": iso(T0 + HOUR), "unit": "F"}).json()
    assert answer["unit"] == "fahrenheit"
    held_celsius = (10.0 * 1 + 20.0 * 900) / 901  # 10.0 for 1 s, 20.0 until stale (15 min)
    assert answer["summary"] == {
        "mean": 59.0,
        "min": 50.0,
        "max": 68.0,
        "count": 2,
        "mean_time_weighted": pytest.approx(held_celsius * 9 / 5 + 32, rel=1e-12),
        "coverage": pytest.approx(901 / 3600, rel=1e-12),
    }


def test_empty_range_has_no_buckets(client: TestClient) -> None:
    push(client, [(T0, 10.0, None)])
    answer = client.get(
        URL, params={"start": iso(T0 + HOUR), "end": iso(T0 + 2 * HOUR), "step": "10m"}
    ).json()
    assert answer["buckets"] == []
    assert answer["summary"] == {
        "mean": None,
        "min": None,
        "max": None,
        "count": 0,
        "mean_time_weighted": None,
        "coverage": 0.0,  # the reading before the range went stale before it began
    }


@pytest.mark.parametrize(
    ("start", "end", "lengths"),
    [
        ("2024-03-29T00:00:00Z", "2024-04-02T00:00:00Z", [24, 24, 23, 24, 24]),  # spring forward
        ("2024-10-25T12:00:00Z", "2024-10-29T00:00:00Z", [24, 24, 25, 24, 24]),  # fall back
    ],
)
def test_local_days_across_dst(
    client: TestClient, clock: FakeClock, start: str, end: str, lengths: list[int]
) -> None:
    clock.now = ms(end) / 1000
    paris = ZoneInfo("Europe/Paris")
    points = [(t, 15.0 + (t // HOUR) % 11, None) for t in range(ms(start) - HOUR, ms(end), HOUR)]
    push(client, points)
    answer = client.get(
        URL, params={"start": start, "end": end, "step": "1d", "tz": "Europe/Paris"}
    ).json()
    first = datetime.fromtimestamp(ms(start) / 1000, paris).date()
    edges = [
        int(
            datetime.combine(first + timedelta(days=k), datetime.min.time(), paris).timestamp()
            * 1000
        )
        for k in range(len(lengths) + 1)
    ]
    assert [(e - s) // HOUR for s, e in itertools.pairwise(edges)] == lengths
    expected = reference_buckets([(t, v) for t, v, _ in points], ms(start), ms(end), edges)
    assert_buckets(answer, expected)


def test_tz_does_not_change_sub_day_steps(client: TestClient) -> None:
    push(client, [(T0 + 10 * 60_000, 10.0, None)])
    params = {"start": iso(T0), "end": iso(T0 + 2 * HOUR), "step": "1h", "tz": "Asia/Kolkata"}
    answer = client.get(URL, params=params).json()
    assert answer["buckets"][0]["start"] == iso(T0)


def test_cross_room_stats(client: TestClient) -> None:
    push(client, [(T0, 10.0, None), (T0 + HOUR, 20.0, "x")], "a")
    push(client, [(T0, 5.0, None), (T0 + 3 * HOUR, 50.0, None)], "b")
    client.put("/api/v1/rooms/c", json={"building": "annex"})
    client.put("/api/v1/rooms/a", json={"building": "hq"})
    answer = client.get("/api/v1/stats", params={"start": iso(T0), "end": iso(T0 + 2 * HOUR)})
    assert answer.json() == {
        "rooms": [
            {"room_id": "a", "mean": 15.0, "min": 10.0, "max": 20.0, "count": 2},
            {"room_id": "b", "mean": 5.0, "min": 5.0, "max": 5.0, "count": 1},
            {"room_id": "c", "mean": None, "min": None, "max": None, "count": 0},
        ]
    }
    hq = client.get(
        "/api/v1/stats", params={"start": iso(T0), "end": iso(T0 + 2 * HOUR), "building": "hq"}
    ).json()
    assert [r["room_id"] for r in hq["rooms"]] == ["a"]


@pytest.mark.parametrize(
    ("params", "name", "message"),
    [
        ({"step": "1x"}, "step", "not valid"),
        ({"step": "0s"}, "step", "positive"),
        ({"step": "-5"}, "step", "positive"),
        (
            {"step": "1s", "start": "2024-01-01T00:00:00Z", "end": "2024-03-01T00:00:00Z"},
            "step",
            "more than the limit of 11000",
        ),
        ({"tz": "Mars/Olympus"}, "tz", "unknown time zone"),
        ({"start": "2024-03-02T00:00:00Z", "end": "2024-03-02T00:00:00Z"}, "start", "before end"),
        ({"end": "2024-03-02T00:00:00"}, "end", "no UTC offset"),
        ({"unit": "X"}, "unit", "unknown unit"),
    ],
)
def test_bad_stats_queries_are_422(
    client: TestClient, params: dict[str, str], name: str, message: str
) -> None:
    push(client, [(T0, 10.0, None)])
    answer = client.get(URL, params=params)
    assert answer.status_code == 422
    problem = answer.json()["detail"][0]
    assert problem["loc"] == ["query", name]
    assert message in problem["msg"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    points=st.dictionaries(
        st.tuples(st.integers(0, 3 * 86_400_000 - 1), st.sampled_from([None, "a", "b"])),
        st.floats(-50, 90, allow_nan=False).map(lambda v: round(v, 4)),
        min_size=1,
        max_size=120,
    ),
    start=st.integers(0, 86_400_000),
    length=st.integers(1, 2 * 86_400_000),
    step=st.sampled_from([1000, 61_000, 900_000, HOUR, 7_200_000, 5_400_000, 86_400_000]),
)
def test_stats_equal_a_plain_python_reference(
    tmp_path_factory: pytest.TempPathFactory,
    points: dict[tuple[int, str | None], float],
    start: int,
    length: int,
    step: int,
) -> None:
    path = tmp_path_factory.mktemp("prop") / "db.sqlite3"
    app = create_app(
        Settings(storage=f"sqlite:///{path}", max_buckets=200_000),
        clock=FakeClock(T0 / 1000 + 10 * 86_400),
    )
    with TestClient(app) as client:
        push(client, [(T0 + t, v, s) for (t, s), v in points.items()])
        start_ms, end_ms = T0 + start, T0 + start + length
        if (end_ms - start_ms) // step > 5000:
            step = 86_400_000
        answer = client.get(
            URL, params={"start": start_ms / 1000, "end": end_ms / 1000, "step": f"{step}ms"}
        ).json()
    first = start_ms // step * step
    edges = list(range(first, end_ms + step, step))
    expected = reference_buckets(
        [(T0 + t, v) for (t, _), v in points.items()], start_ms, end_ms, edges
    )
    assert_buckets(answer, expected)
