"""MQTT messages to raw readings: topic patterns and the payload layouts sensors publish.

A topic pattern is a topic whose `{room}` and `{sensor}` segments name the room and the sensor
(`sensors/{room}/{sensor}`, `tele/{room}/SENSOR`); other segments are literal, `+` matches any
one and a final `#` the rest. A map file may rename the device a `{room}` segment names
(`{"0x00158d0001a2b3c4": "kitchen", "hall-th": {"room": "hall", "sensor": "door"}}`).

The payload's layout is recognised, not configured:
- roomtemp JSON: a reading object (`{"value": 21.5, ...}`) or an array of them;
- a bare number (`21.5`, degrees Celsius);
- Zigbee2MQTT: `{"temperature": 21.5, "humidity": ...}`;
- Tasmota `tele/<device>/SENSOR`: `{"DS18B20": {"Temperature": 21.5}, "TempUnit": "C"}`, one
  reading per sensor object, the sensor named after it;
- Shelly Gen2: a `temperature:N` component (`{"id": 0, "tC": 21.5}`), or a status or
  `NotifyStatus` holding `temperature:N` components (sensor `temperature-N`, `params.ts` kept).
Tasmota's `Time` has no offset, so such readings take the time of receipt, as do Zigbee2MQTT's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from roomtemp.errors import InvalidInput

_SHELLY_COMPONENT = re.compile(r"temperature:(\d+)")
_WHOLE = frozenset(("{room}", "{sensor}", "+", "#"))
_SENSOR_NAME = re.compile(r"[^a-z0-9_.-]+")


@dataclass(frozen=True)
class Target:
    """Where a device's readings go: a room, and optionally the sensor within it."""

    room: str
    sensor: str | None = None


@dataclass(frozen=True)
class TopicPattern:
    """One topic pattern, as configured (`sensors/{room}/{sensor}`)."""

    text: str

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.text.split("/"))

    def subscription(self) -> str:
        """The MQTT topic filter to subscribe to: `{room}` and `{sensor}` become `+`."""
        return "/".join("+" if s in ("{room}", "{sensor}") else s for s in self.segments)

    def match(self, topic: str) -> dict[str, str] | None:
        """`{"room": ..., "sensor": ...}` (those the pattern names) when `topic` matches."""
        found: dict[str, str] = {}
        levels = topic.split("/")
        for index, segment in enumerate(self.segments):
            if segment == "#":
                return found
            if index >= len(levels):
                return None
            if segment in ("{room}", "{sensor}"):
                found[segment[1:-1]] = levels[index]
            elif segment not in ("+", levels[index]):
                return None
        return found if len(levels) == len(self.segments) else None


def parse_patterns(text: str) -> tuple[TopicPattern, ...]:
    """Comma-separated topic patterns; ValueError for an empty list, a wildcard or name that is
    part of a segment, a `#` before the end, or two `{room}`."""
    patterns = tuple(TopicPattern(part.strip()) for part in text.split(",") if part.strip())
    if not patterns:
        raise ValueError("no MQTT topic pattern: give e.g. sensors/{room}/{sensor}")
    for pattern in patterns:
        segments = pattern.segments
        partial = [s for s in segments if s not in _WHOLE and any(c in s for c in "{}+#")]
        if partial or "#" in segments[:-1] or segments.count("{room}") > 1:
            raise ValueError(
                f"topic pattern {pattern.text!r}: {{room}}, {{sensor}}, + and # must be whole "
                "segments, # only the last, {room} at most once (a map file renames devices)"
            )
    return patterns


def parse_device_map(document: bytes) -> dict[str, Target]:
    """A map file: JSON mapping a device name to a room id or to {"room", "sensor"}."""
    found = orjson.loads(document)
    if not isinstance(found, dict):
        raise ValueError("the MQTT map file must be a JSON object: device -> room")
    devices: dict[str, Target] = {}
    for device, target in found.items():
        if isinstance(target, str):
            devices[device] = Target(target)
        elif isinstance(target, dict) and isinstance(target.get("room"), str):
            devices[device] = Target(target["room"], target.get("sensor"))
        else:
            raise ValueError(f"map entry {device!r}: give a room id or {{'room', 'sensor'}}")
    return devices


def message_items(
    topic: str,
    payload: bytes,
    patterns: tuple[TopicPattern, ...],
    devices: Mapping[str, Target],
) -> list[dict[str, Any]]:
    """The raw readings of one message, each with its `room_id`; InvalidInput saying why not."""
    names = next((found for p in patterns if (found := p.match(topic)) is not None), None)
    if names is None:
        raise InvalidInput.single((), f"topic {topic!r} matches no configured pattern")
    target = devices.get(names.get("room", ""))
    room = target.room if target is not None else names.get("room")
    sensor = target.sensor if target is not None and target.sensor else names.get("sensor")
    items = payload_items(payload)
    for item in items:
        if room is not None and item.setdefault("room_id", room) != room:
            raise InvalidInput.single(
                ("room_id",), f"payload room_id {item['room_id']!r} differs from {room!r}"
            )
        if sensor is not None and item.get("sensor_id") is None:
            item["sensor_id"] = sensor
    return items


def payload_items(payload: bytes) -> list[dict[str, Any]]:
    """Raw readings of a payload in any known layout; InvalidInput when none fits."""
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise InvalidInput.single((), "payload is neither JSON nor a number") from None
    if type(document) in (int, float):
        return [{"value": document}]
    if isinstance(document, list):
        if not document or not all(isinstance(item, dict) for item in document):
            raise InvalidInput.single((), "a JSON array payload must hold reading objects")
        return [dict(item) for item in document]
    if isinstance(document, dict):
        items = _object_items(document)
        if items:
            return items
    raise InvalidInput.single(
        (), "payload layout not recognised: roomtemp JSON, a number, Zigbee2MQTT, Tasmota or Shelly"
    )


def _object_items(document: dict[str, Any]) -> list[dict[str, Any]]:
    if "value" in document:
        return [document]
    if "tC" in document:
        return [{"value": document["tC"]}]
    if _is_number(document.get("temperature")):
        return [{"value": document["temperature"]}]
    params = document.get("params")
    if document.get("method") == "NotifyStatus" and isinstance(params, dict):
        return _shelly_items(params, params.get("ts"))
    if any(_SHELLY_COMPONENT.fullmatch(key) for key in document):
        return _shelly_items(document, None)
    return _tasmota_items(document)


def _shelly_items(components: dict[str, Any], stamp: object) -> list[dict[str, Any]]:
    items = []
    for key, component in components.items():
        found = _SHELLY_COMPONENT.fullmatch(key)
        if found and isinstance(component, dict) and "tC" in component:
            item = {"value": component["tC"], "sensor_id": f"temperature-{found[1]}"}
            if _is_number(stamp):
                item["timestamp"] = stamp
            items.append(item)
    return items


def _tasmota_items(document: dict[str, Any]) -> list[dict[str, Any]]:
    unit = document.get("TempUnit", "C")
    return [
        {"value": child["Temperature"], "unit": unit, "sensor_id": _sensor_name(name)}
        for name, child in document.items()
        if isinstance(child, dict) and "Temperature" in child
    ]


def _sensor_name(device: str) -> str:
    return _SENSOR_NAME.sub("-", device.lower()).strip("-_.") or "sensor"


def _is_number(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value)  # type: ignore[arg-type]
