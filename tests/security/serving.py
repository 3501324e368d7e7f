"""A real `python -m roomtemp serve` process on a free loopback port, tokens required."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.security.conftest import bearer, make_tokens


@dataclass
class Server:
    """A running server: where it listens, its process, an admin token, its log file."""

    url: str
    port: int
    pid: int
    token: str
    log: Path

    def peak_memory(self) -> int:
        """The server's peak resident memory so far (VmHWM), in bytes."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024

    def rooms(self) -> list[object]:
        answer = httpx.get(f"{self.url}/api/v1/rooms", headers=bearer(self.token), timeout=10)
        assert answer.status_code == 200
        rooms: list[object] = answer.json()["rooms"]
        return rooms


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(directory: Path, **settings: str) -> Iterator[Server]:
    """Start the server with ROOMTEMP_<NAME> variables from `settings`; stop it on exit."""
    token = make_tokens(directory / "tokens.json")["admin"]
    port = free_port()
    env = {
        **os.environ,
        "ROOMTEMP_STORAGE": f"sqlite:///{directory / 'db.sqlite3'}",
        "ROOMTEMP_PORT": str(port),
        "ROOMTEMP_HOST": "127.0.0.1",
        "ROOMTEMP_TOKENS_FILE": str(directory / "tokens.json"),
        **{f"ROOMTEMP_{name.upper()}": value for name, value in settings.items()},
    }
    log = directory / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "roomtemp", "serve"], env=env, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc)
        yield Server(url, port, proc.pid, token, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("server did not start within 30 s")
