"""A route whose dependencies are solved by a plan made once, not walked by FastAPI per request.

FastAPI walks a route's dependency tree on every request, each node through the whole general
solver (overrides, caches, generators, thread pools, four kinds of parameters). For a one-reading
push that walk cost about as much as the rest of the app's work, and for a room list about a
tenth of the request. `DirectRoute` keeps the route exactly as declared (the same dependant: the
same OpenAPI document, the same access decision, the same parameter rules) and solves it with a
plan compiled when the route is built, in FastAPI's order: at each node its sub-dependencies in
declaration order (each call once per request; a node whose parameters fail is not called), then
its path and query parameters, validated by FastAPI's own fields, every failure of the request
gathered into one RequestValidationError (so errors read the same, in the same order). An
optional query parameter the request does not name is given its default without FastAPI's walk
of the field (a room list has six, mostly absent): only where FastAPI gives that very default
(immutable, not validated); anything else goes through FastAPI's validation.

It plans only trees it can solve as FastAPI does: async dependencies whose parameters are the
Request (or HTTPConnection), path or query parameters, or other dependencies; an endpoint
annotated as returning a Response. Any other route (a body, headers, a sync dependency) is
solved by FastAPI's own handler, and `planned` is False with the reason in `unplanned`: the app's
tests check which routes are planned, so a dependency added later cannot slow a hot route
unnoticed. While `app.dependency_overrides` is set, FastAPI's own solver runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import (
    _get_param_aliases,
    _get_param_model,
    request_params_to_args,
)
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, _effective_route_context_var
from starlette.datastructures import QueryParams

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
Solver = Callable[[Request, dict[Any, Any], list[Any]], Awaitable[Any]]


class DirectRoute(APIRoute):
    """An APIRoute solved by a compiled plan where its tree allows (see the module's doc)."""

    planned = False
    unplanned = "not built yet"

    def get_route_handler(self) -> Handler:
        general = super().get_route_handler()
        # the dependant as included in the app (app and router dependencies added), which is the
        # one FastAPI's own handler solves; FastAPI passes it in this context variable
        context = _effective_route_context_var.get()
        route = context if context is not None and context.original_route is self else self
        reasons = _unsupported(route.dependant, root=True)
        self.planned, self.unplanned = not reasons, ", ".join(reasons)
        if reasons:
            return general
        solve = _compiled(route.dependant)
        overrides = route.dependency_overrides_provider

        async def handler(request: Request) -> Response:
            if overrides is not None and getattr(overrides, "dependency_overrides", None):
                return await general(request)
            errors: list[Any] = []
            answer = await solve(request, {}, errors)
            if errors:
                raise RequestValidationError(errors)
            if not isinstance(answer, Response):
                raise TypeError(f"{self.path}: a DirectRoute endpoint must return a Response")
            return answer

        return handler


_INVALID = object()
"""What a node's solver returns when its parameters (or a sub-dependency's) failed: the node is
not called, as FastAPI does not call it; the failures are in the request's error list."""


def _compiled(dependant: Dependant) -> Solver:
    """The solver of one node: its sub-dependencies, then its path and query parameters."""
    call = dependant.call
    assert call is not None
    subs = [(sub.name, sub.call, sub.use_cache, _compiled(sub)) for sub in dependant.dependencies]
    request_names = [
        name
        for name in (dependant.request_param_name, dependant.http_connection_param_name)
        if name is not None
    ]
    path_fields = dependant.path_params
    query_fields = [(field, _absent_default(field)) for field in dependant.query_params]

    async def solve(request: Request, cache: dict[Any, Any], errors: list[Any]) -> Any:
        values: dict[str, Any] = {}
        valid = True
        for name, key, use_cache, solve_sub in subs:
            if use_cache and key in cache:
                value = cache[key]
            else:
                value = await solve_sub(request, cache, errors)
                if value is _INVALID:
                    valid = False
                    continue
                cache[key] = value
            if name is not None:
                values[name] = value
        if path_fields:
            valid &= _validated(path_fields, request.path_params, values, errors)
        if query_fields:
            given = request.query_params
            asked = []
            for field, absent in query_fields:
                if absent is None or any(key in given for key in absent.keys):
                    asked.append(field)
                else:  # an optional parameter not given: its default, as FastAPI gives it
                    values[field.name] = absent.default
            if asked:
                valid &= _validated(asked, given, values, errors)
        if not valid:
            return _INVALID
        for name in request_names:
            values[name] = request
        return await call(**values)

    return solve


def _validated(
    fields: list[Any],
    given: Mapping[str, Any] | QueryParams,
    values: dict[str, Any],
    errors: list[Any],
) -> bool:
    """The parameters' values into `values` as FastAPI validates them; False if any failed."""
    found, failed = request_params_to_args(fields, given)
    values.update(found)
    errors.extend(failed)
    return not failed


@dataclass(frozen=True, slots=True)
class _Absent:
    """An optional parameter's request keys and the default FastAPI gives when none is there."""

    keys: list[str]
    default: object


_SHARED = (type(None), bool, int, float, str, bytes)
"""Defaults FastAPI's deep copy returns as they are."""


def _absent_default(field: Any) -> _Absent | None:
    """How to answer the parameter when the query does not name it: its default, when it is
    optional, not validated and immutable (FastAPI gives `deepcopy(default)`, which is then the
    default itself) and not a model of parameters; None: ask FastAPI."""
    info = field.field_info
    if info.is_required() or info.validate_default or _get_param_model(field) is not None:
        return None
    if type(field.default) not in _SHARED:
        return None
    return _Absent([key for _, key in _get_param_aliases(field)], field.default)


def _unsupported(dependant: Dependant, *, root: bool = False) -> list[str]:
    """What this tree has that the plan cannot solve as FastAPI would (empty: nothing)."""
    call = dependant.call
    found = [
        f"{what} ({getattr(call, '__name__', call)!r})"
        for what, present in (
            ("header parameters", dependant.header_params),
            ("cookie parameters", dependant.cookie_params),
            ("body parameters", dependant.body_params),
            ("a WebSocket parameter", dependant.websocket_param_name),
            ("a Response parameter", dependant.response_param_name),
            ("a BackgroundTasks parameter", dependant.background_tasks_param_name),
            ("a SecurityScopes parameter", dependant.security_scopes_param_name),
            ("a concurrency limit", dependant.concurrency),
            ("a sync or generator callable", not _is_coroutine(call)),
            ("an endpoint not annotated as returning a Response", root and not _answers(call)),
        )
        if present
    ]
    return found + [reason for sub in dependant.dependencies for reason in _unsupported(sub)]


def _answers(call: object) -> bool:
    """Whether the endpoint is annotated as returning a Response (the plan returns its answer
    as it is; FastAPI would serialise anything else through the response model)."""
    try:
        answer = inspect.signature(call, eval_str=True).return_annotation  # type: ignore[arg-type]
    except (NameError, TypeError, ValueError):
        return False
    return inspect.isclass(answer) and issubclass(answer, Response)


def _is_coroutine(call: object) -> bool:
    """An async function, or an instance whose class's __call__ is one (HTTPBearer, ScopeCheck)."""
    if inspect.isroutine(call) or inspect.isclass(call):
        return inspect.iscoroutinefunction(call)
    return inspect.iscoroutinefunction(type(call).__call__)
