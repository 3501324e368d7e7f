"""The room view in Chromium: current value, sensors, presets and steps, chart, table, CSV."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.support import close, iso, ms
from tests.web.conftest import PHONE, LiveServer, Session, api, open_session, screenshot
from tests.web.seed import NOW_MS, Room, percent, shown

# preset -> (length in seconds, the step that keeps the chart at or under 150 points)
PRESETS = {
    "6h": (6 * 3600, "5m"),
    "24h": (86400, "10m"),
    "7d": (7 * 86400, "2h"),
    "30d": (30 * 86400, "6h"),
}
PARIS = ZoneInfo("Europe/Paris")  # the browser's zone in these tests


def lab(live: LiveServer) -> Room:
    return next(r for r in live.rooms if r.room_id == "lab-1")


def paris(text: str) -> str:
    """An API time as the page writes it for en-GB in Europe/Paris: '29 Feb 2024, 13:00'."""
    local = datetime.fromtimestamp(ms(text) / 1000, PARIS)
    return f"{local.day} {local:%b %Y, %H:%M}"


def stats_query(page: Page, selector: str) -> dict[str, str]:
    """Click `selector` and return the query of the stats request that the click caused."""
    with page.expect_request(lambda r: "/api/v1/rooms/lab-1/stats" in r.url) as request:
        page.locator(selector).click()
    return {k: v[0] for k, v in parse_qs(urlsplit(request.value.url).query).items()}


def check_against_pushed_data(live: LiveServer, query: dict[str, str]) -> None:
    """The API's summary is what plain Python computes from the readings that were pushed."""
    values = lab(live).values_in(ms(query["start"]), ms(query["end"]))
    summary = api(live, "/rooms/lab-1/stats", **query)["summary"]
    assert summary["count"] == len(values)
    assert close(summary["mean"], math.fsum(values) / len(values))
    assert (summary["min"], summary["max"]) == (min(values), max(values))


def check_page_shows(page: Page, live: LiveServer, query: dict[str, str], symbol: str) -> None:
    """Summary line, data table and chart show exactly the API's answer to the page's query."""
    stats = api(live, "/rooms/lab-1/stats", **query)
    total = stats["summary"]
    expect(page.locator(".range-summary")).to_have_text(
        f"Mean {shown(total['mean'])} {symbol} · min {shown(total['min'])} {symbol} · "
        f"max {shown(total['max'])} {symbol} · {total['count']} readings, per {query['step']}"
    )
    buckets = stats["buckets"]
    expect(page.locator(".chart .mean")).to_have_attribute("data-points", str(len(buckets)))
    rows = page.locator(".buckets tbody tr")
    expect(rows).to_have_count(len(buckets))
    for row, bucket in ((rows.first, buckets[0]), (rows.last, buckets[-1])):
        expect(row.locator("td")).to_have_text(
            [
                paris(bucket["start"]),
                shown(bucket["mean"]),
                shown(bucket["min"]),
                shown(bucket["max"]),
                str(bucket["count"]),
                percent(bucket["coverage"]),
            ]
        )


def test_current_value_sensors_and_metadata(session: Session, live: LiveServer) -> None:
    page = session.page
    page.goto(live.base_url + "/")
    page.locator('.tile[data-room-id="lab-1"]').click()
    expect(page).to_have_url(live.base_url + "/#/room/lab-1")
    temperature = api(live, "/rooms/lab-1/temperature")
    expect(page.locator(".current .num")).to_have_text(shown(temperature["value"]))
    expect(page.locator(".current")).to_have_attribute("data-state", "ok")
    expect(page.locator("h1")).to_have_text("Lab 1")
    expect(page.locator(".meta")).to_have_text("id lab-1 · building hq · floor 1 · wing: east")
    assert {s["sensor_id"] for s in temperature["sensors"]} == {"door", "window"}
    for sensor in temperature["sensors"]:
        row = page.locator(f'tr[data-sensor="{sensor["sensor_id"]}"] td')
        expect(row).to_have_text(
            [f"{shown(sensor['value'])} °C", paris(sensor["timestamp"]), "current"]
        )
    screenshot(page, "room")
    session.watch.assert_clean()


def test_presets_choose_range_and_step_and_show_the_api_numbers(
    session: Session, live: LiveServer
) -> None:
    page = session.page
    page.goto(live.base_url + "/#/room/lab-1")
    expect(page.locator(".chart .mean")).to_be_visible()
    for preset, (seconds, step) in PRESETS.items():
        query = stats_query(page, f'[data-preset="{preset}"]')
        assert query == {
            "start": iso(NOW_MS - seconds * 1000),
            "end": iso(NOW_MS),
            "step": step,
            "unit": "celsius",
        }
        check_against_pushed_data(live, query)
        check_page_shows(page, live, query, "°C")
        expect(page.locator(f'[data-preset="{preset}"]')).to_have_attribute("aria-pressed", "true")
        assert page.url.endswith(f"#/room/lab-1?range={preset}")

    with page.expect_request(lambda r: "/rooms/lab-1/stats" in r.url) as request:
        page.get_by_role("button", name="°F").click()
    query = {k: v[0] for k, v in parse_qs(urlsplit(request.value.url).query).items()}
    assert query["unit"] == "fahrenheit"
    check_page_shows(page, live, query, "°F")
    session.watch.assert_clean()


def test_custom_range_is_read_in_the_browser_zone(session: Session, live: LiveServer) -> None:
    page = session.page
    page.goto(live.base_url + "/#/room/lab-1")
    expect(page.locator(".chart .mean")).to_be_visible()
    page.locator(".custom-box summary").click()
    page.locator("#range-start").fill("2024-02-20T08:30")  # Paris: UTC+1 in February
    page.locator("#range-end").fill("2024-02-27T08:30")
    query = stats_query(page, ".custom button[type=submit]")
    assert query == {
        "start": "2024-02-20T07:30:00.000Z",
        "end": "2024-02-27T07:30:00.000Z",
        "step": "2h",
        "unit": "celsius",
    }
    check_against_pushed_data(live, query)
    check_page_shows(page, live, query, "°C")
    session.watch.assert_clean()


def test_presets_and_chart_cursor_work_with_the_keyboard(
    session: Session, live: LiveServer
) -> None:
    page = session.page
    page.goto(live.base_url + "/#/room/lab-1?range=6h")
    expect(page.locator(".chart .mean")).to_be_visible()
    buckets = api(
        live, "/rooms/lab-1/stats", start=iso(NOW_MS - 6 * 3600_000), end=iso(NOW_MS), step="5m"
    )["buckets"]
    page.locator('[data-preset="24h"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator('[data-preset="24h"]')).to_have_attribute("aria-pressed", "true")
    page.locator('[data-preset="6h"]').focus()
    page.keyboard.press("Space")
    expect(page.locator('[data-preset="6h"]')).to_have_attribute("aria-pressed", "true")
    page.locator(".chart").focus()
    page.keyboard.press("End")
    expect(page.locator(".readout")).to_contain_text(f"mean {shown(buckets[-1]['mean'])} °C")
    page.keyboard.press("ArrowLeft")
    expect(page.locator(".readout")).to_contain_text(
        f"mean {shown(buckets[-2]['mean'])} °C, min {shown(buckets[-2]['min'])} °C"
    )
    session.watch.assert_clean()


def test_csv_download_is_the_shown_range(session: Session, live: LiveServer) -> None:
    page = session.page
    page.goto(live.base_url + "/#/room/lab-1?range=30d")
    expect(page.locator(".chart .mean")).to_be_visible()
    with page.expect_download() as download:
        page.locator("#csv").click()
    text = Path(download.value.path()).read_text()
    start, end = iso(NOW_MS - 30 * 86400_000), iso(NOW_MS)
    assert download.value.suggested_filename == f"lab-1_celsius_{start}_{end}.csv".replace(":", "")
    expected = lab(live).values_in(ms(start), ms(end))
    lines = text.splitlines()
    assert lines[0] == "room_id,sensor_id,timestamp,value,unit"
    assert len(lines) == len(expected) + 1 > 1000  # more than one page of the API
    first_page = httpx.get(
        f"{live.base_url}/api/v1/rooms/lab-1/readings",
        params={"start": start, "end": end, "format": "csv", "limit": "10000"},
    )
    assert first_page.headers["link"]
    assert lines[1] == first_page.text.splitlines()[1] + ",celsius"
    rows = [line.split(",") for line in lines[1:]]
    assert {row[-1] for row in rows} == {"celsius"}
    assert sorted(float(row[-2]) for row in rows) == sorted(expected)
    session.watch.assert_clean()


def test_unknown_room_says_so(session: Session, live: LiveServer) -> None:
    page = session.page
    page.goto(live.base_url + "/#/room/no-such-room")
    expect(page.locator(".empty")).to_have_text("There is no room “no-such-room”.")
    expect(page.locator("#message")).to_have_text("Not found (404): unknown room: 'no-such-room'.")
    session.watch.assert_clean(allowed=("Failed to load resource",))


def test_every_preset_labels_its_time_axis_on_a_phone(browser: Browser, live: LiveServer) -> None:
    phone = open_session(browser, live, PHONE)
    try:
        page = phone.page
        page.clock.set_fixed_time(NOW_MS / 1000)
        for preset in PRESETS:
            page.goto(f"{live.base_url}/#/room/lab-1?range={preset}")
            page.reload()
            expect(page.locator(".chart .mean")).to_be_visible()
            labels = page.locator(".chart .axis text[text-anchor=middle]")
            assert labels.count() >= 2, preset
            chart = page.locator(".chart").bounding_box()
            assert chart is not None
            assert chart["y"] + chart["height"] <= PHONE["height"], "the chart is above the fold"
        phone.watch.assert_clean()
    finally:
        phone.context.close()


def test_a_tap_puts_the_cursor_where_the_finger_is(browser: Browser, live: LiveServer) -> None:
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="en-GB")  # type: ignore[arg-type]
    try:
        page = context.new_page()
        page.clock.set_fixed_time(NOW_MS / 1000)
        page.goto(f"{live.base_url}/#/room/lab-1?range=6h")
        chart = page.locator(".chart")
        expect(chart.locator(".mean")).to_be_visible()
        box = chart.bounding_box()
        assert box is not None
        buckets = api(
            live, "/rooms/lab-1/stats", start=iso(NOW_MS - 6 * 3600_000), end=iso(NOW_MS), step="5m"
        )["buckets"]
        chart.tap(position={"x": 50, "y": box["height"] / 2})  # near the left edge: the first
        expect(page.locator(".readout")).to_contain_text(f"mean {shown(buckets[0]['mean'])} °C")
    finally:
        context.close()


def test_the_data_table_can_be_reached_by_keyboard(session: Session, live: LiveServer) -> None:
    page = session.page
    page.goto(live.base_url + "/#/room/lab-1")
    page.locator(".panel > summary", has_text="Data table").click()
    box = page.get_by_role("region", name="Data table")
    box.focus()
    expect(box).to_be_focused()


def test_a_chosen_time_zone_moves_ticks_bucket_rows_and_day_buckets(
    session: Session, live: LiveServer
) -> None:
    page = session.page
    page.goto(live.base_url + "/#/room/lab-1?range=24h")
    expect(page.locator(".chart .mean")).to_be_visible()
    page.locator(".panel > summary", has_text="Data table").click()
    ticks = page.locator(".chart .axis text[text-anchor=middle]")
    in_paris = ticks.evaluate_all("ts => ts.map(t => [t.textContent, t.getAttribute('x')])")
    buckets = api(
        live, "/rooms/lab-1/stats", start=iso(NOW_MS - 86_400_000), end=iso(NOW_MS), step="10m"
    )["buckets"]
    first_row = page.locator(".buckets tbody tr").first.locator("td").first
    expect(first_row).to_have_text(paris(buckets[0]["start"]))

    page.get_by_label("Time zone").fill("Asia/Kolkata")
    page.get_by_label("Time zone").press("Enter")
    kolkata = ZoneInfo("Asia/Kolkata")
    local = datetime.fromtimestamp(ms(buckets[0]["start"]) / 1000, kolkata)
    expect(first_row).to_have_text(f"{local.day} {local:%b %Y, %H:%M}")
    in_kolkata = ticks.evaluate_all("ts => ts.map(t => [t.textContent, t.getAttribute('x')])")
    assert in_kolkata != in_paris
    # Kolkata is 4 h 30 min ahead of Paris in March: the same labels sit 4.5 h further left
    assert {x for _, x in in_kolkata} != {x for _, x in in_paris}

    page.locator(".custom-box summary").click()
    page.locator("#range-start").fill("2023-08-01T00:00")  # 200 days and more: day buckets
    page.locator("#range-end").fill("2024-03-01T00:00")
    query = stats_query(page, ".custom button[type=submit]")
    assert query["tz"] == "Asia/Kolkata"
    assert query["start"] == "2023-07-31T18:30:00.000Z"  # local midnight in Kolkata
    page.reload()
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Kolkata")  # remembered
    session.watch.assert_clean()


def test_what_is_typed_as_the_edit_box_opens_is_kept(session: Session, live: LiveServer) -> None:
    """The box's toggle event comes a moment after it opened: typing that came first stays."""
    page = session.page
    page.goto(f"{live.base_url}/#/room/kitchen?range=24h")
    expect(page.locator(".chart .mean")).to_be_visible()
    page.evaluate(
        """() => new Promise((resolve) => {
            const input = document.getElementById("edit-name");
            const box = input.closest("details");
            box.addEventListener("toggle", resolve, { once: true });  // after the view's own
            box.open = true;  // the toggle event is queued, not fired yet
            input.value = "Typed at once";
            input.dispatchEvent(new Event("input", { bubbles: true }));
        })"""
    )
    expect(page.locator("#edit-name")).to_have_value("Typed at once")
    session.watch.assert_clean()
