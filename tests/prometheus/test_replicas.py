"""Scale, tested: two API replicas on one engine ingest and answer the same; one killed with
readings in its spool loses nothing; writes can go through vmagent in front of VictoriaMetrics,
the way a large site buffers remote write."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.engines import Engine
from tests.processes import free_port, require_program
from tests.prometheus.conftest import ClientFactory
from tests.prometheus.test_faults import post
from tests.prometheus.test_outage import RANGE, api_process, batches, expected, wait_drained

pytestmark = pytest.mark.slow

VIEWS = (
    "/api/v1/rooms",
    "/api/v1/rooms/lab",
    f"/api/v1/rooms/lab/readings?{RANGE}",
    f"/api/v1/rooms/lab/stats?{RANGE.rsplit('&', 1)[0]}&step=1m",
)


def views(url: str) -> list[Any]:
    with httpx.Client(base_url=url, timeout=30) as http:
        return [http.get(path).json() for path in VIEWS]


def test_two_replicas_answer_the_same_and_a_killed_one_loses_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    sent = batches(12)
    codes: list[int] = []
    with (
        api_process(engine, tmp_path / "a-spool") as (first, a),
        api_process(engine, tmp_path / "b-spool") as (_, b),
    ):
        replicas = [httpx.Client(base_url=url, timeout=30) for url in (a, b)]
        for i, batch in enumerate(sent[:4]):
            codes.append(replicas[i % 2].post("/api/v1/rooms/lab/readings", json=batch).status_code)
        assert views(a) == views(b)
        engine.stop()
        for i, batch in enumerate(sent[4:10]):
            codes.append(replicas[i % 2].post("/api/v1/rooms/lab/readings", json=batch).status_code)
        first.send_signal(signal.SIGKILL)  # with three batches in its spool
        first.wait()
        engine.start()
        for batch in sent[10:]:
            codes.append(replicas[1].post("/api/v1/rooms/lab/readings", json=batch).status_code)
        wait_drained(replicas[1].get)
        for replica in replicas:
            replica.close()
        with api_process(engine, tmp_path / "a-spool") as (_, again):
            with httpx.Client(base_url=again, timeout=30) as http:
                wait_drained(http.get)
            assert views(again) == views(b)
            stored = views(again)[2]["readings"]
    assert codes[:4] == [201] * 4
    assert codes[4:10] == [202] * 6
    assert stored == expected(sent)


@contextmanager
def vmagent(target: str, data_dir: Path) -> Iterator[str]:
    """vmagent (Debian's victoria-metrics package) forwarding remote write to `target`."""
    port = free_port()
    data_dir.mkdir()
    command = [
        require_program("vmagent", "victoria-metrics"),
        f"-httpListenAddr=127.0.0.1:{port}",
        f"-remoteWrite.url={target}",
        f"-remoteWrite.tmpDataPath={data_dir}",
        "-remoteWrite.flushInterval=100ms",
        "-loggerLevel=WARN",
    ]
    with (data_dir / "vmagent.log").open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(url + "/health"):
            assert process.poll() is None, (data_dir / "vmagent.log").read_text()
            assert time.monotonic() < deadline, "vmagent did not start"
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_writes_through_vmagent_reach_victoriametrics_once_across_its_restart(
    tmp_path: Path, engine_client: ClientFactory
) -> None:
    engine = Engine("victoriametrics", tmp_path / "vm").start()
    sent = batches(10)
    try:
        with (
            vmagent(engine.url + "/api/v1/write", tmp_path / "agent") as agent,
            # writes reach VictoriaMetrics later, through vmagent: no flush after each
            engine_client(
                engine, prometheus_write_url=agent + "/api/v1/write", prometheus_flush_url=None
            ) as client,
        ):
            assert post(client, sent[:4]) == [201] * 4
            engine.stop()  # vmagent keeps what it gets until VictoriaMetrics is back
            assert post(client, sent[4:8]) == [201] * 4
            engine.start()
            assert post(client, sent[8:]) == [201] * 2
            deadline = time.monotonic() + 60
            while True:
                httpx.get(engine.url + "/internal/force_flush")
                answer = client.get(f"/api/v1/rooms/lab/readings?{RANGE}")  # 404 until it is in
                stored = answer.json()["readings"] if answer.status_code == 200 else []
                if len(stored) >= len(expected(sent)) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
    finally:
        engine.stop()
    assert stored == expected(sent)
