"""The notifier built from plain options (wiring.py makes them from ROOMTEMP_* settings): receivers
checked, the outbox opened, the loops started; and all of it closed again."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from roomtemp.alerts.evaluate import Evaluation
from roomtemp.alerts.metrics import AlertMetrics
from roomtemp.alerts.notifier import Delivery, Notifier
from roomtemp.alerts.outbox import Outbox, OutboxLock
from roomtemp.alerts.senders import (
    AlertmanagerReceiver,
    Receiver,
    WebhookReceiver,
    url_problem,
    webhook_name,
)

log = logging.getLogger("roomtemp.alerts")

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class NotifyOptions:
    """Where notifications go and from where; durations in seconds."""

    interval_seconds: float = 30.0
    alertmanager_url: str | None = None
    webhook_urls: tuple[str, ...] = ()
    notify: bool = True
    outbox_path: Path = Path("./data/alerts-outbox.sqlite3")


class RunningNotifier:
    """A started notifier and what it holds open."""

    def __init__(self, notifier: Notifier, client: httpx.AsyncClient, outbox: Outbox | None):
        self.notifier = notifier
        self.client = client
        self.outbox = outbox

    async def stop(self) -> None:
        await self.notifier.stop()
        await self.client.aclose()
        if self.outbox is not None:
            self.outbox.close()
        if self.notifier.delivery is not None:
            self.notifier.delivery.lock.release()


async def start_notifier(
    options: NotifyOptions, evaluate: Callable[[], Awaitable[Evaluation]], metrics: AlertMetrics
) -> RunningNotifier:
    """Start evaluating (for roomtemp_alerts_firing) and, when notifying, delivering."""
    client = httpx.AsyncClient(timeout=TIMEOUT_SECONDS)
    receivers = _receivers(options, client, metrics) if options.notify else []
    outbox = Outbox(options.outbox_path) if receivers else None
    delivery = None
    if outbox is not None:
        dropped = outbox.open(r.name for r in receivers)
        if dropped:
            log.warning("alerts: dropped %d queued notifications of removed receivers", dropped)
        delivery = Delivery(outbox, OutboxLock(options.outbox_path), receivers)
        names = ", ".join(r.name for r in receivers)
        log.info("alerts: notifying %s from the outbox %s", names, options.outbox_path)
    elif not options.notify:
        log.info("alerts: ROOMTEMP_NOTIFY=false, this replica sends no notifications")
    notifier = Notifier(evaluate, metrics, options.interval_seconds, delivery)
    await notifier.start()
    return RunningNotifier(notifier, client, outbox)


def _receivers(
    options: NotifyOptions, client: httpx.AsyncClient, metrics: AlertMetrics
) -> list[Receiver]:
    """The usable receivers; an unusable URL is logged and shows as receiver_up 0, never a crash."""
    validity_ms = round(max(4 * options.interval_seconds, 60.0) * 1000)
    found: list[Receiver] = []
    if options.alertmanager_url:
        problem = url_problem(options.alertmanager_url)
        if problem is None:
            found.append(AlertmanagerReceiver(options.alertmanager_url, client, validity_ms))
        else:
            _unusable("ROOMTEMP_ALERTMANAGER_URL", "alertmanager", problem, metrics)
    for index, url in enumerate(options.webhook_urls, start=1):
        problem = url_problem(url)
        if problem is None:
            found.append(WebhookReceiver(url, client))
        else:
            where = f"ROOMTEMP_WEBHOOK_URLS entry {index} ({_shown(url)})"
            _unusable(where, webhook_name(url), problem, metrics)
    return found


def _unusable(where: str, name: str, problem: str, metrics: AlertMetrics) -> None:
    metrics.receiver_up.labels(name).set(0)
    log.error(
        "alerts: %s is unusable: %s; nothing is sent there (receiver %s)", where, problem, name
    )


def _shown(url: str) -> str:
    """A URL without what could be a secret (user info, path, query)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "unparseable"
    return f"{parts.scheme}://{parts.hostname}" if parts.hostname else repr(url[:20])
