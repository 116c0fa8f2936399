"""Issue 17 item 7: the stop fits pm2's 30 s kill timeout whatever its steps do, and a start-up that times out
does not run on into the stop."""
from __future__ import annotations

import asyncio
import time

import pytest

from bot import engine
from tests.engine_harness import control, quoting, running_engine

pytestmark = pytest.mark.slow           # started first by tests/conftest.py


def stubborn(seconds: float):
    """A coroutine function that ignores cancellation for `seconds` (python-binance's socket exit, a stuck
    close): what a stop must not wait on."""
    async def stuck(*args, **kwargs) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                await asyncio.sleep(end - time.monotonic())
            except asyncio.CancelledError:
                pass
    return stuck


async def test_a_stop_whose_every_step_is_stuck_still_ends_inside_pm2s_kill_timeout(sim):
    net, ready = sim
    async with running_engine(ready, hedge="hyperliquid", overrides=["orderExpiry=30"]) as run:
        await quoting(run)
        run.engine.hubble.close = stubborn(5)           # called last: it need only outlast its own bound
        run.engine.hedge.stop = stubborn(5)
        run.engine.orders.quoter.stop = stubborn(20)    # called first: it would take most of the budget
        await control(net, "hubble", "refuse", seconds=60)
        await control(net, "hyperliquid", "refuse", seconds=60)
        started = time.monotonic()
        status = await asyncio.wait_for(run.finish(), 60)
        took = time.monotonic() - started
    assert status in (0, 1) and took < engine.STOP_BUDGET + engine.ALERT_FLUSH + 0.5, took


def start_up_tasks() -> list[asyncio.Task]:
    return [t for t in asyncio.all_tasks() if getattr(t.get_coro(), "__qualname__", "") == "Engine.start"]


async def test_a_start_up_that_times_out_does_not_run_on_into_the_stop(sim, monkeypatch):
    net, ready = sim
    monkeypatch.setattr(engine, "START_TIMEOUT", 3.0)
    await control(net, "hubble", "stall", stream="trader")        # the trader stream never confirms
    async with running_engine(ready, hedge="hyperliquid") as run:
        status = await asyncio.wait_for(run.task, 60)
        assert status == 1 and "start-up took longer" in run.engine.failures[0]
        assert not start_up_tasks()                                # ended with the stop, not left running
        assert run.placed == 0
