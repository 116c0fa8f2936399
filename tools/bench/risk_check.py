"""The pre-trade check's cost per order: RiskEngine.check_quotes over one tick's quotes, in this process.

The engine runs it on every quote tick before signing (bot/risk); the target is under 50 us per order.
The figures it reads are the engine's own types: a Hubble account, tracked resting quotes, the limits
of config.py's AVAX.
"""
from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

TARGET_US = 50.0


class _Mid:
    """A mid-price feed that stays at one mid."""
    def __init__(self, mid: Decimal):
        self.mid = mid


class _Positions:
    """The Hubble side as OrderManager shows it to the risk engine."""
    def __init__(self, position: Decimal):
        self.account = None
        self._position = position

    def hubble_position_now(self) -> Decimal:
        return self._position

    def hedging(self) -> bool:
        return False

    async def cancel_side(self, side: int) -> None:
        return None


def per_order_us(ticks: int = 2000, levels: int = 3) -> float:
    """Mean microseconds per order of check_quotes, over `ticks` ticks of 2 x `levels` quotes each."""
    from bot import settings
    from bot.maths.quoting import ASK, BID, Quote
    from bot.reporting.alerts import NO_ALERTS
    from bot.risk.record import RiskStore
    from bot.risk.risk_engine import RiskEngine
    from bot.tracking.orders import TrackedOrder

    s = settings.load("AVAX", ["maxOrderRate=100000"])

    store = RiskStore(Path("/nonexistent/risk.json"), "0x0")   # nothing tripped; the check never writes it
    risk = RiskEngine(settings=s, maker=None, hedge=None, positions=_Positions(Decimal(6)),
                      mid_feed=_Mid(Decimal("35")), unwinder=None, store=store, alerts=NO_ALERTS,
                      on_halt=lambda reason: None)
    mid = Decimal("35.012")
    quotes = [Quote(side, n, mid * (1 - side * Decimal("0.001") * n), Decimal(3))
              for n in range(1, levels + 1) for side in (BID, ASK)]
    live = [TrackedOrder(f"0x{i:064x}", "hubble", "AVAX", q.side, q.qty, q.price, time.time() + 2, q.level)
            for i, q in enumerate(quotes)]
    risk.check_quotes(quotes, live, mid)              # warm
    started = time.perf_counter()
    for _ in range(ticks):
        risk.check_quotes(quotes, live, mid)
    return (time.perf_counter() - started) / (ticks * len(quotes)) * 1e6


if __name__ == "__main__":
    print(f"pre-trade check: {per_order_us():.1f} us per order (target < {TARGET_US:.0f} us)")
