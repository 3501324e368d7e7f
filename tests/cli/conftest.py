"""The server the CLI tests talk to: one process for the session, each test in its own rooms."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.cli.server import Server, server_settings
from tests.processes import running_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("server")
    with running_server(
        server_settings(folder / "roomtemp.sqlite3"), folder / "server.log"
    ) as process:
        yield Server(process.url, itertools.count(1))
