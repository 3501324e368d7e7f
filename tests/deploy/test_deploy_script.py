"""deploy/deploy.sh against a stand-in for a cluster (none can run here).

The stand-in `kubectl` renders with the real `kubectl kustomize`, keeps what is applied and the
Secrets in a directory, and answers `get`, `create secret`, `apply` and `rollout status` from it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy.tools import DEPLOY, run
from tests.processes import require_program

STAND_IN = """
import os, subprocess, sys
from pathlib import Path
import yaml

cluster = Path(os.environ["CLUSTER"])
args = sys.argv[1:]
with (cluster / "calls").open("a") as calls:
    calls.write(" ".join(args) + "\\n")
while args[0] in ("--context", "-n"):
    args = args[2:]
if args[0] == "kustomize":
    os.execv(os.environ["REAL_KUBECTL"], ["kubectl", *args])
elif args[:2] == ["config", "current-context"]:
    print("stand-in")
elif args[0] == "apply":
    text = sys.stdin.read() if args[2] == "-" else Path(args[2]).read_text()
    with (cluster / "applied.yaml").open("a") as applied:
        applied.write(text + "\\n---\\n")
    for obj in yaml.safe_load_all(text):
        if obj and obj["kind"] == "Secret":
            (cluster / "secrets" / obj["metadata"]["name"]).touch()
elif args[:2] == ["get", "secret"]:
    sys.exit(0 if (cluster / "secrets" / args[2]).exists() else 1)
elif args[:3] == ["create", "secret", "generic"]:
    if "--dry-run=client" in args:
        print(f"apiVersion: v1\\nkind: Secret\\nmetadata:\\n  name: {args[3]}")
    else:
        (cluster / "secrets" / args[3]).touch()
elif args[:2] == ["get", "statefulset,deployment"]:
    for obj in yaml.safe_load_all((cluster / "applied.yaml").read_text()):
        if obj and obj["kind"] in ("StatefulSet", "Deployment"):
            print(f"{obj['kind'].lower()}/{obj['metadata']['name']}")
elif args[:2] != ["rollout", "status"]:
    sys.exit(f"stand-in: unexpected {args}")
"""


@pytest.fixture
def cluster(tmp_path: Path) -> dict[str, str]:
    """Environment for deploy.sh: the stand-in first on PATH, an empty cluster directory."""
    real = require_program("kubectl")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").write_text(f"#!{sys.executable}\n{STAND_IN}")
    (bin_dir / "kubectl").chmod(0o755)
    (tmp_path / "cluster" / "secrets").mkdir(parents=True)
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CLUSTER": str(tmp_path / "cluster"),
        "REAL_KUBECTL": real,
    }


def deploy(env: dict[str, str], overlay: str) -> tuple[int, str]:
    result = run(DEPLOY / "deploy.sh", overlay, env=env)
    return result.returncode, result.stdout + result.stderr


def test_deploy_applies_the_overlay_and_waits_for_every_workload(cluster: dict[str, str]) -> None:
    state = Path(cluster["CLUSTER"])
    for name in ("roomtemp-tokens", "prometheus-scrape-token"):
        (state / "secrets" / name).touch()
    code, output = deploy(cluster, "dev")
    assert code == 0, output
    applied = [o for o in yaml.safe_load_all((state / "applied.yaml").read_text()) if o]
    assert {o["metadata"].get("namespace", "-") for o in applied} == {"roomtemp-dev", "-"}
    assert [o["metadata"]["name"] for o in applied if o["kind"] == "Namespace"] == ["roomtemp-dev"]
    calls = (state / "calls").read_text().splitlines()
    waited = sorted(c.split()[4] for c in calls if "rollout status" in c)
    assert waited == [
        "deployment/grafana",
        "statefulset/alertmanager",
        "statefulset/prometheus",
        "statefulset/roomtemp-api",
    ]
    assert (state / "secrets" / "grafana-admin").exists()
    assert "roomtemp is up in namespace roomtemp-dev" in output


def test_deploy_stops_when_the_token_secrets_are_missing(cluster: dict[str, str]) -> None:
    code, output = deploy(cluster, "production")
    assert code == 1
    assert "secrets roomtemp-tokens and prometheus-scrape-token are needed in roomtemp:" in output
    assert not (Path(cluster["CLUSTER"]) / "secrets" / "grafana-admin").exists()


def test_deploy_refuses_an_unknown_environment(cluster: dict[str, str]) -> None:
    code, output = deploy(cluster, "staging")
    assert code == 2
    assert "no overlay deploy/k8s/overlays/staging" in output


def test_deploy_adds_a_scrape_token_to_the_tokens_file(
    cluster: dict[str, str], tmp_path: Path
) -> None:
    roomtemp = str(Path(sys.executable).parent / "roomtemp")
    tokens = tmp_path / "tokens"
    created = run(
        roomtemp, "token", "create", "--scope", "admin", "--name", "ops", "--file", tokens
    )
    assert created.returncode == 0, created.stderr
    code, output = deploy(
        {**cluster, "ROOMTEMP_TOKENS_FILE": str(tokens), "ROOMTEMP": roomtemp}, "test"
    )
    assert code == 0, output
    secrets = Path(cluster["CLUSTER"]) / "secrets"
    assert {p.name for p in secrets.iterdir()} == {
        "roomtemp-tokens",
        "prometheus-scrape-token",
        "grafana-admin",
    }
    listed = run(roomtemp, "token", "list", "--file", tokens).stdout
    scrape = next(line for line in listed.splitlines() if "prometheus-scrape" in line).split()
    assert scrape[:2] == ["prometheus-scrape-roomtemp-test", "read"]
