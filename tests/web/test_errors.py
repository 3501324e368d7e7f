"""Authentication and failures as the page shows them: the token field, 401, 403, 503.

Authentication is built elsewhere; until it lands, Playwright's request routing plays a server
that wants a token, and then one that fails, in front of the real one.
"""

from __future__ import annotations

from playwright.sync_api import Page, Route, expect

from tests.web.conftest import LiveServer, Session, api, screenshot

TOKEN = "rt_s3cret-token"
FAILED_LOAD = ("Failed to load resource",)  # Chromium's console note for each non-2xx answer


class Gate:
    """Answers API requests like a server with authentication, or like a failing one."""

    def __init__(self) -> None:
        self.mode = "auth"
        self.authorization: list[str | None] = []

    def __call__(self, route: Route) -> None:
        sent = route.request.headers.get("authorization")
        self.authorization.append(sent)
        if self.mode == "auth" and sent != f"Bearer {TOKEN}":
            route.fulfill(status=401, json={"detail": "missing or invalid token"})
        elif self.mode == "403":
            route.fulfill(status=403, json={"detail": "the token lacks the read scope"})
        elif self.mode == "503":
            route.fulfill(
                status=503, json={"detail": "storage unavailable"}, headers={"Retry-After": "7"}
            )
        else:
            route.continue_()


def refresh(page: Page) -> None:
    page.get_by_role("button", name="°C").click()  # choosing the unit again reloads the data


def save_token(page: Page, token: str) -> None:
    page.locator(".token summary").click()
    page.locator("#token-input").fill(token)
    page.get_by_role("button", name="Save").click()


def test_token_is_asked_for_sent_and_remembered(session: Session, live: LiveServer) -> None:
    page, gate = session.page, Gate()
    page.route("**/api/v1/**", gate)
    page.goto(live.base_url + "/")
    message = page.locator("#message")
    expect(message).to_have_text(
        "The server needs an access token (401). Enter one under “Access token”."
    )
    expect(page.locator(".empty")).to_have_text("The rooms could not be loaded.")

    save_token(page, "wrong")
    expect(message).to_have_text(
        "The server refused the access token (401). Check it under “Access token”."
    )
    save_token(page, TOKEN)
    expect(page.locator(".tile")).to_have_count(6)
    expect(message).to_be_hidden()
    assert page.evaluate("localStorage.getItem('roomtemp.token')") == TOKEN
    assert gate.authorization[-1] == f"Bearer {TOKEN}"

    gate.authorization.clear()
    page.reload()
    expect(page.locator(".tile")).to_have_count(6)
    assert set(gate.authorization) == {f"Bearer {TOKEN}"}

    page.locator(".token summary").click()
    page.get_by_role("button", name="Forget").click()
    expect(message).to_contain_text("needs an access token (401)")
    assert page.evaluate("localStorage.getItem('roomtemp.token')") is None
    session.watch.assert_clean(allowed=FAILED_LOAD)


def test_failures_never_leave_a_number_looking_current(session: Session, live: LiveServer) -> None:
    page, gate = session.page, Gate()
    gate.mode = "open"
    page.route("**/api/v1/**", gate)
    page.goto(live.base_url + "/")
    tiles = page.locator(".tile")
    expect(tiles).to_have_count(6)
    expect(page.locator('.tile[data-room-id="lab-1"]')).to_have_attribute("data-state", "ok")

    gate.mode = "403"
    refresh(page)
    message = page.locator("#message")
    expect(message).to_have_text(
        "Your access token is not allowed to do this (403): the token lacks the read scope."
    )
    for tile in tiles.all():  # each keeps its state's colours, marked not current
        expect(tile).to_have_attribute("data-outdated", "")
        expect(tile.locator(".tile-status")).to_contain_text("Not current: the last refresh failed")
    expect(page.locator('.tile[data-room-id="kitchen"]')).to_have_attribute("data-state", "too_hot")

    gate.mode = "503"
    refresh(page)
    expect(message).to_have_text(
        "The server could not answer (503): storage unavailable. "
        "Retrying (the server asks to wait 7 s)."
    )
    expect(page.locator('.tile[data-room-id="lab-1"] .tile-label')).to_have_text("last known ")
    expect(page.locator(".summary")).to_contain_text("not current")
    screenshot(page, "overview-server-failing")

    gate.mode = "open"
    refresh(page)
    expect(message).to_be_hidden()
    expect(page.locator('.tile[data-room-id="lab-1"]')).to_have_attribute("data-state", "ok")
    expect(page.locator('.tile[data-room-id="lab-1"]')).not_to_have_attribute("data-outdated", "")

    page.locator('.tile[data-room-id="lab-1"]').click()
    expect(page.locator(".current")).to_have_attribute("data-state", "ok")
    gate.mode = "503"
    refresh(page)
    expect(page.locator(".current")).to_have_attribute("data-outdated", "")
    expect(page.locator(".current")).to_have_attribute("data-state", "ok")
    expect(page.locator(".current .status")).to_have_text("Not current: the last refresh failed")
    session.watch.assert_clean(allowed=FAILED_LOAD)


def test_editing_without_the_admin_scope_is_explained(session: Session, live: LiveServer) -> None:
    page = session.page

    def refuse_writes(route: Route) -> None:
        if route.request.method == "PUT":
            route.fulfill(status=403, json={"detail": "the token lacks the admin scope"})
        else:
            route.continue_()

    page.route("**/api/v1/**", refuse_writes)
    page.goto(live.base_url + "/#/room/cellar")
    expect(page.locator("h1")).to_have_text("Cellar")
    page.locator(".panel > summary", has_text="Edit room details").click()
    page.locator("#edit-name").fill("Wine cellar")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".form-note")).to_have_text(
        "Your access token is not allowed to do this (403): the token lacks the admin scope."
    )
    assert api(live, "/rooms/cellar")["name"] == "Cellar"
    session.watch.assert_clean(allowed=FAILED_LOAD)


def test_the_edit_form_is_offered_only_to_a_token_that_may_edit(
    session: Session, live: LiveServer
) -> None:
    page = session.page
    scopes = {"admin": False}

    def server(route: Route) -> None:
        if route.request.method == "PUT" and not scopes["admin"]:
            route.fulfill(status=403, json={"detail": "the token lacks the admin scope"})
        else:
            route.continue_()

    page.route("**/api/v1/**", server)
    page.goto(live.base_url + "/")
    save_token(page, "rt_read-only")
    page.goto(live.base_url + "/#/room/cellar")
    expect(page.locator("h1")).to_have_text("Cellar")
    expect(page.locator(".panel > summary", has_text="Edit room details")).to_be_hidden()
    scopes["admin"] = True
    save_token(page, "rt_admin")
    expect(page.locator(".panel > summary", has_text="Edit room details")).to_be_visible()
    assert api(live, "/rooms/cellar")["name"] == "Cellar"  # the question stored nothing
    session.watch.assert_clean(allowed=FAILED_LOAD)
