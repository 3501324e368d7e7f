"""The dashboard asks whether a token may edit a room with a PUT the server refuses either way: a
403 without the admin scope (before the body is read), a 422 with it, and nothing stored."""

from __future__ import annotations

import pytest

from tests.security.conftest import Secured


@pytest.mark.parametrize(("kind", "status"), [("read", 403), ("write", 403), ("admin", 422)])
def test_an_invalid_put_tells_the_scope_and_stores_nothing(
    secured: Secured, kind: str, status: int
) -> None:
    answer = secured.client.put(
        "/api/v1/rooms/kitchen", json={"comfort": "probe"}, headers=secured.auth(kind)
    )
    assert answer.status_code == status, answer.text
    assert (
        secured.client.get("/api/v1/rooms/kitchen", headers=secured.auth("admin")).status_code
        == 404
    )
