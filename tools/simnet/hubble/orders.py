"""Orders and the order book of one market side, as the node's memory database holds them.

Sources (hubblenet plugin/evm/orderbook):
- memory_database.go Order / GetUnFilledBaseAssetQuantity: sizes are signed (shorts negative),
  so aggregated depth of the short side is negative.
- memory_database.go getCleanOrder: an order is shown and matched only while its status is
  Placed and (expireAt == 0 or expireAt > now).
- trading_apis.go PlaceOrder: a signed order enters the book with BlockNumber 0.
- matching_pipeline.go areMatchingOrders: "resting order semantics" (the older order is the
  maker; an IOC order never rests as a maker, a post-only order never takes).
"""
from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterator

from tools.simnet.hubble import constants as C


@dataclass(slots=True, eq=False)
class Order:
    id: str                  # 0x-prefixed lowercase hex
    market: int
    trader: str              # checksum address
    qty: int                 # signed, 1e18 (positive = long)
    price: int               # 1e6
    salt: int
    reduce_only: bool
    post_only: bool
    kind: str                # "limit" | "signed" | "ioc"
    expire_at: int = 0       # unix seconds, 0 = never (limit orders)
    block: int = 0           # block the order was placed in (signed orders: 0, as PlaceOrder sets it)
    timestamp: int = 0
    update_block: int = 0    # block of the last lifecycle change
    filled: int = 0          # absolute filled size, 1e18
    status: int = C.STATUS_PLACED   # contract status (orderStatus view)
    reserved: int = 0        # on-chain reserved margin still held (limit orders), 1e6
    seq: int = 0
    in_book: bool = False
    removed: bool = False    # deleted from the node's memory database
    placed_at: float = 0.0   # wall-clock seconds the order entered the memdb (simulator-only, for observers)

    @property
    def remaining(self) -> int:
        return abs(self.qty) - self.filled

    @property
    def is_long(self) -> bool:
        return self.qty > 0

    @property
    def unfilled_signed(self) -> int:
        """GetUnFilledBaseAssetQuantity: BaseAssetQuantity - FilledBaseAssetQuantity (signed)."""
        return self.remaining if self.is_long else -self.remaining

    def live(self, now: int) -> bool:
        """getCleanOrder: Placed and not expired (expireAt <= now is expired)."""
        return self.status == C.STATUS_PLACED and not (self.expire_at and self.expire_at <= now)


def can_pair(maker: Order, taker: Order) -> bool:
    """areMatchingOrders' resting-order semantics, by block of placement."""
    long, short = (maker, taker) if maker.is_long else (taker, maker)
    if long.block < short.block and (long.kind == "ioc" or short.post_only):
        return False
    if long.block > short.block and (short.kind == "ioc" or long.post_only):
        return False
    return True


class Side:
    """One side of one market: price levels with FIFO queues."""

    def __init__(self, is_bid: bool):
        self.is_bid = is_bid
        self.levels: dict[int, deque[Order]] = {}
        self.prices: list[int] = []   # ascending

    def add(self, order: Order) -> None:
        level = self.levels.get(order.price)
        if level is None:
            level = self.levels[order.price] = deque()
            bisect.insort(self.prices, order.price)
        level.append(order)
        order.in_book = True

    def remove(self, order: Order) -> None:
        order.in_book = False
        level = self.levels.get(order.price)
        if level is None:
            return
        try:
            level.remove(order)
        except ValueError:
            return
        if not level:
            self._drop_level(order.price)

    def _drop_level(self, price: int) -> None:
        del self.levels[price]
        i = bisect.bisect_left(self.prices, price)
        if i < len(self.prices) and self.prices[i] == price:
            del self.prices[i]

    def best_first(self) -> Iterator[int]:
        """Prices from the best outwards (a snapshot: safe while orders leave the book)."""
        return iter(reversed(self.prices[:])) if self.is_bid else iter(self.prices[:])

    def head(self, accept: Callable[[Order], bool]) -> int:
        """Price of the best order that `accept` admits; 0 if none."""
        for price in self.best_first():
            if any(accept(o) for o in self.levels.get(price, ())):
                return price
        return 0

    def depth(self, now: int) -> dict[int, int]:
        """aggregateOrdersByPrice over clean orders: price -> summed signed unfilled size."""
        out: dict[int, int] = {}
        for price, queue in self.levels.items():
            sizes = [o.unfilled_signed for o in queue if o.live(now)]
            if sizes:
                out[price] = sum(sizes)
        return out


class Book:
    def __init__(self, market: int):
        self.market = market
        self.bids = Side(True)
        self.asks = Side(False)

    def side_of(self, order: Order) -> Side:
        return self.bids if order.is_long else self.asks
