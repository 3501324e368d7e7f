"""Hostile requests against a real server process: each gets a clean 4xx in bounded time and
memory, and nothing is stored.

The server runs as `python -m roomtemp serve` on a free loopback port with tokens required, an
upload timeout of 2 s, and debug logging (which must never show a token).
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.security.conftest import bearer
from tests.security.serving import Server, running_server

pytestmark = pytest.mark.slow

BODY_TIMEOUT_S = 2
HEAD_TIMEOUT_S = 2
MAX_BODY = 8 * 1024 * 1024
HUNDRED_MB = 100 * 1024 * 1024
MEMORY_GROWTH_LIMIT = 150 * 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(
        tmp_path_factory.mktemp("hostile"),
        body_timeout=str(BODY_TIMEOUT_S),
        head_timeout=str(HEAD_TIMEOUT_S),
        log_level="debug",
    ) as started:
        yield started


def _status_of(sock: socket.socket) -> int:
    """Read the status code of the answer on `sock` (0 when the server closed without one)."""
    received = b""
    while b"\r\n" not in received:
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
    return int(received.split(b" ", 2)[1]) if received.startswith(b"HTTP/1.1 ") else 0


def _whole_answer(sock: socket.socket) -> bytes:
    """Read one complete answer (head and Content-Length body) from a kept-alive connection."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(4096)
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.lower().split(b"\r\n")
        if line.startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(4096)
    return received


def _answered(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0)[0])


def _upload(
    server: Server, head: bytes, chunks: Iterator[bytes], pause: float = 0
) -> tuple[int, int]:
    """Send a request head, then body chunks until the server answers; (status, bytes sent)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        try:
            sock.sendall(head)
        except (BrokenPipeError, ConnectionResetError):
            return _status_of(sock), 0
        for chunk in chunks:
            if _answered(sock):
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            time.sleep(pause)
        return _status_of(sock), sent


def _head(server: Server, extra: str) -> bytes:
    return (
        f"POST /api/v1/readings HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {server.token}\r\nContent-Type: application/json\r\n{extra}\r\n"
    ).encode()


def _filler(total: int, size: int = 1024 * 1024) -> Iterator[bytes]:
    block = b"[" + b"0," * (size // 2 - 1)
    for _ in range(total // size):
        yield block


def test_a_declared_100mb_body_is_refused_before_it_is_read(server: Server) -> None:
    started = time.monotonic()
    status, sent = _upload(
        server, _head(server, f"Content-Length: {HUNDRED_MB}\r\n"), _filler(HUNDRED_MB)
    )
    assert status == 413
    assert time.monotonic() - started < 5
    assert sent < 2 * MAX_BODY
    assert server.rooms() == []


def test_a_chunked_100mb_body_is_cut_off_at_the_limit(server: Server) -> None:
    chunks = (b"%x\r\n%s\r\n" % (len(block), block) for block in _filler(HUNDRED_MB))
    started = time.monotonic()
    status, sent = _upload(server, _head(server, "Transfer-Encoding: chunked\r\n"), chunks)
    assert status == 413
    assert time.monotonic() - started < 10
    assert sent < 4 * MAX_BODY
    assert server.rooms() == []


def test_a_slow_drip_upload_is_cut_off(server: Server) -> None:
    body = b'[{"room_id": "drip", "value": 21}]' + b" " * 966
    drip = (body[i : i + 1] for i in range(len(body)))
    started = time.monotonic()
    status, sent = _upload(server, _head(server, f"Content-Length: {len(body)}\r\n"), drip, 0.1)
    elapsed = time.monotonic() - started
    assert status == 408
    assert BODY_TIMEOUT_S <= elapsed < BODY_TIMEOUT_S + 3
    assert sent < len(body)
    assert server.rooms() == []


@pytest.mark.parametrize(
    ("size", "refusals"),
    [(20 * 1024, {431}), (64 * 1024, {431}), (4 * 1024 * 1024, {431, 0})],
    ids=["20KiB-whole", "64KiB-whole", "4MiB-in-pieces"],
)
def test_oversized_request_headers_are_refused(
    server: Server, size: int, refusals: set[int]
) -> None:
    """A head that arrives whole is measured by the app (431); one that keeps coming is cut off
    by the server's parser (431 too, or a reset while the client is still sending)."""
    head = _head(server, f"X-Padding: {'a' * size}\r\nContent-Length: 2\r\n")
    before = server.peak_memory()
    status, _ = _upload(server, head, iter([b"[]"]))
    assert status in refusals
    assert server.peak_memory() - before < MEMORY_GROWTH_LIMIT
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200


def test_a_head_over_the_cap_arriving_in_pieces_is_refused_431(server: Server) -> None:
    """The server's parser measures a head that is still coming (here 32 KiB in 1 KiB pieces,
    never finished) and answers as the app does for one that arrived whole."""
    start = _head(server, "").removesuffix(b"\r\n") + b"X-Padding: "
    status, sent = _upload(server, start, iter([b"a" * 1024] * 64), pause=0.01)
    assert status == 431
    assert sent < 40 * 1024
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200


def _closed_after(sock: socket.socket, drip: bytes, pause: float) -> float:
    """Send `drip` a byte at a time; seconds until the server closed the connection."""
    started = time.monotonic()
    for byte in drip:
        if _answered(sock):
            break
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            break
        time.sleep(pause)
    assert _status_of(sock) == 0, "the server answered instead of closing"
    return time.monotonic() - started


def test_a_slowly_dripped_request_head_is_cut_off(server: Server) -> None:
    drip = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        elapsed = _closed_after(sock, drip, 0.1)
    assert HEAD_TIMEOUT_S - 0.2 <= elapsed < HEAD_TIMEOUT_S + 2


def test_a_silent_connection_is_closed(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        started = time.monotonic()
        assert sock.recv(1) == b""
        assert time.monotonic() - started < HEAD_TIMEOUT_S + 2


def test_a_dripped_head_after_a_keep_alive_request_is_cut_off(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert _whole_answer(sock).startswith(b"HTTP/1.1 200 ")
        time.sleep(0.2)
        elapsed = _closed_after(sock, b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"a" * 100, 0.1)
    assert elapsed < HEAD_TIMEOUT_S + 2


def test_a_head_sent_in_pieces_within_the_deadline_is_served(server: Server) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        for start in range(0, len(head), 10):
            sock.sendall(head[start : start + 10])
            time.sleep(0.1)
        assert _status_of(sock) == 200


NESTED = b"[" * 200_000 + b"]" * 200_000
MILLION_ZEROS = b"[" + b",".join([b"0"] * 1_000_000) + b"]"
MILLION_READINGS = b"[" + b",".join([b'{"value":1}'] * 1_000_000) + b"]"
HOSTILE = {
    "nested-json": ("/api/v1/readings", "application/json", NESTED, 422),
    "nested-json-room": ("/api/v1/rooms/x", "application/json", NESTED, 400),
    "million-element-array": ("/api/v1/readings", "application/json", MILLION_ZEROS, 413),
    "million-readings": ("/api/v1/rooms/x/readings", "application/json", MILLION_READINGS, 413),
    "invalid-utf8-json": (
        "/api/v1/readings",
        "application/json",
        b'[{"room_id": "\xff\xfe"}]',
        422,
    ),
    "invalid-utf8-csv": ("/api/v1/readings", "text/csv", b"room_id,value\n\xff\xfe,1\n", 422),
    "invalid-utf8-ndjson": ("/api/v1/readings", "application/x-ndjson", b'{"room_id":"\xc3"}', 422),
    "nul-in-room-id": (
        "/api/v1/readings",
        "application/json",
        b'[{"room_id":"a\\u0000b","value":1}]',
        422,
    ),
    "nul-in-sensor-id": (
        "/api/v1/rooms/x/readings",
        "application/json",
        b'{"sensor_id":"\\u0000","value":1}',
        422,
    ),
    "nul-in-csv": ("/api/v1/readings", "text/csv", b"room_id,value\na\x00b,1\n", 422),
    "nul-in-path": ("/api/v1/rooms/a%00b/readings", "application/json", b'{"value":1}', 422),
    "huge-value": ("/api/v1/rooms/x/readings", "application/json", b'{"value":1e309}', 422),
    "huge-timestamp": (
        "/api/v1/rooms/x/readings",
        "application/json",
        b'{"value":1,"timestamp":1e309}',
        422,
    ),
    "huge-integer": (
        "/api/v1/rooms/x/readings",
        "application/json",
        b'{"value":' + b"9" * 5000 + b"}",
        422,
    ),
    "huge-comfort": (
        "/api/v1/rooms/x",
        "application/json",
        b'{"comfort":{"max_celsius":1e309}}',
        422,
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_bodies_get_a_clean_4xx_quickly_and_store_nothing(
    server: Server, case: str
) -> None:
    path, media, body, expected = HOSTILE[case]
    method = "PUT" if path == "/api/v1/rooms/x" else "POST"
    before = server.peak_memory()
    started = time.monotonic()
    answer = httpx.request(
        method,
        f"{server.url}{path}",
        content=body,
        headers={**bearer(server.token), "Content-Type": media},
        timeout=30,
    )
    elapsed = time.monotonic() - started
    assert answer.status_code == expected, answer.text[:300]
    assert answer.headers["content-type"].startswith("application/json")
    assert elapsed < 5, f"{case} took {elapsed:.1f} s"
    assert server.peak_memory() - before < MEMORY_GROWTH_LIMIT
    assert server.rooms() == []


def test_tokens_never_reach_the_server_log(server: Server) -> None:
    httpx.get(f"{server.url}/api/v1/rooms", headers=bearer(server.token), timeout=5)
    httpx.get(f"{server.url}/api/v1/rooms", headers=bearer("rt_wrong-token"), timeout=5)
    logged = server.log.read_text(errors="replace")
    assert "roomtemp" in logged
    assert server.token not in logged
    assert "rt_wrong-token" not in logged


def test_a_head_is_answered_without_a_body_and_counted_as_head(server: Server) -> None:
    """Through the real server's protocol: the HEAD's answer carries the GET's headers and no
    body (the GET after it on the same connection is read whole), and the request metrics
    count it as HEAD under its route."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"HEAD /api/v1/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(4096)
        head, _, rest = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 401 ")  # no token: the GET's answer, without its body
        assert b"content-length: " in head.lower()
        assert rest == b""
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert _whole_answer(sock).startswith(b"HTTP/1.1 200 ")
    authorized = bearer(server.token)
    assert httpx.head(f"{server.url}/api/v1/rooms", headers=authorized, timeout=5).content == b""
    exported = httpx.get(f"{server.url}/metrics", headers=authorized, timeout=5).text
    assert 'method="HEAD",route="/api/v1/rooms"' in exported
