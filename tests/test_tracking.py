"""The order tracker, the fill ledger and the reconciler, through their public interfaces."""
from __future__ import annotations

import asyncio
import time
from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from bot.tracking.fills import FillLedger
from bot.tracking.orders import OrderState, OrderTracker, TrackedOrder
from bot.tracking.reconciler import HubbleReading, Reconciler, ReconciliationError

AVAX = 1


# ---- fill ledger -------------------------------------------------------------------------------
def test_a_duplicate_fill_event_is_booked_once():
    ledger = FillLedger(AVAX, D(0))
    assert ledger.record_hubble("0xa", "0xt1", AVAX, 1, D(3), D(35), False, 10) == D(3)
    assert ledger.record_hubble("0xa", "0xt1", AVAX, 1, D(3), D(35), False, 10) == 0
    assert ledger.hubble.delta == D(3) and ledger.hubble.count == 1


def test_a_reorg_that_re_mines_a_fill_at_the_same_height_books_it_again():
    # removed, then mined again with the same order, transaction and block: the fill stands once
    ledger = FillLedger(AVAX, D(0))
    changes = [ledger.record_hubble("0xa", "0xt1", AVAX, -1, D(2), D(35), removed, 10)
               for removed in (False, True, False, False, True, True)]
    assert changes == [D(-2), D(2), D(-2), 0, D(2), 0]
    assert ledger.hubble.delta == 0 and ledger.hubble.count == 0


def test_a_removal_of_a_fill_never_booked_changes_nothing():
    ledger = FillLedger(AVAX, D(0))
    assert ledger.record_hubble("0xa", "0xt1", AVAX, 1, D(3), D(35), True, 10) == 0
    assert ledger.hubble.delta == 0


def test_fills_of_another_market_are_counted_apart_and_never_hedged():
    ledger = FillLedger(AVAX, D(0))
    assert ledger.record_hubble("0xe", "0xt1", 0, 1, D("0.1"), D(3000), False, 10) == 0
    assert ledger.other_market_fills == 1 and ledger.hubble.count == 0


def test_delta_after_counts_the_fills_of_blocks_not_yet_accepted():
    ledger = FillLedger(AVAX, D(0))
    ledger.record_hubble("0xa", "0xt1", AVAX, 1, D(3), D(35), False, 10)
    ledger.record_hubble("0xb", "0xt2", AVAX, -1, D(1), D(35), False, 11)
    ledger.record_hubble("0xc", "0xt3", AVAX, 1, D(4), D(35), False, 12)
    assert ledger.delta_after(10) == D(3) and ledger.delta_after(12) == 0 and ledger.delta_after(9) == D(6)


def test_cash_fees_and_coverage():
    ledger = FillLedger(AVAX, D("0.01"))                     # 1 bp maker fee
    ledger.record_hubble("0xa", "0xt1", AVAX, 1, D(2), D(35), False, 1)          # bought 2 @ 35
    ledger.record_hedge(D(-2), D("35.1"), D("0.03"), D("35.1"))                  # sold 2 @ 35.1
    snap = ledger.snapshot()
    assert snap.cash == D("0.2") and snap.residual == 0
    assert snap.hubble.fees == D("0.007") and snap.fees == D("0.037")
    assert ledger.coverage == 1.0
    ledger.record_hedge(D(1), D(35), D("0.01"), None, reconciliation=True)
    assert ledger.coverage == 1.0 and ledger.reconciliation.volume == 1


# ---- order tracker -------------------------------------------------------------------------------
def quote(order_id: str, side: int, size: str, expire_at: float) -> TrackedOrder:
    return TrackedOrder(order_id, "hubble", "AVAX", side, D(size), D(35), expire_at, level=1)


def test_a_quote_past_its_expiry_can_no_longer_match_and_leaves_the_window():
    tracker, now = OrderTracker("AVAX", 2), time.time()
    tracker.add(quote("0x1", 1, "3", now - 1))
    tracker.add(quote("0x2", 1, "4", now + 5))
    assert [q.order_id for q in tracker.live_quotes(now)] == ["0x2"]
    assert tracker.get("0x1").state is OrderState.EXPIRED
    assert len(tracker._quotes) == 1            # the window is trimmed whatever the hedge mode


def test_resting_size_counts_unfilled_size_of_quotes_that_can_match():
    tracker, now = OrderTracker("AVAX", 2), time.time()
    for i, (side, size) in enumerate([(1, "3"), (1, "4"), (-1, "5")]):
        tracker.add(quote(f"0x{i}", side, size, now + 5))
    tracker.on_fill("0x0", D(1), "fill")
    tracker.mark("0x1", OrderState.REJECTED, "refused by the node")
    assert tracker.resting(1, now) == D(2) and tracker.resting(-1, now) == D(5)
    tracker.on_fill("0x0", D(2), "fill")
    assert tracker.get("0x0").state is OrderState.FILLED and tracker.resting(1, now) == 0


def test_a_late_answer_never_reopens_a_finished_order():
    tracker = OrderTracker("AVAX", 2)
    tracker.add(quote("0x1", 1, "3", time.time() + 5))
    tracker.mark("0x1", OrderState.CANCELLED, "cancel confirmed by the node")
    tracker.mark("0x1", OrderState.OPEN, "accepted by the node")
    assert tracker.get("0x1").state is OrderState.CANCELLED


# ---- reconciler -------------------------------------------------------------------------------------
class FakeHedger:
    def __init__(self):
        self.idle = asyncio.Event()
        self.idle.set()
        self.sends = 0
        self.pending = D(0)
        self.client = SimpleNamespace(venue="fake", carried=D(0))
        self.orders: list[D] = []

    def outstanding(self) -> D:
        return self.pending + self.client.carried

    def add_reconciliation(self, size: D) -> None:
        self.orders.append(size)

    async def wait_idle(self, timeout: float) -> bool:
        return True


class FakeMakerPositions:
    """The maker venue's own figure, as the test's `positions` say (reconciler.MakerPositions)."""

    def __init__(self, positions: dict):
        self.positions = positions

    async def read_maker_position(self) -> HubbleReading:
        p = self.positions
        return HubbleReading(p["hubble"], p.get("block", 10), p.get("consistent", True))


class FakeHedgePositions:
    """The hedge venue's own figure, as the test's `positions` say (reconciler.HedgePositions)."""
    venue = "fake"

    def __init__(self, positions: dict):
        self.positions = positions

    async def venue_position(self) -> D:
        return self.positions["hedge"]


class FakeFills:
    """The fill intake: quiet, or a maker fill just arrived (reconciler.FillActivity)."""

    def __init__(self, quiet: bool = True):
        self.is_quiet = quiet

    def quiet(self) -> bool:
        return self.is_quiet


def reconciler(positions: dict, quiet: bool = True, confirm: float = 0.0):
    hedger = FakeHedger()
    r = Reconciler(maker_positions=FakeMakerPositions(positions), hedge_positions=FakeHedgePositions(positions),
                   hedger=hedger, ledger=FillLedger(AVAX, D(0)), fills=FakeFills(quiet), confirm_seconds=confirm)
    return r, hedger


async def test_a_difference_is_hedged_only_once_confirmed_while_running():
    positions = {"hubble": D(3), "hedge": D(0)}
    r, hedger = reconciler(positions)
    await r.check()
    assert hedger.orders == [] and r.gate() is None            # seen once: could be a fill on its way
    await r.check()
    assert hedger.orders == [D(-3)]


async def test_a_difference_that_resolves_itself_is_not_hedged():
    positions = {"hubble": D(3), "hedge": D(0)}
    r, hedger = reconciler(positions)
    await r.check()
    positions["hedge"] = D(-3)
    await r.check()
    await r.check()
    assert hedger.orders == []


async def test_outstanding_hedge_work_is_not_a_difference():
    r, hedger = reconciler({"hubble": D(3), "hedge": D(0)})
    hedger.pending = D(-3)
    await r.check()
    await r.check()
    assert hedger.orders == []


async def test_a_comparison_taken_while_something_moved_counts_for_nothing():
    r, hedger = reconciler({"hubble": D(3), "hedge": D(0), "consistent": False})
    for _ in range(3):
        await r.check()
    assert hedger.orders == [] and r.last_clean is None and r.gate() == "reconciling positions"
    r, hedger = reconciler({"hubble": D(3), "hedge": D(0)}, quiet=False)
    for _ in range(3):
        await r.check()
    assert hedger.orders == []


async def test_start_up_hedges_at_once_and_after_a_reconnect_quoting_waits_for_a_fresh_comparison():
    positions = {"hubble": D(-3), "hedge": D(0)}
    r, hedger = reconciler(positions)

    async def fill_when_asked(size: D) -> None:
        hedger.orders.append(size)
        positions["hedge"] += size

    hedger.add_reconciliation = lambda size: asyncio.get_running_loop().create_task(fill_when_asked(size))
    comparison = await r.settle(timeout=5)
    assert hedger.orders == [D(3)] and comparison.drift == 0 and r.gate() is None
    r.require_fresh("test")
    assert r.gate() == "reconciling positions"
    await r.check()
    assert r.gate() is None


async def test_start_up_gives_up_loudly_when_the_difference_stays():
    r, hedger = reconciler({"hubble": D(-3), "hedge": D(0)})
    with pytest.raises(ReconciliationError, match="did not reconcile"):
        await r.settle(timeout=1, attempts=2)


async def test_a_balanced_comparison_owns_the_fills_of_its_blocks_booked_later():
    positions = {"hubble": D(3), "hedge": D(0), "block": 40}
    r, hedger = reconciler(positions)
    await r.check()
    assert not r.owns(40)                              # a difference seen once balances nothing yet
    await r.check()
    assert hedger.orders == [D(-3)] and r.owns(40) and r.owns(39) and not r.owns(41)
    assert not r.owns(0)                               # a fill without a block is never the reconciler's
    positions.update(hedge=D(-3), block=45)
    await r.check()                                    # no difference at 45: every fill up to 45 accounted for
    assert r.owns(45) and not r.owns(46)


def test_a_standing_fill_mined_again_in_another_block_moves_there():
    ledger = FillLedger(AVAX, D(0))
    ledger.record_hubble("0xa", "0xt", AVAX, 1, D(3), D(10), False, block=7)
    assert ledger.stands("0xa", "0xt") and ledger.delta_after(6) == 3
    ledger.move_fill("0xa", "0xt", 9)
    assert ledger.delta_after(7) == 3 and ledger.delta_after(8) == 3 and ledger.delta_after(9) == 0
    assert ledger.hubble.delta == 3 and ledger.hubble.count == 1
