"""Exchange state of the simulated node: order books, price-time matching, accounts.

All money is integer: prices 1e6-scaled, sizes 1e18-scaled, margin and
notional 1e6-scaled (USDC), like the real node. The engine knows nothing about
transactions or sockets: every state change is appended to ``self.events``,
which the chain layer drains into logs, receipts and websocket feeds.
"""
from __future__ import annotations

import bisect
import heapq
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from tools.simnet.hubble import constants as C

ONE = C.SIZE_SCALE


def mul_div(a: int, b: int, d: int) -> int:
    """a * b / d truncated toward zero (Solidity-style integer division)."""
    q = abs(a * b) // d
    return q if (a * b) >= 0 else -q


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
    expire_at: int = 0       # unix seconds, 0 = never
    block: int = 0
    timestamp: int = 0
    update_block: int = 0
    filled: int = 0          # absolute filled size, 1e18
    status: int = C.STATUS_PLACED
    reserved: int = 0        # margin still reserved for the unfilled part, 1e6
    seq: int = 0
    in_book: bool = False

    @property
    def remaining(self) -> int:
        return abs(self.qty) - self.filled

    @property
    def is_long(self) -> bool:
        return self.qty > 0


@dataclass(slots=True)
class Position:
    size: int = 0             # signed 1e18
    open_notional: int = 0    # 1e6, always >= 0


@dataclass
class Account:
    margin: int               # 1e6, realized PnL and fees included
    reserved: int = 0         # 1e6
    positions: dict[int, Position] = field(default_factory=dict)
    realized_pnl: int = 0
    fees_paid: int = 0


# ---- events drained by the chain -------------------------------------------
@dataclass(slots=True)
class Accepted:
    order: Order


@dataclass(slots=True)
class Rejected:
    order: Order
    err: str


@dataclass(slots=True)
class Matched:
    order: Order | None       # None for the synthetic taker side
    trader: str
    fill: int                 # absolute, 1e18
    price: int
    open_interest: int        # market open interest after the fill, 1e18
    timestamp: int


@dataclass(slots=True)
class PositionModified:
    trader: str
    market: int
    base: int                 # signed fill, 1e18
    price: int
    realized_pnl: int         # 1e6
    size: int
    open_notional: int
    fee: int                  # 1e6 (negative = rebate)
    mode: int                 # 0 taker, 1 maker
    timestamp: int


@dataclass(slots=True)
class CancelAccepted:
    order: Order
    auto: bool = False


@dataclass(slots=True)
class CancelRejected:
    order_id: str
    trader: str
    kind: str
    err: str


class Side:
    """One side of one market: price levels with FIFO queues."""

    def __init__(self, is_bid: bool):
        self.is_bid = is_bid
        self.levels: dict[int, deque[Order]] = {}
        self.prices: list[int] = []   # ascending

    def best(self) -> int:
        if not self.prices:
            return 0
        return self.prices[-1] if self.is_bid else self.prices[0]

    def add(self, order: Order) -> None:
        level = self.levels.get(order.price)
        if level is None:
            level = self.levels[order.price] = deque()
            bisect.insort(self.prices, order.price)
        level.append(order)
        order.in_book = True

    def remove(self, order: Order) -> None:
        level = self.levels.get(order.price)
        order.in_book = False
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

    def iter_best(self):
        """Yield the best level's queue repeatedly (caller consumes it)."""
        while self.prices:
            price = self.prices[-1] if self.is_bid else self.prices[0]
            level = self.levels[price]
            if not level:
                self._drop_level(price)
                continue
            yield price, level

    def depth(self) -> dict[int, int]:
        return {p: sum(o.remaining for o in q) for p, q in self.levels.items() if q}


class Book:
    def __init__(self, market: int):
        self.market = market
        self.bids = Side(True)
        self.asks = Side(False)


@dataclass
class EngineParams:
    initial_margin: int                 # 1e6
    maker_fee_ppm: int = 0              # fee per 1e6 of notional (1 bps = 100)
    taker_fee_ppm: int = 500
    min_allowable_margin: int = 200_000   # 0.2 (1e6-scaled): 5x leverage
    maintenance_margin: int = 100_000
    unlimited: frozenset[str] = frozenset({C.BACKGROUND_MAKER, C.BACKGROUND_TAKER})


class Engine:
    def __init__(self, params: EngineParams, clock: Callable[[], float] = time.time):
        self.params = params
        self.clock = clock
        self.books = {m.market_id: Book(m.market_id) for m in C.MARKETS}
        self.orders: dict[str, Order] = {}
        self.accounts: dict[str, Account] = {}
        self.index_prices: dict[int, int] = {m.market_id: int(m.start_price * C.PRICE_SCALE) for m in C.MARKETS}
        self.open_interest: dict[int, int] = {m.market_id: 0 for m in C.MARKETS}
        self.events: list = []
        self.block = 0
        self._seq = 0
        self._expiries: list[tuple[int, int, str]] = []

    # ---- accounts -------------------------------------------------------
    def account(self, trader: str) -> Account:
        acct = self.accounts.get(trader)
        if acct is None:
            acct = self.accounts[trader] = Account(margin=self.params.initial_margin)
        return acct

    def mid_price(self, market: int) -> int:
        book = self.books[market]
        bid, ask = book.bids.best(), book.asks.best()
        if bid and ask:
            return (bid + ask) // 2
        return self.index_prices[market]

    def unrealized_pnl(self, pos: Position, price: int) -> int:
        notional = mul_div(abs(pos.size), price, ONE)
        return notional - pos.open_notional if pos.size > 0 else pos.open_notional - notional

    def available_margin(self, acct: Account) -> int:
        """margin + uPnL - notional * minAllowableMargin - reserved, as hubbleutils.GetAvailableMargin.

        In Min_Allowable_Margin mode each position is valued at whichever of
        the mid and the oracle (index) price gives the lower PnL.
        """
        upnl, notional = 0, 0
        for market, pos in acct.positions.items():
            if pos.size:
                pnl, price = min((self.unrealized_pnl(pos, p), p)
                                 for p in (self.mid_price(market), self.index_prices[market]))
                upnl += pnl
                notional += mul_div(abs(pos.size), price, ONE)
        used = mul_div(notional, self.params.min_allowable_margin, C.PRICE_SCALE)
        return acct.margin + upnl - used - acct.reserved

    def required_margin(self, price: int, size: int) -> int:
        notional = mul_div(price, abs(size), ONE)
        return mul_div(notional, self.params.min_allowable_margin, C.PRICE_SCALE)

    # ---- order entry ------------------------------------------------------
    def crosses(self, market: int, is_long: bool, price: int) -> bool:
        book = self.books[market]
        if is_long:
            head = book.asks.best()
            return head != 0 and price >= head
        head = book.bids.best()
        return head != 0 and price <= head

    def new_order(self, order: Order) -> Order:
        self._seq += 1
        order.seq = self._seq
        order.block = order.update_block = self.block
        order.timestamp = int(self.clock())
        self.orders[order.id] = order
        return order

    def rest(self, order: Order, reserve: int = 0) -> None:
        """Put an accepted order on the book, reserving margin for it."""
        book = self.books[order.market]
        (book.bids if order.is_long else book.asks).add(order)
        if reserve:
            order.reserved = reserve
            self.account(order.trader).reserved += reserve
        if order.expire_at:
            heapq.heappush(self._expiries, (order.expire_at, order.seq, order.id))

    def take(self, market: int, is_long: bool, size: int, limit_price: int | None,
             trader: str, taker_order: Order | None = None) -> int:
        """Match `size` against the opposite side (price-time); returns the filled size."""
        book = self.books[market]
        side = book.asks if is_long else book.bids
        left = size
        now = int(self.clock())
        for price, level in side.iter_best():
            if left <= 0:
                break
            if limit_price is not None and (price > limit_price if is_long else price < limit_price):
                break
            while level and left > 0:
                maker = level[0]
                if maker.expire_at and maker.expire_at < now:
                    self._finish(maker, C.STATUS_CANCELLED, side)
                    continue
                qty = min(left, maker.remaining)
                self._fill(maker, taker_order, trader, qty, price, now)
                left -= qty
                if maker.remaining == 0:
                    level.popleft()
                    maker.in_book = False
        return size - left

    def fill_resting(self, maker: Order, qty: int, taker_trader: str) -> None:
        """A taker hits this particular resting order now, out of priority (race faults)."""
        now = int(self.clock())
        qty = min(qty, maker.remaining)
        if qty <= 0 or not maker.in_book:
            return
        self._fill(maker, None, taker_trader, qty, maker.price, now)
        if maker.remaining == 0:
            book = self.books[maker.market]
            (book.bids if maker.is_long else book.asks).remove(maker)

    def _fill(self, maker: Order, taker: Order | None, taker_trader: str, qty: int, price: int, now: int) -> None:
        market = maker.market
        maker_sign = 1 if maker.is_long else -1
        self._record_fill(maker, qty)
        if taker is not None:
            self._record_fill(taker, qty)
        maker_mod = self._apply_position(maker.trader, market, maker_sign * qty, price, 1, now)
        taker_mod = self._apply_position(taker_trader, market, -maker_sign * qty, price, 0, now)
        oi = self.open_interest[market]
        self.events.append(Matched(maker, maker.trader, qty, price, oi, now))
        self.events.append(Matched(taker, taker_trader, qty, price, oi, now))
        self.events.append(maker_mod)
        self.events.append(taker_mod)

    def _record_fill(self, order: Order, qty: int) -> None:
        order.filled += qty
        order.update_block = self.block
        if order.reserved:
            release = order.reserved if order.remaining == 0 else mul_div(order.reserved, qty, order.remaining + qty)
            order.reserved -= release
            self.account(order.trader).reserved -= release
        if order.remaining == 0:
            order.status = C.STATUS_FILLED

    def _apply_position(self, trader: str, market: int, base: int, price: int, mode: int, now: int) -> PositionModified:
        acct = self.account(trader)
        pos = acct.positions.setdefault(market, Position())
        notional = mul_div(abs(base), price, ONE)
        realized = 0
        old_size = pos.size
        if pos.size == 0 or (pos.size > 0) == (base > 0):
            pos.size += base
            pos.open_notional += notional
        else:
            closing = min(abs(base), abs(pos.size))
            closed_notional = mul_div(pos.open_notional, closing, abs(pos.size))
            exit_notional = mul_div(closing, price, ONE)
            realized = exit_notional - closed_notional if pos.size > 0 else closed_notional - exit_notional
            pos.open_notional -= closed_notional
            pos.size += base
            if abs(base) > closing:   # flipped: the rest opens a new position
                pos.open_notional = mul_div(abs(base) - closing, price, ONE)
            if pos.size == 0:
                pos.open_notional = 0
        fee_ppm = self.params.maker_fee_ppm if mode == 1 else self.params.taker_fee_ppm
        fee = mul_div(notional, fee_ppm, C.PRICE_SCALE)
        acct.margin += realized - fee
        acct.realized_pnl += realized
        acct.fees_paid += fee
        self.open_interest[market] += max(pos.size, 0) - max(old_size, 0)
        return PositionModified(trader, market, base, price, realized, pos.size, pos.open_notional, fee, mode, now)

    # ---- cancel / expiry --------------------------------------------------
    def cancel(self, order: Order) -> str | None:
        """Cancel a resting order; returns the node's error text if it cannot be."""
        if order.status == C.STATUS_FILLED:
            return "filled order"
        if order.status == C.STATUS_CANCELLED:
            return "cancelled order"
        if order.status != C.STATUS_PLACED:
            return "invalid order"
        book = self.books[order.market]
        self._finish(order, C.STATUS_CANCELLED, book.bids if order.is_long else book.asks)
        self.events.append(CancelAccepted(order))
        return None

    def _finish(self, order: Order, status: int, side: Side) -> None:
        side.remove(order)
        order.status = status
        order.update_block = self.block
        if order.reserved:
            self.account(order.trader).reserved -= order.reserved
            order.reserved = 0

    def expire(self, now: int) -> list[Order]:
        """Remove orders whose expiry passed; they leave the book silently (as on the node)."""
        gone = []
        while self._expiries and self._expiries[0][0] < now:
            _, _, order_id = heapq.heappop(self._expiries)
            order = self.orders.get(order_id)
            if order is not None and order.status == C.STATUS_PLACED:
                book = self.books[order.market]
                self._finish(order, C.STATUS_CANCELLED, book.bids if order.is_long else book.asks)
                # the contract never saw an untraded expired order; a traded one stays as it was
                order.status = C.STATUS_PLACED if order.filled else C.STATUS_INVALID
                gone.append(order)
        return gone

    def drain(self) -> list:
        events, self.events = self.events, []
        return events
