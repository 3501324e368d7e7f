"""Real receivers for the notification tests: an Alertmanager process and a webhook endpoint.

The webhook endpoint is a plain HTTP server on a loopback port that records what it is sent; it
can be stopped and started again on the same port, as a receiver that goes down and comes back.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.processes import free_port, require_program

T = TypeVar("T")

ALERTMANAGER_CONFIG = """\
route:
  receiver: nobody
  group_wait: 0s
receivers:
  - name: nobody
"""


class Webhook:
    """Records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.received: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> Webhook:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def alerts(self, status: str | None = None) -> list[tuple[str, dict[str, str]]]:
        """(status, labels) of every alert received, in order."""
        return [
            (alert["status"], alert["labels"])
            for payload in self.received
            for alert in payload["alerts"]
            if status is None or alert["status"] == status
        ]


class Alertmanager:
    """A real Alertmanager (Debian's prometheus-alertmanager) on a free loopback port."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Alertmanager:
        program = require_program("prometheus-alertmanager", "prometheus-alertmanager")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "alertmanager.yml"
        config.write_text(ALERTMANAGER_CONFIG)
        with (self.data_dir / "alertmanager.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    program,
                    f"--config.file={config}",
                    f"--storage.path={self.data_dir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--cluster.listen-address=",
                ],
                stdout=log,
                stderr=log,
            )
        wait_for("Alertmanager to be ready", lambda: _ready(self.url + "/-/ready"), 30)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            self.process = None

    def active(self, alertname: str) -> dict[str, dict[str, Any]]:
        """Its active alerts of that name, by room (and sensor, when there is one)."""
        answer = httpx.get(
            self.url + "/api/v2/alerts",
            params={"filter": f'alertname="{alertname}"', "active": "true"},
            timeout=5,
        )
        answer.raise_for_status()
        return {
            alert["labels"]["room"]
            + ("/" + alert["labels"]["sensor"] if "sensor" in alert["labels"] else ""): alert
            for alert in answer.json()
            if alert["status"]["state"] == "active"
        }


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(what: str, found: Callable[[], T], timeout: float, log: Path | None = None) -> T:
    """Poll until `found()` is truthy (and return it), or fail after `timeout` seconds, with the
    tail of the server's `log` if given."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.1)
    tail = log.read_text(errors="replace").splitlines()[-40:] if log and log.exists() else []
    raise AssertionError("\n".join([f"gave up waiting for {what} after {timeout} s", *tail]))
