"""The overview in Chromium: problem rooms first, states from the API, counts that filter (kept in
the URL), the alerts list, one request per refresh, focus kept, a phone with a very long name."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support import iso
from tests.web.conftest import PHONE, LiveServer, Session, api, open_session, screenshot
from tests.web.seed import EN_DASH, MINUTE_MS, NOW_MS, shown

PARIS = ZoneInfo("Europe/Paris")  # the browser's zone in these tests
PROBLEM_RANK = {"too_hot": 0, "too_cold": 1, "stale": 2}


def clock(text: str) -> str:
    return f"{datetime.fromisoformat(text.replace('Z', '+00:00')).astimezone(PARIS):%H:%M}"


def check_tiles(page: Page, live: LiveServer, unit: str) -> dict[str, str]:
    """Every tile shows the API's current value and state in `unit`; returns the states."""
    symbol = "°F" if unit == "fahrenheit" else "°C"
    states = {}
    for room in api(live, "/rooms", unit=unit)["rooms"]:
        tile = page.locator(f'.tile[data-room-id="{room["room_id"]}"]')
        current = room["current"]
        if current["value"] is None:
            expect(tile.locator(".num")).to_have_text(EN_DASH)
        else:
            expect(tile.locator(".num")).to_have_text(shown(current["value"]))
            expect(tile.locator(".unit")).to_have_text(f" {symbol}")
        expect(tile).to_have_attribute("data-state", current["state"])
        states[room["room_id"]] = current["state"]
    return states


def test_problem_rooms_come_first_with_their_state_and_since(
    session: Session, live: LiveServer
) -> None:
    page = session.page
    page.goto(live.base_url + "/")
    states = check_tiles(page, live, "celsius")
    assert states == {
        "attic": "stale",
        "cellar": "too_cold",
        "empty": "no_data",
        "kitchen": "too_hot",
        "lab-1": "ok",
        "store": "ok",
    }
    order = page.locator(".tile").evaluate_all("tiles => tiles.map(t => t.dataset.roomId)")
    assert order[:3] == ["kitchen", "cellar", "attic"]
    assert {room: PROBLEM_RANK.get(states[room], 9) for room in order[3:]} == dict.fromkeys(
        order[3:], 9
    )
    kitchen = api(live, "/rooms/kitchen")["current"]
    minutes = (
        NOW_MS
        - datetime.fromisoformat(kitchen["state_since"].replace("Z", "+00:00")).timestamp() * 1000
    ) // MINUTE_MS
    expect(page.locator('.tile[data-room-id="kitchen"] .tile-status')).to_have_text(
        f"too hot since {clock(kitchen['state_since'])} ({int(minutes)} min)"
    )
    expect(page.locator('.tile[data-room-id="attic"] .tile-status')).to_have_text(
        "Stale: last reading 2 h ago"
    )
    expect(page.locator('.tile[data-room-id="empty"] .tile-status')).to_have_text("No readings yet")
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator(".group h2").first).to_have_text("Needs attention")
    alerts = api(live, "/alerts")["alerts"]
    items = page.locator("[data-alerts] li")
    expect(items).to_have_count(len(alerts))
    for item, alert in zip(items.all(), alerts, strict=True):
        expect(item).to_have_attribute("data-kind", alert["kind"])
        expect(item).to_contain_text(f"since {clock(alert['since'])}")
    screenshot(page, "overview")
    session.watch.assert_clean()


def test_a_state_count_filters_and_the_url_keeps_it_across_back(
    session: Session, live: LiveServer
) -> None:
    page = session.page
    page.goto(live.base_url + "/")
    expect(page.locator(".tile")).to_have_count(6)
    page.get_by_role("button", name=re.compile("too hot")).click()
    expect(page.locator(".tile")).to_have_count(1)
    expect(page).to_have_url(live.base_url + "/#/?state=too_hot")
    page.locator('.tile[data-room-id="kitchen"]').click()
    expect(page.locator("h1")).to_have_text("Kitchen")
    page.go_back()
    expect(page.locator(".tile")).to_have_count(1)
    expect(page.get_by_role("button", name=re.compile("too hot"))).to_have_attribute(
        "aria-pressed", "true"
    )
    page.reload()
    expect(page.locator(".tile")).to_have_count(1)
    page.locator("#search").fill("EAST")  # a label value of lab-1, with the state filter off
    page.get_by_role("button", name=re.compile("too hot")).click()
    expect(page.locator(".tile")).to_have_count(1)
    expect(page.locator(".tile").first).to_have_attribute("data-room-id", "lab-1")
    expect(page).to_have_url(live.base_url + "/#/?q=EAST")
    session.watch.assert_clean()


def test_fahrenheit_toggle_is_applied_and_remembered(session: Session, live: LiveServer) -> None:
    page = session.page
    page.goto(live.base_url + "/")
    check_tiles(page, live, "celsius")
    page.get_by_role("button", name="°F").click()
    expect(page.get_by_role("button", name="°F")).to_have_attribute("aria-pressed", "true")
    check_tiles(page, live, "fahrenheit")
    page.reload()
    check_tiles(page, live, "fahrenheit")
    session.watch.assert_clean()


def test_focus_stays_on_a_tile_across_refreshes(session: Session, live: LiveServer) -> None:
    page = session.page
    page.goto(live.base_url + "/")
    tile = page.locator('.tile[data-room-id="lab-1"]')
    tile.focus()
    page.get_by_role("button", name="°C").dispatch_event("click")  # refreshes, as the timer does
    expect(page.locator(".tile")).to_have_count(6)
    page.wait_for_load_state("networkidle")
    expect(tile).to_be_focused()


@pytest.mark.parametrize(("total", "most"), [(48, 3), (1500, 4)])
def test_one_refresh_asks_for_few_things(
    browser: Browser, fresh_live: LiveServer, total: int, most: int
) -> None:
    rooms = [f"many-{i:04d}" for i in range(total - 6)]  # with the seeded six
    body = [{"room_id": r, "value": 21.0, "timestamp": iso(NOW_MS - 90_000)} for r in rooms]
    httpx.post(f"{fresh_live.base_url}/api/v1/readings", json=body, timeout=60).raise_for_status()
    session = open_session(browser, fresh_live, {"width": 1280, "height": 860})
    try:
        page = session.page
        page.clock.install(time=NOW_MS / 1000)
        page.goto(fresh_live.base_url + "/")
        expect(page.locator(".summary")).to_have_text(f"{total} of {total} rooms")
        page.wait_for_load_state("networkidle")  # the sparklines of the tiles in view
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        page.clock.run_for(30_000)  # the refresh timer fires
        page.wait_for_load_state("networkidle")
        expect(page.locator(".summary")).to_have_text(f"{total} of {total} rooms")
        api_calls = [url for url in asked if "/api/v1/" in url]
        assert 1 <= len(api_calls) <= most, api_calls
    finally:
        session.context.close()


def test_phone_overview_fits_the_screen_with_a_very_long_name(
    browser: Browser, fresh_live: LiveServer
) -> None:
    long_name = "The east wing's large meeting room on the second floor, next to the library"
    assert len(long_name) > 70
    httpx.put(
        f"{fresh_live.base_url}/api/v1/rooms/store", json={"name": long_name}
    ).raise_for_status()
    phone = open_session(browser, fresh_live, PHONE)
    try:
        phone.page.clock.set_fixed_time(NOW_MS / 1000)
        phone.page.goto(fresh_live.base_url + "/")
        expect(phone.page.locator(".tile")).to_have_count(6)
        width = phone.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
        expect(phone.page.locator('.tile[data-room-id="store"]')).to_have_attribute(
            "title", f"{long_name} (store)"
        )
        screenshot(phone.page, "overview-long-name")
        phone.watch.assert_clean()
    finally:
        phone.context.close()


def test_sparklines_are_the_api_hourly_means_of_the_last_day(
    session: Session, live: LiveServer
) -> None:
    page = session.page
    with page.expect_request(lambda r: "/api/v1/rooms/lab-1/stats" in r.url) as request:
        page.goto(live.base_url + "/")
    query = {k: v[0] for k, v in parse_qs(urlsplit(request.value.url).query).items()}
    assert query == {
        "start": iso(NOW_MS - 86_400_000),
        "end": iso(NOW_MS),
        "step": "1h",
        "unit": "celsius",
    }
    buckets = api(live, "/rooms/lab-1/stats", **query)["buckets"]
    spark = page.locator('.tile[data-room-id="lab-1"] [data-sparkline]')
    expect(spark).to_have_attribute("data-points", str(len(buckets)))
    expect(spark).to_have_attribute("data-values", ",".join(f"{b['mean']:.2f}" for b in buckets))
    assert spark.locator("polyline").get_attribute("points").count(",") == len(buckets)
    session.watch.assert_clean()


def test_heat_map_cells_are_the_api_hourly_means(session: Session, live: LiveServer) -> None:
    page = session.page
    page.goto(live.base_url + "/#/?view=heatmap")
    rows = page.locator("[data-heatmap] tbody tr")
    expect(rows).to_have_count(6)
    order = rows.evaluate_all("rows => rows.map(r => r.dataset.roomId)")
    assert order[:3] == ["kitchen", "cellar", "attic"]  # the attention order here too
    query = {"start": iso(NOW_MS - 86_400_000), "end": iso(NOW_MS), "step": "1h"}
    for room in ("lab-1", "kitchen"):
        buckets = api(live, f"/rooms/{room}/stats", **query)["buckets"]
        row = page.locator(f'[data-heatmap] tr[data-room-id="{room}"]')
        for bucket in buckets:
            cell = row.locator(f'td[data-hour="{bucket["start"]}"]')
            expect(cell).to_have_text(shown(bucket["mean"]))
        filled = row.locator("td[data-mean]")
        expect(filled).to_have_count(len(buckets))
    kitchen_last = page.locator('[data-heatmap] tr[data-room-id="kitchen"] td[data-mean]').last
    expect(kitchen_last).to_have_attribute("data-state", "too_hot")
    page.get_by_role("button", name="Tiles").click()
    expect(page).to_have_url(live.base_url + "/#/")
    expect(page.locator(".tile")).to_have_count(6)
    session.watch.assert_clean()
