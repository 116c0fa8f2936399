"""Fixtures shared by the engine tests (pytest finds them here; no import needed)."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.engine_harness import start_net
from tools.simnet.core import SimNet


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked slow run first (in their collection order otherwise): with parallel workers each taking
    the next test, a long test started near the end would keep one worker busy after the others finish."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def own_working_directory(tmp_path_factory, monkeypatch) -> None:
    """Each test starts in an empty directory of its own: the engine writes state/, logs/ and performance/
    under the working directory, and tests that run at the same time (pytest-xdist workers) must never share
    those files. A test that wants a particular directory still chdirs to it itself."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture
def sim() -> Iterator[tuple[SimNet, dict]]:
    """A quiet simnet for one test (no background takers: the test makes every fill), stopped after it."""
    net, ready = start_net()
    try:
        yield net, ready
    finally:
        net.stop()
