"""Every overlay renders, validates against the Kubernetes schemas, and follows the house rules."""

from __future__ import annotations

import copy
import re
from typing import Any

import kubernetes_validate
import pytest

from tests.deploy.tools import (
    KUBERNETES_VERSION,
    OVERLAYS,
    Obj,
    named,
    pod_templates,
    project_version,
)

# created by deploy/deploy.sh (or a secret manager), never rendered from git
EXTERNAL_SECRETS = {"roomtemp-tokens", "grafana-admin", "prometheus-scrape-token"}
# overlays that follow main: the API image is the project version (dev: + the CI build's sha)
TRACKS_MAIN = {"minikube", "dev"}


def containers(pod: Obj) -> list[Obj]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def api(objects: list[Obj]) -> tuple[Obj, Obj, Obj]:
    """The API StatefulSet, its pod spec and its container."""
    workload = named(objects, "StatefulSet", "roomtemp-api")
    pod = workload["spec"]["template"]["spec"]
    return workload, pod, pod["containers"][0]


def config_env(objects: list[Obj], container: Obj) -> dict[str, str]:
    """The environment a container gets from its envFrom ConfigMaps."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        name = source["configMapRef"]["name"]
        env.update(next(o for o in objects if o["metadata"]["name"] == name)["data"])
    return env


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates_against_the_kubernetes_schema(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    for obj in rendered[overlay]:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_schema_validation_rejects_a_misspelt_field(rendered: dict[str, list[Obj]]) -> None:
    workload, _, container = api(copy.deepcopy(rendered["minikube"]))
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(workload, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_are_pinned_and_the_api_runs_the_project_version(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    for _, pod in pod_templates(rendered[overlay]):
        for container in containers(pod):
            name, _, tag = container["image"].rpartition(":")
            assert name, f"untagged image {container['image']}"
            assert "/" not in tag, f"untagged image {container['image']}"
            assert re.fullmatch(r"v?\d+\.\d+\.\d+(-[0-9a-f]{7,40})?", tag), container["image"]
    tag = api(rendered[overlay])[2]["image"].rpartition(":")[2]
    version = re.escape(project_version())
    exact = rf"{version}(-[0-9a-f]{{7,40}})?" if overlay in TRACKS_MAIN else r"\d+\.\d+\.\d+.*"
    assert re.fullmatch(exact, tag), f"{overlay}: API image tag {tag}"


def test_local_overlay_uses_the_exact_project_version(rendered: dict[str, list[Obj]]) -> None:
    assert api(rendered["minikube"])[2]["image"] == f"roomtemp:{project_version()}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_probes_resources_and_runs_unprivileged(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    for workload, pod in pod_templates(rendered[overlay]):
        where = f"{overlay}: {workload['metadata']['name']}"
        assert pod["automountServiceAccountToken"] is False, where
        pod_security = pod["securityContext"]
        assert pod_security["runAsNonRoot"] is True, where
        assert pod_security["runAsUser"] > 0, where
        assert pod_security["seccompProfile"]["type"] == "RuntimeDefault", where
        for container in pod["containers"]:
            for probe in ("readinessProbe", "livenessProbe"):
                assert probe in container, f"{where}/{container['name']}: no {probe}"
            for kind in ("requests", "limits"):
                assert set(container["resources"][kind]) == {"cpu", "memory"}, where
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_api_is_read_only_probed_and_keeps_its_spool_on_a_volume(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    objects = rendered[overlay]
    workload, pod, container = api(objects)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    env = config_env(objects, container)
    assert env["ROOMTEMP_STORAGE"] == "prometheus://prometheus:9090"
    claims = {c["metadata"]["name"] for c in workload["spec"]["volumeClaimTemplates"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    for durable in ("ROOMTEMP_SPOOL_DIR", "ROOMTEMP_ALERT_OUTBOX"):  # survive restarts
        mount = next(p for p in mounts if env[durable].startswith(p + "/"))
        assert mounts[mount] in claims, durable
    alertmanager = named(objects, "Service", "alertmanager")["spec"]["ports"][0]["port"]
    assert env["ROOMTEMP_ALERTMANAGER_URL"] == f"http://alertmanager:{alertmanager}"
    tokens_mount = next(p for p in mounts if env["ROOMTEMP_TOKENS_FILE"].startswith(p + "/"))
    secrets = {v["name"]: v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
    assert secrets[mounts[tokens_mount]] == "roomtemp-tokens"
    service = named(objects, "Service", "roomtemp-api")
    assert service["spec"]["ports"][0]["port"] == 8000


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_prometheus_keeps_its_data_on_a_volume_with_remote_write_and_retention(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    workload = named(rendered[overlay], "StatefulSet", "prometheus")
    container = workload["spec"]["template"]["spec"]["containers"][0]
    flags = dict(arg.removeprefix("--").partition("=")[::2] for arg in container["args"])
    assert "web.enable-remote-write-receiver" in flags
    assert re.fullmatch(r"\d+d", flags["storage.tsdb.retention.time"])
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    claims = {c["metadata"]["name"] for c in workload["spec"]["volumeClaimTemplates"]}
    assert mounts[flags["storage.tsdb.path"]] in claims


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_wiring_every_reference_resolves(rendered: dict[str, list[Obj]], overlay: str) -> None:
    objects = rendered[overlay]
    names = {(o["kind"], o["metadata"]["name"]) for o in objects}
    namespace = next(o for o in objects if o["kind"] == "Namespace")["metadata"]["name"]
    assert {o["metadata"].get("namespace", namespace) for o in objects} == {namespace}
    for _, pod in pod_templates(objects):
        for volume in pod.get("volumes", []):
            if "configMap" in volume and not volume["configMap"].get("optional"):
                assert ("ConfigMap", volume["configMap"]["name"]) in names, volume
            if "secret" in volume:
                assert volume["secret"]["secretName"] in EXTERNAL_SECRETS, volume
        for container in pod["containers"]:
            for source in container.get("envFrom", []):
                assert ("ConfigMap", source["configMapRef"]["name"]) in names
            for var in container.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                assert ref is None or ref["name"] in EXTERNAL_SECRETS, var
    for service in (o for o in objects if o["kind"] == "Service"):
        selector = service["spec"]["selector"].items()
        pods = [
            pod
            for workload, pod in pod_templates(objects)
            if selector <= workload["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert pods, f"Service {service['metadata']['name']} selects no pod"
        port_names = {p["name"] for pod in pods for c in pod["containers"] for p in c["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in port_names, service["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_deny_by_default_and_open_each_served_port(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    objects = rendered[overlay]
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    deny = named(objects, "NetworkPolicy", "default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for workload, pod in pod_templates(objects):
        labels = workload["spec"]["template"]["metadata"]["labels"].items()
        selecting = [
            p["spec"]
            for p in policies
            if p["spec"]["podSelector"].get("matchLabels", {}).items() <= labels
            and p["spec"]["podSelector"]
        ]
        allowed = {
            port["port"]
            for spec in selecting
            for rule in spec.get("ingress", [])
            for port in rule.get("ports", [])
        }
        served = {p["containerPort"] for c in pod["containers"] for p in c["ports"]}
        assert served == allowed, f"{workload['metadata']['name']}: serves {served}, open {allowed}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_namespace_enforces_the_restricted_pod_security_standard(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    namespace = next(o for o in rendered[overlay] if o["kind"] == "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_api_replicas_and_disruption_budget(rendered: dict[str, list[Obj]], overlay: str) -> None:
    workload = api(rendered[overlay])[0]
    budget = named(rendered[overlay], "PodDisruptionBudget", "roomtemp-api")
    assert (
        budget["spec"]["selector"]["matchLabels"].items()
        <= workload["spec"]["template"]["metadata"]["labels"].items()
    )
    minimum = 2 if overlay in ("preprod", "production") else 1
    assert workload["spec"]["replicas"] >= minimum
    assert budget["spec"]["maxUnavailable"] < workload["spec"]["replicas"] or minimum == 1


def test_pushgateway_only_where_the_overlay_asks(rendered: dict[str, list[Obj]]) -> None:
    with_pushgateway = {
        overlay
        for overlay, objects in rendered.items()
        if any(o["metadata"]["name"] == "pushgateway" for o in objects if o["kind"] == "Deployment")
    }
    assert with_pushgateway == {"minikube"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlays_live_in_their_own_namespace(rendered: dict[str, list[Obj]], overlay: str) -> None:
    namespace = next(o for o in rendered[overlay] if o["kind"] == "Namespace")["metadata"]["name"]
    expected = "roomtemp" if overlay in ("minikube", "production") else f"roomtemp-{overlay}"
    assert namespace == expected


def allows(rule: Obj, direction: str, peer: dict[str, str] | None, port: int) -> bool:
    """Whether one ingress/egress rule admits `peer` (pod labels in this namespace; None: a
    client from outside) on `port`. Covers the forms the manifests use."""
    ports = [p["port"] for p in rule.get("ports", [])]
    if ports and port not in ports:
        return False
    peers = rule.get("from" if direction == "ingress" else "to")
    if peers is None:
        return True
    return any(
        "namespaceSelector" not in p
        and peer is not None
        and p["podSelector"].get("matchLabels", {}).items() <= peer.items()
        for p in peers
    )


def admitted(
    policies: list[Obj], pod: dict[str, str], direction: str, peer: Any, port: int
) -> bool:
    selecting = [
        p["spec"]
        for p in policies
        if p["spec"]["podSelector"].get("matchLabels", {}).items() <= pod.items()
        and direction.capitalize() in p["spec"]["policyTypes"]
    ]
    return any(
        allows(rule, direction, peer, port) for s in selecting for rule in s.get(direction, [])
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_let_only_what_must_talk_talk(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    objects = rendered[overlay]
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    pods = {
        w["metadata"]["name"]: (w["spec"]["template"]["metadata"]["labels"], pod)
        for w, pod in pod_templates(objects)
    }
    inside = {
        (source, target, port)
        for source, (source_labels, _) in pods.items()
        for target, (target_labels, pod) in pods.items()
        for port in {p["containerPort"] for c in pod["containers"] for p in c["ports"]}
        if source != target
        and admitted(policies, source_labels, "egress", target_labels, port)
        and admitted(policies, target_labels, "ingress", source_labels, port)
    }
    expected = {
        ("roomtemp-api", "prometheus", 9090),
        ("roomtemp-api", "alertmanager", 9093),
        ("prometheus", "roomtemp-api", 8000),
        ("prometheus", "alertmanager", 9093),
        ("grafana", "prometheus", 9090),
    }
    if "pushgateway" in pods:
        expected.add(("prometheus", "pushgateway", 9091))
    assert inside == expected
    from_outside = {
        (target, port)
        for target, (labels, pod) in pods.items()
        for port in {p["containerPort"] for c in pod["containers"] for p in c["ports"]}
        if admitted(policies, labels, "ingress", None, port)
    }
    assert from_outside == {("roomtemp-api", 8000), ("grafana", 3000)} | (
        {("pushgateway", 9091)} if "pushgateway" in pods else set()
    )
