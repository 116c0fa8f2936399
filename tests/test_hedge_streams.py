"""Issue 11: the hedge venues' streams break and heal without a lost or doubled fill (judged at the venues)."""
from __future__ import annotations


import pytest

from tests.engine_harness import (VENUES, control, quoting, running_engine, take_through_our_best,
                                  venues_reach, venues_settle)
from tests.helpers import eventually



async def test_hedges_price_from_the_stream_not_from_polls(sim):
    net, ready = sim
    async with running_engine(ready, hedge="hyperliquid") as run:
        await quoting(run)
        hedge = run.engine.hedge
        await eventually(lambda: hedge.book_source == "stream", 10, "the book from the stream")
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3)) == (3, -3)
        ages = run.engine.perf.latencies.samples["hedge_book_age"]
        assert ages and max(ages) < hedge.max_book_age()


@VENUES
async def test_a_dropped_stream_reconnects_and_fills_meanwhile_are_hedged_once(sim, hedge):
    net, ready = sim
    async with running_engine(ready, hedge=hedge) as run:
        await quoting(run)
        client = run.engine.hedge
        await eventually(client.position_stream_up.is_set, 10, "the stream up")
        if hedge == "hyperliquid":
            await control(net, hedge, "drop_ws", stream="ws")
        else:                                    # the hedge client's two sockets (the mid feed is not the test's)
            await control(net, hedge, "drop_ws", stream="futures_user")
            await control(net, hedge, "drop_ws", stream="avaxusdt@depth@100ms")
        await take_through_our_best(net, run, "sell")              # hedged while the stream reconnects
        assert await venues_reach(net, ready, run, (3, -3)) == (3, -3)
        await eventually(client.position_stream_up.is_set, 15, "the stream back")
        await take_through_our_best(net, run, "buy")              # our best ask fills (and what rests ahead of it)
        hubble, hedge_position = await venues_settle(net, ready, run, lambda h, _: h < 3)
        assert hubble < 3 and hubble + hedge_position == 0, (hubble, hedge_position)
        assert not run.engine.failures


async def test_an_expired_listen_key_is_replaced_and_hedges_go_on(sim):
    net, ready = sim
    async with running_engine(ready, hedge="binance") as run:
        await quoting(run)
        client = run.engine.hedge
        await eventually(client.position_stream_up.is_set, 10, "the user stream up")
        connections = client.user_stream.reconnects
        await control(net, "binance", "expire_listen_keys")
        await eventually(lambda: client.user_stream.reconnects > connections and client.position_stream_up.is_set(),
                         15, "a new listenKey and connection")
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3)) == (3, -3)
        assert not run.engine.failures


async def test_a_gap_in_the_depth_sequence_resyncs_the_book_and_hedges_go_on(sim):
    net, ready = sim
    async with running_engine(ready, hedge="binance") as run:
        await quoting(run)
        client = run.engine.hedge
        await eventually(lambda: client.book_source == "stream", 10, "the book from the stream")
        syncs = client.book_stream.resyncs
        await control(net, "binance", "depth_gap", symbol="AVAXUSDT")
        await eventually(lambda: client.book_stream.resyncs > syncs, 15, "a resync from a new snapshot")
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3)) == (3, -3)
        assert run.engine.ledger.hedge.volume == 3 and not run.engine.failures


@pytest.mark.parametrize("trouble", ["lost", "late"])
async def test_order_updates_lost_or_late_fall_back_to_rest_without_doubling(sim, trouble):
    net, ready = sim
    async with running_engine(ready, hedge="binance") as run:
        await quoting(run)
        await eventually(run.engine.hedge.position_stream_up.is_set, 10, "the user stream up")
        if trouble == "lost":
            await control(net, "binance", "lose_user_events", count=20, event="ORDER_TRADE_UPDATE")
        else:
            await control(net, "binance", "set_flag", name="user_stream_delay", value=2.0)
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3)) == (3, -3)
        await eventually(run.hedged, 10, "the hedge booked")
        ledger = run.engine.ledger
        assert ledger.hedge.volume == 3 and ledger.hedge.delta == -3
        assert ledger.hedge.cash > 0                     # priced (the average price came from the GET fallback)


@pytest.mark.parametrize("late", [False, True])
async def test_hyperliquid_hedges_sent_on_the_websocket_are_hedged_once(sim, late):
    net, ready = sim
    async with running_engine(ready, hedge="hyperliquid", overrides=["hedgeOrdersOverWebsocket=true"]) as run:
        await quoting(run)
        await eventually(run.engine.hedge.position_stream_up.is_set, 10, "the websocket up")
        if late:   # the post's answer never comes; the order executes a second later
            await control(net, "hyperliquid", "late_execution", seconds=1, count=1, mode="hang")
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3)) == (3, -3)
        await eventually(lambda: run.hedged() and not run.engine.tracker.unknown_orders(), 20, "outcome known")
        assert await venues_reach(net, ready, run, (3, -3)) == (3, -3)
        assert run.engine.ledger.hedge.volume == 3
