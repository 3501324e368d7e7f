"""The routes' compiled dependency plan (api/direct.py) answers as FastAPI's own solver.

While `app.dependency_overrides` is set, a DirectRoute hands the request to FastAPI's solver,
so each request here is sent both ways and the answers compared; then the plan's refusals of
trees it cannot solve, and an app-level dependency solved by the plan.
"""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel

from roomtemp.api.app import ROUTERS
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


async def _page(
    limit: Annotated[int, Query(ge=1, le=10)] = 1, page: Annotated[int, Query(ge=0)] = 0
) -> int:
    return limit * 100 + page


async def _unit(unit: Annotated[str, Query(pattern="^[CF]$")] = "C") -> str:
    return unit


async def _listing(
    request: Request,
    paged: Annotated[int, Depends(_page)],
    unit: Annotated[str, Depends(_unit)],
    again: Annotated[int, Depends(_page)],  # the same dependency twice: solved once
    kinds: Annotated[list[str], Query(default_factory=list)],
    tag: Annotated[list[str] | None, Query()] = None,
    near: Annotated[float | None, Query(gt=0)] = None,
    when: Annotated[str, Query(alias="at")] = "now",
) -> Response:
    return Response(f"{request.url.path} {paged} {unit} {again} {tag} {near} {when} {kinds}")


async def _needing(
    first: Annotated[int, Query(ge=1)], more: Annotated[int, Query()] = 5, last: int = 0
) -> Response:
    return Response(f"{first} {more} {last}")


def _solved_both_ways(url: str) -> list[tuple[int, str]]:
    """The answer of a route solved by the plan, then by FastAPI's own solver."""
    router = APIRouter(route_class=DirectRoute)
    router.add_api_route("/things/{thing}", _with_path, methods=["GET"])
    router.add_api_route("/list", _listing, methods=["GET"])
    router.add_api_route("/need", _needing, methods=["GET"])
    app = FastAPI()
    app.include_router(router)
    found = []
    with TestClient(app) as client:
        for overrides in ({}, {_never_called: _never_called}):
            app.dependency_overrides = overrides
            answer = client.get(url)
            found.append((answer.status_code, answer.text))
    assert all(route.planned for route in router.routes if isinstance(route, DirectRoute))
    return found


async def _with_path(
    thing: Annotated[int, Path(ge=1)], unit: Annotated[str, Depends(_unit)]
) -> Response:
    return Response(f"{thing} {unit}")


@pytest.mark.parametrize(
    "url",
    [
        "/list",
        "/list?limit=3&page=2&unit=F&tag=a&tag=b&near=1.5",
        "/list?limit=0",  # a sub-dependency's parameter fails: it is not called
        "/list?limit=0&page=-1&unit=K&near=0",  # every failure, in FastAPI's order
        "/list?near=x&limit=11",  # the endpoint's own and a sub-dependency's
        "/list?tag=",
        "/things/7?unit=F",
        "/things/0?unit=K",  # a path parameter and a sub-dependency's query parameter
        "/things/x",
        "/list?at=then&kinds=a",  # an alias, a default made by a factory
        "/list?when=then",  # the name of an aliased parameter is not its key
        "/need",  # a required parameter missing; the optional ones answered by their default
        "/need?more=x&last=y",  # a missing one and failing optional ones, in FastAPI's order
        "/need?first=0&more=",
        "/need?first=2&last=3",
    ],
)
def test_path_and_query_parameters_answer_as_fastapis_solver(url: str) -> None:
    direct, general = _solved_both_ways(url)
    assert direct == general


def test_the_answer_of_valid_parameters() -> None:
    direct, _ = _solved_both_ways("/list?limit=3&page=2&unit=F&tag=a&tag=b&near=1.5")
    assert direct == (200, "/list 302 F 302 ['a', 'b'] 1.5 now []")


class _Body(BaseModel):
    value: int


async def _with_body(body: _Body) -> Response:
    return Response(str(body.value))


def _sync_dependency() -> int:
    return 1


async def _with_sync(value: Annotated[int, Depends(_sync_dependency)]) -> Response:
    return Response(str(value))


async def _with_dict() -> dict[str, int]:
    return {"value": 1}


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        (_with_body, "body parameters"),
        (_with_sync, "a sync or generator callable"),
        (_with_dict, "an endpoint not annotated as returning a Response"),
    ],
)
def test_trees_it_cannot_plan_are_left_to_fastapi_and_say_why(endpoint: Any, reason: str) -> None:
    router = APIRouter(route_class=DirectRoute)
    router.add_api_route("/x", endpoint, methods=["POST"])
    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        answer = client.post("/x", json={"value": 1})
    (route,) = router.routes
    assert isinstance(route, DirectRoute)
    assert not route.planned
    assert reason in route.unplanned
    assert answer.status_code == 200
    assert answer.text in ("1", '{"value":1}')


def test_every_route_of_the_app_is_planned_but_those_with_a_body(client: TestClient) -> None:
    """A dependency added later that the plan cannot solve would slow its route to FastAPI's
    solver: this names the routes that are left to it, so that it is a decision."""
    client.get("/no-such-page")  # matching visits every router: each route's handler is built
    unplanned = {
        (method, route.path): route.unplanned
        for resource in ROUTERS
        for route in resource.router.routes
        for method in getattr(route, "methods", ())
        if not getattr(route, "planned", False)
    }
    assert unplanned == {
        ("PUT", "/api/v1/rooms/{room}"): "body parameters ('put_room')",
        ("PUT", "/api/v1/rooms/{room}/sensors/{sensor}"): "body parameters ('put_sensor')",
    }
