"""Secure defaults, CORS, security headers, the per-token rate limit, body limits in the app."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import Response
from fastapi.testclient import TestClient

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from roomtemp.errors import ConfigurationError
from roomtemp.security.access import PUBLIC
from roomtemp.security.exposure import check_exposure, is_loopback
from roomtemp.timeparse import Rate, parse_rate
from tests.conftest import NOW_MS
from tests.security.conftest import Secured, make_tokens, secured_app
from tests.support import FakeClock


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.4.5", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_without_tokens_only_loopback_unless_insecure_is_asked() -> None:
    check_exposure(Settings(host="127.0.0.1"))
    check_exposure(Settings(host="0.0.0.0", insecure_no_auth=True))
    check_exposure(Settings(host="0.0.0.0", tokens_file=Path("tokens.json")))
    with pytest.raises(ConfigurationError, match="--insecure-no-auth"):
        check_exposure(Settings(host="0.0.0.0"))


def serve_on_a_public_address(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """`roomtemp serve` on 192.0.2.1 (TEST-NET-1, never local): were a start-up check missing,
    binding would fail instead, with another message. Nothing is ever sent there."""
    env = {
        "PATH": "/usr/bin:/bin",
        "ROOMTEMP_STORAGE": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **{f"ROOMTEMP_{name.upper()}": value for name, value in settings.items()},
    }
    return subprocess.run(
        [sys.executable, "-m", "roomtemp", "serve", "--host", "192.0.2.1", "--port", "8"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_refuses_a_public_address_without_tokens(tmp_path: Path) -> None:
    done = serve_on_a_public_address(tmp_path)
    assert done.returncode == 2
    assert "refusing to serve on 192.0.2.1 without authentication" in done.stderr


def test_serve_refuses_a_missing_tokens_file(tmp_path: Path) -> None:
    done = serve_on_a_public_address(tmp_path, tokens_file=str(tmp_path / "absent.json"))
    assert done.returncode == 2
    assert "cannot read tokens file" in done.stderr


def test_open_mode_says_so_loudly(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="roomtemp.security"):
        create_app(Settings(storage=f"sqlite:///{tmp_path / 'db.sqlite3'}"))
    assert "NO AUTHENTICATION" in caplog.text
    caplog.clear()
    make_tokens(tmp_path / "tokens.json")
    with caplog.at_level(logging.WARNING, logger="roomtemp.security"):
        create_app(Settings(storage="sqlite:///x.sqlite3", tokens_file=tmp_path / "tokens.json"))
    assert "NO AUTHENTICATION" not in caplog.text


def test_cors_is_off_unless_origins_are_configured(client: TestClient, tmp_path: Path) -> None:
    origin = {"Origin": "https://dash.example"}
    preflight = {**origin, "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in client.get("/api/v1/rooms", headers=origin).headers
    assert client.options("/api/v1/rooms", headers=preflight).status_code == 405
    settings = Settings(
        storage=f"sqlite:///{tmp_path / 'cors.sqlite3'}",
        cors_origins="https://dash.example, https://other.example",
    )
    with TestClient(create_app(settings)) as cors:
        allowed = cors.options("/api/v1/rooms", headers=preflight)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://dash.example"
        assert "Authorization" in allowed.headers["access-control-allow-headers"]
        stranger = cors.get("/api/v1/rooms", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in stranger.headers


@pytest.mark.parametrize("path", ["/api/v1/rooms", "/api/v1/rooms/nowhere", "/healthz", "/metrics"])
def test_security_headers_on_every_answer(secured: Secured, path: str) -> None:
    answer = secured.client.get(path, follow_redirects=False)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_pages_and_their_files_allow_no_inline_or_foreign_scripts(
    secured: Secured, path: str
) -> None:
    page = secured.client.get(path)
    assert page.status_code == 200
    assert re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL) == []
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources
    for url in [path, *sources]:
        answer = secured.client.get(url)
        assert answer.status_code == 200, url
        policy = answer.headers["content-security-policy"]
        scripts = re.search(r"(script-src|default-src) ([^;]*)", policy)
        assert scripts is not None
        assert scripts.group(2).split() in (["'self'"], ["'none'"]), policy
        assert "frame-ancestors 'none'" in policy
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("600/m", Rate(600, 60.0)),
        ("10/s", Rate(10, 1.0)),
        ("100/5m", Rate(100, 300.0)),
        ("5/1h30m", Rate(5, 5400.0)),
        (" 7 / 2s ", Rate(7, 2.0)),
    ],
)
def test_rates_parse(text: str, rate: Rate) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "10", "0/s", "-1/s", "x/s", "10/", "10/fortnight"])
def test_bad_rates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"rate|duration"):
        parse_rate(text)


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Secured]:
    yield from secured_app(tmp_path, FakeClock(NOW_MS / 1000), rate_limit="3/m")


def test_rate_limit_answers_429_with_retry_after_per_token(limited: Secured) -> None:
    read = limited.auth("read")
    assert [limited.client.get("/api/v1/rooms", headers=read).status_code for _ in range(3)] == [
        200,
        200,
        200,
    ]
    refused = limited.client.get("/api/v1/rooms", headers=read)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "20"
    assert refused.json()["detail"].startswith("token 'read' sent more than 3 requests in 60 s")
    assert limited.client.get("/api/v1/rooms", headers=limited.auth("admin")).status_code == 200
    assert limited.client.get("/healthz").status_code == 200
    limited.clock.advance(19)
    assert limited.client.get("/api/v1/rooms", headers=read).status_code == 429
    limited.clock.advance(1)
    assert limited.client.get("/api/v1/rooms", headers=read).status_code == 200


def test_without_tokens_the_rate_limit_counts_per_client_address(tmp_path: Path) -> None:
    settings = Settings(storage=f"sqlite:///{tmp_path / 'db.sqlite3'}", rate_limit="2/h")
    app = create_app(settings, clock=FakeClock(NOW_MS / 1000))
    with TestClient(app) as first, TestClient(app, client=("10.0.0.2", 5000)) as second:
        assert [first.get("/api/v1/rooms").status_code for _ in range(3)] == [200, 200, 429]
        assert "client testclient" in first.get("/api/v1/rooms").json()["detail"]
        assert second.get("/api/v1/rooms").status_code == 200


def test_a_route_may_set_its_own_content_security_policy(tmp_path: Path) -> None:
    app = create_app(Settings(storage=f"sqlite:///{tmp_path / 'db.sqlite3'}"))

    @app.get("/own-policy", dependencies=[PUBLIC])
    async def own_policy() -> Response:
        return Response("ok", headers={"Content-Security-Policy": "default-src 'none'"})

    with TestClient(app) as client:
        answer = client.get("/own-policy")
    assert answer.headers["content-security-policy"] == "default-src 'none'"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_no_rate_limit_by_default(secured: Secured) -> None:
    read = secured.auth("read")
    codes = {secured.client.get("/healthz", headers=read).status_code for _ in range(5)}
    codes |= {secured.client.get("/api/v1/rooms", headers=read).status_code for _ in range(200)}
    assert codes == {200}


def test_a_declared_oversized_body_is_refused_unread_and_nothing_stored(tmp_path: Path) -> None:
    settings = Settings(storage=f"sqlite:///{tmp_path / 'db.sqlite3'}", max_body_bytes=4096)
    with TestClient(create_app(settings)) as client:
        body = "room_id,value\n" + "big,21\n" * 1000
        answer = client.post("/api/v1/readings", content=body, headers={"Content-Type": "text/csv"})
        assert answer.status_code == 413
        assert answer.json() == {"detail": "request body is larger than the limit of 4096 bytes"}
        assert answer.headers["x-content-type-options"] == "nosniff"
        put = client.put("/api/v1/rooms/big", json={"name": "x" * 5000})
        assert put.status_code == 413
        assert client.get("/api/v1/rooms").json() == {"rooms": [], "next_cursor": None}
