"""The background notifier: evaluates every room each interval, records which alerts started
firing or resolved in the outbox, and delivers the outbox to each receiver in order, at least once,
retrying with backoff while a receiver is down.

The evaluation also sets `roomtemp_alerts_firing{kind}`; a replica with ROOMTEMP_NOTIFY=false (or
a worker process that does not hold the outbox's lock) evaluates for that gauge but sends nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from roomtemp.alerts.evaluate import Evaluation
from roomtemp.alerts.metrics import AlertMetrics
from roomtemp.alerts.notice import Notice, firing_notice
from roomtemp.alerts.outbox import Outbox, OutboxLock
from roomtemp.alerts.rules import AlertState, Kind
from roomtemp.alerts.senders import AlertmanagerReceiver, DeliveryFailed, Receiver
from roomtemp.errors import StorageError

log = logging.getLogger("roomtemp.alerts")

FIRST_RETRY_SECONDS = 1.0
LAST_RETRY_SECONDS = 300.0


@dataclass
class Delivery:
    """The outbox and the receivers it is delivered to; `lock` elects one process per host."""

    outbox: Outbox
    lock: OutboxLock
    receivers: Sequence[Receiver]
    wake: dict[str, asyncio.Event] = field(default_factory=dict)


class Notifier:
    """Evaluates on a timer; with a `delivery`, records changes and delivers them."""

    def __init__(
        self,
        evaluate: Callable[[], Awaitable[Evaluation]],
        metrics: AlertMetrics,
        interval_seconds: float,
        delivery: Delivery | None = None,
    ) -> None:
        self.evaluate = evaluate
        self.metrics = metrics
        self.interval_seconds = interval_seconds
        self.delivery = delivery
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Start the evaluation loop and one delivery loop per receiver."""
        self._tasks = [asyncio.create_task(self._evaluate_forever(), name="roomtemp-alerts")]
        if self.delivery is None:
            return
        for receiver in self.delivery.receivers:
            self.delivery.wake[receiver.name] = asyncio.Event()
            task = asyncio.create_task(self._deliver_forever(receiver), name=receiver.name)
            self._tasks.append(task)
            self.metrics.receiver_up.labels(receiver.name).set(1)
            if isinstance(receiver, AlertmanagerReceiver):
                await _probe(receiver, self.metrics)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def evaluate_once(self) -> None:
        """One evaluation: the gauge, then (holding the lock) what changed into the outbox."""
        with self.metrics.evaluation_seconds.time():
            evaluation = await self.evaluate()
        alerts = [a for a in await evaluation.alerts() if a.state is AlertState.firing]
        counts = Counter(alert.kind for alert in alerts)
        for kind in Kind:
            self.metrics.firing.labels(kind.value).set(counts[kind])
        delivery = self.delivery
        if delivery is None or not await asyncio.to_thread(delivery.lock.acquire):
            return
        metas = {meta.room_id: meta for meta in evaluation.rooms}
        firing = {n.key: n for n in (firing_notice(a, metas.get(a.room_id)) for a in alerts)}
        await self._record(delivery, firing, evaluation.now_ms)
        await self._refresh_alertmanager(delivery, list(firing.values()))

    async def _record(self, delivery: Delivery, firing: dict[str, Notice], now_ms: int) -> None:
        told = await asyncio.to_thread(delivery.outbox.told_firing)
        started = [notice for key, notice in firing.items() if key not in told]
        resolved = [notice.resolved(now_ms) for key, notice in told.items() if key not in firing]
        if not started and not resolved:
            return
        names = [receiver.name for receiver in delivery.receivers]
        await asyncio.to_thread(delivery.outbox.record, started, resolved, names)
        log.info("alerts: %d started firing, %d resolved", len(started), len(resolved))
        self.metrics.queued.set(await asyncio.to_thread(delivery.outbox.depth))
        for event in delivery.wake.values():
            event.set()

    async def _refresh_alertmanager(self, delivery: Delivery, firing: list[Notice]) -> None:
        """Re-send what fires, so that Alertmanager keeps it active (it expires alerts that are
        not re-sent); changes themselves go through the outbox."""
        for receiver in delivery.receivers:
            if isinstance(receiver, AlertmanagerReceiver) and firing:
                with contextlib.suppress(DeliveryFailed):
                    await receiver.send(firing)

    async def deliver_once(self, receiver: Receiver) -> bool | None:
        """Send the oldest queued notices of a receiver: True when it took them, False when it
        failed (they stay queued), None when nothing waits."""
        assert self.delivery is not None
        outbox = self.delivery.outbox
        queued = await asyncio.to_thread(outbox.head, receiver.name, receiver.batch)
        if not queued:
            return None
        ids = [item.id for item in queued]
        try:
            await receiver.send([item.notice for item in queued])
        except DeliveryFailed as exc:
            await asyncio.to_thread(outbox.failed, ids)
            self.metrics.failures.labels(receiver.name).inc()
            self.metrics.receiver_up.labels(receiver.name).set(0)
            log.warning(
                "alerts: %s did not take %d notifications (attempt %d, retried): %s",
                receiver.name,
                len(ids),
                queued[0].attempts + 1,
                exc,
            )
            return False
        await asyncio.to_thread(outbox.delivered, ids)
        self.metrics.receiver_up.labels(receiver.name).set(1)
        for item in queued:
            self.metrics.sent.labels(receiver.name, item.notice.status).inc()
            log.info("alerts: notified %s: %s", receiver.name, _describe(item.notice))
        self.metrics.queued.set(await asyncio.to_thread(outbox.depth))
        return True

    async def _evaluate_forever(self) -> None:
        while True:
            try:
                await self.evaluate_once()
            except Exception as exc:  # the loop must outlive storage outages and bugs alike
                self.metrics.evaluation_failures.inc()
                log.warning(
                    "alerts: evaluation failed, retried in %.0f s: %s",
                    self.interval_seconds,
                    exc,
                    exc_info=not _expected(exc),
                )
            await asyncio.sleep(self.interval_seconds)

    async def _deliver_forever(self, receiver: Receiver) -> None:
        assert self.delivery is not None
        wake = self.delivery.wake[receiver.name]
        delay = FIRST_RETRY_SECONDS
        while True:
            if not await asyncio.to_thread(self.delivery.lock.acquire):
                await _wait(wake, self.interval_seconds)
                continue
            try:
                took = await self.deliver_once(receiver)
            except Exception:  # a broken outbox file: logged, retried
                log.exception("alerts: delivery to %s failed", receiver.name)
                took = False
            if took is None:
                wake.clear()
                await _wait(wake, self.interval_seconds)
            elif took:
                delay = FIRST_RETRY_SECONDS
            else:
                await asyncio.sleep(delay)
                delay = min(delay * 2, LAST_RETRY_SECONDS)


async def _probe(receiver: AlertmanagerReceiver, metrics: AlertMetrics) -> None:
    """Say at start-up whether Alertmanager answers; notifications wait in the outbox if not."""
    try:
        await receiver.check()
    except DeliveryFailed as exc:
        metrics.receiver_up.labels(receiver.name).set(0)
        log.warning(
            "alerts: Alertmanager (ROOMTEMP_ALERTMANAGER_URL) does not answer: %s; notifications "
            "wait in the outbox and are retried",
            exc,
        )


def _describe(notice: Notice) -> str:
    labels = " ".join(f"{name}={value}" for name, value in sorted(notice.labels.items()))
    return f"{notice.status} {labels}"


def _expected(exc: Exception) -> bool:
    return isinstance(exc, StorageError)


async def _wait(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
