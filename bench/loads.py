"""Load generators: concurrent batch POSTs (httpx, bodies built beforehand), wrk, latency probes."""

from __future__ import annotations

import asyncio
import http.client
import math
import re
import shutil
import statistics
import subprocess
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).parent


@dataclass
class Throughput:
    requests: int
    items: int
    seconds: float
    failures: int

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds


async def _post_all(
    url: str, path: str, bodies: Sequence[tuple[int, bytes]], clients: int, content_type: str
) -> Throughput:
    queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    failures = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:

        async def worker() -> None:
            nonlocal failures
            while not queue.empty():
                _, body = queue.get_nowait()
                response = await client.post(
                    path, content=body, headers={"Content-Type": content_type}
                )
                if not response.is_success:
                    failures += 1
                    if failures == 1:
                        print(f"  first failure: {response.status_code} {response.text[:300]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        seconds = time.perf_counter() - started
    return Throughput(len(bodies), sum(n for n, _ in bodies), seconds, failures)


def post_batches(
    url: str,
    bodies: Sequence[tuple[int, bytes]],
    clients: int,
    path: str = "/api/v1/readings",
    content_type: str = "application/json",
) -> Throughput:
    """POST pre-encoded bodies (count, bytes) from `clients` concurrent connections."""
    return asyncio.run(_post_all(url, path, bodies, clients, content_type))


def latencies(url: str, path: str, params: dict[str, str], runs: int) -> list[float]:
    """Sequential GETs (one client, keep-alive), each latency in ms; the first one warms up."""
    found = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(runs + 1):
            started = time.perf_counter()
            response = client.get(path, params=params)
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            found.append(elapsed)
    return found[1:]


def plain_latencies(url: str, path: str, params: dict[str, str], runs: int) -> list[float]:
    """As `latencies`, with the standard library's http.client: a lean client, so what is left
    is the server's time and the transfer (httpx spends milliseconds of its own reading an
    answer of a megabyte or more)."""
    address = urllib.parse.urlsplit(url)
    target = f"{path}?{urllib.parse.urlencode(params)}" if params else path
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    found = []
    try:
        for _ in range(runs + 1):
            started = time.perf_counter()
            connection.request("GET", target)
            answer = connection.getresponse()
            answer.read()
            found.append((time.perf_counter() - started) * 1000)
            assert answer.status == 200, answer.status
    finally:
        connection.close()
    return found[1:]


def percentile(values: Sequence[float], fraction: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


@dataclass
class WrkResult:
    requests_per_second: float
    requests: int
    non_2xx: int
    errors: str
    p50_ms: float
    p99_ms: float


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    url: str,
    connections: int,
    seconds: int,
    script: Path | None = None,
    args: Sequence[str] = (),
) -> WrkResult:
    """wrk with 2 threads (it needs little CPU), `connections` keep-alive connections."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    if args:
        command += ["--", *args]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return WrkResult(
        requests_per_second=float(_field(out, r"Requests/sec:\s+([\d.]+)")),
        requests=int(_field(out, r"(\d+) requests in")),
        non_2xx=int(_field(out, r"Non-2xx or 3xx responses:\s+(\d+)", "0")),
        errors=_field(out, r"Socket errors:(.*)", "").strip(),
        p50_ms=_ms(_field(out, r"50%\s+(\S+)")),
        p99_ms=_ms(_field(out, r"99%\s+(\S+)")),
    )


def _field(text: str, pattern: str, default: str | None = None) -> str:
    found = re.search(pattern, text)
    if found is None:
        if default is None:
            raise RuntimeError(f"wrk output lacks {pattern!r}:\n{text}")
        return default
    return found.group(1)


def _ms(text: str) -> float:
    """wrk's latency (`850.00us`, `12.5ms`, `1.2s`, `2m`) in ms; NaN when it printed none."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:
        return math.nan
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


async def _single_posts(url: str, room: str, base_ms: int, clients: int, seconds: float) -> int:
    done = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker(number: int) -> None:
            nonlocal done
            sent = 0
            while time.perf_counter() < deadline:
                sent += 1
                body = {"value": 20.0, "timestamp": (base_ms + sent) / 1000}
                response = await client.post(f"/api/v1/rooms/{room}-{number}/readings", json=body)
                response.raise_for_status()
                done += 1

        await asyncio.gather(*(worker(n) for n in range(clients)))
    return done


def single_posts_httpx(url: str, room: str, base_ms: int, clients: int, seconds: float) -> float:
    """Fallback without wrk: requests/s of one-reading POSTs from `clients` httpx tasks."""
    started = time.perf_counter()
    done = asyncio.run(_single_posts(url, room, base_ms, clients, seconds))
    return done / (time.perf_counter() - started)


SINGLE_READING_SCRIPT = HERE / "single_reading.lua"
