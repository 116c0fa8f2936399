"""Issue 17 item 7: a hedge outlives a short venue outage and a failure before its order is sent; judged at the
venues."""
from __future__ import annotations

import pytest

from tests.engine_harness import (VENUES, control, quoting, running_engine, take_through_our_best, venue_positions,
                                  venues_reach, venues_settle)
import asyncio

from tests.helpers import eventually
from tests.venue_positions import hedge_volume
from bot.venues.hedge_base import TransientError


@pytest.mark.slow
@VENUES
async def test_a_hedge_venue_outage_of_a_few_seconds_is_waited_out_not_fatal(sim, hedge):
    net, ready = sim
    async with running_engine(ready, hedge=hedge) as run:
        await quoting(run)
        await control(net, hedge, "refuse", seconds=4)             # the hedge venue unreachable for 4 s
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3), timeout=40) == (3, -3)
        assert not run.engine.failures and not run.task.done()     # waited out, no exit
        await eventually(lambda: run.orders.pause_reason is None, 30, "quoting again")


@VENUES
async def test_an_order_that_fails_before_it_is_sent_is_retried(sim, hedge):
    net, ready = sim
    async with running_engine(ready, hedge=hedge) as run:
        await quoting(run)
        client, prepare, failures = run.engine.hedge, run.engine.hedge._prepare_order, []

        async def fails_once(*args):
            if not failures:
                failures.append(1)
                raise TransientError("clock read failed before signing")       # nothing reached the venue
            return await prepare(*args)

        client._prepare_order = fails_once
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3), timeout=20) == (3, -3)
        assert failures and not run.engine.failures


async def test_a_binance_fill_whose_price_cannot_be_read_still_reaches_the_ledger(sim):
    """The order answer has no average price, the user stream is silent and the order lookup fails: the fill
    is booked at the touch it was priced on (said so), never dropped, and the hedger does not crash."""
    from binance.exceptions import BinanceRequestException

    net, ready = sim
    async with running_engine(ready, hedge="binance") as run:
        await quoting(run)
        sdk = run.engine.hedge.client

        async def lookup_fails(**params):
            raise BinanceRequestException("connection reset while reading the order")

        sdk.futures_get_order = lookup_fails
        await control(net, "binance", "stall", stream="futures_user")
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3), timeout=20) == (3, -3)
        await eventually(run.hedged, 10, "the hedge done")
        ledger = run.engine.ledger
        assert ledger.hedge.volume == 3 and ledger.estimated_prices == 1
        assert not run.engine.failures


async def test_a_hedge_in_flight_pauses_only_the_side_whose_fill_it_hedges(sim):
    """Both sides have filled once; a new bid fill's hedge is held up at the venue: the asks go on quoting."""
    from bot.maths.quoting import ASK, BID

    net, ready = sim
    async with running_engine(ready, hedge="hyperliquid") as run:
        await quoting(run)
        await control(net, "hubble", "take", market=1, side="sell", size=3)       # our bid fills
        assert await venues_reach(net, ready, run, (3, -3), timeout=20) == (3, -3)
        await take_through_our_best(net, run, "buy")                               # and an ask
        hubble, hedge = await venues_settle(net, ready, run, lambda h, _: h < 3)
        await eventually(run.hedged, 10, "both hedged")
        await control(net, "hyperliquid", "late_execution", seconds=3, count=1, mode="hang")
        await control(net, "hubble", "take", market=1, side="sell", size=3)       # its hedge answers 3 s late
        await eventually(lambda: not run.hedged(), 10, "the hedge in flight")
        quoter = run.orders.quoter
        await eventually(lambda: not run.hedged() and any(q.side == ASK for q in quoter.last_quotes)
                         and all(q.side != BID for q in quoter.last_quotes), 5, "asks quoted, bids paused")
        assert await venues_settle(net, ready, run, lambda h, _: h > hubble, timeout=20)


async def test_a_venue_clock_behind_ours_does_not_turn_a_late_hedge_into_a_double(sim):
    """Hyperliquid's clock 8 s behind this machine's: an order whose answer is lost still executes 6 s later (its
    expiresAfter is the venue's time). Its deadline follows the venue's own stamps, so it is found, not resent."""
    net, ready = sim
    await control(net, "hyperliquid", "set_flag", name="clock_skew_ms", value=-8000)
    async with running_engine(ready, hedge="hyperliquid") as run:
        await quoting(run)
        await control(net, "hyperliquid", "late_execution", seconds=6, count=1, mode="drop")
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3), timeout=30) == (3, -3)
        await eventually(lambda: run.hedged() and not run.engine.tracker.unknown_orders(), 30, "outcome known")
        for _ in range(100):                                    # the late original has run (or been refused)
            if not (await control(net, "hyperliquid", "late_execution_status"))["pending"]:
                break
            await asyncio.sleep(0.1)
        assert await asyncio.to_thread(hedge_volume, ready, "hyperliquid", run.credentials) == 3   # never twice
        assert await venue_positions(net, ready, run) == (3, -3)


async def test_a_failed_listen_key_keepalive_is_said_and_retried(sim, monkeypatch, caplog):
    import logging

    from binance.exceptions import BinanceRequestException

    from bot.venues.binance import stream

    net, ready = sim
    caplog.set_level(logging.WARNING)
    monkeypatch.setattr(stream, "KEEPALIVE_SECONDS", 0.5)
    monkeypatch.setattr(stream, "KEEPALIVE_RETRY_SECONDS", 0.2)
    async with running_engine(ready, hedge="binance") as run:
        await quoting(run)
        client = run.engine.hedge
        keepalive, calls = client.client.futures_stream_keepalive, []

        async def fails_once(**params):
            calls.append(params)
            if len(calls) == 1:
                raise BinanceRequestException("connection reset by peer")
            return await keepalive(**params)

        client.client.futures_stream_keepalive = fails_once
        connections = client.user_stream.reconnects
        await eventually(lambda: len(calls) >= 3, 10, "the keepalive retried and on schedule again")
        assert any("listenKey keepalive failed" in r.getMessage() for r in caplog.records)
        assert client.user_stream.reconnects == connections and client.position_stream_up.is_set()
