"""The ingest routes' compiled dependency plan (api/direct.py) answers as FastAPI's own solver.

While `app.dependency_overrides` is set, a DirectRoute hands the request to FastAPI's solver,
so each request here is sent both ways and the answers compared; then the plan's refusals of
trees it cannot solve, and an app-level dependency solved by the plan.
"""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.testclient import TestClient

from roomtemp.api.direct import DirectRoute
from tests.security.conftest import BAD_TOKEN, Secured, bearer


async def _never_called() -> None:
    """Only a key of dependency_overrides: setting one makes DirectRoute use FastAPI's solver."""


def _answers(secured: Secured, **request: Any) -> list[tuple[int, Any, dict[str, str]]]:
    app: Any = secured.client.app
    found = []
    for overrides in ({}, {_never_called: _never_called}):
        app.dependency_overrides = overrides
        answer = secured.client.request("POST", **request)
        kept = {k: v for k, v in answer.headers.items() if k in ("www-authenticate", "retry-after")}
        found.append((answer.status_code, answer.json(), kept))
    app.dependency_overrides = {}
    return found


@pytest.mark.parametrize(
    ("token", "url", "body", "status"),
    [
        (None, "/api/v1/rooms/lab/readings", {"value": 20}, 401),
        (BAD_TOKEN, "/api/v1/rooms/lab/readings", {"value": 20}, 401),
        ("read", "/api/v1/rooms/lab/readings", {"value": 20}, 403),
        ("write_other", "/api/v1/rooms/lab/readings", {"value": 20}, 403),
        ("write_other", "/api/v1/readings", [{"room_id": "lab", "value": 20}], 403),
        ("write", "/api/v1/rooms/Kitchen/readings", {"value": 20}, 422),
        ("write", "/api/v1/rooms/lab%20room/readings", {"value": 20}, 422),
        ("write", "/api/v1/rooms/lab/readings", {"value": 200}, 422),
        ("write", "/api/v1/readings", {"value": 20}, 422),
    ],
)
def test_refusals_are_those_of_fastapis_solver(
    secured: Secured, token: str | None, url: str, body: Any, status: int
) -> None:
    secret = None if token is None else secured.tokens.get(token, token)
    headers = {} if secret is None else bearer(secret)
    direct, general = _answers(secured, url=url, json=body, headers=headers)
    assert direct == general
    assert direct[0] == status


def test_a_wrong_content_type_and_a_stored_reading_answer_alike(secured: Secured) -> None:
    auth = secured.auth("write")
    plain = {**auth, "Content-Type": "text/plain"}
    direct, general = _answers(secured, url="/api/v1/readings", content=b"x", headers=plain)
    assert direct == general
    assert direct[0] == 415
    first = _answers(secured, url="/api/v1/rooms/lab/readings", json={"value": 20}, headers=auth)
    # sent twice (the plan, then FastAPI's solver): stored once, then a duplicate
    assert [answer[:2] for answer in first] == [
        (201, {"accepted": 1, "duplicates": 0}),
        (201, {"accepted": 0, "duplicates": 1}),
    ]


async def _refuse(request: Request) -> None:
    raise PermissionError(request.url.path)


async def _answer() -> Response:
    return Response("reached", status_code=200)


def test_dependencies_of_the_app_and_the_router_are_solved() -> None:
    router = APIRouter(dependencies=[Depends(_refuse)])
    router.add_api_route("/inside", _answer, methods=["POST"], route_class_override=DirectRoute)
    app = FastAPI()
    app.include_router(router)

    @app.exception_handler(PermissionError)
    async def refused(request: Request, exc: Exception) -> Response:
        return Response(f"refused {exc}", status_code=403)

    with TestClient(app) as client:
        answer = client.post("/inside")
    assert (answer.status_code, answer.text) == (403, "refused /inside")


async def _with_query(limit: Annotated[int, Query()] = 1) -> Response:
    return Response(str(limit))


def _sync_dependency() -> int:
    return 1


async def _with_sync(value: Annotated[int, Depends(_sync_dependency)]) -> Response:
    return Response(str(value))


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [(_with_query, "query parameters"), (_with_sync, "a sync or generator callable")],
)
def test_trees_it_cannot_solve_are_refused_when_the_route_is_built(
    endpoint: Any, reason: str
) -> None:
    router = APIRouter()
    with pytest.raises(TypeError, match=reason):
        router.add_api_route("/x", endpoint, methods=["POST"], route_class_override=DirectRoute)
