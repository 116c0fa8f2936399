"""The stream fill intake's one-owner rule (Hyperliquid and Binance as maker venues), without a venue.

A fill of the maker account can reach the bot twice (the user stream, and the read-back of a stream gap)
and the reconciler may already have hedged its effect (a clean comparison at a venue time after the fill).
Whichever comes first owns it; the others find it done. The venues' side of the same races runs in
tests/test_maker_venues.py.
"""
from __future__ import annotations

import asyncio
from decimal import Decimal as D
from types import SimpleNamespace

from bot.reporting.performance import Performance
from bot.supervision import Health
from bot.tracking.fills import FillLedger
from bot.tracking.orders import OrderTracker
from bot.tracking.reconciler import Reconciler
from bot.trading import stream_fill_intake
from bot.trading.stream_fill_intake import StreamedFill, StreamFillIntake
from tests.helpers import eventually


class _Hedger:
    def __init__(self):
        self.sizes: list[D] = []
        self.idle = asyncio.Event()
        self.idle.set()
        self.sends = 0

    def add(self, size: D, received: float) -> int:
        self.sizes.append(size)
        return len(self.sizes)

    def outstanding(self) -> D:
        return D(0)


class _NoReads:
    """Both venues' positions for a reconciler these tests never ask to compare (only its ownership rule)."""
    venue = "binance"

    async def read_maker_position(self):
        raise AssertionError("these tests never compare the venues")

    async def venue_position(self) -> D:
        raise AssertionError("these tests never compare the venues")


class _Maker:
    """A maker venue whose stream subscribes, pushes what the test gives it, breaks, and subscribes again."""
    venue, market, symbol = "hyperliquid", 0, "AVAX"

    def __init__(self, pushes: list[list[StreamedFill]], kept: list[StreamedFill]):
        self.pushes, self.kept, self.asked = pushes, kept, []

    async def stream_fills(self, on_subscribed, on_fill, alive) -> None:
        on_subscribed()
        for fill in self.pushes.pop(0) if self.pushes else []:
            on_fill(fill)
        if self.pushes:
            raise ConnectionError("dropped")
        await asyncio.Event().wait()

    async def fills_since(self, start_ms: int) -> list[StreamedFill]:
        self.asked.append(start_ms)
        return [f for f in self.kept if f.mark >= start_ms]

    async def head_block(self) -> int:
        return 0


async def _reconnecting(intake) -> None:
    """The supervisor's part: a broken stream is opened again."""
    while True:
        try:
            await intake.stream(Health(asyncio.Event()))
        except ConnectionError:
            continue


def _fill(tid: int, mark: int, side: int = -1, qty: str = "2") -> StreamedFill:
    return StreamedFill(f"0xq{tid}", f"tid:{tid}", side, D(qty), D("35"), mark)


def _intake(tmp_path, maker, reconciler_through: int = 0):
    ledger, tracker = FillLedger(0, D(0)), OrderTracker("AVAX", 2)
    hedger = _Hedger()
    tasks: list[asyncio.Task] = []
    intake = StreamFillIntake(maker, tracker, ledger, Performance("AVAX", ledger, tracker, tmp_path),
                              lambda coro: tasks.append(asyncio.ensure_future(coro)) or tasks[-1], hedger)
    reconciler = Reconciler(maker_positions=_NoReads(), hedge_positions=_NoReads(), hedger=hedger, ledger=ledger,
                            fills=intake, confirm_seconds=2.0)
    reconciler.balanced_through = reconciler_through
    intake.reconciler = reconciler
    return intake, hedger, ledger


async def test_a_fill_the_reconciler_already_balanced_is_booked_and_not_hedged_again(tmp_path):
    intake, hedger, ledger = _intake(tmp_path, _Maker([], []), reconciler_through=1_000)
    intake.on_fill(_fill(1, mark=900))                   # traded before the comparison that balanced the venues
    intake.on_fill(_fill(2, mark=1_100))                 # after it
    assert hedger.sizes == [D(2)]                        # only the later one is hedged (a sell: hedge buys)
    assert ledger.hubble.count == 2 and intake.owned_by_reconciler == 1


async def test_a_fill_heard_on_the_stream_and_read_back_is_hedged_once(monkeypatch, tmp_path):
    monkeypatch.setattr(stream_fill_intake, "READBACK_SETTLE", 0.0)
    first, in_gap = _fill(1, mark=10_000), _fill(2, mark=12_000, side=1, qty="3")
    maker = _Maker(pushes=[[first], []], kept=[first, in_gap])   # the stream drops; fill 2 came in the gap
    intake, hedger, ledger = _intake(tmp_path, maker)
    intake.covered_block = 11_000
    reader = asyncio.ensure_future(_reconnecting(intake))
    try:
        await eventually(lambda: intake.replays == 1, 5, "the read-back")
    finally:
        reader.cancel()
    assert sorted(hedger.sizes) == [D(-3), D(2)]         # each fill hedged once: the gap's from the read-back
    assert ledger.hubble.count == 2
    assert maker.asked and maker.asked[0] == 11_000 - stream_fill_intake.READBACK_MARGIN_MS
