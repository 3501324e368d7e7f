"""Fixtures: every overlay rendered once per session."""

from __future__ import annotations

import pytest

from tests.deploy.tools import OVERLAYS, Obj, render


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Obj]]:
    """overlay name -> the objects `kubectl kustomize` renders for it."""
    return {overlay: render(overlay) for overlay in OVERLAYS}
