from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from roomtemp.storage import Storage
from tests.backends import BACKENDS


@pytest.fixture(params=sorted(BACKENDS))
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    async with BACKENDS[request.param](tmp_path) as opened:
        yield opened
