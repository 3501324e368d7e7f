"""One truth for alerts: the Prometheus rules in deploy/ fire for exactly the rooms and sensors
roomtemp's evaluator says fire, on the same readings in a real engine.

The readings go into Prometheus (and VictoriaMetrics) through the Prometheus backend; the
evaluator reads them back through the backend, the rules' expressions are evaluated by the engine
at the same whole minutes; the two sets of firing alerts must be equal.
"""

from __future__ import annotations

import random
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from roomtemp.alerts.promql import main, rule_file
from roomtemp.alerts.rules import ALERT_NAMES, AlertRules, AlertState
from roomtemp.domain import Comfort, Reading, RoomMeta, SensorSettings
from roomtemp.listing import AlertsQuery
from roomtemp.service import RoomService, ServiceOptions
from roomtemp.storage.prometheus.promql import Window
from roomtemp.wiring import open_configured_storage
from tests.backends import engine_settings
from tests.engines import start_engine
from tests.processes import require_program
from tests.support import FakeClock

pytestmark = pytest.mark.anyio

RULES_FILE = (
    Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "rules" / "rooms.rules.yml"
)
MINUTE = 60_000
PALETTES = [  # each room leans one way, with minutes on and around the band's edges
    [27.0, 27.0, 27.0, 24.5, 24.0, 21.0],
    [17.0, 17.0, 17.0, 18.5, 19.0, 21.0],
    [17.0, 19.0, 21.0, 24.0, 24.5, 27.0],
]
GAPS = [1, 1, 2, 5, 14, 15, 16]  # minutes; stale-after is 15


def test_the_rule_file_is_generated_from_the_definitions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main([])
    assert RULES_FILE.read_text() == capsys.readouterr().out


def test_the_rule_file_passes_promtool() -> None:
    result = subprocess.run(
        [require_program("promtool", "prometheus"), "check", "rules", str(RULES_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 3 rules found" in result.stdout


INTERVALS = [None, None, 2 * MINUTE, 3 * MINUTE, 10 * MINUTE]
"""Expected intervals of named sensors: silent after 6, 9 or 30 minutes instead of 15."""


def random_rooms(
    seed: int, tau: int
) -> tuple[list[RoomMeta], list[Reading], list[tuple[str, SensorSettings]]]:
    """Rooms with a band (some only one side), each with one or two sensors reporting back from
    τ in gaps around the stale-after time, at the edges of minutes or anywhere in them; some
    sensors with an expected interval."""
    rng, pick = random.Random(seed), random.Random(seed + 1)  # intervals apart: same readings
    metas, readings, settings = [], [], []
    for index in range(40):
        room = f"r{index:02d}"
        low, high = rng.choice([(19.0, 24.0), (None, 24.0), (19.0, None), (None, None)])
        metas.append(RoomMeta(room, building=rng.choice([None, "hq"]), comfort=Comfort(low, high)))
        values = rng.choice(PALETTES)
        for sensor in rng.sample([None, "a", "b"], rng.choice([1, 1, 2])):
            interval = pick.choice(INTERVALS)
            if sensor is not None and interval is not None:
                settings.append((room, SensorSettings(sensor, None, interval)))
            at = tau - rng.choice([0, 1, 3, 10, 16, 40]) * MINUTE
            for _ in range(rng.randrange(1, 40)):
                into = rng.choice([0, 1, 30_000, 59_999, rng.randrange(MINUTE)])
                start = at - at % MINUTE - MINUTE
                readings.append(Reading(room, sensor, start + into, rng.choice(values)))
                at -= rng.choice(GAPS) * MINUTE
    unique = {(r.room_id, r.sensor_id, r.timestamp_ms): r for r in readings}
    return metas, list(unique.values()), settings


def firing_by_rules(engine_url: str, text: str, at_ms: int) -> set[tuple[str, str, str | None]]:
    found = set()
    for rule in yaml.safe_load(text)["groups"][0]["rules"]:
        answer = httpx.post(
            engine_url + "/api/v1/query",
            data={"query": rule["expr"], "time": str(at_ms / 1000)},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        for series in answer.json()["data"]["result"]:
            labels: dict[str, Any] = series["metric"]
            found.add((rule["alert"], labels["room"], labels.get("sensor")))
    return found


@pytest.mark.parametrize("kind", ["prometheus", "victoriametrics"])
async def test_the_rules_fire_exactly_where_the_evaluator_does(kind: str, tmp_path: Path) -> None:
    engine = start_engine(kind, tmp_path / kind)
    try:
        storage = await open_configured_storage(engine_settings(engine, tmp_path / "spool"))
        try:
            # rooms just created, evaluated at whole minutes from just ahead of now: the rules
            # hold every past minute to the band as it is now, as the evaluator does
            tau = (round(time.time() * 1000) // MINUTE + 2) * MINUTE
            metas, readings, settings = random_rooms(12, tau)
            for meta in metas:
                await storage.put_room(meta)
            for room, sensor in settings:
                await storage.put_sensor(room, sensor)
            await storage.write(readings)
            window = Window(closed=kind == "prometheus")
            deployed = RULES_FILE.read_text() if kind == "prometheus" else None
            banded = AlertRules(default_comfort=Comfort(18.0, 25.0))
            kinds = set()
            for at, rules in [
                (tau, AlertRules()),
                (tau + MINUTE, banded),
                (tau + 7 * MINUTE, AlertRules()),
            ]:
                text = (
                    deployed if deployed and rules == AlertRules() else rule_file(rules, window, "")
                )
                options = ServiceOptions(stale_after_ms=rules.stale_after_ms, alerts=rules)
                service = RoomService(storage, options, FakeClock(at / 1000))
                alerts = await service.alerts(AlertsQuery())
                expected = {
                    (ALERT_NAMES[a.kind], a.room_id, a.sensor_id)
                    for a in alerts
                    if a.state is AlertState.firing
                }
                assert firing_by_rules(engine.url, text, at) == expected
                kinds |= {name for name, _, _ in expected}
            assert kinds == set(ALERT_NAMES.values()), "every kind should have fired"
        finally:
            await storage.close()
    finally:
        engine.stop()
