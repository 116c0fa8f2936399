"""Issue 17 item 4: whatever orderExpiry and orderFrequency are, a side never rests more than its configured
levels plus one set being replaced (besides quotes in their last second, which die by themselves), judged by
the node's own list of the trader's orders."""
from __future__ import annotations

import asyncio
import time
from decimal import Decimal as D

import pytest

from tests.engine_harness import control, quoting, running_engine

pytestmark = pytest.mark.slow           # started first by tests/conftest.py


async def resting_per_side(net, trader: str) -> dict[int, D]:
    """What the node holds of ours per side, leaving out quotes in their last second: consecutive sets overlap
    by up to a second by design (expiries are whole seconds, rounded up), those die by themselves."""
    orders = (await control(net, "hubble", "orders", trader=trader))["orders"]
    sizes, soon = {1: D(0), -1: D(0)}, time.time() + 1
    for order in orders:
        size = D(str(order["size"]))
        if order["expire_at"] > soon:
            sizes[1 if size > 0 else -1] += abs(size)
    return sizes


@pytest.mark.parametrize("expiry", [2, 5, 30])
async def test_long_lived_quotes_are_replaced_not_stacked(sim, expiry):
    net, ready = sim
    async with running_engine(ready, hedge="hyperliquid", overrides=[f"orderExpiry={expiry}"]) as run:
        await quoting(run)
        configured = sum((level.qty for level in run.engine.s.levels), D(0))
        trader, most = run.engine.hubble.trader, {1: D(0), -1: D(0)}
        placed, deadline = run.placed, time.monotonic() + 10
        step = 0
        while time.monotonic() < deadline:
            step += 1                                   # the mid keeps moving, so every tick re-prices every level
            await control(net, "net", "shock", symbol="AVAX", relative=0.001 if step % 2 else -0.0005)
            await asyncio.sleep(0.25)                   # a sampling period, not a synchronisation
            for side, size in (await resting_per_side(net, trader)).items():
                most[side] = max(most[side], size)
        assert run.placed >= placed + 24                # it did keep re-quoting
        assert most[1] <= 2 * configured and most[-1] <= 2 * configured, (most, configured)
