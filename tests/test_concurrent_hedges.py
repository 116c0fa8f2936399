"""A fill that lands while a hedge is in flight is hedged at once, and every fill is hedged exactly once."""
from __future__ import annotations

import asyncio
from decimal import Decimal as D
from types import SimpleNamespace

from bot import settings
from bot.reporting.performance import Performance
from bot.tracking.fills import FillLedger
from bot.tracking.orders import OrderTracker, TrackedOrder
from bot.trading.order_manager import OrderManager
from bot.venues.hedge_base import HedgeResult


class GatedHedge:
    """Records each hedge call; a call completes only when the test releases it."""
    venue = "fake"

    def __init__(self):
        self.calls: list[D] = []
        self.gates: list[asyncio.Event] = []
        self.started = asyncio.Condition()

    carried = D(0)

    def lot(self) -> D:
        return D(1)

    async def venue_position(self) -> D:
        return D(0)

    def best_bid_ask(self):
        return D("34.9"), D("35.1")

    async def hedge(self, size: D) -> HedgeResult:
        gate = asyncio.Event()
        self.calls.append(size)
        self.gates.append(gate)
        async with self.started:
            self.started.notify_all()
        await gate.wait()
        return HedgeResult(size, size, D("35"), D("0.01"), D(0), 1, 0.0, 0.0)


def manager(hedge: GatedHedge, tmp_path) -> OrderManager:
    s = settings.load("AVAX", ["orderFillCooldown=0"])
    tracker, ledger = OrderTracker("AVAX", s.order_expiry), FillLedger(s.spec.hubble_id, D(0))
    perf = Performance("AVAX", ledger, tracker, tmp_path)
    return OrderManager(s, SimpleNamespace(trader="0x" + "11" * 20), hedge, None, None, ledger, tracker, perf,
                        lambda message, status=1: None)


def fill(om: OrderManager, order_id: str, size: D, qty: str) -> None:
    if om.tracker.get(order_id) is None:
        om.tracker.add(TrackedOrder(order_id, "hubble", "AVAX", 1 if size > 0 else -1, abs(size), D(35), 2.0**40))
    om.fills.on_order_matched(SimpleNamespace(OrderId=order_id, Removed=False, TransactionHash="0x" + order_id[2:] * 2,
                                        BlockNumber=1, Args={"fillAmount": qty, "price": "35"}), 0.0)


async def wait_calls(hedge: GatedHedge, count: int) -> None:
    async with hedge.started:
        await asyncio.wait_for(hedge.started.wait_for(lambda: len(hedge.calls) >= count), 5)


async def test_fill_during_an_inflight_hedge_is_sent_without_waiting(tmp_path):
    hedge = GatedHedge()
    om = manager(hedge, tmp_path)
    fill(om, "0xa1", D(3), "3")               # our bid filled: hedge sells 3
    await wait_calls(hedge, 1)
    fill(om, "0xa2", D(-4), "4")              # our ask filled while the first hedge is in flight
    await wait_calls(hedge, 2)                # sent before the first answer
    assert hedge.calls == [D(-3), D(4)]
    assert not om.hedger.idle.is_set()
    for gate in hedge.gates:
        gate.set()
    await asyncio.wait_for(om.hedger.idle.wait(), 5)
    assert om.hedger.pending == 0 and om.ledger.hedge.count == 2 and om.ledger.hedge.delta == D(1)


async def test_fills_of_one_loop_iteration_are_netted_into_one_hedge(tmp_path):
    hedge = GatedHedge()
    om = manager(hedge, tmp_path)
    fill(om, "0xb1", D(3), "3")
    fill(om, "0xb2", D(4), "4")
    fill(om, "0xb3", D(4), "4")
    fill(om, "0xb3", D(4), "4")               # a duplicate event is ignored
    await wait_calls(hedge, 1)
    hedge.gates[0].set()
    await asyncio.wait_for(om.hedger.idle.wait(), 5)
    assert hedge.calls == [D(-11)]
    assert len(om.perf.latencies.samples["fill_to_hedge_sent"]) == 3


async def test_a_netting_window_sends_fills_of_several_loop_iterations_as_one_order(tmp_path):
    hedge = GatedHedge()
    om = manager(hedge, tmp_path)
    om.hedger.netting_window = 0.2
    fill(om, "0xc1", D(3), "3")
    await asyncio.sleep(0)                    # the next fills come in later loop iterations, inside the window
    fill(om, "0xc2", D(-1), "1")
    await asyncio.sleep(0)
    fill(om, "0xc3", D(4), "4")
    await wait_calls(hedge, 1)
    hedge.gates[0].set()
    await asyncio.wait_for(om.hedger.idle.wait(), 5)
    assert hedge.calls == [D(-6)]


async def test_hedges_net_longer_while_requests_use_most_of_the_venue_budget(tmp_path):
    """At 0.9 of this process's request share, fills of several loop iterations are netted (no window set)."""
    hedge = GatedHedge()
    hedge.budget = SimpleNamespace(pressure=lambda: 0.9)
    om = manager(hedge, tmp_path)
    assert om.hedger.netting_window == 0
    fill(om, "0xd1", D(3), "3")
    await asyncio.sleep(0.01)                 # a fill of a later loop iteration, inside the longer window
    fill(om, "0xd2", D(4), "4")
    await wait_calls(hedge, 1)
    hedge.gates[0].set()
    await asyncio.wait_for(om.hedger.idle.wait(), 5)
    assert hedge.calls == [D(-7)]
    hedge.budget = SimpleNamespace(pressure=lambda: 0.1)      # the load gone: at once again
    fill(om, "0xd3", D(3), "3")
    await asyncio.sleep(0.01)
    fill(om, "0xd4", D(4), "4")
    await wait_calls(hedge, 3)
    assert hedge.calls[1:] == [D(-3), D(-4)]
