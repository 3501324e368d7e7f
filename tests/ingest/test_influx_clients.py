"""InfluxDB line protocol from the real influxdb-client library (what Telegraf's influxdb_v2
output speaks too; Telegraf itself is not packaged by Debian 12) and from InfluxDB 1 style
requests, against a real `roomtemp serve` that requires tokens."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from roomtemp.security.scopes import Scope
from roomtemp.security.tokens import create_token
from tests.processes import ServerProcess, running_server

T0 = 1709251200  # 2024-03-01T00:00:00Z
RANGE = {"start": "2024-02-01T00:00:00Z", "end": "2024-04-01T00:00:00Z"}


class Served:
    """A server that requires tokens, with a write-only token and a read token."""

    def __init__(self, server: ServerProcess, writer: str, reader: str) -> None:
        self.server, self.writer, self.reader = server, writer, reader

    def readings(self, room: str) -> list[dict[str, Any]]:
        answer = httpx.get(
            f"{self.server.url}/api/v1/rooms/{room}/readings",
            params=RANGE,
            headers={"Authorization": f"Bearer {self.reader}"},
        )
        return answer.json()["readings"] if answer.status_code == 200 else []


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("influx")
    tokens = directory / "tokens.json"
    made = "2024-01-01T00:00:00Z"
    writer = create_token(tokens, "telegraf", frozenset({Scope.WRITE}), None, made)
    reader = create_token(tokens, "reader", frozenset({Scope.READ}), None, made)
    settings = {
        "ROOMTEMP_STORAGE": f"sqlite:///{directory / 'roomtemp.sqlite3'}",
        "ROOMTEMP_TOKENS_FILE": str(tokens),
    }
    with running_server(settings, directory / "server.log") as server:
        yield Served(server, writer, reader)


def _client(served: Served, token: str | None = None, **options: Any) -> InfluxDBClient:
    return InfluxDBClient(
        url=served.server.url, token=token or served.writer, org="site", **options
    )


def test_the_write_api_pushes_in_seconds_and_nanoseconds(served: Served) -> None:
    with _client(served, enable_gzip=True) as client:
        write = client.write_api(write_options=SYNCHRONOUS)
        write.write(
            bucket="rooms",
            record=f"climate,room=kitchen,sensor=wall temperature=21.5,humidity=40i {T0}",
            write_precision=WritePrecision.S,
        )
        point = (
            Point("climate")
            .tag("room", "kitchen")
            .tag("sensor", "wall")
            .field("temperature", 21.75)
            .time(T0 * 10**9 + 60 * 10**9 + 123_456_789, WritePrecision.NS)
        )
        write.write(
            bucket="rooms", record=[point, Point("cpu").tag("host", "a").field("usage", 3.0)]
        )
        write.write(
            bucket="rooms",
            record=f"climate,room=kitchen,unit=F value=70.7 {T0 + 120}",
            write_precision=WritePrecision.S,
        )
    assert served.readings("kitchen") == [
        {"timestamp": "2024-03-01T00:00:00.000Z", "value": 21.5, "sensor_id": "wall"},
        {"timestamp": "2024-03-01T00:01:00.123Z", "value": 21.75, "sensor_id": "wall"},
        {
            "timestamp": "2024-03-01T00:02:00.000Z",
            "value": pytest.approx((70.7 - 32) * 5 / 9),
            "sensor_id": None,
        },
    ]


def test_errors_reach_the_client_in_influxdb_shape(served: Served) -> None:
    body = f"climate,room=lab temperature=20 {T0}\nclimate,room=lab temperature= {T0 + 60}\n"
    with _client(served) as client, pytest.raises(ApiException) as raised:
        client.write_api(write_options=SYNCHRONOUS).write("rooms", record=body, write_precision="s")
    assert raised.value.status == 400
    problem = raised.value.message or ""
    assert "line 2" in problem
    assert served.readings("lab") == []  # atomic: line 1 is not stored either
    with _client(served, token="rt_unknown") as client, pytest.raises(ApiException) as refused:
        client.write_api(write_options=SYNCHRONOUS).write(
            "rooms", record=f"c,room=lab value=1 {T0}", write_precision="s"
        )
    assert refused.value.status == 401


def _v1(served: Served, body: bytes, **request: Any) -> httpx.Response:
    return httpx.post(f"{served.server.url}/write", content=body, **request)


def test_influxdb_1_writes_take_the_token_as_p_or_basic_auth(served: Served) -> None:
    line = f"t,room=v1,sensor=a value=19.5 {T0}".encode()
    assert (
        _v1(
            served, line, params={"db": "x", "precision": "s", "u": "me", "p": served.writer}
        ).status_code
        == 204
    )
    basic = base64.b64encode(f"me:{served.writer}".encode()).decode()
    second = f"t,room=v1,sensor=b value=19.75 {T0 * 1000}".encode()
    headers = {"Authorization": f"Basic {basic}"}
    assert _v1(served, second, params={"precision": "ms"}, headers=headers).status_code == 204
    token = {"Authorization": f"Token {served.writer}"}
    third = f"t,room=v1,sensor=c value=20 {T0 * 10**9}".encode()
    assert _v1(served, third, headers=token).status_code == 204  # precision n by default
    assert [r["value"] for r in served.readings("v1")] == [19.5, 19.75, 20.0]
    assert _v1(served, line, params={"p": "wrong"}).status_code == 401


HOSTILE = [
    # (body, params, headers, status, words)
    (b"no fields here", {}, {}, 400, "line 1"),
    (
        b"c,room=h value=1 " + str(T0).encode() + b'\nc,room=h value="x\n',
        {"precision": "s"},
        {},
        400,
        "line 2",
    ),
    (b"c,room=h value=500 " + str(T0).encode(), {"precision": "s"}, {}, 400, "plausible"),
    (b"c,room=H! value=20 " + str(T0).encode(), {"precision": "s"}, {}, 400, "room_id"),
    (b"c,room=h value=20", {"precision": "h"}, {}, 400, "precision"),
    (b"c,room=h value=20 99999999999999999999", {"precision": "s"}, {}, 400, "timestamp"),
    (b"\xff\xfe", {}, {}, 400, "UTF-8"),
    (b"c,room=h value=20", {}, {"Content-Type": "application/json"}, 415, "text/plain"),
    (b"c,room=h value=20", {}, {"Content-Encoding": "br"}, 415, "gzip"),
    (b"\x1f\x8b garbage", {}, {"Content-Encoding": "gzip"}, 400, "gzip"),
]


@pytest.mark.parametrize(("body", "params", "headers", "status", "words"), HOSTILE)
def test_hostile_writes_get_a_clear_error_and_store_nothing(
    served: Served,
    body: bytes,
    params: dict[str, str],
    headers: dict[str, str],
    status: int,
    words: str,
) -> None:
    auth = {"Authorization": f"Token {served.writer}", **headers}
    answer = httpx.post(
        f"{served.server.url}/api/v2/write", content=body, params=params, headers=auth
    )
    assert answer.status_code == status, answer.text
    error = answer.json()
    assert set(error) == {"code", "message"}
    assert words in error["message"]
    assert served.readings("h") == []


def test_more_readings_than_the_batch_limit_is_413(served: Served) -> None:
    body = "".join(f"c,room=h value=20 {T0 + k}\n" for k in range(10_001)).encode()
    headers = {"Authorization": f"Token {served.writer}"}
    answer = httpx.post(
        f"{served.server.url}/api/v2/write",
        params={"precision": "s"},
        content=body,
        headers=headers,
    )
    assert (answer.status_code, answer.json()["code"]) == (413, "request too large")
    assert "limit of 10000" in answer.json()["message"]
    assert served.readings("h") == []


def test_a_gzip_bomb_is_413_in_influxdb_shape(served: Served) -> None:
    bomb = gzip.compress(b"c,room=h value=20\n" * 2_000_000)
    headers = {"Authorization": f"Token {served.writer}", "Content-Encoding": "gzip"}
    answer = httpx.post(f"{served.server.url}/api/v2/write", content=bomb, headers=headers)
    assert answer.status_code == 413
    assert answer.json()["code"] == "request too large"


def test_the_clients_ping_health_and_version_checks_pass_without_a_token(served: Served) -> None:
    with InfluxDBClient(url=served.server.url, token="not-a-token", org="site") as client:
        assert client.ping() is True
        assert client.version().startswith("roomtemp-")
        with pytest.warns(DeprecationWarning, match="ping"):  # older gateways still call it
            health = client.health()
        assert (health.name, health.status) == ("roomtemp", "pass")
    head = httpx.head(f"{served.server.url}/ping")
    assert head.status_code == 204
    assert head.headers["x-influxdb-version"].startswith("roomtemp-")
