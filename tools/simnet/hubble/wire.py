"""Number formatting and event shapes exactly as the node puts them on the wire.

Go marshals common.Address and common.Hash with hexutil (go-ethereum common/types.go
MarshalText): lowercase 0x-hex, never checksummed. *big.Int marshals as a JSON number.
"""
from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tools.simnet.hubble import constants as C
from tools.simnet.hubble.orders import Order

_EIGHT = Decimal("0.00000001")


def to_decimal_str(value: int, scale: int, decimals: int = 8) -> str:
    """Go's utils.BigIntToDecimal(value, scale, 8): a fixed-decimals string ("-1.00000000" when negative)."""
    quantum = _EIGHT if decimals == 8 else Decimal(1).scaleb(-decimals)
    return format(Decimal(value).scaleb(-scale).quantize(quantum, rounding=ROUND_HALF_EVEN), "f")


def to_float(value: int, scale: int) -> float:
    """Go's utils.BigIntToFloat."""
    return float(Decimal(value).scaleb(-scale))


def go_hex(address_or_hash: str) -> str:
    """common.Address / common.Hash as JSON: lowercase hex."""
    return address_or_hash.lower()


def order_map(order: Order) -> dict[str, Any]:
    """LimitOrder.Map() / IOCOrder.Map() of hubbleutils/data_structures.go (human units)."""
    out: dict[str, Any] = {
        "ammIndex": order.market, "trader": go_hex(order.trader),
        "baseAssetQuantity": to_float(order.qty, 18), "price": to_float(order.price, 6),
        "salt": order.salt, "reduceOnly": order.reduce_only,
    }
    if order.kind == "ioc":
        out.update(orderType=1, expireAt=order.expire_at)
    else:
        out["postOnly"] = order.post_only
    return out


def trader_event(trader: str, order_id: str, order_type: str, name: str, args: dict[str, Any] | None,
                 block: int | None, timestamp: int | None) -> dict[str, Any]:
    """TraderEvent (contract_events_processor.go) without BlockStatus, Removed and TransactionHash."""
    return {"Trader": go_hex(trader), "OrderId": go_hex(order_id), "OrderType": order_type, "EventName": name,
            "Args": args, "BlockNumber": block, "Timestamp": timestamp}


def market_event(trader: str, market: int, size: int, price: int, block: int, timestamp: int) -> dict[str, Any]:
    """MarketFeedEvent without BlockStatus, Removed and TransactionHash."""
    return {"Trader": go_hex(trader), "Market": market, "Size": to_float(size, 18), "Price": to_float(price, 6),
            "EventName": "PositionModified", "BlockNumber": block, "Timestamp": timestamp}


def finish(event: dict[str, Any], status: str, removed: bool, tx_hash: str) -> dict[str, Any]:
    """The event as sent: Go field order of TraderEvent / MarketFeedEvent."""
    keys = ("Trader", "OrderId", "OrderType", "Market", "Size", "Price", "Removed", "EventName", "Args",
            "BlockNumber", "BlockStatus", "Timestamp", "TransactionHash")
    full = {**event, "Removed": removed, "BlockStatus": status, "TransactionHash": go_hex(tx_hash)}
    return {k: full[k] for k in keys if k in full}


def depth_rows(depth: dict[int, int]) -> list[list[str]] | None:
    """transformMarketDepth: [[price, size], ...] in human units, in the given (map) order; nil when empty."""
    rows = [[to_decimal_str(p, 6), to_decimal_str(q, 18)] for p, q in depth.items()]
    return rows or None


def depth_map(depth: dict[int, int]) -> dict[str, str]:
    """MarketDepth.Longs / Shorts: raw integers as decimal strings (shorts negative)."""
    return {str(p): str(q) for p, q in depth.items()}


def market_of(market_id: int) -> C.HubbleMarket | None:
    return C.MARKETS[market_id] if 0 <= market_id < len(C.MARKETS) else None


def _go_numbers(value: Any) -> Any:
    """encoding/json writes a float64 with no fraction as an integer (1.0 -> 1)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {k: _go_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_numbers(v) for v in value]
    return value


def go_dumps(message: Any) -> str:
    """JSON text as the node's Go encoder writes it (float formatting included)."""
    return json.dumps(_go_numbers(message))
