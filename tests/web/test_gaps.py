"""Coverage on the room view: where readings are missing, the chart shades the time and the data
table says how much of each bucket the readings cover, as computed here from the pushed readings."""

from __future__ import annotations

import math

import httpx
from playwright.sync_api import Browser, expect

from tests.support import close, iso, ms
from tests.web.conftest import DESKTOP, LiveServer, api, open_session, screenshot
from tests.web.seed import HOUR_MS, MINUTE_MS, NOW_MS, percent

STALE_AFTER_MS = 15 * MINUTE_MS  # the default ROOMTEMP_STALE_AFTER: how long a reading holds
START_MS = NOW_MS - 6 * HOUR_MS
STEP_MS = 5 * MINUTE_MS
GAP = (NOW_MS - 4 * HOUR_MS, NOW_MS - 2 * HOUR_MS)  # no readings in here


def gappy_readings() -> list[int]:
    """Every 5 minutes, 30 s into each bucket of the 6 h range, except during GAP."""
    times = (START_MS + 30_000 + k * STEP_MS for k in range(72))
    return [t for t in times if not GAP[0] <= t < GAP[1]]


def coverage(times: list[int], start_ms: int, end_ms: int) -> float:
    """The share of [start, end) during which a reading holds (until the next, at most 15 min)."""
    held = 0
    for now, after in zip(times, [*times[1:], math.inf], strict=True):
        until = min(after, now + STALE_AFTER_MS, end_ms)
        held += max(0, until - max(now, start_ms))
    return held / (end_ms - start_ms)


def test_missing_readings_show_as_shaded_time_and_coverage_below_100(
    browser: Browser, fresh_live: LiveServer
) -> None:
    times = gappy_readings()
    body = [{"value": 20 + k % 3 / 10, "timestamp": iso(t)} for k, t in enumerate(times)]
    answer = httpx.post(f"{fresh_live.base_url}/api/v1/rooms/gappy/readings", json=body)
    assert answer.status_code == 201, answer.text
    stats = api(fresh_live, "/rooms/gappy/stats", start=iso(START_MS), end=iso(NOW_MS), step="5m")
    buckets = stats["buckets"]
    for bucket in buckets:  # the API's coverage is what the readings give
        assert close(bucket["coverage"], coverage(times, ms(bucket["start"]), ms(bucket["end"])))
    assert len(buckets) == len(times)  # a bucket per reading, none in the gap
    assert any(0 < b["coverage"] < 1 for b in buckets)

    session = open_session(browser, fresh_live, DESKTOP)
    try:
        page = session.page
        page.clock.set_fixed_time(NOW_MS / 1000)
        page.goto(fresh_live.base_url + "/#/room/gappy?range=6h")
        expect(page.locator(".chart .mean")).to_have_attribute("data-points", str(len(buckets)))
        partial = [b for b in buckets if b["coverage"] < 1]
        # one shade per partly covered bucket, and one for the stretch without buckets
        expect(page.locator(".chart .gaps rect")).to_have_count(len(partial) + 1)
        shaded = page.locator(".chart .gaps rect[data-coverage='0']")
        expect(shaded).to_have_count(1)
        expect(page.locator(".chart-note")).to_have_text("Shaded: time without readings")
        summary = coverage(times, START_MS, NOW_MS)
        assert close(stats["summary"]["coverage"], summary)
        expect(page.locator(".range-summary")).to_contain_text(
            f"readings cover {percent(summary)} of the range"
        )
        page.locator(".panel > summary", has_text="Data table").click()
        cells = page.locator(".buckets tbody td[data-coverage]")
        expect(cells).to_have_text([percent(b["coverage"]) for b in buckets])
        screenshot(page, "room-gappy")
        session.watch.assert_clean()
    finally:
        session.context.close()
