"""The CLI's HTTP client: which answers it retries, how long it waits, what it sends.

A server that fails on demand cannot be had from the real one, so these use httpx.MockTransport;
connection errors and a server that comes up late are tested for real in test_live.py.
"""

from __future__ import annotations

import httpx
import pytest

from roomtemp.cli.client import ApiClient, ApiError


def scripted(
    answers: list[httpx.Response | Exception], seen: list[httpx.Request], delays: list[float]
) -> ApiClient:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return ApiClient(
        "http://127.0.0.1:9",
        token="secret",
        retries=4,
        backoff_seconds=0.5,
        sleep=delays.append,
        transport=httpx.MockTransport(handle),
    )


def test_5xx_and_connection_errors_are_retried_with_growing_backoff() -> None:
    seen: list[httpx.Request] = []
    delays: list[float] = []
    client = scripted(
        [
            httpx.ConnectError("refused"),
            httpx.Response(503, json={"detail": "busy"}, headers={"Retry-After": "3"}),
            httpx.Response(500, json={"detail": "oops"}),
            httpx.Response(201, json={"accepted": 2, "duplicates": 0}),
        ],
        seen,
        delays,
    )
    assert client.post_readings(b"[]") == {"accepted": 2, "duplicates": 0}
    assert len(seen) == 4
    assert 0.4 <= delays[0] <= 0.6  # 0.5 s, with jitter
    assert delays[1] == 3.0  # Retry-After wins over a shorter backoff
    assert 1.6 <= delays[2] <= 2.4  # 2 s
    assert all(r.headers["Authorization"] == "Bearer secret" for r in seen)


def test_client_errors_are_not_retried() -> None:
    seen: list[httpx.Request] = []
    delays: list[float] = []
    detail = [{"loc": ["body", 0, "value"], "msg": "bad", "type": "value_error"}]
    client = scripted([httpx.Response(422, json={"detail": detail})], seen, delays)
    with pytest.raises(ApiError) as caught:
        client.post_readings(b"[]")
    assert (caught.value.status, caught.value.detail) == (422, detail)
    assert len(seen) == 1


def test_giving_up_after_the_last_retry_names_the_request() -> None:
    seen: list[httpx.Request] = []
    delays: list[float] = []
    client = scripted([httpx.ConnectError("refused")] * 5, seen, delays)
    with pytest.raises(ApiError, match=r"POST http://127.0.0.1:9/api/v1/readings.*gave up"):
        client.post_readings(b"[]")
    assert len(seen) == 5
    assert len(delays) == 4


def test_a_5xx_on_the_last_attempt_is_reported() -> None:
    seen: list[httpx.Request] = []
    delays: list[float] = []
    client = scripted([httpx.Response(503, json={"detail": "down"})] * 5, seen, delays)
    with pytest.raises(ApiError, match="HTTP 503: down") as caught:
        client.post_readings(b"[]")
    assert caught.value.status == 503
