"""The tokens file and `roomtemp token create|list|revoke`: hashed, shown once, revoked at once."""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from roomtemp.api.app import create_app
from roomtemp.cli import app as cli
from roomtemp.config import Settings
from roomtemp.errors import ConfigurationError
from roomtemp.security.store import usage_path
from tests.security.conftest import Secured, bearer
from tests.support import FakeClock

runner = CliRunner()


def token_cli(tokens_file: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, ["token", *args, "--file", str(tokens_file)])
    return result.exit_code, result.stdout, result.stderr


def test_create_prints_the_token_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    tokens_file = tmp_path / "tokens.json"
    code, out, err = token_cli(
        tokens_file, "create", "--name", "gateway-2", "--scope", "write", "--rooms", "floor2-*"
    )
    assert code == 0, err
    token = out.strip()
    assert token.startswith("rt_")
    assert len(token) == 3 + 43  # 32 random bytes, URL-safe base64 without padding
    assert "cannot be shown again" in err
    text = tokens_file.read_text()
    assert token not in text
    assert token[3:] not in text
    assert hashlib.sha256(token.encode()).hexdigest() in text
    assert stat.S_IMODE(os.stat(tokens_file).st_mode) == 0o600


def test_create_refuses_duplicates_bad_globs_and_a_missing_file_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens_file = tmp_path / "tokens.json"
    assert token_cli(tokens_file, "create", "--name", "a", "--scope", "read")[0] == 0
    code, _, err = token_cli(tokens_file, "create", "--name", "a", "--scope", "read")
    assert code == 1
    assert "exists already" in err
    code, _, err = token_cli(
        tokens_file, "create", "--name", "b", "--scope", "read", "--rooms", "Floor 2"
    )
    assert code == 1
    assert "invalid room glob" in err
    code, _, _ = token_cli(tokens_file, "create", "--name", "c", "--scope", "root")
    assert code == 2
    monkeypatch.delenv("ROOMTEMP_TOKENS_FILE", raising=False)
    result = runner.invoke(cli, ["token", "list"])
    assert result.exit_code == 1
    assert "set ROOMTEMP_TOKENS_FILE" in result.stderr


def test_without_file_the_tokens_file_setting_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens_file = tmp_path / "tokens.json"
    monkeypatch.setenv("ROOMTEMP_TOKENS_FILE", str(tokens_file))
    created = runner.invoke(cli, ["token", "create", "--name", "a", "--scope", "read"])
    assert created.exit_code == 0, created.stderr
    assert f"created in {tokens_file}" in created.stderr
    listed = runner.invoke(cli, ["token", "list"])
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout.splitlines()[1].startswith("a  ")


def test_list_shows_names_scopes_rooms_and_times_never_tokens(tmp_path: Path) -> None:
    tokens_file = tmp_path / "tokens.json"
    _, gateway, _ = token_cli(
        tokens_file, "create", "--name", "gw", "--scope", "write", "--rooms", "floor2-*,lab"
    )
    _, reader, _ = token_cli(
        tokens_file, "create", "--name", "dash", "--scope", "read", "--scope", "write"
    )
    clock = FakeClock(1_709_294_400.0)  # 2024-03-01T12:00:00Z
    settings = Settings(storage=f"sqlite:///{tmp_path / 'db.sqlite3'}", tokens_file=tokens_file)
    with TestClient(create_app(settings, clock=clock)) as client:
        assert client.get("/api/v1/rooms", headers=bearer(reader.strip())).status_code == 200
    code, out, _ = token_cli(tokens_file, "list")
    assert code == 0
    lines = [line.split() for line in out.strip().splitlines()]
    assert lines[0] == ["NAME", "SCOPES", "ROOMS", "CREATED", "LAST", "USED"]
    assert [line[:3] for line in lines[1:]] == [
        ["gw", "write", "floor2-*,lab"],
        ["dash", "read,write", "*"],
    ]
    assert lines[1][4] == "never"
    assert lines[2][4] == "2024-03-01T12:00:00.000Z"
    assert gateway.strip() not in out
    assert reader.strip() not in out


def test_revoked_token_is_refused_on_the_next_request(secured: Secured) -> None:
    headers = secured.auth("read")
    assert secured.client.get("/api/v1/rooms", headers=headers).status_code == 200
    code, _, err = token_cli(secured.tokens_file, "revoke", "read")
    assert code == 0, err
    assert secured.client.get("/api/v1/rooms", headers=headers).status_code == 401
    assert secured.client.get("/api/v1/rooms", headers=secured.auth("admin")).status_code == 200
    assert token_cli(secured.tokens_file, "revoke", "read")[0] == 1


def test_a_broken_tokens_file_refuses_every_token_until_fixed(
    secured: Secured, caplog: pytest.LogCaptureFixture
) -> None:
    headers = secured.auth("admin")
    good = secured.tokens_file.read_bytes()
    secured.tokens_file.write_text("{not json")
    with caplog.at_level(logging.ERROR, logger="roomtemp.security"):
        assert secured.client.get("/api/v1/rooms", headers=headers).status_code == 401
    assert "refusing every token" in caplog.text
    secured.tokens_file.unlink()
    assert secured.client.get("/api/v1/rooms", headers=headers).status_code == 401
    secured.tokens_file.write_bytes(good)
    assert secured.client.get("/api/v1/rooms", headers=headers).status_code == 200


def test_a_missing_tokens_file_stops_the_start(tmp_path: Path) -> None:
    settings = Settings(
        storage=f"sqlite:///{tmp_path / 'db.sqlite3'}", tokens_file=tmp_path / "absent.json"
    )
    with pytest.raises(ConfigurationError, match="roomtemp token create"):
        create_app(settings)


def test_last_use_is_written_at_most_once_a_minute_per_token(secured: Secured) -> None:
    used = usage_path(secured.tokens_file)
    headers = secured.auth("read")
    secured.client.get("/api/v1/rooms", headers=headers)
    first = used.read_text()
    assert '"read":1709294400.0' in first
    secured.clock.advance(30)
    secured.client.get("/api/v1/rooms", headers=headers)
    assert used.read_text() == first
    secured.clock.advance(31)
    secured.client.get("/api/v1/rooms", headers=headers)
    assert '"read":1709294461.0' in used.read_text()


def test_tokens_never_reach_the_logs(secured: Secured, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        for kind in ("admin", "read", "write_other"):
            secured.client.post(
                "/api/v1/rooms/kitchen/readings", json={"value": 21}, headers=secured.auth(kind)
            )
        secured.client.get("/api/v1/rooms", headers=bearer("rt_guessed-token-value"))
        token_cli(secured.tokens_file, "revoke", "read")
        secured.client.get("/api/v1/rooms", headers=secured.auth("read"))
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for token in [*secured.tokens.values(), "rt_guessed-token-value"]:
        assert token not in logged
