"""The Pushgateway protocol: grouping keys in the path and the text exposition format.

`/metrics/job/<job>/room/<room>[/sensor/<sensor>]`; label values may be base64url-encoded
(`room@base64/a2l0Y2hlbg`). Samples named `room_temperature_{celsius,fahrenheit,kelvin}` are
readings; others are ignored. Unlike a Pushgateway, a sample may carry its own timestamp (ms),
which is kept. Problems are InvalidInput located in the grouping key or the body (`()`).
"""

from __future__ import annotations

import base64
import binascii

from prometheus_client.parser import text_string_to_metric_families

from roomtemp.domain import check_id
from roomtemp.errors import InvalidInput, TooLarge

UNITS = {
    "room_temperature_celsius": "celsius",
    "room_temperature_fahrenheit": "fahrenheit",
    "room_temperature_kelvin": "kelvin",
}


def grouping_labels(path: str) -> dict[str, str]:
    """`room/kitchen/sensor/window` (or `room@base64/a2l0Y2hlbg`) to a label map."""
    parts = path.strip("/").split("/") if path.strip("/") else []
    if len(parts) % 2:
        raise InvalidInput.single((), "grouping key must be label/value pairs")
    labels = {}
    for name, value in zip(parts[::2], parts[1::2], strict=True):
        if name.endswith("@base64"):
            name, value = name.removesuffix("@base64"), _base64(value)
        labels[name] = value
    if "room" not in labels:
        raise InvalidInput.single((), "the grouping key needs a room: .../room/<room_id>")
    try:
        check_id(labels["room"], "room_id")
    except ValueError as exc:
        raise InvalidInput.single(("room",), str(exc)) from None
    return labels


def readings_from_text(body: bytes, sensor: str | None, max_items: int) -> list[dict[str, object]]:
    """Every room temperature sample of a text exposition body, as raw readings."""
    items: list[dict[str, object]] = []
    try:
        for family in text_string_to_metric_families(_text(body)):
            for sample in family.samples:
                unit = UNITS.get(sample.name)
                if unit is None:
                    continue
                items.append(
                    {
                        "value": sample.value,
                        "unit": unit,
                        "timestamp": sample.timestamp,
                        "sensor_id": sample.labels.get("sensor", sensor),
                        "room_id": sample.labels.get("room"),
                    }
                )
    except ValueError as exc:
        raise InvalidInput.single((), f"not the text exposition format: {exc}") from None
    if not items:
        raise InvalidInput.single((), f"no sample named one of {', '.join(UNITS)}")
    if len(items) > max_items:
        raise TooLarge(f"{len(items)} readings in one push, more than the limit of {max_items}")
    return items


def _base64(value: str) -> str:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidInput.single((), f"{value!r} is not base64url") from None


def _text(body: bytes) -> str:
    try:
        return body.decode()
    except UnicodeDecodeError as exc:
        raise InvalidInput.single((), f"body is not UTF-8: {exc}") from None
