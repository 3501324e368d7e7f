"""Wiring the security pieces into an app: gatekeeper, middleware, OpenAPI, warnings."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from roomtemp.config import Settings
from roomtemp.security.access import declare_public
from roomtemp.security.exposure import check_exposure, open_warning
from roomtemp.security.gatekeeper import Gatekeeper
from roomtemp.security.headers import SecurityHeaders
from roomtemp.security.limits import RequestLimits
from roomtemp.security.openapi import document_access
from roomtemp.security.ratelimit import RateLimiter
from roomtemp.security.store import Clock, TokenStore
from roomtemp.timeparse import parse_rate

log = logging.getLogger("roomtemp.security")


def build_gatekeeper(settings: Settings, clock: Clock) -> Gatekeeper:
    """Tokens from the tokens file (ConfigurationError if unusable), and the rate limit if set."""
    store = TokenStore(settings.tokens_file, clock) if settings.tokens_file is not None else None
    limiter = RateLimiter(parse_rate(settings.rate_limit), clock) if settings.rate_limit else None
    return Gatekeeper(store, limiter)


def install_security(app: FastAPI, settings: Settings, clock: Clock) -> None:
    """Call before adding routes' middleware; routes declare access with requires()/PUBLIC."""
    check_exposure(settings)
    app.state.gatekeeper = build_gatekeeper(settings, clock)
    declare_public(app, app.openapi_url, app.docs_url, app.redoc_url)
    app.add_middleware(
        RequestLimits,
        max_bytes=settings.max_body_bytes,
        timeout_seconds=settings.body_timeout,
        max_header_bytes=settings.max_header_bytes,
    )
    origins = settings.cors_origin_list()
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Link", "Retry-After"],
        )
    app.add_middleware(SecurityHeaders)
    document_access(app)
    warning = open_warning(settings)
    if warning is not None:
        log.warning(warning)
