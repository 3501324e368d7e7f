"""Dashboard benchmark: time to the first tile (and to every tile) of a cold overview, and the
bytes and requests of one refresh, at 48, 500 and 5,000 rooms, in Debian's Chromium against a
real `roomtemp serve` on a fresh embedded store, over three links: localhost; Chromium's network
emulation with 100 ms latency (`Network.emulateNetworkConditions`: no answer comes sooner than
100 ms after its request, a slower one is not delayed further); and a proxy adding 100 ms to
every round trip (half each way, a whole one per new connection), as a longer wire would.

Times are read in the page (performance.now() when the first tile enters the DOM, and when the
summary counts every room), so they hold no polling delay; "first rooms page" is that request's
own time in the page (Resource Timing); bytes are what Chromium received (headers included),
with what the same answers would weigh gzipped beside them.

    python bench/dashboard.py [--rooms 48,500,5000] [--runs 5] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import gzip
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, CDPSession, Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

from delay_proxy import delayed
from harness import Server

MINUTE_MS = 60_000
READINGS_EVERY_MS = 20 * MINUTE_MS
BATCH = 10_000
WATCH_TILES = """rooms => {
  window.__firstTile = null;
  window.__allTiles = null;
  window.__refreshes = 0; // each refresh that succeeded writes "Updated …" in the footer
  document.addEventListener("DOMContentLoaded", () => {
    const refreshed = document.getElementById("refreshed");
    const count = () => (window.__refreshes += 1);
    new MutationObserver(count).observe(refreshed, { childList: true, characterData: true });
  });
  const whole = `${rooms} of ${rooms} rooms`;
  new MutationObserver((_, observer) => {
    if (window.__firstTile === null && document.querySelector(".tile"))
      window.__firstTile = performance.now();
    const summary = document.querySelector(".summary");
    if (summary && summary.textContent.startsWith(whole)) {
      window.__allTiles = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
}"""

FIRST_PAGE_MS = """() => performance.getEntriesByType("resource")
  .find((entry) => entry.name.includes("/api/v1/rooms?")).duration"""


def room_id(index: int) -> str:
    return f"room-{index:05d}"


def add_rooms(url: str, first: int, last: int, now_ms: int) -> None:
    """Rooms first..last-1 with metadata and a day of readings (one each 20 min, the newest a
    minute old); about 2 % too hot, 2 % too cold and 2 % silent for the last hour."""
    rng = random.Random(first)
    readings: list[dict[str, Any]] = []
    with httpx.Client(base_url=url, timeout=120) as client:
        for index in range(first, last):
            meta = {
                "name": f"Room {index // 100}.{index % 100:02d}",
                "building": f"b{index % 10}",
                "floor": str(index % 5),
                "comfort": {"min_celsius": 19, "max_celsius": 24},
            }
            client.put(f"/api/v1/rooms/{room_id(index)}", json=meta).raise_for_status()
            draw = rng.random()
            level = 26.0 if draw < 0.02 else 17.0 if draw < 0.04 else 21.0
            quiet_ms = 60 * MINUTE_MS if 0.04 <= draw < 0.06 else 0
            for age_ms in range(MINUTE_MS + quiet_ms, 24 * 60 * MINUTE_MS, READINGS_EVERY_MS):
                value = round(level + rng.uniform(-0.8, 0.8), 2)
                readings.append({"room_id": room_id(index), "value": value, "t": now_ms - age_ms})
        for start in range(0, len(readings), BATCH):
            body = [
                {"room_id": r["room_id"], "value": r["value"], "timestamp": r["t"] / 1000}
                for r in readings[start : start + BATCH]
            ]
            client.post("/api/v1/readings", json=body).raise_for_status()


@dataclass
class Traffic:
    """What Chromium sent and received, counted from the DevTools protocol's network events."""

    started: set[str] = field(default_factory=set)
    finished: dict[str, int] = field(default_factory=dict)

    def watch(self, cdp: CDPSession) -> None:
        cdp.on("Network.requestWillBeSent", lambda e: self.started.add(e["requestId"]))
        cdp.on("Network.loadingFinished", self._done)
        cdp.on("Network.loadingFailed", lambda e: self.finished.setdefault(e["requestId"], 0))

    def _done(self, event: dict[str, Any]) -> None:
        self.finished[event["requestId"]] = int(event["encodedDataLength"])

    def reset(self) -> None:
        self.started.clear()
        self.finished.clear()

    def settled(self) -> bool:
        return bool(self.started) and self.started <= set(self.finished)


@dataclass
class Load:
    """One cold load of the overview and one refresh after it."""

    first_tile_ms: float
    all_tiles_ms: float
    first_page_ms: float  # of which the first page of the rooms list, from request to answer
    refresh_bytes: int
    refresh_requests: int


def wait_settled(page: Page, traffic: Traffic, quiet_s: float = 0.5, limit_s: float = 120) -> None:
    """Until every request the page started has finished and none started for `quiet_s`."""
    deadline = time.monotonic() + limit_s
    seen, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_timeout(50)
        if len(traffic.started) != seen:
            seen, since = len(traffic.started), time.monotonic()
        elif traffic.settled() and time.monotonic() - since >= quiet_s:
            return
    raise RuntimeError("the page kept asking for more")


def load_once(browser: Browser, url: str, rooms: int, latency_ms: int) -> Load:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, service_workers="block")
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        if latency_ms:
            conditions = {"latency": latency_ms, "downloadThroughput": -1, "uploadThroughput": -1}
            cdp.send("Network.emulateNetworkConditions", {"offline": False, **conditions})
        traffic = Traffic()
        traffic.watch(cdp)
        page.add_init_script(f"({WATCH_TILES})({rooms})")
        page.goto(url + "/")
        page.wait_for_function("() => window.__allTiles !== null", timeout=120_000)
        first, every = page.evaluate("() => [window.__firstTile, window.__allTiles]")
        first_page = page.evaluate(FIRST_PAGE_MS)
        page.wait_for_function("() => window.__refreshes === 1", timeout=120_000)
        wait_settled(page, traffic)  # sparklines of the tiles in view too
        traffic.reset()
        page.locator('[data-unit="celsius"]').click()  # a refresh, as the 30 s timer makes one
        page.wait_for_function("() => window.__refreshes === 2", timeout=120_000)
        wait_settled(page, traffic)
        return Load(first, every, first_page, sum(traffic.finished.values()), len(traffic.finished))
    finally:
        context.close()


def gzipped_refresh(url: str) -> int:
    """The bytes of one refresh's API answers (rooms list pages, alerts) if they were gzipped."""
    total = 0
    with httpx.Client(base_url=url, timeout=60) as client:
        total += len(gzip.compress(client.get("/api/v1/alerts").content))
        cursor = None
        while True:
            page = client.get("/api/v1/rooms", params={"cursor": cursor} if cursor else {})
            total += len(gzip.compress(page.content))
            cursor = page.json()["next_cursor"]
            if not cursor:
                return total


def print_rows(rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="roomtemp dashboard bench (median of the runs, min in brackets)")
    for column in (
        "rooms",
        "link",
        "first tile ms",
        "every tile ms",
        "first rooms page ms",
        "requests / refresh",
        "KB / refresh",
        "KB if gzipped",
        "aim",
    ):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    Console(width=200).print(table)


@dataclass
class Link:
    """How the browser reaches the server: a URL (maybe through the delaying proxy) and
    Chromium's own latency emulation (0: none)."""

    name: str
    url: str
    latency_ms: int = 0


def measure(browser: Browser, rooms: int, link: Link, runs: int, gzipped: int) -> list[str]:
    """One row: `runs` cold loads of the overview over `link`; `gzipped` is the refresh's
    bytes as gzip would send them (the same over every link)."""
    loads = [load_once(browser, link.url, rooms, link.latency_ms) for _ in range(runs)]
    first = [load.first_tile_ms for load in loads]
    every = [load.all_tiles_ms for load in loads]
    aim = "first tile < 1 s" if rooms == 500 and link.name != "localhost" else ""
    print(f"  {rooms} rooms, {link.name}: first tile {first}, every tile {every}")
    return [
        f"{rooms:,}",
        link.name,
        f"{statistics.median(first):,.0f} ({min(first):,.0f})",
        f"{statistics.median(every):,.0f} ({min(every):,.0f})",
        f"{statistics.median(load.first_page_ms for load in loads):,.0f}",
        str(max(load.refresh_requests for load in loads)),
        f"{statistics.median(load.refresh_bytes for load in loads) / 1000:,.1f}",
        f"{gzipped / 1000:,.1f}",
        aim,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rooms", default="48,500,5000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency-ms", type=int, default=100)
    options = parser.parse_args()
    sizes = sorted(int(n) for n in options.rooms.split(","))
    ms = options.latency_ms
    rows = []
    with tempfile.TemporaryDirectory(prefix="roomtemp-bench-dash-") as folder:
        server = Server.start(Path(folder), workers=1)
        port = int(server.url.rsplit(":", 1)[1])
        try:
            with sync_playwright() as playwright, delayed(port, ms / 1000) as slow_url:
                links = [
                    Link("localhost", server.url),
                    Link(f"Chromium: >= {ms} ms a request", server.url, ms),
                    Link(f"proxy: +{ms} ms a round trip", slow_url),
                ]
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
                )
                made = 0
                for rooms in sizes:
                    add_rooms(server.url, made, rooms, int(time.time() * 1000))
                    made = rooms
                    gzipped = gzipped_refresh(server.url)
                    rows += [measure(browser, rooms, link, options.runs, gzipped) for link in links]
                browser.close()
        finally:
            server.stop()
    print_rows(rows)


if __name__ == "__main__":
    main()
