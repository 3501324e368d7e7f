"""axe-core finds no serious or critical violation on any view, desktop or phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.web.axe import violations
from tests.web.conftest import PHONE, LiveServer, open_session, screenshot
from tests.web.seed import NOW_MS

DESKTOP_WIDE = {"width": 1440, "height": 900}
VIEWS = {
    "overview": ("/", ".tile"),
    "overview-filtered": ("/#/?state=too_hot", ".tile"),
    "heatmap": ("/#/?view=heatmap", "[data-heatmap] td[data-mean]"),
    "room": ("/#/room/lab-1?range=7d", ".chart .mean"),
    "room-stale": ("/#/room/attic", ".current"),
    "room-gaps": ("/#/room/kitchen?range=24h", ".chart .gaps rect"),
    "compare": ("/#/compare?rooms=lab-1,kitchen,cellar,attic&range=7d", "[data-chart] .line"),
}


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_no_serious_violation_on_any_view(browser: Browser, live: LiveServer, size: str) -> None:
    session = open_session(browser, live, DESKTOP_WIDE if size == "desktop" else PHONE)
    try:
        page = session.page
        page.clock.set_fixed_time(NOW_MS / 1000)
        found = {}
        for name, (path, ready) in VIEWS.items():
            page.goto(live.base_url + path)
            page.reload()
            expect(page.locator(ready).first).to_be_visible()
            page.wait_for_load_state("networkidle")
            screenshot(page, name)
            found[name] = violations(page)
        assert found == {name: [] for name in VIEWS}, found
    finally:
        session.context.close()
