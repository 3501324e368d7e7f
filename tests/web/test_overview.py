"""The overview in Chromium: tiles against the API, stale state, comfort, trend, °F, filters."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import PHONE, LiveServer, Session, api, open_session, screenshot
from tests.web.seed import EN_DASH, MINUTE_MS, NOW_MS, Room, fahrenheit, shown


def expected_state(room: dict, temperature: dict | None, unit: str) -> str:
    """The tile state, decided here from the API's answers."""
    if temperature is None:
        return "empty"
    if temperature["stale"]:
        return "stale"
    band = room["comfort"]
    low, high = band["min_celsius"], band["max_celsius"]
    convert = fahrenheit if unit == "fahrenheit" else float
    if low is None and high is None:
        return "none"
    if low is not None and temperature["value"] < convert(low):
        return "cold"
    if high is not None and temperature["value"] > convert(high):
        return "hot"
    return "ok"


def check_tiles(page: Page, live: LiveServer, unit: str) -> dict[str, str]:
    """Every tile shows the API's current value in `unit`; returns each room's state."""
    symbol = "°F" if unit == "fahrenheit" else "°C"
    states = {}
    for room in api(live, "/rooms", unit=unit)["rooms"]:
        tile = page.locator(f'.tile[data-room="{room["room_id"]}"]')
        temperature = None
        if room["latest"] is not None:
            temperature = api(live, f"/rooms/{room['room_id']}/temperature", unit=unit)
            expect(tile.locator(".num")).to_have_text(shown(temperature["value"]))
            expect(tile.locator(".unit")).to_have_text(f" {symbol}")
        else:
            expect(tile.locator(".num")).to_have_text(EN_DASH)
        states[room["room_id"]] = expected_state(room, temperature, unit)
        expect(tile).to_have_attribute("data-state", states[room["room_id"]])
    return states


def kitchen_trend(rooms: list[Room]) -> float:
    """Mean of the last 15 minutes minus the mean of 60 to 45 minutes ago, from the pushed data."""
    kitchen = next(r for r in rooms if r.room_id == "kitchen")
    late = kitchen.values_in(NOW_MS - 15 * MINUTE_MS, NOW_MS)
    early = kitchen.values_in(NOW_MS - 60 * MINUTE_MS, NOW_MS - 45 * MINUTE_MS)
    return sum(late) / len(late) - sum(early) / len(early)


def test_tiles_show_the_api_numbers_states_and_trend(session: Session, live: LiveServer) -> None:
    page = session.page
    page.goto(live.base_url + "/")
    states = check_tiles(page, live, "celsius")
    assert states == {
        "attic": "stale",
        "cellar": "cold",
        "empty": "empty",
        "kitchen": "hot",
        "lab-1": "ok",
        "store": "none",
    }

    attic = page.locator('.tile[data-room="attic"]')
    expect(attic.locator(".tile-status")).to_have_text("Stale: last reading 2 h ago")
    expect(attic.locator(".tile-label")).to_have_text("last known ")
    expect(page.locator('.tile[data-room="empty"] .tile-status')).to_have_text("No readings yet")
    expect(page.locator('.tile[data-room="kitchen"] .tile-status')).to_have_text(
        f"too hot · 18.0{EN_DASH}22.0 °C"
    )
    trend = kitchen_trend(live.rooms)
    expect(page.locator('.tile[data-room="kitchen"] .tile-trend')).to_have_text(
        f"↗ +{shown(trend)} °C in 1 h"
    )
    expect(page.locator(".summary")).to_have_text(
        "6 of 6 rooms · 1 too hot · 1 too cold · 1 stale · 1 without readings"
    )
    expect(page.locator(".group h2")).to_have_text(["annex", "hq", "No building"])
    screenshot(page, "overview-desktop")
    session.watch.assert_clean()


def test_fahrenheit_toggle_is_applied_and_remembered(session: Session, live: LiveServer) -> None:
    page = session.page
    page.goto(live.base_url + "/")
    check_tiles(page, live, "celsius")
    page.get_by_role("button", name="°F").click()
    expect(page.get_by_role("button", name="°F")).to_have_attribute("aria-pressed", "true")
    check_tiles(page, live, "fahrenheit")
    page.reload()
    expect(page.get_by_role("button", name="°F")).to_have_attribute("aria-pressed", "true")
    check_tiles(page, live, "fahrenheit")
    session.watch.assert_clean()


def test_filters_and_search(session: Session, live: LiveServer) -> None:
    page = session.page
    page.goto(live.base_url + "/")
    tiles = page.locator(".tile")
    expect(tiles).to_have_count(6)
    page.locator("#building").select_option("annex")
    expect(tiles).to_have_count(2)
    page.locator("#floor").select_option("B1")
    expect(tiles).to_have_count(1)
    expect(tiles.first).to_have_attribute("data-room", "cellar")
    page.locator("#building").select_option("")
    page.locator("#floor").select_option("")
    page.locator("#search").fill("EAST")  # matches lab-1 by its label value
    expect(tiles).to_have_count(1)
    expect(tiles.first).to_have_attribute("data-room", "lab-1")
    page.locator("#search").fill("nothing like this")
    expect(page.locator(".empty")).to_have_text("No room matches these filters.")
    page.locator("#search").fill("")
    page.locator("#search").press("Tab")  # the filters, then the first tile
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator(".tile").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(live.base_url + "/#/room/empty")
    expect(page.locator("h1")).to_have_text("Empty office")
    expect(page.locator(".current")).to_have_attribute("data-state", "empty")
    expect(page.locator(".range-summary")).to_have_text("No readings in this range.")
    session.watch.assert_clean()


def test_phone_overview_fits_the_screen(browser: Browser, live: LiveServer) -> None:
    phone = open_session(browser, live, PHONE)
    try:
        phone.page.clock.set_fixed_time(NOW_MS / 1000)
        phone.page.goto(live.base_url + "/")
        expect(phone.page.locator(".tile")).to_have_count(6)
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
        screenshot(phone.page, "overview-phone")
        phone.watch.assert_clean()
    finally:
        phone.context.close()
