"""`roomtemp serve`: flags win over ROOMTEMP_* and reach the app through the environment."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from roomtemp import __version__
from roomtemp.cli import app
from roomtemp.cli.serve import serve_settings
from roomtemp.config import Settings
from tests.processes import ServerProcess


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ROOMTEMP_* variables but those the test sets."""
    for name in os.environ:
        if name.startswith("ROOMTEMP_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_settings_read_back_from_their_environment_are_the_same(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    original = Settings(
        storage="prometheus://engine:9090",
        port=8123,
        workers=3,
        tokens_file=Path("/srv/roomtemp/tokens.json"),
        insecure_no_auth=True,
        clock_skew=90.0,
        min_celsius=-10.25,
        rate_limit="20/s",
        cors_origins="https://a.example, https://b.example",
        prometheus_password=SecretStr("p@ss word"),
        prometheus_headers={"X-Scope-OrgID": "tenant-1"},
        prometheus_meta_window=1.5,
    )
    environment = original.to_environment()
    assert all(name.startswith("ROOMTEMP_") for name in environment)
    assert environment["ROOMTEMP_PROMETHEUS_PASSWORD"] == "p@ss word"
    assert "ROOMTEMP_PROMETHEUS_USERNAME" not in environment  # unset stays unset
    for name, value in environment.items():
        clean_environment.setenv(name, value)
    assert Settings() == original


def test_flags_win_over_the_environment(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("ROOMTEMP_PORT", "9000")
    clean_environment.setenv("ROOMTEMP_WORKERS", "4")
    settings = serve_settings(port=8001, workers=None, insecure_no_auth=None)
    assert (settings.port, settings.workers, settings.insecure_no_auth) == (8001, 4, False)


@pytest.mark.parametrize(
    ("args", "environment"),
    [(["--port", "70000"], {}), ([], {"ROOMTEMP_WORKERS": "0"})],
)
def test_a_bad_setting_is_a_clear_error_before_serving(
    clean_environment: pytest.MonkeyPatch, args: list[str], environment: dict[str, str]
) -> None:
    for name, value in environment.items():
        clean_environment.setenv(name, value)
    result = CliRunner().invoke(app, ["serve", *args])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: 1 validation error for Settings")


@pytest.mark.slow
def test_a_flag_reaches_the_app_through_the_environment(tmp_path: Path) -> None:
    given = tmp_path / "env.sqlite3"
    flagged = tmp_path / "flag.sqlite3"
    server = ServerProcess(
        {"ROOMTEMP_STORAGE": f"sqlite:///{given}", "ROOMTEMP_LOG_LEVEL": "warning"},
        tmp_path / "server.log",
        flags=["--storage", f"sqlite:///{flagged}"],
    )
    try:
        server.wait_ready()
        put = httpx.put(f"{server.url}/api/v1/rooms/flagged", json={"name": "F"}, timeout=10)
        assert put.status_code in (200, 201), put.text
    finally:
        server.stop()
    assert flagged.exists()
    assert not given.exists()


def test_version_needs_no_command() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == __version__


def test_a_variable_set_to_nothing_is_not_set(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("ROOMTEMP_TOKENS_FILE", "")
    assert Settings().tokens_file is None
