"""Run the real engine against tools/simnet inside a test: one SimNet thread, the engine in the test loop."""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator

import pytest
from bot import engine
from bot import settings
from bot.sim_launcher import endpoints_from_ready, throwaway_credentials
from tools.simnet.core import SimConfig, SimNet

FAST = ["orderFrequency=1", "orderExpiry=2", "futures_feed_frequency=0.5", "mid_price_expiry=2",
        "hubblePositionPollInterval=0.5", "position_data_expiry=3", "hedgeClient_orderbook_frequency=0.5",
        "hedgeClient_user_state_frequency=1", "orderFillCooldown=0", "hubble_orderbook_frequency=200ms"]


VENUES = pytest.mark.parametrize("hedge", ["hyperliquid", "binance"])   # a test run against each hedge venue


def start_net(seed: int = 11, scenario: str = "quiet", **venue_options) -> tuple[SimNet, dict]:
    net = SimNet(SimConfig(seed=seed, scenario=scenario, venue_options=dict(venue_options)))
    return net, net.start()


@dataclass
class Running:
    engine: engine.Engine
    task: asyncio.Task
    stop: asyncio.Event
    credentials: object
    hedge: str

    @property
    def orders(self):
        return self.engine.orders

    @property
    def placed(self) -> int:
        return self.engine.tracker.quote_counts["placed"]

    @property
    def attempted(self) -> int:
        return self.engine.tracker.quote_counts["attempted"]

    @property
    def ticks(self) -> int:
        return self.engine.orders.quoter.ticks if self.engine.orders else 0

    def hedged(self) -> bool:
        """No hedge pending or in flight (the bot's own state: use the venues for money checks)."""
        return self.engine.orders is not None and self.engine.orders.hedger.idle.is_set()

    async def finish(self, timeout: float = 60) -> int:
        self.stop.set()
        return await asyncio.wait_for(self.task, timeout)


@contextlib.asynccontextmanager
async def running_engine(ready: dict, market: str = "AVAX", hedge: str = "hyperliquid", overrides: list[str] = (),
                         credentials=None, summary: Path | None = None) -> AsyncIterator[Running]:
    s = settings.load(market, [*FAST, f"hedge={hedge}", *overrides])
    creds = credentials or throwaway_credentials(market, ready)
    stop = asyncio.Event()
    eng = engine.Engine(engine.RunOptions(s, creds, endpoints_from_ready(ready), None, summary, sim=True), stop)
    task = asyncio.create_task(eng.run())
    running = Running(eng, task, stop, creds, hedge)
    try:
        yield running
    finally:
        if not task.done():
            stop.set()
            await asyncio.wait_for(asyncio.shield(task), 60)


async def quoting(run: Running, timeout: float = 20) -> None:
    """Wait until the engine has placed quotes and is not paused."""
    from tests.helpers import eventually

    await eventually(lambda: run.task.done() or (run.orders is not None and run.orders.quoter.last_quotes
                                                 and run.placed > 0),
                     timeout, "the first quotes")
    if run.task.done():
        raise AssertionError(f"engine stopped early: {run.engine.failures}")


async def venue_net(net: SimNet, ready: dict, run: Running, market: str = "AVAX"):
    """Hubble + hedge position as the two venues report them (the evidence, not the bot's books)."""
    from tests.venue_positions import net_exposure

    return await asyncio.to_thread(net_exposure, net, ready, run.hedge, run.credentials,
                                   run.engine.hubble.trader, market)


async def venue_positions(net: SimNet, ready: dict, run: Running, market: str = "AVAX"):
    from tests.venue_positions import hedge_position, hubble_position

    hubble = await asyncio.to_thread(hubble_position, net, run.engine.hubble.trader, market)
    hedge = await asyncio.to_thread(hedge_position, ready, run.hedge, run.credentials, market)
    return hubble, hedge


async def venues_reach(net: SimNet, ready: dict, run: Running, expected: tuple, timeout: float = 15,
                       market: str = "AVAX") -> tuple:
    """Wait until (Hubble, hedge) positions, as the venues report them, equal `expected` (Hubble changes
    positions when a block is accepted, a moment after the fill is streamed)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            seen = await venue_positions(net, ready, run, market)
        except OSError:                     # a venue the test made unreachable: ask again until the deadline
            if time.monotonic() > deadline:
                raise
            seen = None
        if seen == tuple(expected) or time.monotonic() > deadline:
            return seen
        await asyncio.sleep(0.1)


async def venues_settle(net: SimNet, ready: dict, run: Running, moved, timeout: float = 20,
                        market: str = "AVAX") -> tuple:
    """Wait until the venues' (Hubble, hedge) positions satisfy `moved(hubble, hedge)` and net to zero (a fill
    of a size the test does not choose, hedged); returns the last positions seen."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        seen = await venue_positions(net, ready, run, market)
        if (moved(*seen) and seen[0] + seen[1] == 0) or time.monotonic() > deadline:
            return seen
        await asyncio.sleep(0.1)


async def take_through_our_best(net: SimNet, run: Running, side: str, market: int = 1) -> dict:
    """A simulated taker that buys (or sells) everything on the Hubble book up to and including our best ask (or
    bid): our quote fills whatever the simulated makers rest ahead of it."""
    from decimal import Decimal

    import time

    buying, deadline = side == "buy", time.monotonic() + 15
    while True:                         # quoting may still be resuming
        ours = (await control(net, "hubble", "orders", trader=run.engine.hubble.trader, market=market))["orders"]
        prices = [Decimal(str(o["price"])) for o in ours if (Decimal(str(o["size"])) < 0) == buying]
        if prices:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"no {'ask' if buying else 'bid'} of ours rests on Hubble")
        await asyncio.sleep(0.1)
    best = min(prices) if buying else max(prices)
    depth = await run.engine.hubble.rpc("orderbook_getDepthForMarket", [market])
    book = depth["shorts"] if buying else depth["longs"]
    reach = sum((abs(Decimal(size)) for price, size in book.items()
                 if (Decimal(price) / 10**6 <= best if buying else Decimal(price) / 10**6 >= best)), Decimal(0))
    return await control(net, "hubble", "take", market=market, side=side, size=float(reach / 10**18))


async def control(net: SimNet, venue: str, action: str, **params):
    """A control action from a worker thread, so the engine's loop keeps running meanwhile."""
    return await asyncio.to_thread(net.control, venue, action, **params)
