"""Processes the tests start: free loopback ports, external programs, `roomtemp serve`.

A test that needs a program this machine lacks skips with the reason, or fails when
ROOMTEMP_REQUIRE_ENGINES=1 (CI installs everything, so there a missing program is a bug).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

STARTUP_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def missing(reason: str) -> NoReturn:
    """Skip the test for a missing program, or fail it where every program is required (CI)."""
    if os.environ.get("ROOMTEMP_REQUIRE_ENGINES") == "1":
        pytest.fail(f"{reason}; ROOMTEMP_REQUIRE_ENGINES=1 requires it")
    pytest.skip(reason)


def require_program(name: str, package: str | None = None) -> str:
    """The path of a program on PATH or in the virtual environment, or `missing` naming the
    Debian package that provides it."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        hint = f" (Debian package: apt-get install {package})" if package else ""
        missing(f"{name} is not installed{hint}")
    return found


class ServerProcess:
    """A started server: its URL, its process and its log (read it when a test fails)."""

    def __init__(
        self,
        settings: Mapping[str, str],
        log: Path,
        port: int | None = None,
        flags: Sequence[str] = (),
    ) -> None:
        self.port = port if port is not None else free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, **settings, "ROOMTEMP_PORT": str(self.port)}
        env.setdefault("ROOMTEMP_HOST", "127.0.0.1")
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "roomtemp", "serve", *flags], env=env, stdout=out, stderr=out
            )

    def wait_ready(self, path: str = "/healthz") -> None:
        """Until `path` answers 200; RuntimeError with the log if the server exits or is slow."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}{path}", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {STARTUP_SECONDS} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        """Terminate (kill after 15 s); harmless when the test already killed it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait()


@contextmanager
def running_server(
    settings: Mapping[str, str], log: Path, ready_path: str = "/healthz"
) -> Iterator[ServerProcess]:
    """A server with these ROOMTEMP_* variables, ready on entry and stopped on exit."""
    server = ServerProcess(settings, log)
    try:
        server.wait_ready(ready_path)
        yield server
    finally:
        server.stop()
