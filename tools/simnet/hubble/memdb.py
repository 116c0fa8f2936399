"""The node's memory database as its APIs see it (plugin/evm/orderbook/memory_database.go).

Two clocks, as on the node (plugin/evm/limit_order.go):
- head: order events (fills, cancels, new orders) change the order book when a block becomes the
  head (ProcessEvents on the hubble logs feed); the engine already holds that state.
- accepted: margin, positions, reserved margin and funding (MarginAccount and ClearingHouse
  events, ProcessAcceptedEvents) change only when the block is accepted, and filled or
  cancelled orders leave the memdb then (InMemoryDatabase.Accept / shouldRemove).
Signed orders reserve margin off-chain ("virtual reserved", AddSignedOrder); it is released
per fill at head (UpdateFilledBaseAssetQuantity) and for the unfilled rest when the order is
deleted (deleteOrderWithoutLock). The node never reports it in reservedMargin.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from tools.simnet.hubble import constants as C
from tools.simnet.hubble import events as E
from tools.simnet.hubble.chain import Block
from tools.simnet.hubble.engine import ONE, Engine, mul_div, notional_of
from tools.simnet.hubble.orders import Order


@dataclass
class PositionView:
    size: int = 0
    open_notional: int = 0
    last_cpf: int = 0
    unrealised_funding: int = 0
    liquidation_threshold: int = 0


@dataclass
class TraderView:
    margin: int                   # deposited margin incl. realized PnL, fees and paid funding (1e6)
    reserved: int = 0             # Margin.Reserved: on-chain reserve of limit orders
    positions: dict[int, PositionView] = field(default_factory=dict)

    @property
    def pending_funding(self) -> int:
        """getTotalFunding: sum of the positions' unrealised funding."""
        return sum(p.unrealised_funding for p in self.positions.values())


class NodeIndex:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.traders: dict[str, TraderView] = {}
        self.cumulative: dict[int, int] = {m.market_id: 0 for m in C.MARKETS}
        self.virtual: dict[str, int] = {}

    # ---- traders --------------------------------------------------------------
    def trader(self, address: str) -> TraderView | None:
        """GetTraderInfo: None for an address without a margin account."""
        view = self.traders.get(address)
        if view is None and address not in self.engine.unfunded:
            acct = self.engine.account(address)         # first sight: funded at "genesis"
            if acct.exists:
                view = self.traders[address] = TraderView(margin=self.engine.params.initial_margin)
        return view

    def deposit(self, address: str, amount: int) -> None:
        """MarginAdded (the control API's shortcut for a deposit transaction)."""
        view = self.trader(address)
        if view is None:
            view = self.traders[address] = TraderView(margin=0)
        view.margin += amount

    def forget(self, address: str) -> None:
        self.traders.pop(address, None)

    # ---- signed orders: virtual reserved margin ----------------------------------
    def required(self, price: int, size: int) -> int:
        """hubbleutils.GetRequiredMargin(price, |size|, minAllowableMargin, takerFee=0)."""
        return (abs(size) * price // ONE) * self.engine.params.min_allowable_margin // C.PRICE_SCALE

    def reserve_signed(self, order: Order, amount: int) -> None:
        self.virtual[order.trader] = self.virtual.get(order.trader, 0) + amount

    def on_fill(self, order: Order, qty: int) -> None:
        if order.kind == "signed" and not order.reduce_only and order.trader not in self.engine.params.unlimited:
            self.virtual[order.trader] = self.virtual.get(order.trader, 0) - self.required(order.price, qty)

    def delete(self, order: Order) -> None:
        """deleteOrderWithoutLock: drop the order and release a signed order's unfilled reserve."""
        if order.removed:
            return
        self.engine.mark_removed(order)
        if order.kind == "signed" and not order.reduce_only and order.trader not in self.engine.params.unlimited:
            self.virtual[order.trader] = self.virtual.get(order.trader, 0) - self.required(order.price, order.remaining)

    def makerbook_available(self, address: str) -> int:
        """GetMarginAvailableForMakerbook: oracle prices (UpgradeVersion V2), minus virtual reserved."""
        view = self.traders.get(address) if address in self.traders else self.trader(address)
        if view is None:
            return 0
        upnl = notional = 0
        for market, pos in view.positions.items():
            if pos.size:
                price = self.engine.index_prices[market]
                notional += notional_of(pos.size, price)
                upnl += self.engine.unrealized_pnl(pos, price)   # type: ignore[arg-type]
        used = notional * self.engine.params.min_allowable_margin // C.PRICE_SCALE
        margin = view.margin - view.pending_funding
        return margin + upnl - used - view.reserved - self.virtual.get(address, 0)

    # ---- accepting a block ----------------------------------------------------------
    def accept(self, block: Block) -> None:
        """ProcessAcceptedEvents + InMemoryDatabase.Accept for one block."""
        for record in block.records:
            self._replay(record)
        for address, (margin, reserved) in block.snapshots.items():
            view = self.trader(address) or self.traders.setdefault(address, TraderView(margin=0))
            view.margin, view.reserved = margin, reserved
        for order in block.finalized:
            if order.status in (C.STATUS_FILLED, C.STATUS_CANCELLED):
                self.delete(order)
        for order in self.engine.expired_iocs(block.timestamp):
            self.delete(order)

    def _replay(self, record: object) -> None:
        if isinstance(record, E.PositionModified):
            view = self.trader(record.trader) or self.traders.setdefault(record.trader, TraderView(margin=0))
            pos = view.positions.setdefault(record.market, PositionView())
            if pos.size == 0:
                pos.last_cpf, pos.unrealised_funding = self.cumulative[record.market], 0
            pos.size, pos.open_notional = record.size, record.open_notional
            pos.liquidation_threshold = self._threshold(record.market, record.size)
        elif isinstance(record, E.PositionLiquidated):
            # UpdatePosition(..., isLiquidation=true): the threshold is kept, only capped at the new |size|
            view = self.trader(record.trader) or self.traders.setdefault(record.trader, TraderView(margin=0))
            pos = view.positions.setdefault(record.market, PositionView())
            pos.size, pos.open_notional = record.size, record.open_notional
            sign = (record.size > 0) - (record.size < 0)
            pos.liquidation_threshold = min(abs(pos.liquidation_threshold), abs(record.size)) * sign
        elif isinstance(record, E.FundingPaid):
            view = self.traders.get(record.trader)
            pos = view.positions.get(record.market) if view else None
            if pos is not None:
                pos.unrealised_funding, pos.last_cpf = 0, record.cumulative
        elif isinstance(record, E.FundingRateUpdated):
            self.cumulative[record.market] = record.cumulative
            for view in self.traders.values():
                pos = view.positions.get(record.market)
                if pos is not None:
                    pos.unrealised_funding = pending_funding(record.cumulative, pos.last_cpf, pos.size)

    def _threshold(self, market: int, size: int) -> int:
        """getLiquidationThreshold, then capped at |size| with the sign of size (UpdatePosition)."""
        sign = (size > 0) - (size < 0)
        cap = max(abs(size) * self.engine.params.max_liquidation_ratio // C.PRICE_SCALE, C.MARKETS[market].min_size)
        return min(cap, abs(size)) * sign

    # ---- orders -------------------------------------------------------------------
    def order(self, order_id: str) -> Order | None:
        """GetOrderById: any order still in the memdb, whatever its lifecycle status."""
        order = self.engine.orders.get(order_id.lower())
        return None if order is None or order.removed else order

    def limit_orders(self, address: str) -> list[Order]:
        """GetOpenOrdersForTraderByType(trader, Limit): the trader's limit orders still in the memdb."""
        ids = self.engine.live_by_trader.get(address.lower(), ())
        return [o for o in (self.engine.orders[i] for i in ids) if o.kind == "limit" and not o.removed]


def pending_funding(cumulative: int, last: int, size: int) -> int:
    """calcPendingFunding: (cumulative - last) * size / 1e18, rounded toward zero."""
    return mul_div(cumulative - last, size, ONE) if size else 0
