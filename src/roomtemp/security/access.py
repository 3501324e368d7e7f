"""Every route declares who may call it; a route that does not is refused.

Declare the decision in the route decorator (or on its APIRouter):

    @router.get("/api/v1/things", dependencies=[requires(Scope.READ)])
    @router.get("/page", dependencies=[PUBLIC])

`requires` checks the bearer token's scope, its rate, and (for paths with a `{room}` parameter) its
room globs, and documents the scope in the OpenAPI schema. A route that must filter what it
returns by room takes `caller: CurrentCaller`. Routes that are not FastAPI routes (the docs,
static mounts) are open only when listed with `declare_public(app, path)`.

The app-wide `GUARD` refuses (403) any FastAPI route without a decision, and the route matrix
test in tests/security fails on it, so a new route cannot be open by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import BaseRoute

from roomtemp.errors import Forbidden
from roomtemp.security.credentials import presented_token
from roomtemp.security.gatekeeper import Gatekeeper
from roomtemp.security.scopes import Caller, Scope

SCHEME_NAME = "bearerAuth"
bearer = HTTPBearer(
    auto_error=False,
    scheme_name=SCHEME_NAME,
    description="A token from `roomtemp token create`; each operation lists the scope it needs.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


@dataclass(frozen=True)
class Access:
    """A route's decision: the scope it needs, or None for a public route."""

    scope: Scope | None


class ScopeCheck:
    """The dependency behind `requires(scope)`: admits the caller or raises 401/403/429.

    The token may come in any way security/credentials.py knows; `credentials` (the bearer
    scheme) is declared so that the OpenAPI document shows the scheme.
    """

    def __init__(self, scope: Scope, query_password: bool = False) -> None:
        self.access = Access(scope)
        self.scope = scope
        self.query_password = query_password

    async def __call__(self, request: Request, credentials: Credentials) -> Caller:
        gatekeeper: Gatekeeper = request.app.state.gatekeeper
        token = presented_token(request, query_password=self.query_password)
        client = request.client.host if request.client is not None else "unknown"
        caller = gatekeeper.admit(token, self.scope, request.path_params.get("room"), client)
        request.state.caller = caller
        return caller


_CHECKS = {(scope, query): ScopeCheck(scope, query) for scope in Scope for query in (False, True)}


def requires(scope: Scope, *, query_password: bool = False) -> Any:
    """The dependency to put in a route's `dependencies`: the caller needs `scope`. With
    `query_password` the token may also come as the `p` query parameter (InfluxDB 1 clients)."""
    return Security(_CHECKS[(scope, query_password)], scopes=[scope.value])


async def public() -> None:
    """Marks a route open to everyone, token or not."""


PUBLIC = Depends(public)


async def current_caller(request: Request) -> Caller:
    """The caller admitted by the route's `requires(...)` dependency."""
    caller = getattr(request.state, "caller", None)
    if not isinstance(caller, Caller):
        raise Forbidden("this route declares no scope, so it cannot tell who is calling")
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def declare_public(app: FastAPI, *paths: str | None) -> None:
    """Open non-FastAPI routes (docs, static mounts) at these paths to everyone."""
    app.state.public_paths = public_paths(app) | {path for path in paths if path}


def public_paths(app: FastAPI) -> frozenset[str]:
    return frozenset(getattr(app.state, "public_paths", frozenset()))


@dataclass(frozen=True)
class RouteEntry:
    """One route as served: its full path and methods, and the route object that declares access."""

    path: str
    methods: frozenset[str]
    route: BaseRoute
    include_in_schema: bool


def route_entries(app: FastAPI) -> list[RouteEntry]:
    """Every route of the app, routes of included routers too, with their full paths."""
    entries = []
    for context in iter_route_contexts(app.routes):
        path = context.path_format or context.path or ""
        methods = frozenset(context.methods or ())
        shown = bool(getattr(context, "include_in_schema", True))
        entries.append(RouteEntry(path, methods, context.original_route, shown))
    return entries


def access_of(app: FastAPI, route: BaseRoute) -> Access | None:
    """The route's decision, or None when it has none (or contradictory ones)."""
    if isinstance(route, APIRoute):
        found = set(_declared(route.dependant))
        return found.pop() if len(found) == 1 else None
    if getattr(route, "path", None) in public_paths(app):
        return Access(None)
    return None


def _declared(dependant: Dependant) -> list[Access]:
    found = []
    for sub in dependant.dependencies:
        if isinstance(sub.call, ScopeCheck):
            found.append(sub.call.access)
        elif sub.call is public:
            found.append(Access(None))
        found.extend(_declared(sub))
    return found


async def guard(request: Request) -> None:
    """Refuse a FastAPI route that declares no access decision."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and access_of(request.app, route) is None:
        methods = ",".join(sorted(route.methods or ()))
        raise Forbidden(
            f"{methods} {route.path} declares no access rule, so it is refused; "
            "add dependencies=[requires(Scope...)] or [PUBLIC] (see roomtemp.security.access)"
        )


GUARD = Depends(guard)
