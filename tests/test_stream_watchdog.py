"""Issue 17 item 9: a hedge-venue stream is up only while it delivers what it should. An open socket that
has gone silent (simnet mute_ws: the connections open now get nothing more, later ones are served) is found
and reconnected within a bounded time, with no lost or doubled hedge, judged at the venues."""
from __future__ import annotations

import asyncio

import pytest

from tests.engine_harness import control, quoting, running_engine, take_through_our_best, venues_reach, venues_settle
from tests.helpers import eventually
from tests.venue_positions import hedge_volume


async def test_a_silent_hyperliquid_socket_is_found_by_the_missing_fill_push_and_reconnected(sim):
    net, ready = sim
    async with running_engine(ready, hedge="hyperliquid") as run:
        await quoting(run)
        client = run.engine.hedge
        await eventually(client.position_stream_up.is_set, 10, "the stream up")
        await control(net, "hyperliquid", "mute_ws")
        await control(net, "hubble", "take", market=1, side="sell", size=3)      # hedged over HTTP
        assert await venues_reach(net, ready, run, (3, -3), timeout=20) == (3, -3)
        # its userFills push never comes on the silent socket: reconnected within USER_PUSH_WAIT
        await eventually(lambda: client.book_source == "stream" and client.book_age() < 1, 15,
                         "books from a new connection")
        await take_through_our_best(net, run, "buy")
        hubble, hedge = await venues_settle(net, ready, run, lambda h, _: h < 3)
        assert hubble + hedge == 0 and not run.engine.failures
        traded = await asyncio.to_thread(hedge_volume, ready, "hyperliquid", run.credentials)
        assert traded == 3 + (3 - hubble)                        # each fill hedged once


@pytest.mark.slow
async def test_a_silent_hyperliquid_socket_without_trading_is_found_by_the_stall_watchdog(sim):
    net, ready = sim
    async with running_engine(ready, hedge="hyperliquid") as run:
        await quoting(run)
        client = run.engine.hedge
        await eventually(lambda: client.book_source == "stream", 10, "books from the stream")
        await control(net, "hyperliquid", "mute_ws")
        await eventually(lambda: client.book_source == "rest", 10, "REST standing in for the silent stream")
        await eventually(lambda: client.book_source == "stream" and client.book_age() < 1, 25,
                         "books from a new connection")
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3), timeout=20) == (3, -3)


@pytest.mark.slow
async def test_a_silent_binance_depth_stream_is_reconnected(sim):
    net, ready = sim
    async with running_engine(ready, hedge="binance") as run:
        await quoting(run)
        client = run.engine.hedge
        await eventually(lambda: client.book_source == "stream", 10, "books from the stream")
        resyncs = client.book_stream.resyncs
        await control(net, "binance", "mute_ws", stream="avaxusdt@depth@100ms")      # the hedge book's socket
        await eventually(lambda: client.book_stream.resyncs > resyncs and client.book_source == "stream"
                         and client.book_age() < 1, 25, "the depth stream reconnected")
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3), timeout=20) == (3, -3)
