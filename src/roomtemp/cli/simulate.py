"""`roomtemp simulate`: the rooms of the room model push their readings, as history or live.

The model is room_model.py; feed.py sends its readings; this module reads the options, reports
on the terminal and sets the exit code.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import typer

from roomtemp.cli import console
from roomtemp.cli.client import DEFAULT_URL, ApiClient
from roomtemp.cli.feed import LiveFeed, Totals, backfill, describe_rooms
from roomtemp.cli.options import BatchSize, Token, Url, duration_ms, instant_ms
from roomtemp.cli.room_model import Simulation
from roomtemp.timeparse import format_timestamp

log = logging.getLogger("roomtemp.cli")


def simulate(
    rooms: Annotated[int, typer.Option(min=1, help="how many rooms")] = 10,
    seed: Annotated[int, typer.Option(help="same seed, same readings")] = 0,
    url: Url = DEFAULT_URL,
    token: Token = None,
    interval: Annotated[str, typer.Option(help="time between readings: 10s, 1m, ...")] = "1m",
    backfill: Annotated[
        str | None, typer.Option(help="write this much history (30d, 12h) up to --end, then stop")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="end of the backfill (RFC 3339 or epoch s); default now")
    ] = None,
    live: Annotated[
        bool | None, typer.Option("--live/--no-live", help="push live (default: unless backfill)")
    ] = None,
    duration: Annotated[
        str | None, typer.Option(help="stop live mode after this long (default: never)")
    ] = None,
    describe: Annotated[
        bool, typer.Option(help="PUT each room's name, building, floor and comfort band first")
    ] = True,
    prefix: Annotated[str, typer.Option(help="room ids are PREFIX-001, PREFIX-002, ...")] = "room",
    batch_size: BatchSize = 5000,
    retries: Annotated[int, typer.Option(min=0, help="retries of a failed request")] = 5,
) -> None:
    """Simulate rooms with sensors and push their readings: live, or history with --backfill."""
    console.log_to_stderr()
    options = SimulateOptions(
        rooms=rooms,
        seed=seed,
        interval=interval,
        backfill=backfill,
        end=end,
        live=live if live is not None else backfill is None,
        duration=duration,
        describe=describe,
        prefix=prefix,
        batch_size=batch_size,
    )
    run(options, ApiClient(url, token=token, retries=retries))


@dataclass(frozen=True)
class SimulateOptions:
    """The simulate command's options, as given on the command line."""

    rooms: int
    seed: int
    interval: str
    backfill: str | None
    end: str | None
    live: bool
    duration: str | None
    describe: bool
    prefix: str
    batch_size: int


def run(
    options: SimulateOptions,
    client: ApiClient,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Describe the rooms, write history if asked, then push live if asked (until `clock`
    passes the duration; `sleep` waits for each tick)."""
    simulation = Simulation(
        options.seed, options.rooms, duration_ms(options.interval, "--interval"), options.prefix
    )
    with client, console.failures_exit():
        if options.describe:
            describe_rooms(client, simulation)
        if options.backfill is not None:
            _backfill(client, simulation, options, _now_ms(clock))
        if options.live:
            _live(client, simulation, options, clock, sleep)


def _backfill(
    client: ApiClient, simulation: Simulation, options: SimulateOptions, now_ms: int
) -> None:
    assert options.backfill is not None
    end_ms = instant_ms(options.end, "--end") if options.end else now_ms
    start_ms = end_ms - duration_ms(options.backfill, "--backfill")
    steps = simulation.grid_times(start_ms, end_ms)
    log.info(
        "backfilling %d rooms from %s to %s (%d steps)",
        len(simulation.profiles),
        format_timestamp(start_ms),
        format_timestamp(end_ms),
        steps,
    )
    with console.progress() as bar:
        most = steps * sum(len(profile.sensors) for profile in simulation.profiles)
        task = bar.add_task("backfill", total=most)
        totals = backfill(
            client,
            simulation,
            start_ms,
            end_ms,
            batch_size=options.batch_size,
            on_progress=lambda sent: bar.advance(task, sent),
        )
        bar.update(task, total=totals.sent)  # sensors dropped out now and then
    _report("backfill", totals)


def _live(
    client: ApiClient,
    simulation: Simulation,
    options: SimulateOptions,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> None:
    until_ms = None
    if options.duration is not None:
        until_ms = _now_ms(clock) + duration_ms(options.duration, "--duration")
    log.info(
        "pushing %d rooms to %s every %s%s",
        len(simulation.profiles),
        client.url,
        options.interval,
        f" for {options.duration}" if options.duration else " (Ctrl-C stops)",
    )
    feed = LiveFeed(
        client, simulation, until_ms, clock=clock, sleep=sleep, batch_size=options.batch_size
    )
    try:
        feed.run()
    except KeyboardInterrupt:
        log.info("stopped")
    _report("live", feed.totals)


def _report(what: str, totals: Totals) -> None:
    typer.echo(
        f"{what}: sent {totals.sent} readings in {totals.requests} requests: "
        f"{totals.accepted} new, {totals.duplicates} duplicates, {totals.failed} failed",
        err=True,
    )
    if totals.failed:
        raise typer.Exit(1)


def _now_ms(clock: Callable[[], float]) -> int:
    return round(clock() * 1000)
