"""Time passing on a server of the test's own: auto-refresh in place, rooms going stale, edits."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, expect

from tests.support import iso
from tests.web.conftest import DESKTOP, PHONE, LiveServer, open_session, screenshot
from tests.web.seed import NOW_MS


def test_tiles_refresh_in_place_and_turn_stale(browser: Browser, fresh_live: LiveServer) -> None:
    session = open_session(browser, fresh_live, DESKTOP)
    page = session.page
    try:
        page.clock.install(time=NOW_MS / 1000)
        page.goto(fresh_live.base_url + "/")
        store = page.locator('.tile[data-room-id="store"]')
        expect(store.locator(".num")).to_have_text("20.0")
        node = store.element_handle()

        answer = httpx.post(
            f"{fresh_live.base_url}/api/v1/rooms/store/readings",
            json={"value": 21.7, "timestamp": iso(NOW_MS + 20_000), "sensor_id": "s1"},
        )
        assert answer.status_code == 201
        fresh_live.clock.advance(30)
        page.clock.run_for(30_000)  # the refresh timer fires; no reload
        expect(store.locator(".num")).to_have_text("21.7")
        assert node.evaluate("tile => tile.isConnected")  # the same element, updated in place

        fresh_live.clock.advance(20 * 60)
        page.clock.fast_forward(20 * 60_000)
        lab = page.locator('.tile[data-room-id="lab-1"]')
        expect(lab).to_have_attribute("data-state", "stale")
        # newest lab reading: 77 s before the start; now: 20 min 30 s after it
        expect(lab.locator(".tile-status")).to_have_text("Stale: last reading 21 min ago")
        expect(store).to_have_attribute("data-state", "stale")
        session.watch.assert_clean()
    finally:
        session.context.close()


def test_room_details_can_be_edited_on_a_phone(browser: Browser, fresh_live: LiveServer) -> None:
    session = open_session(browser, fresh_live, PHONE)
    page = session.page
    try:
        page.clock.set_fixed_time(NOW_MS / 1000)
        page.goto(fresh_live.base_url + "/#/room/kitchen?range=7d")
        expect(page.locator(".chart .mean")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "room-edit")

        page.get_by_role("button", name="°F").click()
        page.locator(".panel > summary", has_text="Edit room details").click()
        expect(page.locator("#edit-high")).to_have_value("71.6")  # 22 °C
        page.locator("#edit-name").fill("Staff kitchen")
        page.locator("#edit-low").fill("80")
        page.locator("#edit-high").fill("75.2")
        page.get_by_role("button", name="Save").click()  # refused here, in °F, nothing sent
        expect(page.locator(".form-note")).to_have_text(
            "The comfort minimum (80 °F) must be below the maximum (75.2 °F)."
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert httpx.get(f"{fresh_live.base_url}/api/v1/rooms/kitchen").json()["name"] == "Kitchen"
        page.locator("#edit-low").fill("64.4")  # 18 °C
        page.locator("#edit-high").fill("75.2")  # 24 °C
        page.locator("#edit-labels").fill("wing=east\nuse = staff only")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("h1")).to_have_text("Staff kitchen")
        expect(page.locator(".current")).to_have_attribute("data-state", "ok")
        room = httpx.get(f"{fresh_live.base_url}/api/v1/rooms/kitchen").json()
        assert room["name"] == "Staff kitchen"
        assert room["comfort"] == {"min_celsius": 18.0, "max_celsius": 24.0}
        assert room["labels"] == {"wing": "east", "use": "staff only"}
        assert (room["building"], room["floor"]) == ("hq", "0")
        session.watch.assert_clean()
    finally:
        session.context.close()
