"""The GitHub Actions workflows: well-formed, pinned, and wired to the overlays and scripts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.tools import OVERLAYS, ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as a boolean
    return workflow


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda p: p.name)
def test_actions_are_pinned_and_jobs_bounded(path: Path) -> None:
    workflow = load(path.name)
    assert workflow["permissions"], "least privilege: say what the token may do"
    for name, job in workflow["jobs"].items():
        assert re.fullmatch(r"ubuntu-\d+\.\d+", job["runs-on"]), name
        for step in job.get("steps", []):
            if "uses" in step:
                assert re.fullmatch(r"[\w-]+/[\w-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})", step["uses"])
            # values from the event go through env, never straight into a script
            assert "${{ inputs" not in step.get("run", ""), step["run"]
            assert "${{ github.event" not in step.get("run", ""), step["run"]


def test_ci_runs_the_test_suite_then_builds_and_updates_dev() -> None:
    workflow = load("ci.yml")
    jobs = workflow["jobs"]
    assert re.fullmatch(r"debian:12\.\d+", jobs["test"]["container"])
    assert any(step.get("run") == "bash .ci/run" for step in jobs["test"]["steps"])
    assert jobs["image"]["needs"] == "test"
    assert any("deploy/build.sh --push" in s.get("run", "") for s in jobs["image"]["steps"])
    assert jobs["update-dev"]["needs"] == "image"
    script = " ".join(s.get("run", "") for s in jobs["update-dev"]["steps"])
    assert "cd deploy/k8s/overlays/dev" in script
    assert "kustomize edit set image" in script


def test_promotion_moves_one_step_along_dev_test_preprod_production() -> None:
    workflow = load("promote.yml")
    sources = workflow["on"]["workflow_dispatch"]["inputs"]["from"]["options"]
    script = " ".join(s.get("run", "") for s in steps(workflow))
    chain = dict(re.findall(r"(\w+)\) to=(\w+) ;;", script))
    assert sources == ["dev", "test", "preprod"]
    assert chain == {"dev": "test", "test": "preprod", "preprod": "production"}
    assert set(chain) | set(chain.values()) <= set(OVERLAYS)
    assert "gh pr create" in script


def test_deploy_targets_exactly_the_promotion_environments() -> None:
    workflow = load("deploy.yml")
    options = workflow["on"]["workflow_dispatch"]["inputs"]["environment"]["options"]
    assert options == ["dev", "test", "preprod", "production"]
    assert set(options) == set(OVERLAYS) - {"minikube"}
    assert workflow["jobs"]["deploy"]["environment"] == "${{ matrix.environment }}"
