"""Real Mosquitto and Pushgateway processes on free loopback ports (Debian packages
`mosquitto` and `prometheus-pushgateway`); missing programs skip, or fail in CI."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.processes import free_port, require_program

STARTUP_SECONDS = 15.0


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited early:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"not listening after {STARTUP_SECONDS} s:\n{log.read_text()}")


@dataclass
class Mosquitto:
    """A broker; `stop` and `start` keep its port (a restart loses its in-memory sessions)."""

    directory: Path
    max_inflight: int = 20
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = self.directory / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            f"max_inflight_messages {self.max_inflight}\nmax_queued_messages 100000\n"
            "message_size_limit 0\n"
        )
        log = self.directory / "mosquitto.log"
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [require_program("mosquitto", "mosquitto"), "-c", str(config)],
                stdout=out,
                stderr=out,
            )
        _wait_for_port(self.port, self.process, log)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@contextmanager
def running_mosquitto(directory: Path, max_inflight: int = 20) -> Iterator[Mosquitto]:
    directory.mkdir(parents=True, exist_ok=True)
    broker = Mosquitto(directory, max_inflight)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@contextmanager
def running_pushgateway(directory: Path) -> Iterator[str]:
    """A real Pushgateway; yields its base URL."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = directory / "pushgateway.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                require_program("prometheus-pushgateway", "prometheus-pushgateway"),
                f"--web.listen-address=127.0.0.1:{port}",
                "--web.enable-admin-api",
                "--persistence.file=",  # Debian defaults to a file shared by every instance
            ],
            stdout=out,
            stderr=out,
        )
    try:
        _wait_for_port(port, process, log)
        url = f"http://127.0.0.1:{port}"
        httpx.get(f"{url}/-/ready", timeout=5).raise_for_status()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
