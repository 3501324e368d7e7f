"""A real roomtemp server process on a free loopback port with a temporary SQLite file."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(port: int, database: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "roomtemp", "serve", "--port", str(port)]
    command += ["--storage", f"sqlite:///{database}", "--log-level", "warning"]
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not ready after {STARTUP_SECONDS} s:\n{log.read_text()}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Server:
    url: str
    _names: Iterator[int]

    def room_prefix(self) -> str:
        """A prefix no other test of this server has used, so tests never see each other's data."""
        return f"t{next(self._names)}"

    def get(self, path: str, **params: str | int) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", params=params, timeout=10.0)
