"""The image recipe and the deployment scripts pass their linters."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path

from tests.deploy.tools import DEPLOY, ROOT, run
from tests.processes import require_program

SCRIPTS = [DEPLOY / "build.sh", DEPLOY / "deploy.sh", DEPLOY / "stack" / "run.sh"]


def test_dockerfile_passes_hadolint() -> None:
    result = run(require_program("hadolint"), DEPLOY / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_flags_a_latest_base_image(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text('FROM python:latest\nCMD ["python"]\n')
    result = run(require_program("hadolint"), dockerfile)
    assert result.returncode != 0
    assert "DL3007" in result.stdout


def test_image_is_pinned_non_root_and_health_checked() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.M)
    assert base is not None
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base[1]), base[1]
    assert re.search(r"^USER 10001:10001$", text, re.M)
    assert len(re.findall(r"^FROM ", text, re.M)) == 2
    # exec forms are JSON; the health check's Python compiles and asks /healthz
    health = re.search(r"^HEALTHCHECK .*\\\n\s+CMD (\[.*\])$", text, re.M)
    assert health is not None
    command = json.loads(health[1])
    assert command[:2] == ["python", "-c"]
    compile(command[2], "HEALTHCHECK", "exec")
    assert "/healthz" in command[2]
    for instruction in ("ENTRYPOINT", "CMD"):
        found = re.search(rf"^{instruction} (.*)$", text, re.M)
        assert found is not None
        assert json.loads(found[1])


def test_dockerignore_lets_in_exactly_what_the_dockerfile_copies() -> None:
    patterns = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    copied = {
        source.rstrip("/")
        for line in re.findall(
            r"^COPY (?!--from)(.+) \S+$", (DEPLOY / "Dockerfile").read_text(), re.M
        )
        for source in line.split()
    }
    assert copied == allowed
    assert patterns[0] == "*"
    assert not any(
        fnmatch.fnmatch("src/roomtemp/__init__.py", p)
        for p in patterns[1:]
        if not p.startswith("!")
    )


def test_scripts_pass_shellcheck() -> None:
    result = run(require_program("shellcheck"), *SCRIPTS)
    assert result.returncode == 0, result.stdout + result.stderr
