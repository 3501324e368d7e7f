"""A real `python -m roomtemp serve` process on a free loopback port, tokens required."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.processes import running_server as serve
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


@contextmanager
def running_server(directory: Path, **settings: str) -> Iterator[Server]:
    """Start the server with ROOMTEMP_<NAME> variables from `settings`; stop it on exit."""
    token = make_tokens(directory / "tokens.json")["admin"]
    env = {
        "ROOMTEMP_STORAGE": f"sqlite:///{directory / 'db.sqlite3'}",
        "ROOMTEMP_TOKENS_FILE": str(directory / "tokens.json"),
        **{f"ROOMTEMP_{name.upper()}": value for name, value in settings.items()},
    }
    log = directory / "server.log"
    with serve(env, log) as process:
        yield Server(process.url, process.port, process.process.pid, token, log)
