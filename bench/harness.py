"""The server under test (a subprocess on a free loopback port) and CPU accounting per phase."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.processes import ServerProcess

from roomtemp.storage.sqlite import EmbeddedOptions

TICKS = os.sysconf("SC_CLK_TCK")
SETTLE = EmbeddedOptions().settle_seconds + 1
"""Before this, a day that was just written may not be due for sealing yet."""


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and of its children that have exited (from /proc)."""
    total = 0.0
    for child in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15]) / TICKS  # utime stime cutime cstime
    return total


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def own_cpu_seconds() -> float:
    """CPU of this process and of the children it has waited for (wrk)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass
class Server:
    """The server under test: its URL, its database file and its process."""

    url: str
    database: Path
    process: subprocess.Popen[bytes]
    started: ServerProcess

    @classmethod
    def start(cls, folder: Path, workers: int, name: str = "bench") -> Server:
        """`roomtemp serve` on a SQLite file (fresh unless it exists), ready to answer."""
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / f"{name}.sqlite3"
        settings = {
            "ROOMTEMP_STORAGE": f"sqlite:///{database}",
            "ROOMTEMP_WORKERS": str(workers),
            "ROOMTEMP_LOG_LEVEL": "warning",
        }
        started = ServerProcess(settings, folder / f"{name}.log")
        started.wait_ready("/readyz")
        return cls(started.url, database, started.process, started)

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.started.stop()

    def wait_sealed(self, quiet_seconds: float = 2.0, most_seconds: float = 120.0) -> float:
        """Wait until the server has sealed what is due (a day is sealed once no reading of it
        arrived for a few seconds, then in bounded rounds): the log and the seals stay the same
        for `quiet_seconds`. Seconds waited. Queries asked before would read raw readings."""
        started = time.monotonic()
        conn = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
        try:
            seen, since = None, started
            while time.monotonic() - started < most_seconds:
                now = conn.execute(
                    "SELECT (SELECT count(*) FROM log), (SELECT max(seal_id) FROM seals)"
                ).fetchone()
                moment = time.monotonic()
                if now != seen:
                    seen, since = now, moment
                elif moment - since >= quiet_seconds and moment - started > SETTLE:
                    break
                time.sleep(0.2)
        finally:
            conn.close()
        return time.monotonic() - started


@dataclass
class Usage:
    """Wall time and the CPU the server and the load generator used in one phase."""

    wall: float
    server_cpu: float
    client_cpu: float

    def describe(self, items: int | None = None, what: str = "requests") -> str:
        """CPU shares; with `items`, also how many one fully busy server core would handle."""
        text = (
            f"server {self.server_cpu / self.wall:.0%} CPU, "
            f"client {self.client_cpu / self.wall:.0%} CPU of one core"
        )
        if items is not None and self.server_cpu > 0:
            text += f"; {items / self.server_cpu:,.0f} {what} per server CPU-second"
        return text


class Meter:
    """Measures one phase: `with Meter(server) as meter: ...; meter.usage`."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.usage = Usage(0.0, 0.0, 0.0)

    def __enter__(self) -> Meter:
        self._wall = time.perf_counter()
        self._server = self.server.cpu_seconds()
        self._client = own_cpu_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        self.usage = Usage(
            time.perf_counter() - self._wall,
            self.server.cpu_seconds() - self._server,
            own_cpu_seconds() - self._client,
        )


def py_spy() -> str | None:
    """py-spy from the virtual environment or PATH (`pip install py-spy`), if there is one."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextmanager
def profiled(process: subprocess.Popen[bytes], folder: Path | None, name: str) -> Iterator[None]:
    """Sample a server process (and its workers) with py-spy while the block runs; a flame graph
    SVG lands in `folder`. Does nothing without a folder or without py-spy."""
    tool = py_spy()
    if folder is None or tool is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    command = [tool, "record", "--pid", str(process.pid), "--subprocesses", "--rate", "200"]
    command += ["--nonblocking", "--output", str(folder / f"{name}.svg")]
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # let it attach
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=60)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers), in MB."""
    total = 0
    for child in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{child}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024
