"""Real Prometheus and VictoriaMetrics processes on free loopback ports, with temp data dirs.

A missing binary skips the test with the reason, or fails it when ROOMTEMP_REQUIRE_ENGINES=1 (CI).
"""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.processes import free_port, require_program

PROMETHEUS_CONFIG = """\
storage:
  tsdb:
    out_of_order_time_window: 10y
"""


@dataclass
class Engine:
    """One engine process; `stop` and `start` keep its port and data directory."""

    kind: str
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    admin_api: bool = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def flush_url(self) -> str | None:
        return self.url + "/internal/force_flush" if self.kind == "victoriametrics" else None

    def command(self) -> list[str]:
        address = f"127.0.0.1:{self.port}"
        if self.kind == "prometheus":
            config = self.data_dir / "prometheus.yml"
            config.write_text(PROMETHEUS_CONFIG)
            return [
                require_program("prometheus", "prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={self.data_dir / 'tsdb'}",
                f"--web.listen-address={address}",
                "--web.enable-remote-write-receiver",
                "--storage.tsdb.retention.time=100y",
                "--log.level=warn",
                *(["--web.enable-admin-api"] if self.admin_api else []),
            ]
        return [
            require_program("victoria-metrics", "victoria-metrics"),
            f"-storageDataPath={self.data_dir / 'vm'}",
            f"-httpListenAddr={address}",
            "-retentionPeriod=100y",
            "-dedup.minScrapeInterval=1ms",
            "-search.latencyOffset=0s",
            "-loggerLevel=WARN",
        ]

    def start(self, timeout: float = 30.0) -> Engine:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = self.command()
        with (self.data_dir / f"{self.kind}.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        ready = "/-/ready" if self.kind == "prometheus" else "/health"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited: {self.log_tail()}")
            try:
                if httpx.get(self.url + ready, timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind} not ready after {timeout} s: {self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log_tail(self) -> str:
        path = self.data_dir / f"{self.kind}.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


def start_engine(kind: str, data_dir: Path) -> Engine:
    return Engine(kind, data_dir).start()
