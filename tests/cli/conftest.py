"""The server the CLI tests talk to: one process for the session, each test in its own rooms."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.cli.server import Server, free_port, start_server, stop_server, wait_ready


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = folder / "server.log"
    process = start_server(port, folder / "roomtemp.sqlite3", log)
    try:
        wait_ready(url, process, log)
        yield Server(url, itertools.count(1))
    finally:
        stop_server(process)
