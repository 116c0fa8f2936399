"""Engine records -> ABI-encoded logs and the feed events the node derives from them.

Feed shapes follow contract_events_processor.go PushToTraderFeed / PushToMarketFeed:
OrderMatched carries an empty OrderType (the OrderBook contract sets none) and
float fillAmount/price/openInterestNotional; LimitOrderBook, IOC and SignedOrderBook
events carry "limit", "ioc" and "signed"; Args holds every non-indexed event field;
Timestamp is the event's timestamp argument.
"""
from __future__ import annotations

from typing import Any

from tools.simnet.hubble import constants as C
from tools.simnet.hubble import events as E
from tools.simnet.hubble.abi import Contracts, encode_log
from tools.simnet.hubble.wire import market_event, order_map, to_float, trader_event

ORDER_BOOK_OF_KIND = {"limit": C.LIMIT_ORDER_BOOK, "ioc": C.IOC_ORDER_BOOK, "signed": C.SIGNED_ORDER_BOOK}
Feed = tuple[str, Any, dict[str, Any]]


class EventLog:
    def __init__(self, contracts: Contracts):
        self.c = contracts

    def render(self, ev: Any, block: int, ts: int) -> tuple[dict[str, Any] | None, Feed | None]:
        """(log, feed item or None) of one engine record."""
        handler = {
            E.Matched: self._matched, E.PositionModified: self._position, E.FundingPaid: self._funding_paid,
            E.FundingRateUpdated: self._funding_rate, E.Accepted: self._accepted, E.Rejected: self._accepted,
            E.CancelAccepted: self._cancel_accepted, E.CancelRejected: self._cancel_rejected,
            E.PositionLiquidated: self._liquidated, E.LiquidationError: self._liquidation_error,
        }.get(type(ev))
        return handler(ev, block, ts) if handler else (None, None)

    def _matched(self, ev: E.Matched, block: int, ts: int):
        o = ev.order
        log = encode_log(C.ORDER_BOOK, self.c.event(C.ORDER_BOOK, "OrderMatched"), (o.trader, _b32(o.id)),
                         (ev.fill, ev.price, ev.open_interest, ev.timestamp, ev.is_liquidation))
        args = {"fillAmount": to_float(ev.fill, 18), "price": to_float(ev.price, 6),
                "openInterestNotional": to_float(ev.open_interest, 18), "timestamp": ev.timestamp,
                "isLiquidation": ev.is_liquidation}
        return log, ("trader", o.trader.lower(),
                     trader_event(o.trader, o.id, "", "OrderMatched", args, block, ev.timestamp))

    def _position(self, ev: E.PositionModified, block: int, ts: int):
        log = encode_log(C.CLEARING_HOUSE, self.c.event(C.CLEARING_HOUSE, "PositionModified"), (ev.trader, ev.market),
                         (ev.base, ev.price, ev.realized_pnl, ev.size, ev.open_notional, ev.fee, ev.mode, ev.timestamp))
        return log, ("market", ev.market, market_event(ev.trader, ev.market, ev.base, ev.price, block, ev.timestamp))

    def _liquidated(self, ev: E.PositionLiquidated, block: int, ts: int):
        """A ClearingHouse log only: PushToMarketFeed forwards PositionModified alone, PushToTraderFeed
        reads OrderBook / order book contract logs only (contract_events_processor.go)."""
        log = encode_log(C.CLEARING_HOUSE, self.c.event(C.CLEARING_HOUSE, "PositionLiquidated"),
                         (ev.trader, ev.market),
                         (ev.base, ev.price, ev.realized_pnl, ev.size, ev.open_notional, ev.fee, ev.timestamp))
        return log, None

    def _liquidation_error(self, ev: E.LiquidationError, block: int, ts: int):
        """OrderBook LiquidationError: PushToTraderFeed handles OrderMatched alone of the OrderBook's events."""
        log = encode_log(C.ORDER_BOOK, self.c.event(C.ORDER_BOOK, "LiquidationError"),
                         (ev.trader, _b32(ev.order_hash)), (ev.err, ev.amount))
        return log, None

    def _funding_paid(self, ev: E.FundingPaid, block: int, ts: int):
        log = encode_log(C.CLEARING_HOUSE, self.c.event(C.CLEARING_HOUSE, "FundingPaid"), (ev.trader, ev.market),
                         (ev.payment, ev.cumulative))
        return log, None

    def _funding_rate(self, ev: E.FundingRateUpdated, block: int, ts: int):
        log = encode_log(C.CLEARING_HOUSE, self.c.event(C.CLEARING_HOUSE, "FundingRateUpdated"), (ev.market,),
                         (ev.premium, ev.underlying, ev.cumulative, ev.next_funding_time, ev.timestamp, ev.block))
        return log, None

    def _accepted(self, ev: E.Accepted | E.Rejected, block: int, ts: int):
        o = ev.order
        address = ORDER_BOOK_OF_KIND[o.kind]
        name = "OrderAccepted" if isinstance(ev, E.Accepted) else "OrderRejected"
        raw = ((o.market, o.trader, o.qty, o.price, o.salt, o.reduce_only, o.post_only) if o.kind == "limit"
               else (1, o.expire_at, o.market, o.trader, o.qty, o.price, o.salt, o.reduce_only))
        data: tuple = (raw, ts) if name == "OrderAccepted" else (raw, ts, ev.err)
        log = encode_log(address, self.c.event(address, name), (o.trader, _b32(o.id)), data)
        args: dict[str, Any] = {"order": order_map(o), "timestamp": ts}
        if name == "OrderRejected":
            args["err"] = ev.err
        return log, ("trader", o.trader.lower(), trader_event(o.trader, o.id, o.kind, name, args, block, ts))

    def _cancel_accepted(self, ev: E.CancelAccepted, block: int, ts: int):
        o = ev.order
        address = ORDER_BOOK_OF_KIND[o.kind]
        data: tuple = (ts, ev.auto) if o.kind == "limit" else (ts,)
        log = encode_log(address, self.c.event(address, "OrderCancelAccepted"), (o.trader, _b32(o.id)), data)
        args: dict[str, Any] = {"timestamp": ts, "isAutoCancelled": ev.auto} if o.kind == "limit" else {"timestamp": ts}
        return log, ("trader", o.trader.lower(),
                     trader_event(o.trader, o.id, o.kind, "OrderCancelAccepted", args, block, ts))

    def _cancel_rejected(self, ev: E.CancelRejected, block: int, ts: int):
        address = ORDER_BOOK_OF_KIND[ev.kind]
        log = encode_log(address, self.c.event(address, "OrderCancelRejected"), (ev.trader, _b32(ev.order_id)),
                         (ts, ev.err))
        args = {"timestamp": ts, "err": ev.err}
        return log, ("trader", ev.trader.lower(),
                     trader_event(ev.trader, ev.order_id, ev.kind, "OrderCancelRejected", args, block, ts))


def _b32(hex_id: str) -> bytes:
    return bytes.fromhex(hex_id[2:])
