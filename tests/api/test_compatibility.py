"""Regression tests of issue 13's findings: compressed and mistyped bodies, units and ids as
DESIGN states them, and the hostile-input leftovers (tz, Host in Link, HEAD, what a 409 tells)."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.conftest import NOW_MS
from tests.security.conftest import Secured, secured_app
from tests.support import FakeClock, iso

RANGE = {"start": iso(NOW_MS - 3_600_000), "end": iso(NOW_MS + 60_000)}
T = iso(NOW_MS - 60_000)


def _stored(client: TestClient, room: str) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/rooms/{room}/readings", params=RANGE).json()["readings"]


CSV = f"room_id,value,timestamp\nlab,20.5,{T}\n".encode()
NDJSON = orjson.dumps({"room_id": "lab", "value": 20.5, "timestamp": T}) + b"\n"
JSON = orjson.dumps([{"room_id": "lab", "value": 20.5, "timestamp": T}])
BODIES = [("application/json", JSON), ("text/csv", CSV), ("application/x-ndjson", NDJSON)]


def _deflate(data: bytes, wbits: int) -> bytes:
    compressor = zlib.compressobj(wbits=wbits)
    return compressor.compress(data) + compressor.flush()


ENCODINGS = {
    "gzip": gzip.compress,
    "deflate": lambda data: _deflate(data, zlib.MAX_WBITS),
    "raw-deflate": lambda data: _deflate(data, -zlib.MAX_WBITS),
}


@pytest.mark.parametrize(("media", "body"), BODIES)
@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_every_body_format_takes_gzip_and_deflate(
    client: TestClient, media: str, body: bytes, encoding: str
) -> None:
    header = "deflate" if encoding == "raw-deflate" else encoding
    headers = {"Content-Type": media, "Content-Encoding": header}
    answer = client.post("/api/v1/readings", content=ENCODINGS[encoding](body), headers=headers)
    assert answer.status_code == 201, answer.text
    assert _stored(client, "lab") == [{"timestamp": T, "value": 20.5, "sensor_id": None}]


def test_a_zip_bomb_is_413_and_cut_off_at_the_limit(tmp_path: Path, client: TestClient) -> None:
    bomb = gzip.compress(b"[" + b" " * (100 * 1024 * 1024) + b"]")
    assert len(bomb) < 200_000
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    answer = client.post("/api/v1/readings", content=bomb, headers=headers)
    assert answer.status_code == 413
    assert "decompresses to more than the limit of 8388608 bytes" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("headers", "status", "words"),
    [
        ({"Content-Encoding": "gzip"}, 422, "not valid gzip"),
        ({"Content-Encoding": "br"}, 415, "gzip, deflate or identity"),
        ({"Content-Type": "text/plain"}, 415, "application/json, text/csv"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/x-ndjson"),
    ],
)
def test_a_body_the_route_cannot_take_is_named(
    client: TestClient, headers: dict[str, str], status: int, words: str
) -> None:
    answer = client.post("/api/v1/readings", content=JSON, headers=headers)
    assert answer.status_code == status
    assert words in str(answer.json()["detail"])
    assert client.get("/api/v1/rooms/lab").status_code == 404


def test_a_csv_body_under_the_room_path_needs_no_room_column(client: TestClient) -> None:
    body = client.app.openapi()["paths"]["/api/v1/rooms/{room}/readings"]["post"]  # type: ignore[attr-defined]
    example = body["requestBody"]["content"]["text/csv"]["example"]
    answer = client.post(
        "/api/v1/rooms/kitchen/readings", content=example, headers={"Content-Type": "text/csv"}
    )
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    ("unit", "celsius"),
    [("°C", 20.0), ("°c", 20.0), ("°F", (20.0 - 32) * 5 / 9), ("°f", (20.0 - 32) * 5 / 9)],
)
def test_degree_sign_units_in_any_case(client: TestClient, unit: str, celsius: float) -> None:
    reading = {"value": 20.0, "unit": unit, "timestamp": T}
    assert client.post("/api/v1/rooms/kitchen/readings", json=reading).status_code == 201
    assert _stored(client, "kitchen")[0]["value"] == pytest.approx(celsius, rel=1e-12)


@pytest.mark.parametrize(
    "reading",
    [
        {"room_id": "kitchen\n", "value": 20},
        {"room_id": "kitchen", "sensor_id": "wall\n", "value": 20},
    ],
)
def test_ids_with_a_final_newline_are_refused(client: TestClient, reading: dict[str, Any]) -> None:
    answer = client.post("/api/v1/readings", json=[reading])
    assert answer.status_code == 422
    assert "invalid" in answer.text
    assert client.get("/api/v1/rooms").json()["rooms"] == []


def test_a_path_room_with_a_final_newline_is_refused(client: TestClient) -> None:
    assert client.post("/api/v1/rooms/kitchen%0A/readings", json={"value": 20}).status_code == 422
    pushed = client.put(
        "/metrics/job/j/room@base64/a2l0Y2hlbgo", content=b"room_temperature_celsius 20\n"
    )
    assert pushed.status_code == 422
    assert client.get("/api/v1/rooms").json()["rooms"] == []


@pytest.mark.parametrize("zone", ["Europe", "x" * 256, "../../etc/passwd", "Europe/"])
def test_a_time_zone_that_is_no_zone_is_422(client: TestClient, zone: str) -> None:
    assert client.post("/api/v1/rooms/kitchen/readings", json={"value": 20}).status_code == 201
    answer = client.get("/api/v1/rooms/kitchen/stats", params={**RANGE, "step": "1d", "tz": zone})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "tz"]


def test_link_headers_do_not_repeat_the_host_header(client: TestClient) -> None:
    readings = [{"value": 20 + k, "timestamp": iso(NOW_MS - 60_000 * k)} for k in range(3)]
    assert client.post("/api/v1/rooms/kitchen/readings", json=readings).status_code == 201
    answer = client.get(
        "/api/v1/rooms/kitchen/readings",
        params={**RANGE, "format": "csv", "limit": 1},
        headers={"Host": "evil.example"},
    )
    link = answer.headers["link"]
    assert link.startswith("</api/v1/rooms/kitchen/readings?")
    assert "evil.example" not in link


@pytest.mark.parametrize(
    "path", ["/healthz", "/readyz", "/api/v1/rooms", "/metrics", "/openapi.json", "/docs", "/"]
)
def test_head_answers_wherever_get_does(client: TestClient, path: str) -> None:
    got = client.get(path)
    head = client.head(path)
    assert (head.status_code, head.content) == (got.status_code, b"")
    assert head.headers["content-type"] == got.headers["content-type"]


def test_head_is_counted_as_head_under_its_route(client: TestClient) -> None:
    client.head("/api/v1/rooms")
    client.head("/api/v1/rooms")
    client.get("/api/v1/rooms")
    exported = client.get("/metrics").text
    head = 'roomtemp_http_requests_total{code="200",method="HEAD",route="/api/v1/rooms"} 2.0'
    get = 'roomtemp_http_requests_total{code="200",method="GET",route="/api/v1/rooms"} 1.0'
    assert head in exported
    assert get in exported


def test_head_of_an_unknown_room_is_404(client: TestClient) -> None:
    assert client.head("/api/v1/rooms/nowhere").status_code == 404


@pytest.fixture
def secured(tmp_path: Path, clock: FakeClock) -> Iterator[Secured]:
    yield from secured_app(tmp_path, clock)


def test_a_409_shows_the_stored_value_only_to_readers(secured: Secured) -> None:
    client = secured.client
    first = {"value": 20.125, "timestamp": T}
    pushed = client.post(
        "/api/v1/rooms/kitchen/readings", json=first, headers=secured.auth("admin")
    )
    assert pushed.status_code == 201
    clash = {"value": 21.0, "timestamp": T}
    blind = client.post("/api/v1/rooms/kitchen/readings", json=clash, headers=secured.auth("write"))
    assert blind.status_code == 409
    assert "20.125" not in blind.text
    assert "'kitchen'" in blind.json()["detail"]
    seeing = client.post(
        "/api/v1/rooms/kitchen/readings", json=clash, headers=secured.auth("admin")
    )
    assert seeing.status_code == 409
    assert "20.125" in seeing.json()["detail"]
    reader_writer = {"Authorization": f"Bearer {secured.tokens['read_write_floor2']}"}
    assert (
        client.post(
            "/api/v1/rooms/floor2-a/readings", json=first, headers=reader_writer
        ).status_code
        == 201
    )
    other = client.post("/api/v1/rooms/floor2-a/readings", json=clash, headers=reader_writer)
    assert "20.125" in other.json()["detail"]


def test_the_openapi_document_names_its_schemas(client: TestClient) -> None:
    document = client.app.openapi()  # type: ignore[attr-defined]
    schemas = document["components"]["schemas"]
    assert {"ReadingIn", "Error", "InfluxError", "HTTPValidationError"} <= set(schemas)
    push = document["paths"]["/api/v1/rooms/{room}/readings"]["post"]
    content = push["requestBody"]["content"]
    assert content["application/json"]["schema"]["oneOf"][0] == {
        "$ref": "#/components/schemas/ReadingIn"
    }
    assert {"text/csv", "application/x-ndjson"} <= set(content)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "x-required-scope" in operation:
                assert "503" in operation["responses"], (method, path)
            for status, answer in operation["responses"].items():
                if status[0] in "45":
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref.rsplit("/", 1)[1] in schemas, (method, path, status)
