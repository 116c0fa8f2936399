"""Issue 17 item 3: a cancel that fails before reaching the node never kills the cancels after it.

A Hubble cancel is a transaction. The SDK counts nonces locally, so one send
that fails (refused for gas here: the node's txpool check, simnet node.py)
used to leave a gap that held every later cancel of the process for ever.
Judged by the node's own list of the trader's orders.
"""
from __future__ import annotations

import logging

import pytest

from tests.engine_harness import control, quoting, running_engine
from tests.helpers import eventually


async def resting(net, trader: str) -> list:
    return (await control(net, "hubble", "orders", trader=trader))["orders"]


def logged(caplog, text: str) -> bool:
    return any(text in record.getMessage() for record in caplog.records)


async def test_cancels_after_one_refused_for_gas_are_mined(sim, caplog):
    net, ready = sim
    caplog.set_level(logging.INFO)
    async with running_engine(ready, hedge="hyperliquid", overrides=["orderExpiry=30"]) as run:
        await quoting(run)
        trader = run.engine.hubble.trader
        await control(net, "hubble", "set_gas_balance", trader=trader, amount=0)
        await control(net, "binance", "stall", stream="avaxusdt@bookTicker")       # the gate closes: cancel
        await eventually(lambda: logged(caplog, "insufficient funds"), 15, "a cancel refused for gas")
        await control(net, "hubble", "set_gas_balance", trader=trader, amount=100)
        await eventually(lambda: not run.engine.tracker.live_quotes(), 20, "the cancels confirmed")
        assert await resting(net, trader) == []                                   # the node holds none


@pytest.mark.slow
async def test_a_stop_that_cannot_cancel_says_so_in_one_error_line(sim, caplog):
    net, ready = sim
    caplog.set_level(logging.INFO)
    async with running_engine(ready, hedge="hyperliquid", overrides=["orderExpiry=30"]) as run:
        await quoting(run)
        trader = run.engine.hubble.trader
        await control(net, "hubble", "set_gas_balance", trader=trader, amount=0)
        assert await run.finish() == 0
    assert await resting(net, trader)                                             # they do rest: said so
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("still rest on Hubble" in e and "insufficient funds" in e and "gas" in e for e in errors), errors


async def test_a_cancel_refused_because_the_quote_filled_is_not_a_warning(sim, caplog):
    """A quote that fills in the block its cancel is mined in is refused by the contract (OrderCancelRejected):
    routine, not a fault. Each is still checked with the node, and no warning is given."""
    net, ready = sim
    caplog.set_level(logging.INFO)
    async with running_engine(ready, hedge="hyperliquid", overrides=["orderExpiry=30"]) as run:
        await quoting(run)
        trader = run.engine.hubble.trader
        await control(net, "hubble", "set_flag", name="fill_on_cancel", value=True)   # every cancel loses the race
        await control(net, "binance", "stall", stream="avaxusdt@bookTicker")          # the gate closes: cancel
        await eventually(lambda: logged(caplog, "refused by the contract"), 15, "a cancel refused as filled")
        await eventually(lambda: not run.engine.tracker.live_quotes(), 20, "every quote's fate known")
        assert await resting(net, trader) == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert not [w for w in warnings if "not confirmed" in w], warnings
