"""Number formatting and event shapes exactly as the node puts them on the wire."""
from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tools.simnet.hubble import constants as C
from tools.simnet.hubble.engine import Order

_EIGHT = Decimal("0.00000001")


def to_decimal_str(value: int, scale: int, decimals: int = 8) -> str:
    """Go's utils.BigIntToDecimal(value, scale, 8): a fixed-decimals string."""
    quantum = _EIGHT if decimals == 8 else Decimal(1).scaleb(-decimals)
    return format(Decimal(value).scaleb(-scale).quantize(quantum, rounding=ROUND_HALF_EVEN), "f")


def to_float(value: int, scale: int) -> float:
    """Go's utils.BigIntToFloat."""
    return float(Decimal(value).scaleb(-scale))


def order_map(order: Order) -> dict[str, Any]:
    """LimitOrder.Map() of the node (human units)."""
    return {
        "ammIndex": order.market, "trader": order.trader,
        "baseAssetQuantity": to_float(order.qty, 18), "price": to_float(order.price, 6),
        "salt": order.salt, "reduceOnly": order.reduce_only, "postOnly": order.post_only,
    }


def trader_event(trader: str, order_id: str, order_type: str, name: str, args: dict[str, Any],
                 block: int | None, status: str, timestamp: int | None, tx_hash: str) -> dict[str, Any]:
    """TraderEvent marshalled by Go (field names, no json tags)."""
    return {"Trader": trader, "OrderId": order_id, "OrderType": order_type, "Removed": False,
            "EventName": name, "Args": args, "BlockNumber": block, "BlockStatus": status,
            "Timestamp": timestamp, "TransactionHash": tx_hash}


def market_event(trader: str, market: int, size: int, price: int, block: int, status: str,
                 timestamp: int, tx_hash: str) -> dict[str, Any]:
    """MarketFeedEvent marshalled by Go."""
    return {"Trader": trader, "Market": market, "Size": to_float(size, 18), "Price": to_float(price, 6),
            "Removed": False, "EventName": "PositionModified", "BlockNumber": block, "BlockStatus": status,
            "Timestamp": timestamp, "TransactionHash": tx_hash}


def depth_maps(depth: dict[int, int]) -> dict[str, str]:
    """price -> unfilled size as decimal strings of the raw integers (MarketDepth.Longs/Shorts)."""
    return {str(p): str(q) for p, q in depth.items()}


def depth_rows(depth: dict[int, int], descending: bool) -> list[list[str]]:
    """[[price, size], ...] in human units, best first."""
    return [[to_decimal_str(p, 6), to_decimal_str(q, 18)]
            for p, q in sorted(depth.items(), reverse=descending)]


def market_of(market_id: int) -> C.HubbleMarket | None:
    return C.MARKETS[market_id] if 0 <= market_id < len(C.MARKETS) else None
