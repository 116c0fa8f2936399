"""Order amendment: PUT /fapi/v1/order ("Modify Order") and each element of PUT /fapi/v1/batchOrders.

Rules, from the official SDK's docstring of ``modify_order`` (binance/binance-connector-python,
derivatives_trading_usds_futures/rest_api/api/trade_api.py, the docs' notes):

* "currently only LIMIT order modification is supported, modified orders will be reordered in the match
  queue" (-5025 "Only limit order is supported." otherwise, error-code page);
* "Either orderId or origClientOrderId must be sent, and the orderId will prevail if both are sent";
  "Both quantity and price must be sent";
* "When the new quantity or price doesn't satisfy PRICE_FILTER / PERCENT_FILTER / LOT_SIZE, amendment will
  be rejected and the order will stay as it is";
* "the order will be cancelled by the amendment ... when the order is in partially filled status and the new
  quantity <= executedQty; When the order is GTX and the new price will cause it to be executed immediately";
* "One order can only be modified for less than 10000 times" (-5026);
* error-code page: -5027 "No need to modify the order." (same price and quantity), -5029 "Order's notional
  must be no smaller than %s" (MODIFICATION_MIN_NOTIONAL).

The push is an ORDER_TRADE_UPDATE with execution type ``AMENDMENT`` (USDⓈ-M Event: Order Update, execution
types NEW, CANCELED, CALCULATED, EXPIRED, TRADE, AMENDMENT). A non-GTX order whose new price crosses the
book trades at once as taker. unconfirmed: the code for an order that is no longer open [-2011]; a ``side``
other than the order's [-1117]; the margin check of a larger order [-2019, on the added notional]; whether
the price and size checks run in this order [simnet: LOT_SIZE, PRICE_FILTER, PERCENT_PRICE, notional, margin].
"""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tools.simnet.binance.errors import BinanceError, missing
from tools.simnet.binance.orders import Order
from tools.simnet.binance.trading import ZERO, decimals, parse_decimal

if TYPE_CHECKING:
    from tools.simnet.binance.accounts import Account
    from tools.simnet.binance.trading import FuturesEngine

MAX_AMENDMENTS = 10_000


def modify(engine: "FuturesEngine", account: "Account", params: dict[str, str], now: int) -> Order:
    """Amend an open LIMIT order in place; the order as it is afterwards (CANCELED when the rules say so)."""
    order = engine.find(account, params, -2013)
    if order.type != "LIMIT":
        raise BinanceError(-5025)
    if not order.is_open():
        raise BinanceError(-2011)
    if params.get("side") not in ("BUY", "SELL"):
        raise missing("side") if not params.get("side") else BinanceError(-1117)
    if params["side"] != order.side:
        raise BinanceError(-1117)
    qty, price = _quantity(order, params), _price(order, params)
    if qty == order.qty and price == order.price:
        raise BinanceError(-5027)
    if order.amendments + 1 >= MAX_AMENDMENTS:
        raise BinanceError(-5026)
    engine.check_band({"spec": order.spec, "type": "LIMIT", "side": order.side, "price": price})
    if order.executed and qty <= order.executed:
        return _cancel(engine, account, order, now)
    book = engine.books[order.symbol]
    if order.tif == "GTX" and book.would_cross(order.side, price):
        # cancelled, not refused: "the order will be cancelled by the amendment ... When the order is GTX and the
        # new price will cause it to be executed immediately" (Modify Order docs); checked against the whole
        # book, the users' resting orders included (book.py). unconfirmed: any -5022 answer for an amendment
        return _cancel(engine, account, order, now)
    minimum = max(order.spec.min_notional, engine.min_notional_floor or ZERO)
    if qty * price < minimum:
        raise BinanceError(-5029, f"Order's notional must be no smaller than {minimum:f}")
    added = (qty - order.executed) * price - order.remaining * order.price
    if added > 0 and added / account.leverage_of(order.symbol) > account.available(
            engine.marks(), engine.order_margin(account)):
        raise BinanceError(-2019)
    engine.requeue(order)          # "modified orders will be reordered in the match queue" (Modify Order docs)
    order.qty, order.price, order.update_time = qty, price, now
    order.amendments += 1
    engine.order_event(account, order, now, "AMENDMENT")
    engine.take(account, order, now)           # a new price through the book trades at once, as taker
    return order


def _quantity(order: Order, params: dict[str, str]) -> Decimal:
    if not params.get("quantity"):
        raise missing("quantity")
    qty, raw = parse_decimal(params, "quantity")
    spec = order.spec
    if qty <= 0:
        raise BinanceError(-4003)
    if decimals(raw) > spec.quantity_precision or qty % spec.step:
        raise BinanceError(-1111)
    if qty < spec.min_qty:
        raise BinanceError(-4004)
    if qty > spec.max_qty:
        raise BinanceError(-4005)
    return qty


def _price(order: Order, params: dict[str, str]) -> Decimal:
    if params.get("priceMatch"):       # unconfirmed: priceMatch is not modelled
        raise BinanceError(-1130, name="priceMatch")
    if not params.get("price"):
        raise missing("price")
    price, raw = parse_decimal(params, "price")
    if price <= 0:
        raise BinanceError(-4001)
    if decimals(raw) > order.spec.price_precision:
        raise BinanceError(-1111)
    if price % order.spec.tick:
        raise BinanceError(-4014)
    return price


def _cancel(engine: "FuturesEngine", account: "Account", order: Order, now: int) -> Order:
    order.status, order.update_time = "CANCELED", now
    engine.order_event(account, order, now, "CANCELED")
    return order


def amended(order: Order, modify_id: str | None) -> dict[str, Any]:
    """The answer: the placement fields (no avgPrice/cumQuote) plus ``pair`` and, when sent, ``modifyId`` (the
    SDK fixture of modify_order; "modifyId: User-defined modification identifier, returned as-is")."""
    out = order.placement(final=True)
    out["pair"] = order.symbol
    if modify_id:
        out["modifyId"] = int(modify_id) if modify_id.isdigit() else modify_id
    return out
