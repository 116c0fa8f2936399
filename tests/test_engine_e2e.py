"""The real engine against tools/simnet: hedging, gates, feed failures, with each hedge venue."""
from __future__ import annotations

import asyncio
import json


from bot import supervision
from tests.engine_harness import VENUES, quoting, running_engine, venues_reach
from tests.helpers import eventually




@VENUES
async def test_every_fill_is_hedged_and_net_delta_returns_flat(sim, hedge, tmp_path):
    net, ready = sim
    path = tmp_path / "summary.json"
    async with running_engine(ready, hedge=hedge, summary=path) as run:
        await quoting(run)
        ledger = run.engine.ledger
        net.control("hubble", "take", market=1, side="sell", size=3)     # hits our bid: we buy 3
        await eventually(lambda: ledger.hubble.count >= 1 and run.hedged() and ledger.hedge.count >= 1,
                         what="first fill hedged")
        assert await venues_reach(net, ready, run, (3, -3)) == (3, -3)     # asked of the venues themselves
        net.control("hubble", "take", market=1, side="buy", size=5)      # lifts our asks: we sell 5
        await eventually(lambda: ledger.hubble.volume >= 8 and run.hedged(), what="second fill hedged")
        assert await venues_reach(net, ready, run, (-2, 2)) == (-2, 2)
        assert await run.finish() == 0
    summary = json.loads(path.read_text())
    assert summary["fills"]["count"] >= 2 and summary["fills"]["base_volume"] == 8
    assert summary["hedge_coverage"] == 1.0
    assert abs(summary["final_net_delta"]["base"]) < 1          # within one AVAX lot
    assert summary["final_net_delta"]["hubble_position"] == -2
    assert summary["latency"]["fill_to_hedge_confirmed"]["count"] >= 2


@VENUES
async def test_dropped_price_feed_pauses_quoting_until_it_reconnects(sim, hedge, monkeypatch):
    net, ready = sim
    monkeypatch.setattr(supervision, "BASE_DELAY", 0.2)
    async with running_engine(ready, hedge=hedge) as run:
        await quoting(run)
        feed = run.engine.mid_feed
        net.control("binance", "refuse", seconds=1.0)
        await eventually(lambda: not feed.event.is_set(), what="mid-price event cleared")
        await eventually(lambda: run.orders.pause_reason == "mid-price feed down", what="quoting paused")
        attempted = run.attempted
        await eventually(feed.event.is_set, 15, "mid-price feed reconnected")
        await eventually(lambda: run.attempted > attempted, what="quoting resumed")
        assert not run.engine.failures


async def test_five_failed_reconnects_stop_the_engine_with_failure(sim, monkeypatch):
    net, ready = sim
    monkeypatch.setattr(supervision, "BASE_DELAY", 0.05)
    async with running_engine(ready, hedge="hyperliquid") as run:
        await quoting(run)
        net.control("binance", "refuse", seconds=120)
        status = await run.task
    assert status == 1
    assert "gave up after 5 reconnect attempts" in run.engine.failures[0]


@VENUES
async def test_stale_mid_price_stops_quoting(sim, hedge):
    net, ready = sim
    async with running_engine(ready, hedge=hedge) as run:
        await quoting(run)
        net.control("binance", "stall", stream="futures_market")
        await eventually(lambda: run.orders.pause_reason == "mid price stale", what="stale-price pause")
        attempted, ticks = run.attempted, run.ticks
        await eventually(lambda: run.ticks >= ticks + 1, what="another quote tick")
        assert run.attempted == attempted
        net.control("binance", "unstall")
        await eventually(lambda: run.attempted > attempted, what="quoting resumed")


@VENUES
async def test_a_fill_cooldown_pauses_only_the_side_that_filled(sim, hedge):
    net, ready = sim
    async with running_engine(ready, hedge=hedge, overrides=["orderFillCooldown=60"]) as run:
        await quoting(run)
        net.control("hubble", "take", market=1, side="sell", size=1)       # our bid fills
        await eventually(lambda: run.engine.ledger.hubble.count >= 1, what="a fill")
        await eventually(lambda: "bids: fill cooldown" in run.orders.quoter.skipped, what="bids paused")
        placed = run.placed
        await eventually(lambda: run.placed > placed, what="asks still quoted")
        assert run.orders.pause_reason is None
        assert all(q.side == -1 for q in run.orders.quoter.last_quotes)   # only asks while bids cool down


async def test_shutdown_leaves_nothing_resting(sim):
    net, ready = sim
    async with running_engine(ready, hedge="hyperliquid", overrides=["orderExpiry=30"]) as run:
        await quoting(run)
        trader = run.engine.hubble.trader
        assert net.control("hubble", "orders", trader=trader)["orders"]        # 30 s quotes rest
        assert await run.finish() == 0
        assert not run.engine.tracker.live_quotes()
    assert net.control("hubble", "orders", trader=trader)["orders"] == []   # the node holds none of them


@VENUES
async def test_a_hedge_that_keeps_failing_stops_the_bot_and_cancels_quotes(sim, hedge, monkeypatch):
    from bot.venues import hedge_base

    monkeypatch.setattr(hedge_base, "REFUSAL_BASE_DELAY", 0.01)      # every refusal, quickly
    net, ready = sim
    async with running_engine(ready, hedge=hedge) as run:
        await quoting(run)
        net.control(hedge, "reject_orders", count=50)
        net.control("hubble", "take", market=1, side="sell", size=3)
        status = await asyncio.wait_for(run.task, 60)
    assert status == 1
    assert "hedge of -3" in run.engine.failures[0]
    assert not run.engine.tracker.live_quotes()


async def test_refresh_tolerance_keeps_live_quotes_instead_of_stacking_new_ones(sim):
    net, ready = sim
    tolerant = [f"orderLevels.{n}.refreshTolerance=5" for n in (1, 2, 3)]
    async with running_engine(ready, hedge="hyperliquid", overrides=["orderExpiry=30", *tolerant]) as run:
        await quoting(run)
        placed, ticks = run.placed, run.ticks
        await eventually(lambda: run.ticks >= ticks + 2, what="two more quote ticks")
        assert run.placed == placed == 6     # the first 6 quotes still stand
        net.control("hubble", "take", market=1, side="sell", size=3)   # level-1 bid filled: only it is re-placed
        await eventually(lambda: run.placed == 7, what="the filled level re-placed")
