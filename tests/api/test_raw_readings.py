"""Raw readings: range, order, cursor pagination, sensor filter, units, CSV with a Link header."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from tests.support import iso, ms

T0 = ms("2024-03-01T00:00:00Z")
URL = "/api/v1/rooms/lab/readings"


def load(client: TestClient) -> list[tuple[int, str | None, float]]:
    rows = [(T0 + (i // 3) * 60_000, [None, "a", "b"][i % 3], 15 + i / 10) for i in range(60)]
    items = [{"value": v, "timestamp": t / 1000, "sensor_id": s} for t, s, v in rows]
    assert client.post(URL, json=items).status_code == 201
    return sorted(rows, key=lambda r: (r[0], r[1] or ""))


def test_pages_walk_every_reading_once_in_order(client: TestClient) -> None:
    rows = load(client)
    params = {"start": iso(T0), "end": iso(T0 + 3_600_000), "limit": 7}
    seen = []
    while True:
        page = client.get(URL, params=params).json()
        seen += page["readings"]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [{"timestamp": iso(t), "value": v, "sensor_id": s} for t, s, v in rows]


def test_range_is_half_open_and_sensor_filter_and_unit(client: TestClient) -> None:
    rows = load(client)
    params = {"start": T0 / 1000 + 60, "end": T0 / 1000 + 180, "sensor_id": "a", "unit": "K"}
    got = client.get(URL, params=params).json()["readings"]
    expected = [(t, v + 273.15) for t, s, v in rows if s == "a" and T0 + 60_000 <= t < T0 + 180_000]
    assert [(r["timestamp"], r["value"]) for r in got] == [(iso(t), v) for t, v in expected]


def test_csv_format_with_link_to_next_page(client: TestClient) -> None:
    rows = load(client)
    answer = client.get(
        URL, params={"start": iso(T0), "format": "csv", "limit": 50, "end": iso(T0 + 3_600_000)}
    )
    assert answer.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(answer.text)))
    assert table[0] == ["room_id", "sensor_id", "timestamp", "value"]
    assert table[1:] == [["lab", s or "", iso(t), repr(v)] for t, s, v in rows[:50]]
    link = answer.headers["link"]
    assert link.endswith('>; rel="next"')
    rest = client.get(link[1 : link.index(">")])
    assert len(list(csv.reader(io.StringIO(rest.text)))) == 1 + 10
    assert "link" not in rest.headers


def test_bad_query_parameters_are_422(client: TestClient) -> None:
    load(client)
    cases = {
        "cursor": {"cursor": "not-a-cursor"},
        "start": {"start": "2024-03-02T00:00:00Z", "end": "2024-03-01T00:00:00Z"},
        "limit": {"limit": 10_001},
        "format": {"format": "xml"},
        "unit": {"unit": "rankine"},
        "sensor_id": {"sensor_id": "BAD"},
    }
    for name, params in cases.items():
        answer = client.get(URL, params=params)
        assert answer.status_code == 422, name
        assert answer.json()["detail"][0]["loc"] == ["query", name]


def test_default_range_is_the_last_24_hours(client: TestClient) -> None:
    now = ms("2024-03-01T12:00:00Z")
    items = [{"value": 20.0, "timestamp": (now - h * 3_600_000) / 1000} for h in (0, 1, 23, 24, 25)]
    client.post(URL, json=items)
    got = client.get(URL).json()["readings"]
    assert [r["timestamp"] for r in got] == [iso(now - h * 3_600_000) for h in (24, 23, 1)]
