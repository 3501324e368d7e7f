"""Helpers for the deployment tests: external tools, rendered overlays, a throwaway Prometheus."""

from __future__ import annotations

import re
import subprocess
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.processes import free_port, require_program

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OVERLAYS = sorted(p.name for p in (DEPLOY / "k8s" / "overlays").iterdir() if p.is_dir())
# Kubernetes version whose schemas the manifests must satisfy (kubernetes-validate ships them)
KUBERNETES_VERSION = "1.32.0"

Obj = dict[str, Any]


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as f:
        version: str = tomllib.load(f)["project"]["version"]
    return version


def run(
    *args: str | Path, cwd: Path = ROOT, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a tool, bounded in time; the output is kept for the assertion message."""
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def render(overlay: str) -> list[Obj]:
    """`kubectl kustomize` of an overlay, as a list of objects."""
    result = run(require_program("kubectl"), "kustomize", DEPLOY / "k8s" / "overlays" / overlay)
    assert result.returncode == 0, result.stderr
    return [obj for obj in yaml.safe_load_all(result.stdout) if obj]


def named(objects: list[Obj], kind: str, name: str) -> Obj:
    """The one object of that kind whose name is `name` (or `name-<hash>` for generated ones)."""
    found = [
        o
        for o in objects
        if o["kind"] == kind
        and re.fullmatch(rf"{re.escape(name)}(-[a-z0-9]{{10}})?", o["metadata"]["name"])
    ]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def pod_templates(objects: list[Obj]) -> Iterator[tuple[Obj, Obj]]:
    """(workload, pod spec) for every Deployment and StatefulSet."""
    for obj in objects:
        if obj["kind"] in ("Deployment", "StatefulSet"):
            yield obj, obj["spec"]["template"]["spec"]


def wait_until(what: str, check: Any, timeout: float, interval: float = 0.2) -> Any:
    """Poll `check()` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except (httpx.HTTPError, OSError) as exc:
            last_error = exc
        else:
            if result:
                return result
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what} (last error: {last_error})")


@dataclass
class Prometheus:
    url: str
    process: subprocess.Popen[bytes]

    def query(self, expr: str) -> httpx.Response:
        return httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)


@contextmanager
def prometheus_server(workdir: Path, config: str = "global: {}\n") -> Iterator[Prometheus]:
    """A real Prometheus on a free loopback port with its own data directory."""
    binary = require_program("prometheus")
    (workdir / "prometheus.yml").write_text(config)
    port = free_port()
    log = (workdir / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Prometheus(f"http://127.0.0.1:{port}", process)
    try:
        wait_until(
            "Prometheus ready",
            lambda: httpx.get(f"{server.url}/-/ready", timeout=2).status_code == 200,
            timeout=30,
        )
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
