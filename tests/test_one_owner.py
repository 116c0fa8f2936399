"""Issue 17: one owner for each unit of exposure, whatever order the safety mechanisms act in.

Two mechanisms can act on one Hubble fill: the reconciler (it sees the fill in
Hubble's own position and hedges the difference) and whichever path books the
fill (the trader stream, a gap's replay from the chain's logs, a receipt read
for an order of an earlier run). Each test drives the race from outside with
simnet's control API and judges it by the hedge venue's own fill list: the
account traded exactly the fill's size, never a second hedge bought back later.
"""
from __future__ import annotations

import asyncio
from decimal import Decimal as D
from pathlib import Path

import pytest

from bot import supervision
from bot.sim_launcher import endpoints_from_ready, throwaway_credentials
from bot.venues.hubble.gateway import HubbleGateway
from bot.venues.hubble.quote_journal import QuoteJournal
from tests.engine_harness import (VENUES, control, quoting, running_engine, take_through_our_best, venue_positions,
                                  venues_reach, venues_settle)
from tests.helpers import eventually
from tests.venue_positions import hedge_volume


async def traded(ready: dict, run) -> D:
    return await asyncio.to_thread(hedge_volume, ready, run.hedge, run.credentials)


async def replayed(run, replays: int) -> None:
    """The gap's replay (both passes) is over and every hedge is done."""
    await eventually(lambda: run.orders.fills.replays > replays, 30, "the gap replayed")
    await eventually(run.hedged, 10, "hedges done")


@VENUES
async def test_a_fill_the_reconciler_hedged_during_a_silent_stream_is_not_hedged_again_by_the_replay(
        sim, hedge, monkeypatch):
    """A half-open trader socket (open, nothing pushed) hides a fill; the reconciler finds and hedges it; when the
    socket is finally dropped the replay books the same fill and must leave it to the reconciler."""
    net, ready = sim
    monkeypatch.setattr(supervision, "BASE_DELAY", 0.2)
    async with running_engine(ready, hedge=hedge, overrides=["orderExpiry=5"]) as run:
        await quoting(run)
        await control(net, "hubble", "stall", stream="trader")
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        assert await venues_reach(net, ready, run, (3, -3), timeout=30) == (3, -3)   # the reconciler's hedge
        assert run.engine.ledger.hubble.count == 0                                 # nothing heard of the fill
        replays = run.orders.fills.replays
        await control(net, "hubble", "unstall")
        await control(net, "hubble", "drop_ws", stream="trader")
        await replayed(run, replays)
        assert run.engine.ledger.hubble.count == 1                # booked by the replay, for the PnL figures
        assert await venue_positions(net, ready, run) == (3, -3)
        assert await traded(ready, run) == 3                      # one hedge of 3, not a second one bought back
        assert not run.engine.failures


@pytest.mark.slow
@VENUES
async def test_a_websocket_outage_longer_than_the_confirmation_hedges_the_gap_once(sim, hedge):
    """HUBBLE_WS_RPC down while HUBBLE_RPC answers: the reconciler confirms the gap's fill first, the replay after
    the reconnect books it without a second hedge."""
    net, ready = sim                   # the default reconnect backoff (0.5 s doubling) outlasts the 8 s outage
    async with running_engine(ready, hedge=hedge, overrides=["orderExpiry=5"]) as run:
        await quoting(run)
        replays = run.orders.fills.replays
        trader = run.engine.hubble.trader
        # The book feed's loss closes the quote gate and the bot cancels; at the node's block pacing that cancel
        # can be mined before the take's block and the gap would hold no fill. Cancels are transactions: with no
        # gas the node refuses them, so the quote is still there for the gap's fill (deterministically).
        await control(net, "hubble", "set_gas_balance", trader=trader, amount=0)
        await control(net, "hubble", "refuse_ws", seconds=8)
        await control(net, "hubble", "take", market=1, side="sell", size=3)
        await control(net, "hubble", "set_gas_balance", trader=trader, amount=100)
        assert await venues_reach(net, ready, run, (3, -3), timeout=30) == (3, -3)
        await replayed(run, replays)
        assert run.engine.ledger.hubble.count == 1
        assert await venue_positions(net, ready, run) == (3, -3)
        assert await traded(ready, run) == 3
        assert run.orders.reconciler.hedged_total == -3            # the reconciler owned it, the replay did not


@VENUES
async def test_a_fill_racing_the_start_up_cancel_of_an_earlier_runs_quote_is_hedged_once(sim, hedge, tmp_path,
                                                                                          monkeypatch):
    """An earlier run's quote fills in the block of the start-up's cancel: the start-up reconciliation and the
    receipt read for the unknown order both learn of it; one of them hedges it."""
    net, ready = sim
    monkeypatch.chdir(tmp_path)                                    # this run's quote journal (state/)
    creds = throwaway_credentials("AVAX", ready)
    earlier = await HubbleGateway.connect(creds.hubble_private_key, endpoints_from_ready(ready))
    try:
        depth = await earlier.rpc("orderbook_getDepthForMarket", [1])
        best_bid = max(int(p) for p, size in depth["longs"].items() if int(size) != 0)
        quote = earlier.sign(1, D(3), D(best_bid) / 10**6 - D("0.5"), 60)      # behind the book: only the race fills it
        [placed] = await earlier.place([quote])
        assert placed["success"], placed
        QuoteJournal(Path("state/avax-quotes.json"), earlier.trader, 1).record([quote])
    finally:
        await earlier.close()
    await control(net, "hubble", "set_flag", name="fill_on_cancel", value=1)   # a taker beats the cancel
    async with running_engine(ready, hedge=hedge, credentials=creds) as run:
        await quoting(run)
        assert await venues_reach(net, ready, run, (3, -3), timeout=30) == (3, -3)
        await eventually(lambda: run.engine.ledger.hubble.count == 1 and run.hedged(), 20, "the fill booked")
        assert await venue_positions(net, ready, run) == (3, -3)
        assert await traded(ready, run) == 3


async def test_a_resubscription_the_node_never_confirms_is_retried(sim, monkeypatch, caplog):
    """A reconnect whose subscription is never confirmed (the answer lost on a silent socket) used to leave the
    fill stream down for good; now it is retried after SUBSCRIBE_CONFIRM_TIMEOUT."""
    from bot.venues.hubble import gateway

    net, ready = sim
    monkeypatch.setattr(supervision, "BASE_DELAY", 0.2)
    monkeypatch.setattr(gateway, "SUBSCRIBE_CONFIRM_TIMEOUT", 2.0)
    async with running_engine(ready, hedge="hyperliquid") as run:
        await quoting(run)
        subscriptions = run.orders.fills.subscriptions
        await control(net, "hubble", "stall", stream="trader")      # the new subscription's answer is swallowed
        await control(net, "hubble", "drop_ws", stream="trader")
        await eventually(lambda: any("did not confirm the trader stream's subscription" in r.getMessage()
                                     for r in caplog.records), 15, "the unconfirmed subscription given up")
        await control(net, "hubble", "unstall")
        await eventually(lambda: run.orders.fills.subscriptions > subscriptions, 20, "a confirmed subscription")
        await take_through_our_best(net, run, "sell")
        hubble, hedge = await venues_settle(net, ready, run, lambda h, _: h > 0, timeout=30)
        assert hubble > 0 and hubble + hedge == 0


class _GapGateway:
    """The trader stream of a reconnect whose first events arrive with the confirmation (no sleep between)."""

    def __init__(self, events_after_subscribing: list):
        self.events = events_after_subscribing
        self.asked: list[tuple[int, int]] = []
        self.head = 100

    async def stream_trader_updates(self, on_subscribed, on_update):
        on_subscribed()
        for event in self.events:
            on_update(event, 0.0)
        await asyncio.Event().wait()

    async def head_block(self) -> int:
        return self.head

    async def matched_logs(self, start: int, end: int) -> list:
        self.asked.append((start, end))
        return []


async def test_events_with_a_resubscription_never_move_the_replay_past_the_gap(monkeypatch, tmp_path):
    from types import SimpleNamespace

    from bot.reporting.performance import Performance
    from bot.supervision import Health
    from bot.tracking.fills import FillLedger
    from bot.tracking.orders import OrderTracker
    from bot.trading import fill_intake

    monkeypatch.setattr(fill_intake, "REPLAY_SETTLE", 0.0)
    event = SimpleNamespace(BlockNumber=100, EventName="OrderExpired", OrderId="0x01")
    hubble = _GapGateway([event])
    tasks: list[asyncio.Task] = []
    ledger, tracker = FillLedger(1, D(0)), OrderTracker("AVAX", 2)
    intake = fill_intake.FillIntake(1, hubble, tracker, ledger, Performance("AVAX", ledger, tracker, tmp_path),
                                    lambda coro: tasks.append(asyncio.ensure_future(coro)) or tasks[-1])
    intake.subscriptions, intake.stream_block = 1, 40          # one subscription before; the gap began after 40
    reader = asyncio.ensure_future(intake.stream(Health(asyncio.Event())))
    try:
        await eventually(lambda: intake.replays == 1, 5, "the replay")
    finally:
        reader.cancel()
    assert hubble.asked[0][0] <= 40 - fill_intake.REPLAY_MARGIN_BLOCKS   # from before the gap, not from block 100
