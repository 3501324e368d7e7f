"""A live roomtemp server on a loopback port with known data, Debian's Chromium via Playwright.

Without /usr/bin/chromium the browser tests skip, or fail when ROOMTEMP_REQUIRE_ENGINES=1.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from tests.processes import missing
from tests.support import FakeClock
from tests.web.seed import NOW_MS, Room, push, seed_rooms

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
expect.set_options(timeout=10_000)  # room for a loaded CI machine; a passing check returns at once


@dataclass
class LiveServer:
    """roomtemp served by uvicorn in a thread, on a free 127.0.0.1 port, with an injected clock."""

    base_url: str
    clock: FakeClock
    rooms: list[Room]
    stop: Callable[[], None]


def api(live: LiveServer, path: str, **params: str) -> Any:
    """The API's own answer, asked directly (not through the page)."""
    answer = httpx.get(f"{live.base_url}/api/v1{path}", params=params, timeout=10)
    answer.raise_for_status()
    return answer.json()


def start_server(tmp_dir: Path) -> LiveServer:
    clock = FakeClock(NOW_MS / 1000)
    # small pages, so that the CSV download has to follow Link: rel="next"
    settings = Settings(storage=f"sqlite:///{tmp_dir / 'roomtemp.sqlite3'}", max_page=1000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, clock=clock), log_level="warning", ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive(), "server thread died"
        assert time.monotonic() < deadline, "server did not start within 15 s"
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    rooms = seed_rooms()
    live = LiveServer(f"http://127.0.0.1:{port}", clock, rooms, stop)
    push(live.base_url, rooms)
    return live


@pytest.fixture(scope="session")
def live() -> Iterator[LiveServer]:
    """One seeded server for the read-only browser tests."""
    with tempfile.TemporaryDirectory(prefix="roomtemp-web-") as tmp:
        server = start_server(Path(tmp))
        yield server
        server.stop()


@pytest.fixture
def fresh_live(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own, for a test that pushes data or moves the clock."""
    server = start_server(tmp_path)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing (Debian package chromium)")
    with sync_playwright() as playwright:
        # launch() gives each browser a fresh temporary user data dir, removed on close
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=30_000
        )
        yield chromium
        chromium.close()


@dataclass
class Watch:
    """What a page did: console errors, uncaught exceptions, and every URL it asked for."""

    origin: str
    errors: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} at {message.location.get('url')}")

    def assert_clean(self, allowed: tuple[str, ...] = ()) -> None:
        unexpected = [e for e in self.errors if not any(a in e for a in allowed)]
        assert not unexpected, unexpected
        outside = [u for u in self.urls if not u.startswith((self.origin + "/", "blob:", "data:"))]
        assert not outside, outside
        assert self.urls, "the page asked for nothing"


@dataclass
class Session:
    context: BrowserContext
    page: Page
    watch: Watch


def open_session(browser: Browser, live: LiveServer, viewport: dict[str, int]) -> Session:
    context = browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        locale="en-GB",
        timezone_id="Europe/Paris",
        service_workers="block",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    watch = Watch(live.base_url)
    page.on("console", watch.on_console)
    page.on("pageerror", lambda error: watch.errors.append(f"uncaught: {error}"))
    page.on("request", lambda request: watch.urls.append(request.url))
    return Session(context, page, watch)


@pytest.fixture
def session(browser: Browser, live: LiveServer) -> Iterator[Session]:
    """A desktop-size page whose clock reads the server's (fake) now."""
    opened = open_session(browser, live, DESKTOP)
    opened.page.clock.set_fixed_time(NOW_MS / 1000)
    yield opened
    opened.context.close()


def screenshot(page: Page, name: str) -> Path:
    """The whole page in test-artifacts/, named by view and viewport: look at them."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size or {"width": 0, "height": 0}
    path = ARTIFACTS / f"{name}-{size['width']}x{size['height']}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
