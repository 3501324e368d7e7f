"""Access decisions: undecided routes are refused, and the OpenAPI schema states every decision."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from roomtemp.security.access import PUBLIC, access_of, requires, route_entries
from roomtemp.security.scopes import Scope
from tests.security.conftest import Secured


def _undecided_app(tmp_path: Path) -> FastAPI:
    app = create_app(Settings(storage=f"sqlite:///{tmp_path / 'db.sqlite3'}"))

    @app.get("/added-later")
    async def added_later() -> dict[str, str]:
        return {"secret": "should not be served"}

    router = APIRouter()

    @router.post("/api/v1/included-later")
    async def included_later() -> dict[str, str]:
        return {"secret": "should not be served"}

    @router.get("/contradictory", dependencies=[PUBLIC, requires(Scope.ADMIN)])
    async def contradictory() -> dict[str, str]:
        return {"secret": "should not be served"}

    app.include_router(router)
    return app


def test_a_route_without_a_decision_is_refused_even_without_tokens(tmp_path: Path) -> None:
    app = _undecided_app(tmp_path)
    with TestClient(app) as client:
        for method, path in [
            ("GET", "/added-later"),
            ("POST", "/api/v1/included-later"),
            ("GET", "/contradictory"),
        ]:
            answer = client.request(method, path)
            assert answer.status_code == 403, path
            assert "declares no access rule" in answer.json()["detail"]
            assert "secret" not in answer.text


def test_the_route_table_shows_undecided_routes(tmp_path: Path) -> None:
    app = _undecided_app(tmp_path)
    undecided = {e.path for e in route_entries(app) if access_of(app, e.route) is None}
    assert undecided == {"/added-later", "/api/v1/included-later", "/contradictory"}


def test_openapi_states_each_operations_scope(secured: Secured) -> None:
    app = secured.client.app
    assert isinstance(app, FastAPI)
    spec = secured.client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    checked = 0
    for entry in route_entries(app):
        access = access_of(app, entry.route)
        assert access is not None
        for method in entry.methods if entry.include_in_schema else ():
            operation = spec["paths"][entry.path][method.lower()]
            checked += 1
            if access.scope is None:
                assert operation["security"] == []
                continue
            assert operation["security"] == [{"bearerAuth": [access.scope.value]}]
            assert operation["x-required-scope"] == access.scope.value
            assert f"`{access.scope.value}` scope" in operation["description"]
            assert {"401", "403", "429"} <= set(operation["responses"])
    assert checked >= 13


def test_refusals_say_what_is_missing(secured: Secured) -> None:
    client = secured.client
    missing = client.get("/api/v1/rooms")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in missing.json()["detail"]
    bad = client.get("/api/v1/rooms", headers={"Authorization": "Bearer rt_nope"})
    assert bad.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert "not valid" in bad.json()["detail"]
    basic = client.get("/api/v1/rooms", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401
    lacking = client.put("/api/v1/rooms/lab", json={}, headers=secured.auth("write"))
    assert lacking.status_code == 403
    assert lacking.json()["detail"] == (
        "token 'write' lacks the 'admin' scope needed to change or delete rooms (it has: write)"
    )
    elsewhere = client.post(
        "/api/v1/rooms/kitchen/readings", json={"value": 20}, headers=secured.auth("write_other")
    )
    assert elsewhere.json()["detail"] == (
        "token 'write_other' is limited to rooms floor9-*; room 'kitchen' is not one of them"
    )


def test_without_tokens_file_every_caller_may_do_everything(client: TestClient) -> None:
    assert client.put("/api/v1/rooms/lab", json={}).status_code == 201
    assert client.post("/api/v1/rooms/lab/readings", json={"value": 20}).status_code == 201
    assert client.delete("/api/v1/rooms/lab").status_code == 204
