"""Contract state of the simulated chain: order books, matching, positions, margin, funding.

All money is integer: prices 1e6-scaled, sizes 1e18-scaled, margin and
notional 1e6-scaled (USDC), like the real node. The engine knows nothing about
transactions, blocks or sockets: matching returns one ``Fill`` per matched
pair (the node sends one executeMatchedOrders transaction per pair,
tx_processor.go ExecuteMatchedOrdersTx) and every other state change is
appended to ``self.events``, which the block builder drains per transaction.
"""
from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from eth_utils import keccak

from tools.simnet.hubble import constants as C
from tools.simnet.hubble import events as E
from tools.simnet.hubble.orders import Book, Order, can_pair

ONE = C.SIZE_SCALE
MAX_INT64 = 2 ** 63 - 1     # hu.GetMarginFraction of a trader without positions (math.MaxInt64)
# ClearingHouse LIQUIDATION_FAILED = keccak256("LIQUIDATION_FAILED"): the orderHash of a LiquidationError
# raised by liquidateSingleAmm (hubble-protocol ClearingHouse.sol, test/OrderBook.js "Error Handling")
LIQUIDATION_FAILED = "0x" + keccak(b"LIQUIDATION_FAILED").hex()


def mul_div(a: int, b: int, d: int) -> int:
    """a * b / d truncated toward zero (Solidity-style integer division)."""
    q = abs(a * b) // d
    return q if (a * b) >= 0 else -q


def spread_bounds(oracle: int, spread: int, multiplier: int) -> tuple[int, int]:
    """bibliophile orderbook.go calculateBounds: (upper, lower) = oracle x (1 +- spread), RoundOff to the
    price multiplier (Go's Div floors); the lower bound is 0 unless spread < 1."""
    upper = oracle * (C.PRICE_SCALE + spread) // C.PRICE_SCALE // multiplier * multiplier
    lower = 0
    if spread < C.PRICE_SCALE:
        lower = oracle * (C.PRICE_SCALE - spread) // C.PRICE_SCALE // multiplier * multiplier
    return upper, lower


def market_symbol(market: int) -> str:
    """"AVAX" of "AVAX-Perp" (AMM.name()), the name the `liquidations` control action reports."""
    return C.MARKETS[market].name.split("-")[0]


def notional_of(size: int, price: int) -> int:
    """hubbleutils.GetNotionalPosition: |Div1e18(price * size)| (Go's Div floors)."""
    return abs((price * size) // ONE)


@dataclass(slots=True)
class Position:
    size: int = 0             # signed 1e18
    open_notional: int = 0    # 1e6, always >= 0
    last_cpf: int = 0         # lastPremiumFraction the position is settled to (1e6 price units)
    liq_threshold: int = 0    # AMM positions[trader].liquidationThreshold, 1e18 (set by openPosition only)


@dataclass
class Account:
    margin: int               # 1e6, realized PnL, fees and paid funding included
    reserved: int = 0         # on-chain reserved margin (limit orders), 1e6
    positions: dict[int, Position] = field(default_factory=dict)
    realized_pnl: int = 0
    fees_paid: int = 0
    funding_paid: int = 0
    exists: bool = True       # False: no margin account (the node answers "trader not found")


@dataclass(slots=True)
class Fill:
    maker: Order
    taker: Order
    qty: int
    price: int
    events: list


@dataclass
class EngineParams:
    initial_margin: int                      # 1e6
    maker_fee_ppm: int = 0                   # fee per 1e6 of notional (1 bps = 100)
    taker_fee_ppm: int = 500
    min_allowable_margin: int = 100_000      # 1e6-scaled; see venue.py for the source of the default
    maintenance_margin: int = 50_000
    max_liquidation_ratio: int = 250_000
    liquidation_penalty: int = 50_000        # ClearingHouse liquidationPenalty, 1e6 (see venue.py)
    max_liquidation_price_spread: int = 10_000   # AMM maxLiquidationPriceSpread, 1e6
    max_oracle_spread_ratio: int = 200_000   # AMM maxOracleSpreadRatio, 1e6
    unlimited: frozenset[str] = frozenset({C.BACKGROUND_MAKER, C.BACKGROUND_TAKER})


class Engine:
    def __init__(self, params: EngineParams, clock: Callable[[], float] = time.time):
        self.params = params
        self.clock = clock
        self.books = {m.market_id: Book(m.market_id) for m in C.MARKETS}
        self.orders: dict[str, Order] = {}
        self.accounts: dict[str, Account] = {}
        self.unfunded: set[str] = set()
        self.live_by_trader: dict[str, set[str]] = {}     # lowercase trader -> ids still in the memdb
        self.index_prices: dict[int, int] = {m.market_id: int(m.start_price * C.PRICE_SCALE) for m in C.MARKETS}
        self.open_interest: dict[int, int] = {m.market_id: 0 for m in C.MARKETS}
        self.cumulative: dict[int, int] = {m.market_id: 0 for m in C.MARKETS}   # cumulativePremiumFraction
        self.events: list = []
        self.touched: set[str] = set()       # traders whose margin/reserve changed in the current block
        self.finalized: list[Order] = []     # orders filled or cancelled in the current block
        self.liquidations: list[dict[str, Any]] = []   # every executed liquidation (`liquidations` action)
        self.block = 0
        self._seq = 0
        self._expiries: list[tuple[int, int, str]] = []
        self._iocs: set[str] = set()

    # ---- accounts -------------------------------------------------------
    def account(self, trader: str) -> Account:
        """The trader's margin account; created (auto-funded) on first sight unless marked unfunded."""
        acct = self.accounts.get(trader)
        if acct is None:
            if trader in self.unfunded:
                return Account(margin=0, exists=False)
            acct = self.accounts[trader] = Account(margin=self.params.initial_margin)
        return acct

    def fund(self, trader: str, amount: int) -> Account:
        if trader in self.unfunded:      # a first deposit opens the margin account
            self.unfunded.discard(trader)
            self.accounts[trader] = Account(margin=0)
        acct = self.account(trader)
        acct.margin += amount
        self.touched.add(trader)
        return acct

    def unfund(self, trader: str) -> None:
        self.unfunded.add(trader)
        self.accounts.pop(trader, None)

    def mid_price(self, market: int) -> int:
        book, now = self.books[market], int(self.clock())
        bid = book.bids.head(lambda o: o.live(now))
        ask = book.asks.head(lambda o: o.live(now))
        if bid and ask:
            return (bid + ask) // 2
        return self.index_prices[market]

    @staticmethod
    def unrealized_pnl(pos: Position, price: int) -> int:
        notional = notional_of(pos.size, price)
        return notional - pos.open_notional if pos.size > 0 else pos.open_notional - notional

    def pending_funding(self, acct: Account) -> int:
        """Funding owed by the trader (positive reduces margin), truncated like the contract."""
        return sum(mul_div(self.cumulative[m] - p.last_cpf, p.size, ONE) for m, p in acct.positions.items() if p.size)

    def available_margin(self, acct: Account) -> int:
        """On-chain available margin (bibliophile GetAvailableMargin, V1 rule of margin_math.go getOptimalPnl).

        margin - pending funding + uPnL - notional * minAllowableMargin - reserved, each
        position valued at whichever of the mid and the oracle price gives the lower PnL.
        """
        upnl = notional = 0
        for market, pos in acct.positions.items():
            if pos.size:
                pnl, price = min((self.unrealized_pnl(pos, p), p)
                                 for p in (self.mid_price(market), self.index_prices[market]))
                upnl += pnl
                notional += notional_of(pos.size, price)
        used = notional * self.params.min_allowable_margin // C.PRICE_SCALE
        return acct.margin - self.pending_funding(acct) + upnl - used - acct.reserved

    def required_margin(self, price: int, size: int, with_fee: bool = False) -> int:
        """hubbleutils.GetRequiredMargin; limit orders also reserve the taker fee (juror getRequiredMargin)."""
        quote = abs(size) * price // ONE
        fee = quote * self.params.taker_fee_ppm // C.PRICE_SCALE if with_fee else 0
        return quote * self.params.min_allowable_margin // C.PRICE_SCALE + fee

    # ---- order entry ------------------------------------------------------
    def new_order(self, order: Order) -> Order:
        self._seq += 1
        order.seq = self._seq
        order.update_block = self.block
        order.placed_at = self.clock()
        order.timestamp = int(order.placed_at)
        self.orders[order.id] = order
        self.live_by_trader.setdefault(order.trader.lower(), set()).add(order.id)
        if order.expire_at and order.kind == "signed":
            heapq.heappush(self._expiries, (order.expire_at, order.seq, order.id))
        if order.kind == "ioc":
            self._iocs.add(order.id)
        return order

    def hold(self, order: Order, reserve: int) -> None:
        """A limit order reserves margin when its transaction runs (MarginReserved)."""
        if reserve:
            order.reserved = reserve
            self.account(order.trader).reserved += reserve
            self.touched.add(order.trader)

    def rest(self, order: Order, reserve: int = 0) -> None:
        """Put an order on the book (optionally holding its reserved margin)."""
        self.hold(order, reserve)
        self.books[order.market].side_of(order).add(order)

    def crosses_onchain(self, market: int, is_long: bool, price: int) -> bool:
        """Post-only check of a limit order against the AMM's bidsHead/asksHead (bibliophile amm.go).

        Those heads are contract storage, written by on-chain (limit) orders only.
        """
        book = self.books[market]
        side = book.asks if is_long else book.bids
        head = side.head(lambda o: o.kind == "limit")
        return head != 0 and (price >= head if is_long else price <= head)

    def crosses_makerbook(self, market: int, is_long: bool, price: int) -> bool:
        """Post-only check of a signed order (GetOrderValidationFields: first non-IOC order of the memdb)."""
        book = self.books[market]
        side = book.asks if is_long else book.bids
        head = side.head(lambda o: o.kind != "ioc")
        return head != 0 and (price >= head if is_long else price <= head)

    def crossed_ioc(self, market: int, is_long: bool, price: int) -> bool:
        """ShouldTriggerMatching: a resting IOC order on the other side that this price meets."""
        now = int(self.clock())
        book = self.books[market]
        side = book.asks if is_long else book.bids
        head = side.head(lambda o: o.kind == "ioc" and o.live(now))
        return head != 0 and (head <= price if is_long else head >= price)

    # ---- matching ---------------------------------------------------------
    def take(self, taker: Order, size: int) -> list[Fill]:
        """Match `size` of an incoming order against resting orders (price-time, maker's price)."""
        if taker.post_only or size <= 0:
            return []
        side = self.books[taker.market].asks if taker.is_long else self.books[taker.market].bids
        now, left, fills = int(self.clock()), size, []
        for price in side.best_first():
            if left <= 0 or (price > taker.price if taker.is_long else price < taker.price):
                break
            for maker in list(side.levels.get(price, ())):
                if left <= 0:
                    break
                if maker.kind == "ioc" or not maker.live(now) or not can_pair(maker, taker):
                    continue
                qty = min(left, maker.remaining)
                if not self._affordable(taker, qty, price):
                    return fills
                fills.append(self._fill(maker, taker, qty, price, now))
                left -= qty
                if maker.remaining == 0:
                    side.remove(maker)
        return fills

    def match_resting_iocs(self) -> list[Fill]:
        """Resting IOC orders meet makers that arrived after them (signed orders carry block 0)."""
        fills: list[Fill] = []
        now = int(self.clock())
        for order_id in sorted(self._iocs, key=lambda i: self.orders[i].seq):
            order = self.orders[order_id]
            if order.in_book and order.live(now) and order.remaining:
                fills += self.take(order, order.remaining)
                if order.remaining == 0 and order.in_book:
                    self.books[order.market].side_of(order).remove(order)
        return fills

    def _affordable(self, taker: Order, qty: int, price: int) -> bool:
        """isExecutable: an IOC taker needs margin for the fill plus the taker fee."""
        if taker.kind != "ioc" or taker.reduce_only or taker.trader in self.params.unlimited:
            return True
        need = self.required_margin(price, qty, with_fee=True)
        return need <= self.available_margin(self.account(taker.trader))

    def fill_resting(self, maker: Order, qty: int, taker: Order) -> Fill | None:
        """A taker hits this particular resting order now, out of priority (race faults)."""
        qty = min(qty, maker.remaining)
        if qty <= 0 or not maker.in_book:
            return None
        fill = self._fill(maker, taker, qty, maker.price, int(self.clock()))
        if maker.remaining == 0:
            self.books[maker.market].side_of(maker).remove(maker)
        return fill

    def _fill(self, maker: Order, taker: Order, qty: int, price: int, now: int) -> Fill:
        market = maker.market
        self._record_fill(maker, qty)
        self._record_fill(taker, qty)
        maker_sign = 1 if maker.is_long else -1
        maker_events = self._apply_position(maker.trader, market, maker_sign * qty, price, 1, now)
        taker_events = self._apply_position(taker.trader, market, -maker_sign * qty, price, 0, now)
        oi = self.open_interest[market]
        long, short = (maker, taker) if maker.is_long else (taker, maker)
        matched = [E.Matched(long, qty, price, oi, now), E.Matched(short, qty, price, oi, now)]
        return Fill(maker, taker, qty, price, matched + maker_events + taker_events)

    def _record_fill(self, order: Order, qty: int) -> None:
        order.filled += qty
        order.update_block = self.block
        if order.reserved:
            release = order.reserved if order.remaining == 0 else mul_div(order.reserved, qty, order.remaining + qty)
            order.reserved -= release
            self.account(order.trader).reserved -= release
            self.touched.add(order.trader)
        if order.remaining == 0:
            order.status = C.STATUS_FILLED
            self.finalized.append(order)

    def _apply_position(self, trader: str, market: int, base: int, price: int, mode: int, now: int) -> list:
        acct = self.account(trader)
        self.touched.add(trader)
        pos = acct.positions.setdefault(market, Position())
        events: list = []
        cpf = self.cumulative[market]
        if pos.size:   # the AMM settles the position's funding before changing it
            pay = mul_div(cpf - pos.last_cpf, pos.size, ONE)
            acct.margin -= pay
            acct.funding_paid += pay
            events.append(E.FundingPaid(trader, market, pay, cpf))
        pos.last_cpf = cpf
        notional = mul_div(abs(base), price, ONE)
        realized, old_size = 0, pos.size
        if pos.size == 0 or (pos.size > 0) == (base > 0):
            pos.size += base
            pos.open_notional += notional
        else:
            closing = min(abs(base), abs(pos.size))
            realized = self._reduce(pos, closing, price)
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
        # AMM.openPosition: liquidationThreshold = max(|size| x maxLiquidationRatio / 1e6 + 1, minSizeRequirement)
        pos.liq_threshold = max(abs(pos.size) * self.params.max_liquidation_ratio // C.PRICE_SCALE + 1,
                                C.MARKETS[market].min_size)
        events.append(E.PositionModified(trader, market, base, price, realized, pos.size, pos.open_notional,
                                         fee, mode, now))
        return events

    @staticmethod
    def _reduce(pos: Position, closing: int, price: int) -> int:
        """Close `closing` (1e18, > 0) of the position at `price`: the realized PnL; open notional shrinks pro rata."""
        closed_notional = mul_div(pos.open_notional, closing, abs(pos.size))
        exit_notional = mul_div(closing, price, ONE)
        pos.open_notional -= closed_notional
        return exit_notional - closed_notional if pos.size > 0 else closed_notional - exit_notional

    # ---- liquidation (the contracts' side) ------------------------------------
    def oracle_margin_fraction(self, acct: Account) -> int:
        """ClearingHouse calcMarginFraction(trader, true, Maintenance_Margin) through the juror: jurorv2
        notional_position.go asks bibliophile GetNotionalPositionAndMargin with UpgradeVersion V2, so
        every position is valued at the oracle price (margin_math.go getOptimalPnl); pending funding
        counts. (margin + uPnL) x 1e6 / notional, MaxInt64 without positions (GetMarginFraction)."""
        notional = upnl = 0
        for market, pos in acct.positions.items():
            if pos.size:
                price = self.index_prices[market]
                notional += notional_of(pos.size, price)
                upnl += self.unrealized_pnl(pos, price)
        if notional == 0:
            return MAX_INT64
        return (acct.margin - self.pending_funding(acct) + upnl) * C.PRICE_SCALE // notional

    def liquidate(self, trader: str, order: Order, qty: int) -> tuple[list, bool]:
        """OrderBook.liquidateAndExecuteOrder(trader, order, qty): `order` takes over `qty` of the trader's
        position in its market. Returns (records, executed).

        hubble-protocol ClearingHouse.sol liquidate/_liquidateSingleAmm and AMM.sol liquidatePosition
        (v2 rc6, the last public contract source): settle the trader's funding, refuse unless the margin
        fraction is below maintenance, reduce the position by at most min(|size|, liquidationThreshold) at
        the fill price, charge liquidationPenalty x notional (PositionLiquidated), then open the order's
        side as a maker (PositionModified mode 1) and emit OrderMatched. A refusal reverts all of it and
        leaves LiquidationError(trader, LIQUIDATION_FAILED, reason, qty) (OrderBook.sol try/catch).
        """
        acct, market, now = self.account(trader), order.market, int(self.clock())
        fill = qty if order.is_long else -qty    # liquidationAmount: + when a long position is liquidated
        refused = self._liquidation_refused(acct, market, fill)
        if refused is not None:
            return [E.LiquidationError(trader, LIQUIDATION_FAILED, refused, qty)], False
        price = self.liquidation_price(order)
        records = self._settle_all_funding(trader, acct)
        records.append(self._liquidate_position(trader, acct, market, fill, price, now))
        self._record_fill(order, qty)
        if order.remaining == 0 and order.in_book:
            self.books[market].side_of(order).remove(order)
        records += self._apply_position(order.trader, market, fill, price, 1, now)
        records.append(E.Matched(order, qty, price, self.open_interest[market], now, is_liquidation=True))
        self.liquidations.append({"account": trader, "market": market_symbol(market), "size": -fill / ONE,
                                  "price": price / C.PRICE_SCALE, "time": self.clock()})
        return records, True

    def liquidation_price(self, order: Order) -> int:
        """jurorv2 determineLiquidationFillPrice: the order's price, held inside the oracle spread bounds
        (maxOracleSpreadRatio): min(price, upper) for a long order, max(price, lower) for a short one."""
        upper, lower = spread_bounds(self.index_prices[order.market], self.params.max_oracle_spread_ratio,
                                     C.MARKETS[order.market].price_multiplier)
        return min(order.price, upper) if order.is_long else max(order.price, lower)

    def _liquidation_refused(self, acct: Account, market: int, fill: int) -> str | None:
        """The reverts of _liquidateSingleAmm, in the contract's order (texts from ClearingHouse.sol / AMM.sol)."""
        if self.oracle_margin_fraction(acct) >= self.params.maintenance_margin:
            return "CH: Above Maintenance Margin"       # _assertLiquidationRequirement
        pos = acct.positions.get(market) or Position()
        if abs(fill) > min(abs(pos.size), pos.liq_threshold):
            return "AMM_liquidating_too_much_at_once"
        if pos.size == 0 or (pos.size > 0) != (fill > 0):
            return "AMM_matching_trade_should_be_opposite"
        return None

    def _settle_all_funding(self, trader: str, acct: Account) -> list:
        """ClearingHouse.updatePositions: funding of every market settled, FundingPaid where it is not 0."""
        records: list = []
        for market, pos in acct.positions.items():
            if not pos.size:
                continue
            cpf = self.cumulative[market]
            pay = mul_div(cpf - pos.last_cpf, pos.size, ONE)
            pos.last_cpf = cpf
            if pay:
                acct.margin -= pay
                acct.funding_paid += pay
                records.append(E.FundingPaid(trader, market, pay, cpf))
        self.touched.add(trader)
        return records

    def _liquidate_position(self, trader: str, acct: Account, market: int, fill: int, price: int,
                            now: int) -> E.PositionLiquidated:
        """AMM.liquidatePosition + _chargeFeeAndRealizePnL(mode Liquidation): the liquidationThreshold is
        left as it was (only openPosition sets it), the penalty is quoteAsset x liquidationPenalty / 1e6."""
        pos = acct.positions[market]
        old_size = pos.size
        realized = self._reduce(pos, abs(fill), price)
        pos.size -= fill
        if pos.size == 0:
            pos.open_notional = 0
        fee = mul_div(abs(fill), price, ONE) * self.params.liquidation_penalty // C.PRICE_SCALE
        acct.margin += realized - fee
        acct.realized_pnl += realized
        acct.fees_paid += fee
        self.open_interest[market] += max(pos.size, 0) - max(old_size, 0)
        return E.PositionLiquidated(trader, market, fill, price, realized, pos.size, pos.open_notional, fee, now)

    # ---- cancel / expiry / removal ------------------------------------------
    def cancel(self, order: Order) -> str | None:
        """Cancel a resting order; returns the node's error text if it cannot be."""
        if order.status == C.STATUS_FILLED:
            return "filled order"
        if order.status == C.STATUS_CANCELLED:
            return "cancelled order"
        if order.status != C.STATUS_PLACED:
            return "invalid order"
        self._take_off(order)
        order.status = C.STATUS_CANCELLED
        order.update_block = self.block
        self.finalized.append(order)
        self.events.append(E.CancelAccepted(order))
        return None

    def _take_off(self, order: Order) -> None:
        if order.in_book:
            self.books[order.market].side_of(order).remove(order)
        if order.reserved:
            self.account(order.trader).reserved -= order.reserved
            order.reserved = 0
            self.touched.add(order.trader)

    def mark_removed(self, order: Order) -> None:
        """The order leaves the node's memory database."""
        if order.removed:
            return
        order.removed = True
        if order.in_book:
            self.books[order.market].side_of(order).remove(order)
        self._iocs.discard(order.id)
        ids = self.live_by_trader.get(order.trader.lower())
        if ids is not None:
            ids.discard(order.id)

    def expire_signed(self, now: int) -> list[Order]:
        """RemoveExpiredSignedOrders: the signed orders with expireAt <= now (the caller deletes them)."""
        gone = []
        while self._expiries and self._expiries[0][0] <= now:
            _, _, order_id = heapq.heappop(self._expiries)
            order = self.orders.get(order_id)
            if order is None or order.removed:
                continue
            if order.status == C.STATUS_PLACED and not order.filled:
                order.status = C.STATUS_INVALID   # the contract never saw an untraded signed order
            gone.append(order)
        return gone

    def expired_iocs(self, block_time: int) -> list[Order]:
        """memdb Accept / shouldRemove: IOC orders with expireAt < block timestamp are deleted silently."""
        return [self.orders[i] for i in self._iocs if self.orders[i].expire_at < block_time]

    # ---- funding ------------------------------------------------------------
    def settle_funding(self, rate: float, next_time: int, markets: list[int]) -> list:
        """ClearingHouse.settleFunding: one premium fraction per market (rate x oracle price).

        A positive rate makes longs pay shorts (pending = (cpf - last) * size).
        """
        now, out = int(self.clock()), []
        for market in markets:
            underlying = self.index_prices[market]
            premium = int(round(underlying * rate))
            self.cumulative[market] += premium
            out.append(E.FundingRateUpdated(market, premium, underlying, self.cumulative[market], next_time,
                                            now, self.block))
        return out

    def drain(self) -> list:
        events, self.events = self.events, []
        return events
