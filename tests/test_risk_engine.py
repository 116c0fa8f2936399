"""Issue 18: the risk engine against simnet, judged at the venues.

Each test reads the positions from simnet's venues and what rests from the
node's own list of the trader's orders; the bot's figures are only used to
know when to look (its trading state is what is under test).
"""
from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from bot.risk.limits import TradingState
from tests.engine_harness import (VENUES, control, quoting, running_engine, take_through_our_best, venue_positions,
                                  venues_reach)
from tests.helpers import eventually
from tools.simnet.core import SimConfig, SimNet


async def resting_sides(net, run) -> set[int]:
    """The sides of our orders the node holds now (+1 bids, -1 asks)."""
    orders = (await control(net, "hubble", "orders", trader=run.engine.hubble.trader))["orders"]
    return {1 if D(o["size"]) > 0 else -1 for o in orders}


async def only_asks_rest(net, run, timeout: float = 10) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        sides = await resting_sides(net, run)
        if sides == {-1} or asyncio.get_running_loop().time() > deadline:
            return sides == {-1}
        await asyncio.sleep(0.2)


@pytest.fixture
def isolated_state(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)            # this test's state/ (quote journal, risk record)
    return tmp_path


async def test_at_max_position_only_the_reducing_side_quotes(sim, isolated_state):
    net, ready = sim
    overrides = ["maxPosition=6", "positionSkew=0"]
    async with running_engine(ready, overrides=overrides) as run:
        await quoting(run)
        for _ in range(2):                                   # our bids fill twice: 3, then 3 more
            await take_through_our_best(net, run, "sell")
            await eventually(run.hedged, 10, "hedged")
        await eventually(lambda: run.orders.risk.state == TradingState.REDUCING, 15, "REDUCING at maxPosition")
        assert await only_asks_rest(net, run), "bids still rest at maxPosition"
        hubble, hedge = await venue_positions(net, ready, run)
        assert hubble == 6 and hedge == -6                    # never past maxPosition, and hedged
        await take_through_our_best(net, run, "buy")          # an ask fills: the position shrinks
        assert await venues_reach(net, ready, run, (3, -3), timeout=15) == (3, -3)
        await eventually(lambda: run.orders.risk.state == TradingState.ACTIVE, 15, "ACTIVE again")


async def bid_sizes(net, run) -> list[D]:
    orders = (await control(net, "hubble", "orders", trader=run.engine.hubble.trader))["orders"]
    return sorted(D(o["size"]) for o in orders if D(o["size"]) > 0)


async def test_near_max_position_the_growing_side_is_cut_to_the_room_left(sim, isolated_state):
    """maxPosition 5 and levels of 3, 4, 5: after a bid fill of 3 the bids rest as one cut bid of 2 (the room
    left), not none; when that fills too the position is exactly at the limit, hedged, and only asks rest."""
    net, ready = sim
    async with running_engine(ready, overrides=["maxPosition=5", "positionSkew=0"]) as run:
        await quoting(run)
        await take_through_our_best(net, run, "sell")
        await eventually(run.hedged, 10, "hedged")
        deadline = asyncio.get_running_loop().time() + 15
        while await bid_sizes(net, run) != [D(2)] and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.2)
        assert await bid_sizes(net, run) == [D(2)], "the node holds no cut bid of 2"
        await take_through_our_best(net, run, "sell")
        assert await venues_reach(net, ready, run, (5, -5), timeout=15) == (5, -5)
        assert await only_asks_rest(net, run), "bids still rest at maxPosition"


async def test_past_the_inventory_target_the_growing_side_rests_half_the_room_left(sim, isolated_state):
    """maxPosition 8, inventoryTarget 2: after a bid fill of 3 the node holds bids of 2 in all, half of the
    5 left to the bound on Hubble's 1-AVAX grid, so a taker sweeping them all leaves the position at 5, not at
    the limit."""
    net, ready = sim
    async with running_engine(ready, overrides=["maxPosition=8", "inventoryTarget=2", "positionSkew=0"]) as run:
        await quoting(run)
        await take_through_our_best(net, run, "sell")
        await eventually(run.hedged, 10, "hedged")
        deadline = asyncio.get_running_loop().time() + 15
        while sum(await bid_sizes(net, run)) != D(2) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.2)
        assert sum(await bid_sizes(net, run)) == D(2), await bid_sizes(net, run)
        assert await venues_reach(net, ready, run, (3, -3), timeout=15) == (3, -3)


async def test_a_hedge_past_max_hedge_position_still_goes_out(sim, isolated_state):
    """maxHedgePosition is smaller than one fill: the hedge is sent whole, the state turns REDUCING."""
    net, ready = sim
    async with running_engine(ready, overrides=["maxHedgePosition=1", "positionSkew=0"]) as run:
        await quoting(run)
        await take_through_our_best(net, run, "sell")
        assert await venues_reach(net, ready, run, (3, -3), timeout=15) == (3, -3)
        await eventually(lambda: run.orders.risk.state == TradingState.REDUCING, 15, "REDUCING past the limit")
        assert "maxHedgePosition" in run.orders.risk.reason


async def _lose_to_funding(net, ready, run) -> None:
    """A real loss at the venue: Hubble funding charged on our long position."""
    await take_through_our_best(net, run, "sell")
    assert await venues_reach(net, ready, run, (3, -3), timeout=15) == (3, -3)
    await control(net, "hubble", "funding", rate=0.05)


@pytest.mark.slow
async def test_max_daily_loss_trips_the_kill_switch_and_it_survives_a_restart(sim, isolated_state):
    net, ready = sim
    overrides = ["maxDailyLoss=1", "positionSkew=0", "orderExpiry=30"]
    async with running_engine(ready, overrides=overrides) as run:
        await quoting(run)
        creds = run.credentials
        await _lose_to_funding(net, ready, run)
        await eventually(lambda: run.orders.risk.state == TradingState.HALTED, 20, "the kill switch")
        assert "maxDailyLoss" in run.orders.risk.reason
        assert await eventually_none_rest(net, run), "quotes still rest after the kill switch"
        await eventually(run.hedged, 10, "hedges finished")
        assert await venue_positions(net, ready, run) == (3, -3)          # hedging went on
        assert await run.finish() == 0
    async with running_engine(ready, overrides=overrides, credentials=creds) as again:
        await eventually(lambda: again.orders is not None and again.orders.quoter.ticks >= 3, 30, "ticks")
        assert again.orders.risk.state == TradingState.HALTED                # kept across the restart
        assert again.placed == 0 and await resting_sides(net, again) == set()


async def eventually_none_rest(net, run, timeout: float = 15) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while await resting_sides(net, run):
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.2)
    return True


async def test_on_kill_flatten_ends_with_both_venues_flat(sim, isolated_state):
    net, ready = sim
    overrides = ["maxDailyLoss=1", "onKill=flatten", "positionSkew=0", "unwindSize=2"]
    async with running_engine(ready, overrides=overrides) as run:
        await quoting(run)
        await _lose_to_funding(net, ready, run)
        await eventually(lambda: run.orders.risk.state == TradingState.HALTED, 20, "the kill switch")
        assert await venues_reach(net, ready, run, (0, 0), timeout=30) == (0, 0)
        assert await eventually_none_rest(net, run)


@pytest.fixture
def thin_margin():
    """Both accounts funded with 60 USD, so a 3 AVAX position (105 USD) is within reach of liquidation."""
    net = SimNet(SimConfig(seed=11, scenario="quiet", initial_margin=60.0))
    ready = net.start()
    try:
        yield net, ready
    finally:
        net.stop()


async def test_near_liquidation_reduces_then_unwinds_both_legs(thin_margin, isolated_state):
    """The hedge account's liquidation distance falls under liquidationUnwind: both legs shrink together
    (a Hubble IOC, hedged back) until it is above it again; meanwhile only the reducing side quotes."""
    net, ready = thin_margin
    overrides = ["liquidationWarn=99", "liquidationReduce=95", "liquidationUnwind=70", "unwindSize=1",
                 "positionSkew=0", "riskPollInterval=0.5"]
    async with running_engine(ready, overrides=overrides) as run:
        await quoting(run)
        await take_through_our_best(net, run, "sell")
        hubble, hedge = await venues_settle_moved(net, ready, run)
        assert hubble == 3                                  # Hyperliquid about 50 % from liquidation
        await eventually(lambda: run.orders.risk.unwinder.sent >= 1, 20, "an unwind step")
        await eventually(lambda: (d := run.orders.risk.venues["hyperliquid"].distance_pct) is not None
                         and d >= 70 and run.hedged(), 30, "the distance back above liquidationUnwind")
        after = await venues_reach(net, ready, run, (2, -2), timeout=15)   # both legs one step smaller
        assert after == (2, -2), after
        assert run.orders.risk.state == TradingState.REDUCING
        assert await only_asks_rest(net, run)


async def venues_settle_moved(net, ready, run):
    from tests.engine_harness import venues_settle

    return await venues_settle(net, ready, run, lambda h, _: h != 0, timeout=20)


@VENUES
async def test_the_hedge_venues_funding_rate_is_read_and_priced_on_the_position(sim, hedge, isolated_state):
    net, ready = sim
    async with running_engine(ready, hedge=hedge, overrides=["positionSkew=0", "riskPollInterval=0.5"]) as run:
        await quoting(run)
        await take_through_our_best(net, run, "sell")
        assert await venues_reach(net, ready, run, (3, -3), timeout=15) == (3, -3)
        risk = run.orders.risk
        risk._funding_at = -1e9                                   # read again now, with the position open
        await eventually(lambda: risk.venues[hedge].position == -3 and risk.venues[hedge].funding_rate_hour
                         is not None, 15, "the funding rate")
        v = risk.venues[hedge]
        assert v.expected_funding_hour() == -3 * v.mark * v.funding_rate_hour     # a short receives a positive rate
        assert v.funding_rate_hour != 0 and "funding" in risk.nearest_limit()
