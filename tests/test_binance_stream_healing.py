"""Issue 17: Binance streams that go wrong in ways the venue does not announce are detected and healed by the
bot itself, with no hedge lost or doubled (judged at the venues).

* a user-data stream that stays open but pushes nothing (item 8): the first hedge that fills without its
  ORDER_TRADE_UPDATE on the stream gets the stream reconnected;
* a REST depth snapshot older than the stream (item 11): the snapshot is fetched again, the stream kept.
"""
from __future__ import annotations

import logging

import pytest

from bot import supervision
from tests.engine_harness import control, quoting, running_engine, start_net, venue_positions, venues_reach
from tests.helpers import eventually

SILENT = "user-data stream silent"


def warnings_with(caplog, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and text in r.getMessage()]


@pytest.mark.slow
@pytest.mark.parametrize("trouble", ["mute", "stall"])
async def test_a_silent_user_stream_is_reconnected_and_no_hedge_is_lost_or_doubled(sim, trouble, caplog,
                                                                                    monkeypatch):
    net, ready = sim
    monkeypatch.setattr(supervision, "BASE_DELAY", 0.2)
    caplog.set_level(logging.WARNING)
    async with running_engine(ready, hedge="binance") as run:
        await quoting(run)
        client = run.engine.hedge
        stream = client.user_stream
        await eventually(client.position_stream_up.is_set, 10, "the user stream up")
        connections = stream.reconnects
        if trouble == "mute":     # the open connection goes quiet; a new one works
            await control(net, "binance", "mute_ws", stream="futures_user")
        else:                     # every user connection quiet until unstall
            await control(net, "binance", "stall", stream="futures_user")
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3), timeout=30) == (3, -3)
        await eventually(lambda: stream.reconnects > connections and client.position_stream_up.is_set(), 10,
                         "the silent user stream replaced by a new connection")
        [line] = warnings_with(caplog, SILENT)
        assert client.symbol in line and "ORDER_TRADE_UPDATE" in line and "reconnect" in line
        if trouble == "stall":
            await control(net, "binance", "unstall")
        seen = stream.order_events
        await control(net, "hubble", "take", market=1, side="buy", size=5)
        assert await venues_reach(net, ready, run, (-2, 2), timeout=30) == (-2, 2)
        await eventually(lambda: stream.order_events > seen, 10, "the next hedge's ORDER_TRADE_UPDATE on the stream")
        await eventually(run.hedged, 10, "hedges settled")
        assert await venue_positions(net, ready, run) == (-2, 2)       # nothing doubled after the heal
        assert len(warnings_with(caplog, SILENT)) == 1 and not run.engine.failures


async def test_the_user_stream_names_its_events_so_a_venue_that_needs_them_still_pushes(caplog):
    """Under ``private_without_events="none"`` (unicorn-binance-websocket-api's claim) a connection without
    ``events`` gets nothing; the bot's gets its fills."""
    net, ready = start_net(binance={"private_without_events": "none"})
    caplog.set_level(logging.WARNING)
    try:
        async with running_engine(ready, hedge="binance") as run:
            await quoting(run)
            client = run.engine.hedge
            await eventually(client.position_stream_up.is_set, 10, "the user stream up")
            [connection] = (await control(net, "binance", "ws_connections", stream="futures_user"))["connections"]
            assert set(*connection["events"].values()) == {"ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE", "listenKeyExpired"}
            await control(net, "hubble", "take", market=1, side="sell", size=3)
            assert await venues_reach(net, ready, run, (3, -3), timeout=30) == (3, -3)
            await eventually(lambda: client.user_stream.order_events > 0, 10, "ORDER_TRADE_UPDATE on the stream")
            assert not warnings_with(caplog, SILENT)
    finally:
        net.stop()


BROKE = "binance depth stream broke"



async def test_a_snapshot_older_than_the_stream_is_fetched_again_without_a_reconnect(sim, caplog, monkeypatch):
    net, ready = sim
    monkeypatch.setattr(supervision, "BASE_DELAY", 0.2)
    caplog.set_level(logging.INFO)
    async with running_engine(ready, hedge="binance") as run:
        await quoting(run)
        client = run.engine.hedge
        await eventually(lambda: client.book_source == "stream", 10, "the book from the stream")
        syncs = client.book_stream.resyncs
        await control(net, "binance", "stale_depth_snapshot", symbol="AVAXUSDT", count=2)
        await control(net, "binance", "drop_ws", stream="avaxusdt@depth@100ms")    # the next sync meets them
        await eventually(lambda: client.book_stream.resyncs >= syncs + 2 and client.book_source == "stream"
                         and client.book_age() < 1, 20, "the book synced again from a fresh snapshot")
        assert len(warnings_with(caplog, BROKE)) == 1            # the drop itself; the stale snapshots cost none
        assert [r for r in caplog.records if "fetching the depth snapshot again" in r.getMessage()]
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3), timeout=30) == (3, -3)
        assert not run.engine.failures


async def test_a_gap_in_the_depth_chain_takes_a_new_snapshot_on_the_same_connection(sim, caplog):
    """USD-M book rule: a pu that does not follow means "initialize the process from step 3" (a new snapshot)."""
    net, ready = sim
    caplog.set_level(logging.WARNING)
    async with running_engine(ready, hedge="binance") as run:
        await quoting(run)
        client = run.engine.hedge
        await eventually(lambda: client.book_source == "stream", 10, "the book from the stream")
        syncs = client.book_stream.resyncs
        await control(net, "binance", "stale_depth_snapshot", symbol="AVAXUSDT", count=1)
        await control(net, "binance", "depth_gap", symbol="AVAXUSDT")
        await eventually(lambda: client.book_stream.resyncs >= syncs + 2 and client.book_age() < 1, 20,
                         "the book resynced from a new snapshot")
        assert not warnings_with(caplog, BROKE)
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3), timeout=30) == (3, -3)
        assert not run.engine.failures
