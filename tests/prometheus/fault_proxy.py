"""A reverse proxy in front of a real engine that misbehaves on demand (a fake only of faults).

Everything is passed on to the engine unless a fault is set: then remote-write requests are
answered with a status instead (all of them, only bodies above a size, like an engine's
request limit, or only those holding some bytes, as a metric name; queries too, as an engine
that is down), or passed on but never answered (the
engine takes the data, the sender never hears so), until `heal()`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import cramjam
import httpx

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}


@dataclass
class Fault:
    status: int = 0
    larger_than: int = -1
    """Only bodies above this many bytes get the status (-1: every write)."""
    hang: bool = False
    """Pass writes on, then never answer."""
    queries: bool = False
    """The status answers queries too, as an engine that is down (not only writes)."""
    holding: bytes | None = None
    """Only writes whose request (decompressed) holds these bytes get the status."""


class FaultProxy:
    """`with FaultProxy(engine_url) as proxy: ... proxy.url ... proxy.fail(401)`."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.fault = Fault()
        self.writes_passed = 0
        self.writes_refused = 0
        self.queries: list[str] = []
        """The PromQL of every query asked, in order (answered or not)."""
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail(
        self,
        status: int,
        larger_than: int = -1,
        *,
        queries: bool = False,
        holding: bytes | None = None,
    ) -> None:
        self.fault = Fault(status, larger_than, queries=queries, holding=holding)

    def hang(self) -> None:
        self._released.clear()
        self.fault = Fault(hang=True)

    def heal(self) -> None:
        self.fault = Fault()
        self._released.set()

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.heal()
        self._server.shutdown()
        self._server.server_close()


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if proxy.fault.queries and proxy.fault.status:
                self._answer(proxy.fault.status, {}, b"injected fault\n")
                return
            self._pass_on(b"")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            fault = proxy.fault
            writing = self.path.startswith("/api/v1/write")
            if self.path.startswith("/api/v1/query"):
                proxy.queries.append(parse_qs(body.decode()).get("query", [""])[0])
            refused = len(body) > fault.larger_than if writing else fault.queries
            if writing and fault.holding is not None:
                refused = refused and fault.holding in bytes(cramjam.snappy.decompress_raw(body))
            if fault.status and refused:
                proxy.writes_refused += writing
                self._answer(fault.status, {"Retry-After": "1"}, b"injected fault\n")
                return
            self._pass_on(body)
            if writing and fault.hang:
                proxy._released.wait(60)
                self.close_connection = True  # the sender sees the connection drop

        def _pass_on(self, body: bytes) -> None:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            answer = httpx.request(
                self.command, proxy.target + self.path, content=body, headers=headers, timeout=30
            )
            if self.path.startswith("/api/v1/write"):
                proxy.writes_passed += 1
            if not (proxy.fault.hang and self.path.startswith("/api/v1/write")):
                kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
                kept.pop("content-encoding", None)  # httpx decoded the body
                self._answer(answer.status_code, kept, answer.content)

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler
