"""A fill that lands while a hedge is in flight is hedged at once, and every fill is hedged exactly once."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal as D
from types import SimpleNamespace

from bot import settings
from bot.venues.hedge_base import HedgeResult
from bot.trading.order_manager import CachedQuote, OrderManager
from bot.reporting.performance import Performance


@dataclass
class FakeOrder:
    size: D
    expire_at: int = 2**40

    @property
    def side(self) -> int:
        return 1 if self.size > 0 else -1


class GatedHedge:
    """Records each hedge call; a call completes only when the test releases it."""
    venue = "fake"

    def __init__(self):
        self.calls: list[D] = []
        self.gates: list[asyncio.Event] = []
        self.started = asyncio.Condition()

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


def manager(hedge: GatedHedge, perf: Performance) -> OrderManager:
    s = settings.load("AVAX", ["orderFillCooldown=0"])
    return OrderManager(s, None, hedge, None, None, perf, lambda message: None)


def fill(om: OrderManager, order_id: str, size: D, qty: str) -> None:
    om.order_cache.setdefault(order_id, CachedQuote(FakeOrder(size), 1))
    om.on_order_matched(SimpleNamespace(OrderId=order_id, Removed=False, TransactionHash="0x" + order_id[2:] * 2,
                                        BlockNumber=1, Args={"fillAmount": qty, "price": "35"}), 0.0)


async def wait_calls(hedge: GatedHedge, count: int) -> None:
    async with hedge.started:
        await asyncio.wait_for(hedge.started.wait_for(lambda: len(hedge.calls) >= count), 5)


async def test_fill_during_an_inflight_hedge_is_sent_without_waiting(tmp_path):
    hedge, perf = GatedHedge(), Performance("AVAX", D(0), tmp_path)
    om = manager(hedge, perf)
    fill(om, "0xa1", D(3), "3")               # our bid filled: hedge sells 3
    await wait_calls(hedge, 1)
    fill(om, "0xa2", D(-4), "4")              # our ask filled while the first hedge is in flight
    await wait_calls(hedge, 2)                # sent before the first answer
    assert hedge.calls == [D(-3), D(4)]
    assert not om.hedge_idle.is_set()
    for gate in hedge.gates:
        gate.set()
    await asyncio.wait_for(om.hedge_idle.wait(), 5)
    assert om.pending_hedge == 0 and perf.hedges == 2 and perf.hedge_delta == D(1)


async def test_fills_of_one_loop_iteration_are_netted_into_one_hedge(tmp_path):
    hedge, perf = GatedHedge(), Performance("AVAX", D(0), tmp_path)
    om = manager(hedge, perf)
    fill(om, "0xb1", D(3), "3")
    fill(om, "0xb2", D(4), "4")
    fill(om, "0xb3", D(4), "4")
    fill(om, "0xb3", D(4), "4")               # a duplicate event is ignored
    await wait_calls(hedge, 1)
    hedge.gates[0].set()
    await asyncio.wait_for(om.hedge_idle.wait(), 5)
    assert hedge.calls == [D(-11)]
    assert len(perf.latencies["fill_to_hedge_sent"]) == 3
