"""Raw websocket fixtures of the Hyperliquid venue tests. They use the test module's own ``hl`` fixture (the
shared one from hyperliquid_helpers, or a module's faster-clocked one)."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.simnet.hyperliquid_helpers import HL
from tests.simnet.hyperliquid_ws_helpers import RawWs


@pytest.fixture
def raw(hl: HL) -> Iterator[RawWs]:
    ws = RawWs(hl.url)
    try:
        yield ws
    finally:
        ws.close()


@pytest.fixture
def user_ws(hl: HL) -> Iterator[RawWs]:
    """Subscribed to the account's userFills and orderUpdates, past the userFills snapshot."""
    ws = RawWs(hl.url)
    try:
        for kind in ("userFills", "orderUpdates"):
            ws.subscribe({"type": kind, "user": hl.address})
        ws.wait_for("userFills")
        yield ws
    finally:
        ws.close()
