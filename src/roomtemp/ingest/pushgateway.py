"""The Pushgateway protocol: grouping keys in the path, exposition bodies to raw readings.

`/metrics/job/<job>{/<label>/<value>}*`; any label, `job` too, may be written `label@base64`
with a base64url value (`job@base64/YS9i` is job `a/b`, `=` an empty value). The `room` label
names the room, `sensor` the sensor. Samples named `room_temperature_{celsius,fahrenheit,
kelvin}` are readings; others are ignored. Unlike a Pushgateway, a sample may carry its own
timestamp, which is kept. Problems are InvalidInput located in the grouping key or the body
(`()`); a grouping key without a room is BadRequest.
"""

from __future__ import annotations

import base64
import binascii

from roomtemp.domain import check_id
from roomtemp.errors import BadRequest, InvalidInput, TooLarge
from roomtemp.ingest.exposition import PROTOBUF_TYPE, protobuf_samples, text_samples

UNITS = {
    "room_temperature_celsius": "celsius",
    "room_temperature_fahrenheit": "fahrenheit",
    "room_temperature_kelvin": "kelvin",
}
MEDIA_TYPES = ("text/plain", PROTOBUF_TYPE)
"""What a Pushgateway takes: the text format, and protobuf delimited."""


def grouping_labels(path: str) -> dict[str, str]:
    """`job/gw/room/kitchen/sensor/window` (what follows `/metrics/`) to its labels, `job`
    included; InvalidInput when it is not label/value pairs starting with the job."""
    parts = path.strip("/").split("/") if path.strip("/") else []
    if len(parts) % 2 or not parts or parts[0] not in ("job", "job@base64"):
        raise InvalidInput.single(
            (), "the path must be /metrics/job/<job> followed by <label>/<value> pairs"
        )
    labels = {}
    for name, value in zip(parts[::2], parts[1::2], strict=True):
        if name.endswith("@base64"):
            name, value = name.removesuffix("@base64"), _base64(value)
        labels[name] = value
    if not labels["job"]:
        raise InvalidInput.single(("job",), "the job must not be empty")
    return labels


def room_of(labels: dict[str, str]) -> str:
    """The grouping key's room; BadRequest saying how to give one."""
    room = labels.get("room")
    if not room:
        raise BadRequest(
            "the grouping key names no room: push to /metrics/job/<job>/room/<room_id>"
            "[/sensor/<sensor_id>] (roomtemp stores readings per room, not per job)"
        )
    try:
        return check_id(room, "room_id")
    except ValueError as exc:
        raise InvalidInput.single(("room",), str(exc)) from None


def readings_from_body(
    body: bytes, media: str, labels: dict[str, str], max_items: int
) -> list[dict[str, object]]:
    """Every room temperature sample of a text or protobuf body, as raw readings of the
    grouping key's room and sensor (a sample's own `room` and `sensor` labels win)."""
    samples = protobuf_samples(body) if media == PROTOBUF_TYPE else text_samples(body)
    items: list[dict[str, object]] = [
        {
            "value": sample.value,
            "unit": UNITS[sample.name],
            "timestamp": sample.timestamp,
            "sensor_id": sample.labels.get("sensor", labels.get("sensor")),
            "room_id": sample.labels.get("room"),
        }
        for sample in samples
        if sample.name in UNITS
    ]
    if not items:
        raise InvalidInput.single((), f"no sample named one of {', '.join(UNITS)}")
    if len(items) > max_items:
        raise TooLarge(f"{len(items)} readings in one push, more than the limit of {max_items}")
    return items


def _base64(value: str) -> str:
    if value == "=":  # how the protocol writes an empty value
        return ""
    try:
        padded = value + "=" * (-len(value) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidInput.single((), f"{value!r} is not base64url") from None
