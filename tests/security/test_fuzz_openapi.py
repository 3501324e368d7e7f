"""Schemathesis fuzzes every operation of the app's own OpenAPI schema.

No answer is a 5xx, and every answer has a documented status, content type and schema. The app
requires tokens and the fuzzer sends an admin token, so requests reach the service and its
validation rather than stopping at 401. Examples per operation are bounded to keep `make test`
quick.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from roomtemp.api.app import create_app
from roomtemp.config import Settings
from tests.conftest import NOW_MS
from tests.security.conftest import Secured, secured_app
from tests.support import FakeClock

EXAMPLES_PER_OPERATION = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# NDJSON bodies are documented as strings: send them as the text they are.
schemathesis.serializer.alias("application/x-ndjson", "text/plain")
# Pushgateway protobuf bodies are bytes
schemathesis.serializer.alias("application/vnd.google.protobuf", "application/octet-stream")
schema = schemathesis.openapi.from_dict(
    create_app(Settings(storage="sqlite:///unused.sqlite3")).openapi()
)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    yield from secured_app(tmp_path_factory.mktemp("fuzz"), FakeClock(NOW_MS / 1000))


def httpx_arguments(sent: dict[str, Any]) -> dict[str, Any]:
    """The requests-style arguments schemathesis builds, as the httpx TestClient takes them."""
    arguments = {key: sent[key] for key in ("method", "url", "headers", "params") if key in sent}
    if "json" in sent:
        arguments["json"] = sent["json"]
    elif sent.get("data") is not None:
        data = sent["data"]
        arguments["content"] = data if isinstance(data, bytes) else str(data).encode()
    return arguments


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_survives_fuzzing(case: schemathesis.Case, fuzzed: Secured) -> None:
    sent = case.as_transport_kwargs(base_url="http://testserver", headers=fuzzed.auth("admin"))
    response = fuzzed.client.request(**httpx_arguments(sent))
    case.validate_response(response, checks=CHECKS)
