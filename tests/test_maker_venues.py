"""Hyperliquid and Binance as the maker venue, each hedged on the other, judged at the venues.

Simulated takers on the maker venue's book (simnet's flow, ``taker_rate``) fill the bot's resting
post-only quotes; every fill must be hedged on the other venue, whatever happens to the fill stream,
and a killed bot's quotes must not outlive it. Positions, fills and what rests are asked of simnet's
venues the way any client would (tests/venue_positions.py); the bot's state only says when to look.
"""
from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from bot.reporting.metrics_reading import read_engine

from tests.engine_harness import quoting, running_engine, start_net
from tests.helpers import eventually
from tests.maker_venue_helpers import (
    PAIRS, flow_options, lose_fill_pushes, maker_position, maker_volume, restore_and_drop_fill_stream,
    resting_quotes, venue_lot,
)
from tests.venue_positions import hedge_position, hedge_volume

MAKER = pytest.mark.parametrize("maker,hedge,market", PAIRS, ids=[f"{m}-{h}" for m, h, _ in PAIRS])


async def _venues(ready: dict, run, market: str) -> tuple[Decimal, Decimal]:
    maker = await asyncio.to_thread(maker_position, ready, run.orders.maker.venue, run.credentials, market)
    hedge = await asyncio.to_thread(hedge_position, ready, run.hedge, run.credentials, market)
    return maker, hedge


async def _flat_within_a_lot(ready: dict, run, market: str, timeout: float = 15) -> tuple:
    """Wait until the two venues' positions offset each other to less than one lot of the hedge venue."""
    lot = venue_lot(ready, run.hedge, market)
    seen: tuple = ()

    async def offset() -> bool:
        nonlocal seen
        seen = await _venues(ready, run, market)
        return abs(seen[0] + seen[1]) < lot

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await offset():
        if loop.time() > deadline:
            break
        await asyncio.sleep(0.2)
    return seen, lot


@MAKER
async def test_takers_fill_the_quotes_and_every_fill_is_hedged_on_the_other_venue(maker, hedge, market):
    net, ready = start_net(scenario="default", **flow_options(maker, taker_rate=3.0))
    try:
        async with running_engine(ready, market, hedge=hedge, overrides=[f"maker={maker}"]) as run:
            await quoting(run)
            await eventually(lambda: run.engine.ledger.hubble.count >= 4, 60, "four fills of the quotes")
            assert await run.finish() == 0
        await _hedged_once(ready, run, maker, hedge, market)
        assert await asyncio.to_thread(resting_quotes, ready, maker, run.credentials, market) == []
    finally:
        net.stop()


async def _hedged_once(ready: dict, run, maker: str, hedge: str, market: str) -> None:
    """The venues offset within a lot (no fill left unhedged), and the hedge account traded no more than the maker
    account did, plus a lot (none hedged twice: a double, even one corrected later, adds its size to the hedge
    volume; the hedge volume may be smaller, since fills that net out below a lot are never sent)."""
    (maker_pos, hedge_pos), lot = await _flat_within_a_lot(ready, run, market)
    assert abs(maker_pos + hedge_pos) < lot, (maker_pos, hedge_pos)
    traded = await asyncio.to_thread(maker_volume, ready, maker, run.credentials, market)
    hedged = await asyncio.to_thread(hedge_volume, ready, hedge, run.credentials, market)
    assert traded > 0
    assert hedged < traded + lot, (traded, hedged)


@MAKER
async def test_fills_made_while_the_fill_stream_is_silent_are_read_back_and_hedged_once(maker, hedge, market):
    """The venue stops pushing fills while the takers go on; then the connection drops. Every fill of the gap is
    hedged exactly once, whichever of its two possible owners gets there first: the reconciler (the venues'
    positions differ for longer than its confirmation) or the read-back after the reconnect."""
    net, ready = start_net(scenario="default", **flow_options(maker, taker_rate=3.0))
    try:
        async with running_engine(ready, market, hedge=hedge, overrides=[f"maker={maker}"]) as run:
            await quoting(run)
            await eventually(lambda: run.engine.ledger.hubble.count >= 1, 60, "a first fill")
            await asyncio.to_thread(lose_fill_pushes, net, maker)
            before = await asyncio.to_thread(maker_volume, ready, maker, run.credentials, market)
            booked = run.engine.ledger.hubble.count      # after the mute and a venue read: a push already on its
                                                         # way when the mute began has arrived by now
            await _until(lambda: asyncio.to_thread(maker_volume, ready, maker, run.credentials, market),
                         lambda volume: volume > before, 60, "fills nobody was told of")
            assert run.engine.ledger.hubble.count == booked          # the bot heard none of them
            await asyncio.to_thread(restore_and_drop_fill_stream, net, maker)
            await eventually(lambda: run.orders.fills.replays >= 1, 30, "the read-back of the gap")
            assert await run.finish() == 0
        await _hedged_once(ready, run, maker, hedge, market)
    finally:
        net.stop()


async def _until(read, done, timeout: float, what: str):
    """Poll an async reading of the venues until `done(value)`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await read()
        if done(value):
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last {value})")
        await asyncio.sleep(0.5)            # a venue client's pace: userFills and openOrders weigh 20 on Hyperliquid


@MAKER
async def test_a_clean_stop_leaves_nothing_resting_and_the_dead_man_switch_cleared(maker, hedge, market):
    net, ready = start_net(scenario="quiet")
    try:
        async with running_engine(ready, market, hedge=hedge, overrides=[f"maker={maker}"]) as run:
            await quoting(run)
            await _until(lambda: asyncio.to_thread(resting_quotes, ready, maker, run.credentials, market), bool, 20,
                         "quotes resting on the venue")
            assert run.orders.maker.dead_man.armed
            reading = read_engine(run.engine, {})               # what a metrics scrape reads of the engine
            assert reading["maker_venue"] == maker and reading["feeds"]["hubble_book"][1]
            assert await run.finish() == 0
        assert await asyncio.to_thread(resting_quotes, ready, maker, run.credentials, market) == []
        assert not run.orders.maker.dead_man.armed
    finally:
        net.stop()


@MAKER
async def test_a_hedge_whose_answer_is_lost_and_that_executes_later_is_not_doubled(maker, hedge, market):
    """The unknown-outcome cell for each maker venue: the first hedge's answer never comes and the order executes
    a second later on the hedge venue; it must be found there, not sent again."""
    net, ready = start_net(scenario="default", **flow_options(maker, taker_rate=3.0))
    try:
        async with running_engine(ready, market, hedge=hedge, overrides=[f"maker={maker}"]) as run:
            await quoting(run)
            await asyncio.to_thread(_lose_the_next_hedge_answer, net, hedge)
            await eventually(lambda: run.engine.ledger.hedge.count >= 2, 60, "hedges after the lost answer")
            await eventually(lambda: not run.engine.tracker.unknown_orders(), 30, "the outcome known")
            assert await run.finish() == 0
        await _hedged_once(ready, run, maker, hedge, market)
    finally:
        net.stop()


def _lose_the_next_hedge_answer(net, hedge: str) -> None:
    if hedge == "hyperliquid":
        net.control("hyperliquid", "late_execution", seconds=1, count=1, mode="drop")
    else:
        net.control("binance", "set_flag", name="late_execution_answer", value="reset")
        net.control("binance", "set_flag", name="late_execution_seconds", value=1)
        net.control("binance", "set_flag", name="late_execution", value=1)


async def test_hyperliquid_requotes_by_modify_and_never_rests_two_quotes_for_one_level():
    """requoteByModify: a level's new quote takes over its resting one in one batchModify (the old one is marked
    replaced on the venue's answer), and what the venue lists never holds more quotes per side than there are
    levels while the quotes move. (Sampling every 0.5 s does not catch place-and-cancel's overlap of a few ms
    either: the evidence of the modify is the tracker's, the bound is the venue's.)"""
    net, ready = start_net(scenario="quiet")
    try:
        async with running_engine(ready, "AVAX", hedge="binance", overrides=["maker=hyperliquid"]) as run:
            await quoting(run)
            levels, seen_ids, most = len(run.engine.s.levels), set(), 0
            for _ in range(12):
                resting = await asyncio.to_thread(resting_quotes, ready, "hyperliquid", run.credentials, "AVAX")
                seen_ids |= {o["oid"] for o in resting}
                most = max([most] + [sum(1 for o in resting if o["side"] == side) for side in ("B", "A")])
                await asyncio.sleep(0.5)
            modified = [o for o in list(run.engine.tracker._orders.values()) if "modify" in o.evidence]
            assert await run.finish() == 0
        assert most <= levels, most
        assert len(seen_ids) > 2 * levels            # the quotes were replaced while we looked
        assert modified                              # and by modifies
    finally:
        net.stop()


@MAKER
async def test_one_way_flow_stops_at_max_position_on_the_maker_venue(maker, hedge, market, tmp_path, monkeypatch):
    """Every taker sells into our bids: the maker position (at the venue) never passes maxPosition, the state
    turns REDUCING and only the reducing side is quoted; every fill is hedged."""
    from bot.risk.limits import TradingState

    monkeypatch.chdir(tmp_path)                                  # this test's state/ (risk record)
    limit = {"AVAX": "9", "ETH": "0.24"}[market]                 # three bids of the first level
    net, ready = start_net(scenario="default", **flow_options(maker, taker_rate=4.0, taker_buy_share=0.0))
    try:
        async with running_engine(ready, market, hedge=hedge,
                                  overrides=[f"maker={maker}", f"maxPosition={limit}", "positionSkew=0"]) as run:
            await quoting(run)
            most = D0 = Decimal(0)
            state_seen, sides = set(), {"not looked at"}
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while loop.time() < deadline:
                most = max(most, (await _venues(ready, run, market))[0])
                state_seen.add(run.orders.risk.state)
                if TradingState.REDUCING in state_seen and most > D0:
                    sides = {o.get("side") for o in await asyncio.to_thread(resting_quotes, ready, maker,
                                                                              run.credentials, market)}
                    if sides <= {"A", "SELL"}:
                        break
                await asyncio.sleep(0.5)
            assert await run.finish() == 0
        assert 0 < most <= Decimal(limit), most
        assert TradingState.REDUCING in state_seen
        assert sides <= {"A", "SELL"}, sides                    # only asks rest at the bound
        (maker_pos, hedge_pos), lot = await _flat_within_a_lot(ready, run, market)
        assert abs(maker_pos + hedge_pos) < lot
    finally:
        net.stop()


async def test_a_wake_after_a_hedge_places_only_missing_levels_and_replaces_nothing():
    """Wakes that change no price ("hedged", "gate reopening") fill gaps only: with every level resting they
    send nothing, whatever the mid did since (the tick and a mid move refresh prices)."""
    net, ready = start_net(scenario="quiet")
    try:
        overrides = ["maker=binance", "orderFrequency=30", "orderExpiry=30", "requoteOnMove=0"]
        async with running_engine(ready, "ETH", hedge="hyperliquid", overrides=overrides) as run:
            await quoting(run)
            quoter = run.orders.quoter
            await eventually(lambda: len(run.engine.tracker.live_quotes()) == 2 * len(run.engine.s.levels), 10,
                             "every level resting")
            attempted, ticks = run.attempted, quoter.ticks
            for reason in ("hedged", "gate reopening", "hedged"):
                mid = run.engine.mid_feed.mid
                await eventually(lambda: run.engine.mid_feed.mid != mid, 10, "the mid to move")
                quoter.wake(reason)
                await eventually(lambda: quoter.ticks > ticks, 5, f"the {reason!r} wake")
                ticks = quoter.ticks
            assert run.attempted == attempted
            assert len(await asyncio.to_thread(resting_quotes, ready, "binance", run.credentials, "ETH")) == 6
            assert await run.finish() == 0
    finally:
        net.stop()
