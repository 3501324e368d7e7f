"""prometheus_client's Pushgateway functions against a real `roomtemp serve`, each call also
made to a real Pushgateway (Debian's prometheus-pushgateway): what the Pushgateway accepts,
roomtemp accepts, and the deliberate differences are pinned (README, Pushgateway section)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client import (
    CollectorRegistry,
    Gauge,
    delete_from_gateway,
    push_to_gateway,
    pushadd_to_gateway,
)
from prometheus_client.exposition import basic_auth_handler

from roomtemp.ingest.exposition import PROTOBUF_TYPE, MetricFamily
from roomtemp.security.scopes import Scope
from roomtemp.security.tokens import create_token
from tests.brokers import running_pushgateway
from tests.processes import ServerProcess, running_server

PROTOBUF = f"{PROTOBUF_TYPE}; proto=io.prometheus.client.MetricFamily; encoding=delimited"
RANGE = {"start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_pushgateway(tmp_path_factory.mktemp("pushgateway")) as url:
        yield url


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    """A server that requires tokens, and a write token for it."""
    directory = tmp_path_factory.mktemp("served")
    tokens = directory / "tokens.json"
    token = create_token(tokens, "pusher", frozenset({Scope.ADMIN}), None, "2024-01-01T00:00:00Z")
    settings = {
        "ROOMTEMP_STORAGE": f"sqlite:///{directory / 'roomtemp.sqlite3'}",
        "ROOMTEMP_TOKENS_FILE": str(tokens),
    }
    with running_server(settings, directory / "server.log") as server:
        yield server, token


def _registry(value: float, metric: str = "room_temperature_celsius") -> CollectorRegistry:
    registry = CollectorRegistry()
    Gauge(metric, "Room temperature", registry=registry).set(value)
    Gauge("room_sensor_battery_ratio", "Battery", registry=registry).set(0.9)
    return registry


def _auth(token: str) -> Any:
    def handler(url: str, method: str, timeout: float | None, headers: Any, data: bytes) -> Any:
        return basic_auth_handler(url, method, timeout, headers, data, "device", token)

    return handler


def _stored(served: tuple[ServerProcess, str], room: str) -> list[dict[str, Any]]:
    server, token = served
    answer = httpx.get(
        f"{server.url}/api/v1/rooms/{room}/readings",
        params=RANGE,
        headers={"Authorization": f"Bearer {token}"},
    )
    return answer.json()["readings"] if answer.status_code == 200 else []


def test_push_pushadd_and_delete_work_on_both(
    gateway: str, served: tuple[ServerProcess, str]
) -> None:
    server, token = served
    for url in (gateway, server.url):
        grouping = {"room": "kitchen", "sensor": "wall"}
        push_to_gateway(url, "thermo", _registry(21.5), grouping, handler=_auth(token))
        pushadd_to_gateway(url, "thermo", _registry(22.0), grouping, handler=_auth(token))
        delete_from_gateway(url, "thermo", grouping, handler=_auth(token))
    values = sorted(r["value"] for r in _stored(served, "kitchen"))
    assert len(values) >= 1  # one or two: both pushes may fall in one millisecond
    assert set(values) <= {21.5, 22.0}
    assert all(r["sensor_id"] == "wall" for r in _stored(served, "kitchen"))


def test_a_job_with_a_slash_goes_as_base64_to_both(
    gateway: str, served: tuple[ServerProcess, str]
) -> None:
    server, token = served
    for url in (gateway, server.url):
        push_to_gateway(url, "site/a", _registry(19.0), {"room": "lab.2"}, handler=_auth(token))
    assert [r["value"] for r in _stored(served, "lab.2")] == [19.0]


def _protobuf(value: float, timestamp_ms: int | None = None) -> bytes:
    family = MetricFamily(name="room_temperature_celsius", help="Room temperature", type=1)
    metric = family.metric.add()
    metric.gauge.value = value
    if timestamp_ms is not None:
        metric.timestamp_ms = timestamp_ms
    message = family.SerializeToString()
    return _varint(len(message)) + message


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        low, number = number & 0x7F, number >> 7
        out.append(low | (0x80 if number else 0))
        if not number:
            return bytes(out)


def _put(url: str, path: str, token: str, **request: Any) -> httpx.Response:
    return httpx.put(
        f"{url}{path}",
        headers={"Authorization": f"Bearer {token}", **request.pop("headers", {})},
        **request,
    )


def test_protobuf_delimited_and_gzip_bodies_work_on_both(
    gateway: str, served: tuple[ServerProcess, str]
) -> None:
    server, token = served
    body = _protobuf(20.25) + _protobuf(20.25)
    for url in (gateway, server.url):
        assert _put(
            url,
            "/metrics/job/go/room/proto",
            token,
            content=body,
            headers={"Content-Type": PROTOBUF},
        ).status_code in (200, 202)
        zipped = gzip.compress(
            b"# TYPE room_temperature_celsius gauge\nroom_temperature_celsius 23\n"
        )
        gz = _put(
            url,
            "/metrics/job/gz/room/zipped",
            token,
            content=zipped,
            headers={"Content-Encoding": "gzip"},
        )
        assert gz.status_code == 200
    families = httpx.get(f"{gateway}/api/v1/metrics").json()["data"]
    pushed = [f for f in families if f["labels"].get("room") == "proto"]
    assert pushed[0]["room_temperature_celsius"]["metrics"][0]["value"] == "20.25"
    assert [r["value"] for r in _stored(served, "proto")] == [20.25]
    assert [r["value"] for r in _stored(served, "zipped")] == [23.0]


def test_a_sample_timestamp_is_kept_where_the_pushgateway_refuses_it(
    gateway: str, served: tuple[ServerProcess, str]
) -> None:
    server, token = served
    body = b"room_temperature_celsius 18.5 1709251200000\n"
    assert _put(gateway, "/metrics/job/t/room/stamped", token, content=body).status_code == 400
    assert _put(server.url, "/metrics/job/t/room/stamped", token, content=body).status_code == 200
    protobuf = _protobuf(18.75, 1709251260000)
    headers = {"Content-Type": PROTOBUF}
    assert (
        _put(
            server.url, "/metrics/job/t/room/stamped", token, content=protobuf, headers=headers
        ).status_code
        == 200
    )
    assert _stored(served, "stamped") == [
        {"timestamp": "2024-03-01T00:00:00.000Z", "value": 18.5, "sensor_id": None},
        {"timestamp": "2024-03-01T00:01:00.000Z", "value": 18.75, "sensor_id": None},
    ]


def test_empty_pushes_and_deletes_answer_202_and_delete_nothing(
    gateway: str, served: tuple[ServerProcess, str]
) -> None:
    server, token = served
    path = "/metrics/job/e/room/kept"
    assert (
        _put(
            server.url, path, token, content=b"room_temperature_celsius 21 1709251200000\n"
        ).status_code
        == 200
    )
    assert _put(gateway, path, token, content=b"").status_code == 200  # the group is deleted
    assert _put(server.url, path, token, content=b"").status_code == 202
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.delete(f"{gateway}{path}").status_code == 202
    assert httpx.delete(f"{server.url}{path}", headers=auth).status_code == 202
    assert httpx.post(f"{server.url}{path}", headers=auth, content=b"").status_code == 202
    assert [r["value"] for r in _stored(served, "kept")] == [21.0]


HOSTILE = [
    # (path, body, content type, status, words in the answer)
    ("/metrics/job/x", b"room_temperature_celsius 20\n", None, 400, "names no room"),
    ("/metrics/job/x/floor/2", b"room_temperature_celsius 20\n", None, 400, "/room/<room_id>"),
    ("/metrics/job/x/room/hostile", b"\x0a\x05abc", PROTOBUF, 422, "truncated"),
    ("/metrics/job/x/room/hostile", b"\x03\xff\xff\xff", PROTOBUF, 422, "not a valid protobuf"),
    (
        "/metrics/job/x/room/hostile",
        b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
        PROTOBUF,
        422,
        "truncated",
    ),
    ("/metrics/job/x/room/hostile", b"room_temperature_celsius twenty\n", None, 422, "text"),
    (
        "/metrics/job/x/room/hostile",
        b"room_temperature_celsius 20\n",
        "application/json",
        415,
        "text/plain",
    ),
    ("/metrics/job/x/room/Hostile!", b"room_temperature_celsius 20\n", None, 422, "room_id"),
    ("/metrics/job/x/room@base64/!!!", b"room_temperature_celsius 20\n", None, 422, "base64"),
    (
        "/metrics/jobs/x/room/hostile",
        b"room_temperature_celsius 20\n",
        None,
        422,
        "/metrics/job/<job>",
    ),
]


@pytest.mark.parametrize(("path", "body", "content_type", "status", "words"), HOSTILE)
def test_hostile_pushes_get_a_clear_error_and_store_nothing(
    served: tuple[ServerProcess, str],
    path: str,
    body: bytes,
    content_type: str | None,
    status: int,
    words: str,
) -> None:
    server, token = served
    headers = {"Content-Type": content_type} if content_type else {}
    answer = _put(server.url, path, token, content=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert words in answer.text
    assert _stored(served, "hostile") == []


def test_a_gzip_bomb_is_413(served: tuple[ServerProcess, str]) -> None:
    server, token = served
    bomb = gzip.compress(b"# " + b"x" * (64 * 1024 * 1024) + b"\n")
    headers = {"Content-Encoding": "gzip"}
    answer = _put(server.url, "/metrics/job/x/room/hostile", token, content=bomb, headers=headers)
    assert answer.status_code == 413
    assert "decompresses to more than" in answer.json()["detail"]


def test_basic_auth_with_a_bad_password_is_401(served: tuple[ServerProcess, str]) -> None:
    server, _ = served
    with pytest.raises(OSError, match="401"):
        push_to_gateway(server.url, "thermo", _registry(21.0), {"room": "x"}, handler=_auth("nope"))


def test_a_non_temperature_registry_is_refused_by_name(served: tuple[ServerProcess, str]) -> None:
    server, token = served
    with pytest.raises(OSError, match="422"):
        push_to_gateway(
            server.url, "j", _registry(1.0, "cpu_seconds"), {"room": "x"}, handler=_auth(token)
        )
