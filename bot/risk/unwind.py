"""Closing both legs: a reduce-only Hubble IOC order, whose fill the hedger hedges back like any other.

One owner per unit of exposure: the unwind only ever sends the Hubble leg.
Its fill arrives on the trader stream under the IOC's order id (tracked
here so the fill intake knows its side), is booked in the fill ledger and
handed to the hedger, which closes the same size on the hedge venue. So the
two legs shrink together and nothing here trades the hedge venue directly.
"""
from __future__ import annotations

import logging
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from bot.tracking.orders import OrderState, OrderTracker, TrackedOrder
from bot.venues.maker_venue import display_name

log = logging.getLogger("risk")
IOC_SLIPPAGE = Decimal("0.01")      # an unwind's limit: 1 % through the mid (it must close, not haggle)


class Unwinder:
    def __init__(self, hubble, tracker: OrderTracker, market: int, symbol: str, min_size: Decimal,
                 price_tick: Decimal):
        self.hubble = hubble
        self.tracker = tracker
        self.market = market
        self.symbol = symbol
        self.min_size = min_size
        self.price_tick = price_tick
        self.sent = 0                 # IOC orders sent

    async def step(self, position: Decimal, size: Decimal, mid: Decimal, why: str) -> bool:
        """Send one reduce-only IOC closing up to `size` of the Hubble `position`; True once it is mined."""
        qty = (min(size, abs(position)) / self.min_size).to_integral_value(ROUND_FLOOR) * self.min_size
        if qty <= 0 or mid <= 0:
            return False
        side = -1 if position > 0 else 1                       # a long position closes by selling
        limit = mid * (1 + side * IOC_SLIPPAGE)
        limit = (limit / self.price_tick).to_integral_value(ROUND_CEILING if side > 0 else ROUND_FLOOR) \
            * self.price_tick
        log.warning("unwinding %s %s of the %s position %s (IOC at %s, reduce-only; the hedge follows): %s",
                    "buying" if side > 0 else "selling", qty, display_name(getattr(self.hubble, "venue", "hubble")),
                    position, limit, why)
        order_id, tx_hash, expire_at = await self.hubble.place_ioc(self.market, side * qty, limit, reduce_only=True)
        self.tracker.add(TrackedOrder(order_id, "hubble-ioc", self.symbol, side, qty, limit, float(expire_at)))
        self.sent += 1
        receipt = await self.hubble.ioc_receipt(tx_hash)
        if receipt is None:
            log.error("unwind IOC %s not mined in time: the next risk check tries again", tx_hash)
            return False
        if str(receipt.get("status", "0x1")) in ("0x0", "0"):
            self.tracker.mark(order_id, OrderState.REJECTED, "the IOC transaction reverted")
            log.error("unwind IOC %s reverted on chain: the next risk check tries again", tx_hash)
            return False
        return True
