"""The dashboard comes from the package under a strict policy: own scripts, nothing external."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib import resources

from fastapi.testclient import TestClient
from playwright.sync_api import expect

from tests.web.conftest import LiveServer, Session

POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
WEB = resources.files("roomtemp") / "web"


class Markup(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block, and what the page links to."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self.inline += [f"{tag} {n}" for n, _ in attrs if n.startswith("on") or n == "style"]
        if tag == "style" or (tag == "script" and not named.get("src")):
            self.inline.append(tag)
        self.links += [v for n, v in attrs if n in ("src", "href") and v]

    def handle_data(self, data: str) -> None:
        if self.lasttag == "script" and data.strip():
            self.inline.append("script text")


def test_dashboard_answers_carry_the_security_headers(client: TestClient) -> None:
    names = sorted(entry.name for entry in WEB.iterdir() if entry.is_file())
    assert {"index.html", "main.js", "dashboard.css", "chart.js"} <= set(names)
    for path in ["/", *(f"/web/{name}" for name in names)]:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-security-policy"] == POLICY
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
    assert client.get("/").headers["content-type"] == "text/html; charset=utf-8"
    assert client.get("/web/main.js").headers["content-type"] == "text/javascript; charset=utf-8"
    assert client.get("/web/dashboard.css").headers["content-type"] == "text/css; charset=utf-8"


def test_only_package_files_are_served(client: TestClient) -> None:
    for path in ["/web/missing.js", "/web/..%2Fapi%2Fapp.py", "/web/%2E%2E/config.py", "/web/"]:
        assert client.get(path).status_code == 404, path


def test_no_inline_code_and_no_external_resources() -> None:
    page = Markup()
    page.feed((WEB / "index.html").read_text())
    assert page.inline == []
    assert all(link.startswith(("/web/", "/docs", "#")) for link in page.links), page.links
    for entry in (e for e in WEB.iterdir() if e.is_file()):  # vendor/ holds third-party code
        text = entry.read_text()
        outside = re.findall(r"(?:https?:)?//[\w.-]+\.\w+[^\s\"'`)]*", text)
        assert set(outside) <= {"http://www.w3.org/2000/svg"}, (entry.name, outside)
        for imported in re.findall(r'from "\./([\w.]+)"', text):
            assert (WEB / imported).is_file(), (entry.name, imported)
        assert ".innerHTML" not in text, entry.name  # text stays text: no markup from data
        assert "eval(" not in text, entry.name


def test_the_browser_enforces_the_policy(session: Session, live: LiveServer) -> None:
    page = session.page
    page.goto(live.base_url + "/")
    expect(page.locator(".tile")).to_have_count(6)
    blocked = page.evaluate(
        """() => new Promise((resolve) => {
            document.addEventListener("securitypolicyviolation",
                (event) => resolve(event.violatedDirective), { once: true });
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.head.append(script);
        })"""
    )
    assert blocked.startswith("script-src")
    assert page.evaluate("window.injected === undefined")
    session.watch.assert_clean(allowed=("Content Security Policy",))
