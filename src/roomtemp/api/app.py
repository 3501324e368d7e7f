"""The FastAPI application: built by create_app(settings), storage opened and closed by lifespan."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roomtemp import __version__
from roomtemp.alerts.metrics import AlertMetrics
from roomtemp.alerts.setup import start_notifier
from roomtemp.api import errors
from roomtemp.api.head import HeadAsGet
from roomtemp.api.openapi import document_answers
from roomtemp.api.routes import (
    alerts,
    dashboard,
    docs,
    health,
    influx,
    metrics,
    pushgateway,
    quarantine,
    readings,
    rooms,
    sensors,
    stats,
)
from roomtemp.config import Settings
from roomtemp.domain import WriteResult
from roomtemp.ingest.mqtt_bridge import Store
from roomtemp.security.access import GUARD
from roomtemp.security.install import install_security
from roomtemp.security.server import HeadLimitedProtocol
from roomtemp.service import Clock, RoomService
from roomtemp.storage import Storage
from roomtemp.telemetry import ServiceMetrics
from roomtemp.wiring import mqtt_bridge, notify_options, open_configured_storage, service_options

log = logging.getLogger("roomtemp")

StorageFactory = Callable[[Settings], Awaitable[Storage]]
ROUTERS = (
    readings,
    quarantine,
    rooms,
    sensors,
    stats,
    alerts,
    health,
    metrics,
    pushgateway,
    influx,
    dashboard,
    docs,
)

DESCRIPTION = """
Temperature sensors push readings; people, dashboards and other systems ask what the temperature
is now, what it was, and the mean/min/max per hour or day. Values are stored in degrees Celsius;
`unit` converts any answer. Times are RFC 3339 (UTC, `Z`) or Unix epoch seconds.
"""


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = time.time,
    metrics_registry: ServiceMetrics | None = None,
    storage_factory: StorageFactory | None = None,
) -> FastAPI:
    """Build the app. Storage is opened on start-up and closed on shutdown."""
    settings = settings if settings is not None else Settings()
    service_metrics = metrics_registry if metrics_registry is not None else ServiceMetrics()
    factory = storage_factory or open_configured_storage
    app = FastAPI(
        title="roomtemp",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan(settings, factory, clock, service_metrics),
        dependencies=[GUARD],
        docs_url=None,
        redoc_url=None,
        # operation ids are the route functions' names, so generated clients read well
        generate_unique_id_function=lambda route: route.name,
    )
    install_security(app, settings, clock)
    document_answers(app)
    app.state.metrics = service_metrics
    app.state.max_body_bytes = settings.max_body_bytes
    errors.install(app)
    for resource in ROUTERS:
        app.include_router(resource.router)

    app.add_middleware(HeadAsGet)
    app.add_middleware(RequestMetrics, metrics=service_metrics)  # outside: it sees a HEAD
    return app


def _lifespan(
    settings: Settings, factory: StorageFactory, clock: Clock, service_metrics: ServiceMetrics
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Open storage, start the metrics watch, the notifier and the MQTT bridge; undo in reverse."""
    alerting = AlertMetrics(service_metrics.registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        storage = await factory(settings)
        service = app.state.service = RoomService(storage, service_options(settings), clock)
        log.info("roomtemp %s serving with storage %s", __version__, settings.storage)
        watch = asyncio.create_task(service_metrics.watch_storage(service.storage_status))
        notifier = await start_notifier(notify_options(settings), service.evaluate_all, alerting)
        try:
            ingest = counted_ingest(service, service_metrics)
            async with mqtt_bridge(settings, ingest, service_metrics.count_mqtt):
                yield
        finally:
            await _stopped(watch)
            await notifier.stop()
            await storage.close()
            log.info("storage closed")

    return lifespan


async def _stopped(task: asyncio.Task[None]) -> None:
    """Cancel the storage metrics watch and wait for it to end; a failure it ended with is
    logged (awaiting it would raise it here and leave the storage open)."""
    task.cancel()
    (outcome,) = await asyncio.gather(task, return_exceptions=True)
    if isinstance(outcome, Exception):
        log.error("the storage metrics watch had stopped: %r", outcome)


def counted_ingest(service: RoomService, metrics: ServiceMetrics) -> Store:
    """RoomService.ingest, its readings counted as the HTTP routes count theirs (MQTT bridge)."""

    async def ingest(items: Sequence[object], room_id: str | None) -> WriteResult:
        result = await service.ingest(items, room_id)
        metrics.count_write(result)
        return result

    return ingest


class RequestMetrics:
    """Counts requests and times them per route template (not per URL, to bound cardinality)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status["code"])).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - started)


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` and for worker processes: settings from ROOMTEMP_*."""
    settings = Settings()
    HeadLimitedProtocol.head_timeout_seconds = settings.head_timeout
    HeadLimitedProtocol.head_cap_bytes = settings.max_header_bytes
    app = create_app(settings)
    app.openapi()  # built once now, not on the first request
    # The modules, the app and its schemas live as long as the server process: keep them out of
    # the garbage collector's full passes, which otherwise walk them all while a big answer (a
    # year of hourly buckets) is built; that cut such a request from about 85 to 62 ms.
    gc.collect()
    gc.freeze()
    return app
