"""The order tracker: every order this bot sends, its state and the evidence for that state.

Quotes (signed Hubble orders) and hedge orders are recorded before they are
sent, so a fill or an answer that beats the send reply still finds its order.
A state changes only on evidence: the venue's answer, a fill, the node's
``OrderExpired`` event, a confirmed cancel, or the order's provable death
(its expiry has passed, so no venue can still match it). An order whose
outcome is unknown stays UNKNOWN until one of those arrives; a single "not
found" is never taken as proof that an order did not execute.

The store is a cachetools TTL cache (the design card's order-data cache): an
order is kept well past its expiry, for late fills and reorgs.
"""
from __future__ import annotations

import enum
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable

from cachetools import TTLCache

log = logging.getLogger("tracker")
ZERO = Decimal(0)
RETENTION_AFTER_EXPIRY = 600.0      # seconds an order stays findable after it can no longer match


class OrderState(enum.Enum):
    SIGNED = "signed"                 # built and signed, not yet written to the venue
    SENT = "sent"                     # written; no answer yet
    OPEN = "open"                     # the venue accepted it and it can match
    PARTIALLY_FILLED = "partially filled"
    FILLED = "filled"
    EXPIRED = "expired"               # past its expiry (or the node said so): can no longer match
    CANCELLED = "cancelled"
    REJECTED = "rejected"             # the venue refused it: it never rested
    UNKNOWN = "unknown"               # sent, outcome not known (timeout, lost answer)


DONE = frozenset({OrderState.FILLED, OrderState.EXPIRED, OrderState.CANCELLED, OrderState.REJECTED})


@dataclass(eq=False)
class TrackedOrder:
    order_id: str                     # Hubble order hash, a maker quote's or a hedge order's client id
    venue: str                        # "hubble", "hyperliquid", "binance"
    market: str                       # the bot's market symbol ("AVAX")
    side: int                         # +1 buys, -1 sells (on that venue)
    size: Decimal                     # unsigned base units
    price: Decimal
    expire_at: float | None           # unix seconds after which the order cannot match; None: no known bound
    level: int | None = None          # quote level, for quotes
    signed: Any = None                # the SignedHubbleOrder of a quote (needed to cancel it)
    state: OrderState = OrderState.SIGNED
    filled: Decimal = ZERO
    evidence: str = "signed here"
    updated_at: float = field(default_factory=time.time)

    @property
    def unfilled(self) -> Decimal:
        return self.size - self.filled

    def can_match(self, now: float) -> bool:
        """Could this order still trade? (not done, not past expiry, something left)."""
        if self.state in DONE or self.unfilled <= 0:
            return False
        return self.expire_at is None or self.expire_at > now


class OrderTracker:
    def __init__(self, market: str, order_lifetime: float):
        self.market = market
        ttl = order_lifetime + RETENTION_AFTER_EXPIRY
        self._orders: TTLCache = TTLCache(maxsize=200_000, ttl=ttl)
        self._quotes: deque[TrackedOrder] = deque()   # quotes that may still match, in placement order
        self.quote_counts = {"attempted": 0, "placed": 0, "failed": 0}
        self.quote_venue = "hubble"         # the maker venue: its orders are the quotes (set by OrderManager)

    # ---- recording ---------------------------------------------------------------------------
    def add(self, order: TrackedOrder) -> TrackedOrder:
        self._orders[order.order_id] = order
        if order.venue == self.quote_venue:
            self._quotes.append(order)
        return order

    def add_quote(self, signed: Any, level: int) -> TrackedOrder:
        return self.add(TrackedOrder(signed.order_id, self.quote_venue, self.market, signed.side, abs(signed.size),
                                     signed.price, float(signed.expire_at), level, signed))

    def get(self, order_id: str) -> TrackedOrder | None:
        return self._orders.get(order_id)

    def mark(self, order_id: str, state: OrderState, evidence: str) -> TrackedOrder | None:
        """Move an order to `state` because of `evidence`; a finished order keeps its final state
        (a late answer cannot reopen it), except that a fill always counts."""
        order = self._orders.get(order_id)
        if order is None:
            return None
        if order.state in DONE and state is not OrderState.FILLED:
            return order
        if order.state is not state:
            log.debug("order %s %s -> %s (%s)", order_id[:12], order.state.value, state.value, evidence)
        order.state, order.evidence, order.updated_at = state, evidence, time.time()
        return order

    def on_fill(self, order_id: str, qty: Decimal, evidence: str) -> TrackedOrder | None:
        """A fill of signed size `qty` on the order (negative when a reorg took one back)."""
        order = self._orders.get(order_id)
        if order is None:
            return None
        order.filled += qty
        if order.filled >= order.size:
            return self.mark(order_id, OrderState.FILLED, evidence)
        state = OrderState.PARTIALLY_FILLED if order.filled > 0 else OrderState.OPEN
        if order.state in DONE and order.state is not OrderState.FILLED:
            return order
        order.state, order.evidence, order.updated_at = state, evidence, time.time()
        return order

    def on_quotes_answer(self, orders: Iterable[Any], results: list[dict]) -> int:
        """The node's answer to a batch of quotes; returns how many it accepted."""
        placed = 0
        for signed, result in zip(orders, results):
            if result.get("success"):
                placed += 1
                self.mark(signed.order_id, OrderState.OPEN, "accepted by the node")
            else:
                self.mark(signed.order_id, OrderState.REJECTED, f"refused by the node: {result.get('error')}")
                log.info("quote %s %s @ %s rejected: %s", signed.size, signed.order_id[:10], signed.price,
                         result.get("error"))
        self.count_quotes(len(results), placed)
        return placed

    def count_quotes(self, attempted: int, placed: int) -> None:
        self.quote_counts["attempted"] += attempted
        self.quote_counts["placed"] += placed
        self.quote_counts["failed"] += attempted - placed

    # ---- reading ---------------------------------------------------------------------------
    def live_quotes(self, now: float | None = None) -> list[TrackedOrder]:
        """Quotes that may still match now, oldest first.

        Reads only the quotes of the last order lifetime, not the whole store,
        so the cost of a quote tick does not grow with uptime. A quote whose
        expiry has passed is marked EXPIRED here: no venue can match it any more.
        """
        now = time.time() if now is None else now
        quotes = self._quotes
        while quotes and (quotes[0].expire_at or 0) <= now:   # quotes expire in the order they were placed
            order = quotes.popleft()
            if order.state not in DONE:
                self.mark(order.order_id, OrderState.EXPIRED, "its expiry has passed")
        return [q for q in quotes if q.can_match(now)]

    def resting(self, side: int, now: float | None = None) -> Decimal:
        """Unfilled size of our quotes on `side` that may still match (unsigned)."""
        return sum((q.unfilled for q in self.live_quotes(now) if q.side == side), ZERO)

    def unknown_orders(self) -> list[TrackedOrder]:
        return [o for o in list(self._orders.values()) if o.state is OrderState.UNKNOWN]
