"""Receivers: Alertmanager's API v2 (`POST /api/v2/alerts`) and webhooks that take Alertmanager's
webhook payload (version 4), so receivers written for Alertmanager work unchanged.

A receiver's name (in metrics and logs) never holds its URL, which may carry a secret token:
`alertmanager`, or `webhook-` and a hash of the URL.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from roomtemp.alerts.notice import FIRING, Notice
from roomtemp.timeparse import format_timestamp

ZERO_TIME = "0001-01-01T00:00:00Z"
"""Alertmanager's `endsAt` of an alert that has not ended."""


class DeliveryFailed(Exception):
    """The receiver did not take the notices (unreachable, timed out, or not a 2xx answer)."""


class Receiver(Protocol):
    """Where notices go; `batch` is how many one request carries."""

    name: str
    batch: int

    async def send(self, notices: Sequence[Notice]) -> None:
        """Deliver the notices, or raise DeliveryFailed."""


class AlertmanagerReceiver:
    """Alertmanager: firing alerts carry an `endsAt` a few evaluations ahead, so they stay active
    only while roomtemp keeps re-sending them (as Prometheus does); resolved ones their end."""

    name = "alertmanager"
    batch = 100

    def __init__(
        self,
        base_url: str,
        client: httpx.AsyncClient,
        validity_ms: int,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = base_url.rstrip("/") + "/api/v2/alerts"
        self.ready_url = base_url.rstrip("/") + "/-/ready"
        self.client = client
        self.validity_ms = validity_ms
        self.wall_clock = wall_clock

    async def send(self, notices: Sequence[Notice]) -> None:
        # Alertmanager compares endsAt with its own clock: the wall clock, not the data's
        now_ms = round(self.wall_clock() * 1000)
        await _post(self.client, self.url, [self._alert(n, now_ms) for n in notices])

    async def check(self) -> None:
        """Raise DeliveryFailed unless Alertmanager answers its readiness probe."""
        try:
            answer = await self.client.get(self.ready_url)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        if answer.status_code != 200:
            raise DeliveryFailed(f"readiness answered {answer.status_code}")

    def _alert(self, notice: Notice, now_ms: int) -> dict[str, Any]:
        ends = notice.ends_ms if notice.status != FIRING else now_ms + self.validity_ms
        return {
            "labels": notice.labels,
            "annotations": notice.annotations,
            "startsAt": format_timestamp(notice.starts_ms),
            "endsAt": format_timestamp(ends if ends is not None else now_ms),
        }


class WebhookReceiver:
    """A URL that takes Alertmanager's webhook payload, one alert a request."""

    batch = 1

    def __init__(self, url: str, client: httpx.AsyncClient) -> None:
        self.url = url
        self.name = webhook_name(url)
        self.client = client

    async def send(self, notices: Sequence[Notice]) -> None:
        for notice in notices:
            await _post(self.client, self.url, webhook_payload(notice, self.name))


def webhook_payload(notice: Notice, receiver: str) -> dict[str, Any]:
    """Alertmanager's webhook body (version 4) for one alert, grouped by all its labels."""
    labels = dict(sorted(notice.labels.items()))
    ends = format_timestamp(notice.ends_ms) if notice.ends_ms is not None else ZERO_TIME
    group = ", ".join(f'{name}="{value}"' for name, value in labels.items())
    return {
        "version": "4",
        "groupKey": f"{{}}:{{{group}}}",
        "truncatedAlerts": 0,
        "status": notice.status,
        "receiver": receiver,
        "groupLabels": labels,
        "commonLabels": labels,
        "commonAnnotations": notice.annotations,
        "externalURL": "",
        "alerts": [
            {
                "status": notice.status,
                "labels": labels,
                "annotations": notice.annotations,
                "startsAt": format_timestamp(notice.starts_ms),
                "endsAt": ends,
                "generatorURL": "",
                "fingerprint": fingerprint(labels),
            }
        ],
    }


def fingerprint(labels: dict[str, str]) -> str:
    """Alertmanager's fingerprint of a label set: FNV-1a (64 bit) over sorted names and values."""
    value = 14695981039346656037
    for name in sorted(labels):
        for part in (name.encode(), b"\xff", labels[name].encode(), b"\xff"):
            for byte in part:
                value = ((value ^ byte) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


def webhook_name(url: str) -> str:
    """A stable name for a webhook that does not reveal its URL."""
    return "webhook-" + hashlib.sha256(url.encode()).hexdigest()[:8]


def url_problem(url: str) -> str | None:
    """Why a receiver URL cannot be used (None: it can)."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return str(exc)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http:// or https:// URL with a host"
    return None


async def _post(client: httpx.AsyncClient, url: str, body: object) -> None:
    try:
        answer = await client.post(url, json=body)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= answer.status_code < 300:
        raise DeliveryFailed(f"answered {answer.status_code}: {answer.text[:200]}")
