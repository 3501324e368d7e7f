"""Prometheus, Alertmanager and Grafana configuration, checked by the real tools as deployed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from roomtemp.storage.prometheus.promql import ROOM_METRICS
from roomtemp.telemetry import ServiceMetrics
from tests.deploy.tools import DEPLOY, OVERLAYS, Obj, named, prometheus_server, run
from tests.processes import require_program

PROMETHEUS = DEPLOY / "prometheus"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "roomtemp.json"
# series the storage backend writes (DESIGN.md, "Storage backends")
STORED_SERIES = set(ROOM_METRICS)
"""The series roomtemp writes into an engine (readings, room and sensor metadata, ...)."""
# keys of the Secrets that deploy.sh creates (never in git)
SECRET_KEYS = {"prometheus-scrape-token": ["scrape-token"]}
# what Grafana substitutes before a query reaches Prometheus
GRAFANA_VARIABLES = {"$__rate_interval": "2m", "$__interval": "1m", "$room": "lab"}


def config_map(objects: list[Obj], name: str) -> dict[str, str]:
    data: dict[str, str] = named(objects, "ConfigMap", name)["data"]
    return data


def write_prometheus_dir(objects: list[Obj], into: Path) -> Path:
    """Lay out /etc/prometheus as the Prometheus container sees it, from its volume mounts of the
    rendered ConfigMaps (and of the Secrets deploy.sh makes, with a placeholder value)."""
    pod = named(objects, "StatefulSet", "prometheus")["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    for mount in pod["containers"][0]["volumeMounts"]:
        if not mount["mountPath"].startswith("/etc/prometheus/"):
            continue
        target = into / mount["mountPath"].removeprefix("/etc/prometheus/")
        volume = volumes[mount["name"]]
        if "secret" in volume:
            files = dict.fromkeys(SECRET_KEYS[volume["secret"]["secretName"]], "placeholder")
        else:
            source = volume["configMap"]
            found = [o for o in objects if o["metadata"]["name"] == source["name"]]
            assert found or source.get("optional"), f"no ConfigMap {source['name']}"
            files = found[0]["data"] if found else {}
        if "subPath" in mount:
            target.write_text(files[mount["subPath"]])
            continue
        target.mkdir(parents=True)
        for key, text in files.items():
            (target / key).write_text(text)
    return into / "prometheus.yml"


def dashboard_targets() -> list[dict[str, Any]]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target for panel in panels for target in panel.get("targets", [])]


def dashboard_queries() -> list[str]:
    """Every PromQL expression of the dashboard, with Grafana's variables filled in."""
    exprs = [t["expr"] for t in dashboard_targets()]
    for variable in json.loads(DASHBOARD.read_text())["templating"]["list"]:
        match = re.fullmatch(r"label_values\((.+), *\w+\)", variable["query"]["query"])
        assert match, variable
        exprs.append(match[1])
    out = []
    for expr in exprs:
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        assert "$" not in expr, f"unknown Grafana variable in {expr}"
        out.append(expr)
    return out


RULE_FILES = {"roomtemp.rules.yml": 5, "rooms.rules.yml": 3}
"""Each rule file and how many rules it holds (rooms.rules.yml is generated)."""


def rules() -> list[dict[str, Any]]:
    groups = [
        group
        for name in RULE_FILES
        for group in yaml.safe_load((PROMETHEUS / "rules" / name).read_text())["groups"]
    ]
    return [rule for group in groups for rule in group["rules"]]


def rule_exprs() -> list[str]:
    return [rule["expr"] for rule in rules()]


@pytest.mark.parametrize(("name", "count"), sorted(RULE_FILES.items()))
def test_rules_pass_promtool_check(name: str, count: int) -> None:
    result = run(require_program("promtool"), "check", "rules", PROMETHEUS / "rules" / name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {count} rules found" in result.stdout


@pytest.mark.parametrize("name", ["roomtemp.test.yml", "rooms.test.yml"])
def test_rules_pass_their_unit_tests(name: str) -> None:
    result = run(require_program("promtool"), "test", "rules", PROMETHEUS / "tests" / name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_catch_a_wrong_window(tmp_path: Path) -> None:
    """The unit tests fail when the room alerts' 10-minute `for` changes (they pin the
    semantics): the rule looks at the minute 9 minutes back (offset 540000ms)."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "tests").mkdir()
    rules = (PROMETHEUS / "rules" / "rooms.rules.yml").read_text()
    assert "offset 540000ms" in rules
    (tmp_path / "rules" / "rooms.rules.yml").write_text(
        rules.replace("offset 540000ms", "offset 240000ms")
    )
    (tmp_path / "tests" / "t.yml").write_text((PROMETHEUS / "tests" / "rooms.test.yml").read_text())
    result = run(require_program("promtool"), "test", "rules", tmp_path / "tests" / "t.yml")
    assert result.returncode != 0


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_deployed_prometheus_config_passes_promtool(
    rendered: dict[str, list[Obj]], overlay: str, tmp_path: Path
) -> None:
    config = write_prometheus_dir(rendered[overlay], tmp_path)
    result = run(require_program("promtool"), "check", "config", config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(RULE_FILES)} rule files found" in result.stdout
    parsed = yaml.safe_load(config.read_text())
    assert parsed["storage"]["tsdb"]["out_of_order_time_window"]


def test_long_term_storage_config_is_the_base_config_plus_remote_write() -> None:
    base = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    component = DEPLOY / "k8s" / "components" / "long-term-storage" / "prometheus.yml"
    forwarding = yaml.safe_load(component.read_text())
    assert forwarding.pop("remote_write")
    assert forwarding == base


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_deployed_alertmanager_config_passes_amtool(
    rendered: dict[str, list[Obj]], overlay: str, tmp_path: Path
) -> None:
    config = tmp_path / "alertmanager.yml"
    config.write_text(config_map(rendered[overlay], "alertmanager-config")["alertmanager.yml"])
    result = run(require_program("amtool"), "check-config", config)
    assert result.returncode == 0, result.stdout + result.stderr


def test_amtool_rejects_a_broken_route(tmp_path: Path) -> None:
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        (DEPLOY / "alertmanager" / "alertmanager.yml")
        .read_text()
        .replace("receiver: on-call", "receiver: nobody")
    )
    assert run(require_program("amtool"), "check-config", config).returncode != 0


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_grafana_is_provisioned_with_the_datasource_and_dashboard(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    objects = rendered[overlay]
    datasources = yaml.safe_load(next(iter(config_map(objects, "grafana-datasources").values())))[
        "datasources"
    ]
    assert [d["url"] for d in datasources] == ["http://prometheus:9090"]
    assert named(objects, "Service", "prometheus")["spec"]["ports"][0]["port"] == 9090
    providers = yaml.safe_load(
        next(iter(config_map(objects, "grafana-dashboard-providers").values()))
    )["providers"]
    grafana = named(objects, "Deployment", "grafana")["spec"]["template"]["spec"]
    volumes = {v["name"]: v.get("configMap", {}).get("name", "") for v in grafana["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in grafana["containers"][0]["volumeMounts"]}
    assert mounts[providers[0]["options"]["path"]].startswith("grafana-dashboards-")
    dashboards = config_map(objects, "grafana-dashboards")
    assert json.loads(dashboards["roomtemp.json"]) == json.loads(DASHBOARD.read_text())
    uids = {d["uid"] for d in datasources}
    assert {t["datasource"]["uid"] for t in dashboard_targets()} == uids


def test_dashboard_has_overview_room_history_and_service_health() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
    assert rows == ["Rooms overview", "Room: $room", "Service health"]
    history = " ".join(t["expr"] for t in dashboard_targets())
    for needle in (
        'roomtemp_room_comfort_min_celsius{room="$room"}',
        "roomtemp_spool_readings",
        "roomtemp_http_request_duration_seconds_bucket",
    ):
        assert needle in history


def test_dashboard_and_rules_name_only_metrics_that_exist() -> None:
    exported = set(STORED_SERIES) | {"up", "ALERTS"}
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "gauge": [""]}
    for family in ServiceMetrics().registry.collect():
        exported |= {family.name + suffix for suffix in suffixes[family.type]}
    text = " ".join(dashboard_queries() + rule_exprs())
    used = set(re.findall(r"\b(?:roomtemp_\w+|room_\w+|up|ALERTS)\b(?=\s*[{\[)])", text))
    assert used, "no metric found: the pattern is wrong"
    assert used <= exported, used - exported
    alerts = {rule["alert"] for rule in rules()}
    named_in_dashboard = set(re.findall(r'alertname=~?"([^"]+)"', text))
    for pattern in named_in_dashboard:
        assert all(name in alerts for name in pattern.split("|")), pattern


def test_every_dashboard_query_is_accepted_by_prometheus(tmp_path: Path) -> None:
    queries = dashboard_queries() + rule_exprs()
    with prometheus_server(tmp_path) as prometheus:
        rejected = prometheus.query("avg by (room) (room_temperature_celsius[5m]")
        assert rejected.status_code == 400, "a broken expression must be rejected"
        for expr in queries:
            answer = prometheus.query(expr)
            assert answer.status_code == 200, f"{expr}: {answer.text}"
            assert answer.json()["status"] == "success"
