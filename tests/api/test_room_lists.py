"""The rooms list: state and text filters, cursor paging; the alert lists' filters; bad filters."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import NOW_MS

MIN = 60_000


def test_pages_cover_every_room_once_in_order(client: TestClient) -> None:
    rooms = [f"room-{i:03d}" for i in range(23)]
    readings = [{"room_id": room, "value": 21.0, "timestamp": NOW_MS / 1000 - 60} for room in rooms]
    assert client.post("/api/v1/readings", json=readings).status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "5", **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/rooms", params=params).json()
        seen += [room["room_id"] for room in page["rooms"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["rooms"]) == 5
    assert seen == rooms


def test_state_and_text_filters(client: TestClient) -> None:
    band = {"comfort": {"min_celsius": 19, "max_celsius": 24}}
    client.put(
        "/api/v1/rooms/boiler", json={**band, "name": "Boiler room", "labels": {"wing": "East"}}
    )
    client.put("/api/v1/rooms/office", json={**band, "name": "Office"})
    client.put("/api/v1/rooms/empty", json=band)
    for room, value in (("boiler", 30.0), ("office", 21.0)):
        items = [{"value": value, "timestamp": (NOW_MS - k * MIN) / 1000} for k in range(1, 4)]
        assert client.post(f"/api/v1/rooms/{room}/readings", json=items).status_code == 201

    def ids(**params: str) -> list[str]:
        answer = client.get("/api/v1/rooms", params=params)
        assert answer.status_code == 200, answer.text
        return [room["room_id"] for room in answer.json()["rooms"]]

    assert ids(state="too_hot") == ["boiler"]
    assert ids(state="ok,no_data") == ["empty", "office"]
    assert ids(q="EAST") == ["boiler"]  # a label value, any case
    assert ids(q="offi") == ["office"]  # the name
    assert ids(q="pty") == ["empty"]  # the id
    hot = client.get("/api/v1/rooms/boiler").json()["current"]
    assert (hot["state"], hot["value"]) == ("too_hot", 30.0)
    assert hot["state_since"] == "2024-03-01T11:57:00.000Z"
    alerts = client.get("/api/v1/alerts", params={"kind": "too_hot", "state": "pending"}).json()
    assert [(a["room_id"], a["since"]) for a in alerts["alerts"]] == [
        ("boiler", "2024-03-01T11:57:00.000Z")
    ]
    fahrenheit = client.get("/api/v1/alerts", params={"room": "boiler", "unit": "F"}).json()
    assert fahrenheit["alerts"][0]["threshold"] == pytest.approx(75.2)
    assert client.get("/api/v1/alerts", params={"state": "firing"}).json() == {"alerts": []}


@pytest.mark.parametrize(
    ("path", "name", "allowed"),
    [
        ("/api/v1/rooms", "state", "no_data, stale, too_cold, too_hot, ok"),
        ("/api/v1/alerts", "state", "pending, firing"),
        ("/api/v1/alerts", "kind", "too_hot, too_cold, silent"),
    ],
)
def test_an_unknown_filter_value_is_a_422_listing_the_allowed_ones(
    client: TestClient, path: str, name: str, allowed: str
) -> None:
    answer = client.get(path, params={name: "ok,warm"})
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    assert problem["loc"] == ["query", name]
    assert "'warm'" in problem["msg"]
    assert allowed in problem["msg"]


def test_a_cursor_that_was_not_given_out_is_a_422(client: TestClient) -> None:
    answer = client.get("/api/v1/rooms", params={"cursor": "not-a-cursor"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_episodes_of_an_unknown_room_are_a_404(client: TestClient) -> None:
    assert client.get("/api/v1/rooms/ghost/alerts").status_code == 404
