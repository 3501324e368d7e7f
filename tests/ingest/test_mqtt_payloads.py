"""Topic patterns, payload layouts and the device map, without a broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from roomtemp.config import Settings
from roomtemp.errors import ConfigurationError, InvalidInput
from roomtemp.ingest.mqtt_payloads import (
    Target,
    TopicPattern,
    message_items,
    parse_device_map,
    parse_patterns,
)
from roomtemp.wiring import mqtt_options


@pytest.mark.parametrize(
    ("pattern", "topic", "found"),
    [
        ("sensors/{room}/{sensor}", "sensors/kitchen/wall", {"room": "kitchen", "sensor": "wall"}),
        ("sensors/{room}/{sensor}", "sensors/kitchen", None),
        ("sensors/{room}/{sensor}", "sensors/kitchen/wall/extra", None),
        ("tele/{room}/SENSOR", "tele/attic/SENSOR", {"room": "attic"}),
        ("tele/{room}/SENSOR", "tele/attic/STATE", None),
        ("shelly/{room}/+/#", "shelly/bath/status/temperature:0", {"room": "bath"}),
        ("shelly/{room}/+/#", "shelly/bath", None),
        ("a/#", "a/b/c", {}),
    ],
)
def test_topic_patterns_match(pattern: str, topic: str, found: dict[str, str] | None) -> None:
    assert TopicPattern(pattern).match(topic) == found


def test_patterns_subscribe_with_wildcards() -> None:
    patterns = parse_patterns(" sensors/{room}/{sensor} , tele/{room}/SENSOR,")
    assert [p.subscription() for p in patterns] == ["sensors/+/+", "tele/+/SENSOR"]
    for bad in ("", "a/#/b", "{room}/{room}", "shelly-{room}/+", "a+/b", "a/b#"):
        with pytest.raises(ValueError, match="pattern"):
            parse_patterns(bad)


def test_the_device_map_renames_rooms_and_sensors() -> None:
    devices = parse_device_map(
        b'{"Living Room": "living", "0x1": {"room": "hall", "sensor": "door"}}'
    )
    assert devices == {"Living Room": Target("living"), "0x1": Target("hall", "door")}
    patterns = parse_patterns("z2m/{room}")
    assert message_items("z2m/0x1", b'{"temperature": 20}', patterns, devices) == [
        {"value": 20, "room_id": "hall", "sensor_id": "door"}
    ]
    for bad in (b"[]", b'{"a": 1}', b'{"a": {"sensor": "x"}}'):
        with pytest.raises(ValueError, match="map"):
            parse_device_map(bad)


def test_a_topic_that_matches_no_pattern_is_refused() -> None:
    with pytest.raises(InvalidInput, match="matches no configured pattern"):
        message_items("other/x", b"20", parse_patterns("sensors/{room}"), {})


def test_bad_bridge_settings_are_configuration_errors(tmp_path: Path) -> None:
    url = "mqtt://127.0.0.1:1"
    assert mqtt_options(Settings(storage="sqlite:///x")) is None
    with pytest.raises(ConfigurationError, match="ROOMTEMP_MQTT_TOPICS"):
        mqtt_options(Settings(mqtt_url=url, mqtt_topics=" , "))
    missing = tmp_path / "missing.json"
    with pytest.raises(ConfigurationError, match="cannot read ROOMTEMP_MQTT_MAP"):
        mqtt_options(Settings(mqtt_url=url, mqtt_map=missing))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ConfigurationError, match="is not valid"):
        mqtt_options(Settings(mqtt_url=url, mqtt_map=broken))
