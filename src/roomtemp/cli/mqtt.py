"""`roomtemp mqtt`: the MQTT bridge on its own, storing into ROOMTEMP_STORAGE.

The same bridge `roomtemp serve` runs when ROOMTEMP_MQTT_URL is set (see
roomtemp.ingest.mqtt_bridge), in a process of its own: beside a server with several workers, or
where the broker is.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from roomtemp.config import Settings
from roomtemp.errors import ConfigurationError
from roomtemp.service import RoomService
from roomtemp.wiring import mqtt_bridge, open_configured_storage, service_options

log = logging.getLogger("roomtemp.mqtt")


def mqtt(
    broker: Annotated[
        str | None, typer.Option(help="mqtt://[user:pass@]host[:port] [ROOMTEMP_MQTT_URL]")
    ] = None,
    topics: Annotated[
        str | None, typer.Option(help="topic patterns, e.g. sensors/{room}/{sensor}")
    ] = None,
    device_map: Annotated[
        Path | None, typer.Option("--map", help="JSON file renaming devices to rooms")
    ] = None,
    storage: Annotated[str | None, typer.Option(help="storage URL [ROOMTEMP_STORAGE]")] = None,
) -> None:
    """Bridge MQTT messages into storage until interrupted (QoS 1, acknowledged once stored)."""
    flags: dict[str, Any] = {
        "mqtt_url": broker,
        "mqtt_topics": topics,
        "mqtt_map": device_map,
        "storage": storage,
    }
    try:
        settings = Settings(**{name: value for name, value in flags.items() if value is not None})
    except ValidationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if settings.mqtt_url is None:
        typer.echo("error: no broker: pass --broker or set ROOMTEMP_MQTT_URL", err=True)
        raise typer.Exit(2)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        asyncio.run(bridge_until_stopped(settings))
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


async def bridge_until_stopped(settings: Settings) -> None:
    """Open storage, run the bridge until SIGINT or SIGTERM, then close both."""
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopped.set)
    counts: Counter[str] = Counter()
    storage = await open_configured_storage(settings)
    try:
        service = RoomService(storage, service_options(settings))
        async with mqtt_bridge(settings, service.ingest, lambda what, n: counts.update({what: n})):
            await stopped.wait()
    finally:
        await storage.close()
        log.info("MQTT messages stored: %d, rejected: %d", counts["stored"], counts["rejected"])
