"""Execution of user transactions inside a block: limit and IOC placement, cancels.

Validation follows the juror precompile (precompile/contracts/juror/limit_orders.go
ValidatePlaceLimitOrder and ValidateCancelLimitOrder, juror/ioc_orders.go
ValidatePlaceIOCorder): same checks, same order, same error texts. The order
books emit them as OrderRejected / OrderCancelRejected(err) (assumed pass-through:
the contracts' Solidity is not in the node repository). Accepted orders are
matched after every user transaction of the block ran (miner/worker.go
commitOrderbookTxs, #185), see builder.py.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from tools.simnet.faults import Faults
from tools.simnet.hubble import constants as C
from tools.simnet.hubble import events as E
from tools.simnet.hubble.abi import Contracts
from tools.simnet.hubble.access import ChainFlags
from tools.simnet.hubble.chain import Tx
from tools.simnet.hubble.engine import Engine, Fill
from tools.simnet.hubble.orders import Order
from tools.simnet.hubble.signing import SignedOrderMsg
from tools.simnet.hubble.wire import market_of

LIMIT_TUPLE = ("uint256", "address", "int256", "uint256", "uint256", "bool", "bool")
IOC_TUPLE = ("uint8", "uint256", "uint256", "address", "int256", "uint256", "uint256", "bool")
# juror ValidateCancelLimitOrder answers the order's contract status by name
LIMIT_CANCEL_ERRORS = {C.STATUS_INVALID: "Invalid", C.STATUS_FILLED: "Filled", C.STATUS_CANCELLED: "Cancelled"}
# unconfirmed (SignedOrderBook.sol is not public in the node repo): the juror's matching error texts
SIGNED_CANCEL_ERRORS = {C.STATUS_INVALID: "invalid order", C.STATUS_FILLED: "filled order",
                        C.STATUS_CANCELLED: "cancelled order"}


class TxExecutor:
    def __init__(self, engine: Engine, flags: ChainFlags, faults: Faults, options: dict[str, Any],
                 contracts: Contracts, clock: Callable[[], float] = time.time):
        self.engine, self.flags, self.faults, self.options = engine, flags, faults, options
        self.contracts = contracts
        self.clock = clock
        self.incoming: list[Order] = []      # orders accepted in this block, in transaction order
        self.race_fills: list[Fill] = []     # fault: fills that beat a cancel in this block

    def execute(self, tx: Tx) -> int:
        """Run one transaction against the engine; its records stay in engine.events. Returns the status."""
        call = self.contracts.decode_call(tx.to or "", bytes.fromhex(tx.data[2:])) if tx.to else None
        if call is None:
            return 0
        fn, args = call
        handler = {
            (C.LIMIT_ORDER_BOOK, "placeOrders"): self._place_limit_orders,
            (C.LIMIT_ORDER_BOOK, "cancelOrders"): self._cancel_limit_orders,
            (C.IOC_ORDER_BOOK, "placeOrders"): self._place_ioc_orders,
            (C.SIGNED_ORDER_BOOK, "cancelOrders"): self._cancel_signed_orders,
        }.get((tx.to.lower(), fn.name))
        if handler is None:
            return 0
        if self.flags.settled and fn.name == "placeOrders":
            return 0     # unconfirmed: after settlement the order books are assumed to revert
        handler(tx.sender, *args)
        return 1

    # ---- placement --------------------------------------------------------------
    def _place_limit_orders(self, sender: str, orders: tuple) -> None:
        for amm, trader, qty, price, salt, reduce_only, post_only in orders:
            trader = to_checksum_address(trader)
            order_id = "0x" + keccak(encode(list(LIMIT_TUPLE), [amm, trader, qty, price, salt, reduce_only,
                                                                 post_only])).hex()
            order = Order(order_id, amm, trader, qty, price, salt, reduce_only, post_only, "limit",
                          block=self.engine.block)
            self._admit(order, self._validate_limit(sender, order))

    def _place_ioc_orders(self, sender: str, orders: tuple) -> None:
        for otype, expire_at, amm, trader, qty, price, salt, reduce_only in orders:
            trader = to_checksum_address(trader)
            order_id = "0x" + keccak(encode(list(IOC_TUPLE), [otype, expire_at, amm, trader, qty, price, salt,
                                                               reduce_only])).hex()
            order = Order(order_id, amm, trader, qty, price, salt, reduce_only, False, "ioc", expire_at=expire_at,
                          block=self.engine.block)
            self._admit(order, self._validate_ioc(sender, order, otype))

    def admit_background(self, order: Order) -> None:
        """A simulated taker's IOC order (no validation: the synthetic account is unlimited)."""
        self._admit(order, None)

    def _admit(self, order: Order, err: str | None) -> None:
        engine = self.engine
        if err is None:
            err = self.faults.take_reject()
        if err is not None:   # rejected orders leave no state behind, only the log
            order.status = C.STATUS_INVALID
            engine.events.append(E.Rejected(order, err))
            return
        engine.new_order(order)
        engine.events.append(E.Accepted(order))
        if order.kind == "limit" and not order.reduce_only:
            engine.hold(order, engine.required_margin(order.price, order.qty, with_fee=True))
        self.incoming.append(order)

    def reduce_only_cap(self, order: Order) -> int:
        pos = self.engine.account(order.trader).positions.get(order.market)
        size = pos.size if pos else 0
        return min(abs(order.qty), abs(size)) if size and (size > 0) != (order.qty > 0) else 0

    def _validate_limit(self, sender: str, order: Order) -> str | None:
        market = market_of(order.market)
        if order.price <= 0:
            return "invalid price"
        if sender != order.trader:
            return "no trading authority"
        if market is None:
            return "invalid market"
        if order.qty == 0:
            return "baseAssetQuantity is zero"
        if order.qty % market.min_size:
            return "not multiple"
        if order.id in self.engine.orders:
            return "order already exists"
        if order.reduce_only:
            if self.reduce_only_cap(order) < abs(order.qty):
                return "reduce only order must reduce position"
        elif self.engine.available_margin(self.engine.account(order.trader)) < \
                self.engine.required_margin(order.price, order.qty, with_fee=True):
            return "insufficient margin"
        if order.post_only and self.engine.crosses_onchain(order.market, order.qty > 0, order.price):
            return "crossing market"
        err = None if self.flags.has_referrer(order.trader) else "no referrer"   # (no early return in juror)
        if order.price % market.price_multiplier:
            err = "invalid price precision"
        return err

    def _validate_ioc(self, sender: str, order: Order, otype: int) -> str | None:
        market = market_of(order.market)
        if sender != order.trader:
            return "no trading authority"
        if order.qty == 0:
            return "invalid fillAmount"
        if otype != 1:
            return "not_ioc_order"
        if order.expire_at < int(self.clock()):
            return "ioc expired"
        if market is None:
            return "invalid market"
        if order.qty % market.min_size:
            return "not multiple"
        if order.id in self.engine.orders:
            return "invalid order"
        if not self.flags.has_referrer(order.trader):
            return "no referrer"
        if order.reduce_only and self.reduce_only_cap(order) < abs(order.qty):
            return "reduce only order must reduce position"
        if order.price <= 0:
            return "invalid price"
        if order.price % market.price_multiplier:
            return "invalid price precision"
        return None

    # ---- cancels -------------------------------------------------------------------
    def _cancel_limit_orders(self, sender: str, orders: tuple) -> None:
        for amm, trader, qty, price, salt, reduce_only, post_only in orders:
            trader = to_checksum_address(trader)
            order_id = "0x" + keccak(encode(list(LIMIT_TUPLE), [amm, trader, qty, price, salt, reduce_only,
                                                                 post_only])).hex()
            self._cancel(sender, trader, order_id, "limit")

    def _cancel_signed_orders(self, sender: str, orders: tuple, signatures: tuple) -> None:
        for raw, _sig in zip(orders, signatures):
            otype, expire_at, amm, trader, qty, price, salt, reduce_only, post_only = raw
            msg = SignedOrderMsg(otype, expire_at, amm, to_checksum_address(trader), qty, price, salt,
                                 reduce_only, post_only, b"")
            self._cancel(sender, msg.trader, "0x" + msg.order_hash().hex(), "signed")

    def _cancel(self, sender: str, trader: str, order_id: str, kind: str) -> None:
        errors = LIMIT_CANCEL_ERRORS if kind == "limit" else SIGNED_CANCEL_ERRORS
        if sender != trader:
            self.engine.events.append(E.CancelRejected(order_id, trader, kind, "no trading authority"))
            return
        order = self.engine.orders.get(order_id)
        if order is None or order.kind != kind:
            self.engine.events.append(E.CancelRejected(order_id, trader, kind, errors[C.STATUS_INVALID]))
            return
        if order.status == C.STATUS_PLACED and self._race_fill_armed():
            self._race_fill(order)
        if order.status != C.STATUS_PLACED:
            self.engine.events.append(E.CancelRejected(order_id, trader, kind, errors[order.status]))
            return
        self.engine.cancel(order)

    def _race_fill_armed(self) -> bool:
        return self.faults.take("fill_on_cancel") or self.faults.flags.get("fill_on_cancel") is True

    def _race_fill(self, order: Order) -> None:
        """Fault: a simulated taker fills the order in the same block, just before its cancel."""
        fraction = float(self.options.get("fill_on_cancel_fraction", 1.0))
        market = C.MARKETS[order.market]
        qty = int(order.remaining * fraction) // market.min_size * market.min_size
        taker = background_ioc(self.engine, order.market, not order.is_long, order.remaining, order.price)
        self.engine.new_order(taker)
        fill = self.engine.fill_resting(order, max(qty, min(market.min_size, order.remaining)), taker)
        if fill is not None:
            self.race_fills.append(fill)


def background_ioc(engine: Engine, market: int, is_long: bool, size: int, price: int | None) -> Order:
    """An IOC order of the simulated taker account (its price defaults to far through the book)."""
    spec = C.MARKETS[market]
    if price is None:
        index = engine.index_prices[market]
        price = (index * 10 // spec.price_multiplier + 1) * spec.price_multiplier if is_long else spec.price_multiplier
    engine._seq += 1
    order_id = "0x" + keccak(f"taker|{engine._seq}|{engine.block}".encode()).hex()
    return Order(order_id, market, C.BACKGROUND_TAKER, size if is_long else -size, price,
                 engine._seq, False, False, "ioc", expire_at=int(engine.clock()) + 5, block=engine.block)
