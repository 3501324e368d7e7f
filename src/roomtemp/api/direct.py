"""A route whose dependencies are solved by a plan made once, not walked by FastAPI per request.

FastAPI walks a route's dependency tree on every request, each node through the whole general
solver (overrides, caches, generators, thread pools, four kinds of parameters). For a one-reading
push that walk cost about as much as the rest of the app's work. `DirectRoute` keeps the route
exactly as declared (the same dependant: the same OpenAPI document, the same access decision,
the same path parameter rules) and solves it with a plan compiled when the route is built, in
FastAPI's order: sub-dependencies in declaration order, each call once per request, then the
path parameters, validated by FastAPI's own fields (so their errors read the same).

It takes only trees it can solve as FastAPI does: async dependencies whose parameters are the
Request (or HTTPConnection) or other dependencies, path parameters on the endpoint, an endpoint
that answers with a Response. Any other tree is refused when the route is built, so a dependency
added later cannot be skipped silently. While `app.dependency_overrides` is set, FastAPI's own
solver runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, _effective_route_context_var

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
Solver = Callable[[Request, dict[Any, Any]], Awaitable[Any]]


class DirectRoute(APIRoute):
    """An APIRoute solved by a compiled plan (see the module's doc)."""

    def get_route_handler(self) -> Handler:
        general = super().get_route_handler()
        # the dependant as included in the app (app and router dependencies added), which is the
        # one FastAPI's own handler solves; FastAPI passes it in this context variable
        context = _effective_route_context_var.get()
        route = context if context is not None and context.original_route is self else self
        solve = _compiled(route.dependant, root=True)
        overrides = route.dependency_overrides_provider

        async def handler(request: Request) -> Response:
            if overrides is not None and getattr(overrides, "dependency_overrides", None):
                return await general(request)
            answer = await solve(request, {})
            if not isinstance(answer, Response):
                raise TypeError(f"{self.path}: a DirectRoute endpoint must return a Response")
            return answer

        return handler


def _compiled(dependant: Dependant, *, root: bool = False) -> Solver:
    """The solver of one node: its sub-dependencies, then (at the root) its path parameters."""
    _check_supported(dependant, root)
    call = dependant.call
    assert call is not None
    subs = [(sub.name, sub.call, sub.use_cache, _compiled(sub)) for sub in dependant.dependencies]
    request_names = [
        name
        for name in (dependant.request_param_name, dependant.http_connection_param_name)
        if name is not None
    ]
    path_fields = dependant.path_params

    async def solve(request: Request, cache: dict[Any, Any]) -> Any:
        values: dict[str, Any] = {}
        for name, key, use_cache, solve_sub in subs:
            if use_cache and key in cache:
                value = cache[key]
            else:
                value = cache[key] = await solve_sub(request, cache)
            if name is not None:
                values[name] = value
        if path_fields:
            found, errors = request_params_to_args(path_fields, request.path_params)
            if errors:
                raise RequestValidationError(errors)
            values.update(found)
        for name in request_names:
            values[name] = request
        return await call(**values)

    return solve


def _check_supported(dependant: Dependant, root: bool) -> None:
    """TypeError naming what this node has that the plan cannot solve as FastAPI would."""
    call = dependant.call
    unsupported = [
        what
        for what, present in (
            ("query parameters", dependant.query_params),
            ("header parameters", dependant.header_params),
            ("cookie parameters", dependant.cookie_params),
            ("body parameters", dependant.body_params),
            ("path parameters below the endpoint", dependant.path_params and not root),
            ("a WebSocket parameter", dependant.websocket_param_name),
            ("a Response parameter", dependant.response_param_name),
            ("a BackgroundTasks parameter", dependant.background_tasks_param_name),
            ("a SecurityScopes parameter", dependant.security_scopes_param_name),
            ("a concurrency limit", dependant.concurrency),
            ("a sync or generator callable", not _is_coroutine(call)),
        )
        if present
    ]
    if unsupported:
        raise TypeError(f"DirectRoute cannot solve {call!r}: it has {', '.join(unsupported)}")


def _is_coroutine(call: object) -> bool:
    """An async function, or an instance whose class's __call__ is one (HTTPBearer, ScopeCheck)."""
    if inspect.isroutine(call) or inspect.isclass(call):
        return inspect.iscoroutinefunction(call)
    return inspect.iscoroutinefunction(type(call).__call__)
