"""Fixtures shared by the engine tests (pytest finds them here; no import needed)."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.engine_harness import start_net
from tools.simnet.core import SimNet


@pytest.fixture
def sim() -> Iterator[tuple[SimNet, dict]]:
    """A quiet simnet for one test (no background takers: the test makes every fill), stopped after it."""
    net, ready = start_net()
    try:
        yield net, ready
    finally:
        net.stop()
