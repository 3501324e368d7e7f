"""Pushgateway-compatible ingest: devices written for the prototype's Pushgateway push here.

`PUT`/`POST /metrics/job/<job>/room/<room>[/sensor/<sensor>]` with the text exposition format,
e.g. `room_temperature_celsius 21.5`. Unlike a Pushgateway, a sample may carry its own
timestamp (ms), which is kept. Grouping labels may be base64url-encoded (`room@base64/...`).
Samples named `room_temperature_{celsius,fahrenheit,kelvin}` are readings; others are ignored.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from prometheus_client.parser import text_string_to_metric_families

from roomtemp.api.deps import Service
from roomtemp.errors import InvalidInput, TooLarge
from roomtemp.models import ReadingIn, WriteOut
from roomtemp.validation import check_id

router = APIRouter(tags=["readings"])

UNITS = {
    "room_temperature_celsius": "celsius",
    "room_temperature_fahrenheit": "fahrenheit",
    "room_temperature_kelvin": "kelvin",
}
_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"model": WriteOut, "description": "stored"},
    202: {"model": WriteOut, "description": "the engine is down: spooled, replayed later"},
    409: {"description": "a reading with the same identity and another value is stored"},
    422: {"description": "bad grouping key, text format or reading"},
    503: {"description": "storage unavailable; retry after Retry-After seconds"},
}


_ROUTE: dict[str, Any] = {
    "path": "/metrics/job/{job}/{grouping:path}",
    "response_model": WriteOut,
    "responses": _RESPONSES,
    "openapi_extra": {
        "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}}
    },
}


@router.put(
    **_ROUTE,
    operation_id="pushgateway_put",
    summary="Pushgateway-compatible push (PUT): text exposition format, grouping key in the path",
)
@router.post(
    **_ROUTE,
    operation_id="pushgateway_post",
    summary="Pushgateway-compatible push (POST): same as PUT; readings are never replaced",
)
async def push(job: str, grouping: str, request: Request, service: Service) -> JSONResponse:
    labels = grouping_labels(grouping)
    text = _text(await request.body())
    items = readings_from_text(text, labels.get("sensor"), service.settings.max_batch)
    result = await service.ingest(items, labels.get("room"), indexed=True)
    metrics = request.app.state.metrics
    metrics.ingested.inc(result.accepted)
    metrics.duplicates.inc(result.duplicates)
    body = WriteOut(accepted=result.accepted, duplicates=result.duplicates).model_dump()
    return JSONResponse(body, status_code=202 if result.spooled else 200)


def grouping_labels(path: str) -> dict[str, str]:
    """`room/kitchen/sensor/window` (or `room@base64/a2l0Y2hlbg`) to a label map."""
    parts = path.strip("/").split("/") if path.strip("/") else []
    if len(parts) % 2:
        raise InvalidInput.single(("path",), "grouping key must be label/value pairs")
    labels = {}
    for name, value in zip(parts[::2], parts[1::2], strict=True):
        if name.endswith("@base64"):
            name, value = name.removesuffix("@base64"), _base64(value)
        labels[name] = value
    if "room" not in labels:
        raise InvalidInput.single(("path",), "the grouping key needs a room: .../room/<room_id>")
    try:
        check_id(labels["room"], "room_id")
    except ValueError as exc:
        raise InvalidInput.single(("path", "room"), str(exc)) from None
    return labels


def readings_from_text(text: str, sensor: str | None, max_items: int) -> list[ReadingIn]:
    """Every room temperature sample of a text exposition body, as readings."""
    items = []
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                unit = UNITS.get(sample.name)
                if unit is None:
                    continue
                items.append(
                    ReadingIn(
                        value=sample.value,
                        unit=unit,
                        timestamp=sample.timestamp,
                        sensor_id=sample.labels.get("sensor", sensor),
                        room_id=sample.labels.get("room"),
                    )
                )
    except ValueError as exc:
        raise InvalidInput.single(("body",), f"not the text exposition format: {exc}") from None
    if not items:
        raise InvalidInput.single(("body",), f"no sample named one of {', '.join(UNITS)}")
    if len(items) > max_items:
        raise TooLarge(f"{len(items)} readings in one push, more than the limit of {max_items}")
    return items


def _base64(value: str) -> str:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidInput.single(("path",), f"{value!r} is not base64url") from None


def _text(body: bytes) -> str:
    try:
        return body.decode()
    except UnicodeDecodeError as exc:
        raise InvalidInput.single(("body",), f"body is not UTF-8: {exc}") from None
