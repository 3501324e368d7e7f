"""The Swagger UI renders in a real Chromium under the server's Content-Security-Policy."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.processes import require_program
from tests.security.serving import running_server

pytestmark = pytest.mark.slow


def test_swagger_ui_renders_without_csp_violations(tmp_path: Path) -> None:
    chromium = require_program("chromium", "chromium")
    with running_server(tmp_path) as server:
        done = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=10000",
                "--dump-dom",
                f"{server.url}/docs",
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    assert 'data-path="/api/v1/rooms/{room}/readings"' in done.stdout, done.stderr[-2000:]
    assert "Content Security Policy" not in done.stderr
