"""Several rooms in one chart: a line per room whose points are the API's buckets, a legend, the
range and unit controls, the rooms kept in the URL, and the ways there from the other views."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.support import iso
from tests.web.conftest import PHONE, LiveServer, Session, api, open_session, screenshot
from tests.web.seed import NOW_MS

ROOMS = ["lab-1", "kitchen", "cellar"]


def check_lines(page: Page, live: LiveServer, query: dict[str, str]) -> None:
    """Each room's line has one point per API bucket, at the API's mean."""
    for room in ROOMS:
        buckets = api(live, f"/rooms/{room}/stats", **query)["buckets"]
        assert buckets, room
        line = page.locator(f'[data-chart] .line[data-room-id="{room}"]')
        expect(line).to_have_attribute("data-points", str(len(buckets)))
        means = [float(m) for m in (line.get_attribute("data-means") or "").split(",")]
        assert means == [b["mean"] for b in buckets], room
        points = re.findall(r"[ML]-?[\d.]+,-?[\d.]+", line.get_attribute("d") or "")
        assert len(points) == len(buckets), room


def test_a_line_per_room_with_the_api_buckets_in_the_url_and_in_the_units(
    session: Session, live: LiveServer
) -> None:
    page = session.page
    page.goto(f"{live.base_url}/#/compare?rooms={','.join(ROOMS)}&range=7d")
    query = {"start": iso(NOW_MS - 7 * 86_400_000), "end": iso(NOW_MS), "step": "2h"}
    check_lines(page, live, {**query, "unit": "celsius"})
    legend = page.locator(".legend li")
    expect(legend).to_have_count(3)
    expect(legend).to_have_text([re.compile(name) for name in ("Lab 1", "Kitchen", "Cellar")])
    expect(page.locator("h1")).to_have_text("Compare rooms")
    page.get_by_role("button", name="°F").click()
    check_lines(page, live, {**query, "unit": "fahrenheit"})
    page.get_by_role("button", name="°C").click()

    page.locator('[data-preset="24h"]').click()
    expect(page).to_have_url(f"{live.base_url}/#/compare?rooms=lab-1,kitchen,cellar&range=24h")
    query = {"start": iso(NOW_MS - 86_400_000), "end": iso(NOW_MS), "step": "10m"}
    check_lines(page, live, {**query, "unit": "celsius"})
    page.reload()
    check_lines(page, live, {**query, "unit": "celsius"})
    expect(page.locator('[data-preset="24h"]')).to_have_attribute("aria-pressed", "true")

    page.locator("[data-chart] .chart").focus()
    page.keyboard.press("End")
    expect(page.locator(".readout")).to_contain_text("Lab 1 ")
    expect(page.locator(".readout")).to_contain_text("Kitchen ")
    screenshot(page, "compare-cursor")
    session.watch.assert_clean()


def test_rooms_are_added_from_the_room_view_and_removed_in_the_legend(
    session: Session, live: LiveServer
) -> None:
    page = session.page
    page.goto(f"{live.base_url}/#/room/lab-1?range=24h")
    # once the room is drawn: its value and chart arriving push the link down the page, and a
    # click aimed while they arrive can land on what was there (a range button, the chart)
    expect(page.locator('[data-chart="room"] .chart .mean')).to_have_count(1)
    page.get_by_role("link", name="Compare with other rooms").click()
    expect(page).to_have_url(f"{live.base_url}/#/compare?rooms=lab-1")
    expect(page.locator("[data-chart] .line")).to_have_count(1)
    page.get_by_label("Add a room").fill("nowhere")
    page.get_by_label("Add a room").press("Enter")
    expect(page.get_by_label("Add a room")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Add a room").fill("Kitchen")  # a name is taken as well as an id
    page.get_by_label("Add a room").press("Enter")
    expect(page.locator("[data-chart] .line")).to_have_count(2)
    expect(page).to_have_url(f"{live.base_url}/#/compare?rooms=lab-1,kitchen&range=24h")
    page.get_by_role("button", name="Remove Lab 1").click()
    expect(page.locator("[data-chart] .line")).to_have_count(1)
    expect(page).to_have_url(f"{live.base_url}/#/compare?rooms=kitchen&range=24h")
    session.watch.assert_clean()


def test_the_overview_compares_the_rooms_it_shows(session: Session, live: LiveServer) -> None:
    page = session.page
    page.goto(f"{live.base_url}/#/?state=too_hot")
    expect(page.locator(".tile")).to_have_count(1)
    page.get_by_role("link", name="Compare these rooms in one chart").click()
    expect(page).to_have_url(f"{live.base_url}/#/compare?rooms=kitchen")
    expect(page.locator("[data-chart] .line")).to_have_count(1)
    page.go_back()
    expect(page.locator(".tile")).to_have_count(1)
    session.watch.assert_clean()


def test_the_compare_view_fits_a_phone(browser: Browser, live: LiveServer) -> None:
    phone = open_session(browser, live, PHONE)
    try:
        page = phone.page
        page.clock.set_fixed_time(NOW_MS / 1000)
        page.goto(f"{live.base_url}/#/compare?rooms={','.join(ROOMS)}&range=30d")
        expect(page.locator("[data-chart] .line")).to_have_count(3)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        chart = page.locator("[data-chart] .chart").bounding_box()
        assert chart is not None
        assert chart["y"] + chart["height"] <= PHONE["height"], "the chart is above the fold"
        screenshot(page, "compare-30d")
        phone.watch.assert_clean()
    finally:
        phone.context.close()
