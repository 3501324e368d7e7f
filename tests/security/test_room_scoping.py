"""Tokens limited to rooms by glob: they see, list, aggregate and write only their rooms."""

from __future__ import annotations

import pytest

from tests.conftest import NOW_MS
from tests.security.conftest import Secured
from tests.support import iso

ROOMS = {"floor2-a": 20.0, "floor2-b": 22.0, "kitchen": 30.0, "lab-a": 18.0, "lab-c": 26.0}
SPAN = {"start": iso(NOW_MS - 3_600_000), "end": iso(NOW_MS + 1)}


@pytest.fixture
def populated(secured: Secured) -> Secured:
    admin = secured.auth("admin")
    for room, value in ROOMS.items():
        reading = {"value": value, "timestamp": iso(NOW_MS - 60_000)}
        answer = secured.client.post(f"/api/v1/rooms/{room}/readings", json=reading, headers=admin)
        assert answer.status_code == 201
    return secured


def test_room_list_holds_only_matching_rooms(populated: Secured) -> None:
    answer = populated.client.get("/api/v1/rooms", headers=populated.auth("read_floor2"))
    assert [room["room_id"] for room in answer.json()["rooms"]] == ["floor2-a", "floor2-b"]
    everything = populated.client.get("/api/v1/rooms", headers=populated.auth("read"))
    assert [room["room_id"] for room in everything.json()["rooms"]] == sorted(ROOMS)


def test_cross_room_stats_hold_only_matching_rooms(populated: Secured) -> None:
    answer = populated.client.get(
        "/api/v1/stats", params=SPAN, headers=populated.auth("read_write_floor2")
    )
    found = {room["room_id"]: room["mean"] for room in answer.json()["rooms"]}
    assert found == {"floor2-a": 20.0, "floor2-b": 22.0, "lab-a": 18.0}


def test_metrics_expose_only_matching_rooms(populated: Secured) -> None:
    answer = populated.client.get("/metrics", headers=populated.auth("read_floor2"))
    gauges = [
        line for line in answer.text.splitlines() if line.startswith("room_temperature_celsius{")
    ]
    assert len(gauges) == 2
    assert all('room="floor2-' in line for line in gauges)


@pytest.mark.parametrize(
    "path", ["", "/temperature", "/readings", "/stats"], ids=["room", "temp", "raw", "stats"]
)
def test_other_rooms_are_refused_whether_or_not_they_exist(populated: Secured, path: str) -> None:
    headers = populated.auth("read_floor2")
    mine = populated.client.get(f"/api/v1/rooms/floor2-a{path}", params=SPAN, headers=headers)
    assert mine.status_code == 200
    existing = populated.client.get(f"/api/v1/rooms/kitchen{path}", params=SPAN, headers=headers)
    absent = populated.client.get(f"/api/v1/rooms/nowhere{path}", params=SPAN, headers=headers)
    assert existing.status_code == absent.status_code == 403
    assert "kitchen" in existing.json()["detail"]


def test_a_batch_touching_another_room_stores_nothing(populated: Secured) -> None:
    headers = populated.auth("read_write_floor2")
    batch = [
        {"room_id": "floor2-a", "value": 21.0, "timestamp": iso(NOW_MS - 1000)},
        {"room_id": "lab-b", "value": 21.0, "timestamp": iso(NOW_MS - 1000)},
        {"room_id": "lab-c", "value": 21.0, "timestamp": iso(NOW_MS - 1000)},
    ]
    answer = populated.client.post("/api/v1/readings", json=batch, headers=headers)
    assert answer.status_code == 403
    assert "'lab-c'" in answer.json()["detail"]
    admin = populated.auth("admin")
    for room in ("floor2-a", "lab-c"):
        raw = populated.client.get(f"/api/v1/rooms/{room}/readings", params=SPAN, headers=admin)
        assert len(raw.json()["readings"]) == 1, room
    assert populated.client.get("/api/v1/rooms/lab-b", headers=admin).status_code == 404
    ok = populated.client.post("/api/v1/readings", json=batch[:2], headers=headers)
    assert ok.json() == {"accepted": 2, "duplicates": 0}


def test_a_room_limited_csv_batch_is_checked_too(populated: Secured) -> None:
    body = "room_id,value\nfloor2-a,21\nkitchen,21\n"
    answer = populated.client.post(
        "/api/v1/readings",
        content=body,
        headers={**populated.auth("read_write_floor2"), "Content-Type": "text/csv"},
    )
    assert answer.status_code == 403


def test_a_room_limited_line_protocol_write_of_one_series_is_checked_too(
    populated: Secured,
) -> None:
    """A body of one series key takes the line protocol's column path: its room is checked."""
    headers = {**populated.auth("read_write_floor2"), "Content-Type": "text/plain"}
    seconds = NOW_MS // 1000 - 30

    def body(room: str) -> bytes:
        return "".join(f"t,room={room} value={20 + i} {seconds + i}\n" for i in range(3)).encode()

    refused = populated.client.post(
        "/api/v2/write", params={"precision": "s"}, content=body("kitchen"), headers=headers
    )
    assert refused.status_code == 403
    assert "kitchen" in refused.text
    admin = populated.auth("admin")
    raw = populated.client.get("/api/v1/rooms/kitchen/readings", params=SPAN, headers=admin)
    assert len(raw.json()["readings"]) == 1  # the one seeded, nothing more
    written = populated.client.post(
        "/api/v2/write", params={"precision": "s"}, content=body("floor2-b"), headers=headers
    )
    assert written.status_code == 204
    raw = populated.client.get("/api/v1/rooms/floor2-b/readings", params=SPAN, headers=admin)
    assert len(raw.json()["readings"]) == 4
