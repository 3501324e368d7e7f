"""Every route x every kind of caller gives the expected 2xx / 401 / 403.

The rows come from the app's own route table, so a route added without an access decision (or
with one that breaks the policy below) fails here. To declare a route's decision, see
roomtemp.security.access; to give the matrix a valid request for a new route, add it to EXAMPLES.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from roomtemp.security.access import Access, access_of, route_entries
from roomtemp.security.scopes import Scope
from tests.conftest import NOW_MS
from tests.security.conftest import BAD_TOKEN, Secured, bearer, secured_app
from tests.support import FakeClock, iso

ROOM = "kitchen"
CALLERS = ("none", "bad", "read", "write", "admin", "write_other")
GRANTS = {"read": {Scope.READ}, "write": {Scope.WRITE}, "admin": set(Scope), "write_other": set()}


@dataclass(frozen=True)
class Call:
    """A request that succeeds for a caller allowed to make it."""

    json: Any = None
    content: bytes | None = None
    content_type: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    url: str | None = None  # for routes whose path parameters need real values


READING = {"value": 21.5, "timestamp": iso(NOW_MS - 30_000)}
EXAMPLES: dict[tuple[str, str], Call] = {
    ("POST", "/api/v1/rooms/{room}/readings"): Call(json=READING),
    ("POST", "/api/v1/readings"): Call(json=[{**READING, "room_id": ROOM}]),
    ("PUT", "/api/v1/rooms/{room}"): Call(json={"name": "Kitchen", "floor": "0"}),
    ("PUT", "/api/v1/rooms/{room}/sensors/{sensor}"): Call(json={"offset_celsius": 0.5}),
    ("GET", "/web/{name}"): Call(url="/web/docs.js"),
    **{
        (method, "/metrics/{grouping}"): Call(
            url=f"/metrics/job/matrix/room/{ROOM}",
            content=b"room_temperature_celsius 21.5\n",
            content_type="text/plain",
        )
        for method in ("PUT", "POST", "DELETE")
    },
    **{
        ("POST", path): Call(
            content=f"t,room={ROOM} value=21.5".encode(), content_type="text/plain"
        )
        for path in ("/api/v2/write", "/write")
    },
}


def intended(method: str, path: str) -> Access | None:
    """The policy: API reads need read, pushes write, room edits admin; pages are open."""
    if path.startswith("/api/v1/"):
        scope = {"GET": Scope.READ, "POST": Scope.WRITE}.get(method, Scope.ADMIN)
        return Access(scope)
    if path == "/metrics":
        return Access(Scope.READ)
    if path.startswith("/metrics/") or path in ("/api/v2/write", "/write"):
        return Access(Scope.WRITE)
    return Access(None) if method == "GET" else None


def route_table(app: FastAPI) -> list[tuple[str, str, BaseRoute]]:
    """(method, path, route) for every route of the app, HEAD left out (it mirrors GET)."""
    rows = []
    for entry in route_entries(app):
        methods = sorted((entry.methods or {"GET"}) - {"HEAD"})
        rows += [(method, entry.path, entry.route) for method in methods]
    return rows


TABLE_APP = create_app(Settings(storage="sqlite:///unused.sqlite3"))
ROUTES = route_table(TABLE_APP)


@pytest.mark.parametrize(
    ("method", "path", "route"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_every_route_declares_the_intended_access(method: str, path: str, route: BaseRoute) -> None:
    declared = access_of(TABLE_APP, route)
    assert declared is not None, (
        f"{method} {path} declares no access: add dependencies=[requires(Scope...)] or [PUBLIC]"
    )
    assert declared == intended(method, path), f"{method} {path}: not the documented policy"


@pytest.fixture(scope="module")
def matrix_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    directory: Path = tmp_path_factory.mktemp("matrix")
    yield from secured_app(directory, FakeClock(NOW_MS / 1000))


def expected(access: Access, caller: str) -> str:
    if access.scope is None:
        return "2xx"
    if caller in ("none", "bad"):
        return "401"
    return "2xx" if access.scope in GRANTS[caller] else "403"


def concrete(path: str) -> str:
    path = path.replace("{room}", ROOM)
    return re.sub(r"\{(\w+)(:\w+)?\}", "matrix", path)


def seed(client: TestClient, admin: dict[str, str]) -> None:
    assert client.put(f"/api/v1/rooms/{ROOM}", json={}, headers=admin).status_code in (200, 201)
    pushed = client.post(f"/api/v1/rooms/{ROOM}/readings", json=READING, headers=admin)
    assert pushed.status_code == 201


def headers_of(app: Secured, caller: str) -> dict[str, str]:
    if caller == "none":
        return {}
    return bearer(BAD_TOKEN) if caller == "bad" else app.auth(caller)


CELLS = [(m, p, caller) for m, p, _ in ROUTES for caller in CALLERS]


@pytest.mark.parametrize(("method", "path", "caller"), CELLS, ids=[" ".join(c) for c in CELLS])
def test_route_answers_the_caller_as_its_access_says(
    matrix_app: Secured, method: str, path: str, caller: str
) -> None:
    route = next(r for m, p, r in ROUTES if (m, p) == (method, path))
    access = access_of(TABLE_APP, route)
    assert access is not None, f"{method} {path} declares no access"
    client = matrix_app.client
    seed(client, matrix_app.auth("admin"))
    headers = headers_of(matrix_app, caller)
    call = EXAMPLES.get((method, path), Call())
    if call.content_type is not None:
        headers = {**headers, "Content-Type": call.content_type}
    answer = client.request(
        method,
        call.url or concrete(path),
        json=call.json,
        content=call.content,
        params=call.params,
        headers=headers,
    )
    want = expected(access, caller)
    got = "2xx" if 200 <= answer.status_code < 300 else str(answer.status_code)
    assert got == want, f"{method} {path} as {caller}: {answer.status_code} {answer.text[:300]}"
    if want == "401":
        assert answer.headers["www-authenticate"].startswith("Bearer")
