"""A client generated from /openapi.json by openapi-python-client pushes and reads: the document
is one that generators accept (named reading and error schemas, content types per route)."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from tests.processes import ServerProcess, require_program, running_server

NON_JSON_BODIES = {
    "text/csv",
    "application/x-ndjson",
    "text/plain",
    "application/vnd.google.protobuf",
}
"""Bodies the generator has no type for: it skips them, and says so."""
PACKAGE = "roomtemp_generated_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Generate the client into a fresh folder; yields (folder, the generator's output)."""
    folder = tmp_path_factory.mktemp("generated")
    document = folder / "openapi.json"
    app = create_app(Settings(storage=f"sqlite:///{folder / 'unused.sqlite3'}"))
    document.write_bytes(orjson.dumps(app.openapi()))
    generator = require_program("openapi-python-client")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(
        [
            generator,
            "generate",
            "--path",
            str(document),
            "--meta",
            "none",
            "--output-path",
            str(folder / PACKAGE),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(folder))
    try:
        yield str(folder), run.stdout + run.stderr
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m.startswith(PACKAGE)]:
            del sys.modules[name]


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_generator_skips_nothing_but_bodies_it_has_no_type_for(
    generated: tuple[str, str],
) -> None:
    _, output = generated
    for block in re.split(r"\n(?=WARNING )", output)[1:]:
        unsupported = set(re.findall(r"Unsupported content type (\S+)", block))
        assert unsupported, f"a warning that is not about a content type:\n{block}"
        assert unsupported <= NON_JSON_BODIES, block


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("served")
    settings = {"ROOMTEMP_STORAGE": f"sqlite:///{folder / 'roomtemp.sqlite3'}"}
    with running_server(settings, folder / "server.log") as started:
        yield started


def test_the_generated_client_pushes_and_reads(
    generated: tuple[str, str], server: ServerProcess
) -> None:
    with _module("client").Client(base_url=server.url) as client:
        _push_and_read(client)


def _push_and_read(client: Any) -> None:
    models: Any = _module("models")
    push: Any = _module("api.readings.push_room_readings")
    push_many: Any = _module("api.readings.push_readings")
    read: Any = _module("api.readings.get_readings")
    get_room: Any = _module("api.rooms.get_room")
    one = models.ReadingIn(value=21.5, timestamp="2024-03-01T12:00:00Z", sensor_id="wall")
    stored = push.sync(room="kitchen", client=client, body=one)
    assert (stored.accepted, stored.duplicates) == (1, 0)
    many = [models.ReadingIn(value=70.7, unit="°F", timestamp=1709294460, room_id="kitchen")]
    assert push_many.sync(client=client, body=many).accepted == 1
    page = read.sync(
        room="kitchen", client=client, start="2024-03-01T00:00:00Z", end="2024-03-02T00:00:00Z"
    )
    assert [(r.timestamp, round(r.value, 9)) for r in page.readings] == [
        ("2024-03-01T12:00:00.000Z", 21.5),
        ("2024-03-01T12:01:00.000Z", round((70.7 - 32) * 5 / 9, 9)),
    ]
    missing = get_room.sync(room="nowhere", client=client)
    assert isinstance(missing, models.Error)
    assert "unknown room" in missing.detail
    invalid = push.sync(room="kitchen", client=client, body=models.ReadingIn(value=500.0))
    assert isinstance(invalid, models.HTTPValidationError)
    assert "plausible range" in invalid.detail[0].msg
