"""The quotes that may still rest on Hubble, kept on disk so that a restart can clear them.

The node lists only Limit orders in ``orderbook_getOpenOrders`` (hubblenet
service.go, GetOpenOrders -> GetOpenOrdersForTraderByType(trader, Limit)), so
signed quotes left by a crashed or killed run cannot be found by asking it.
Before each batch is sent, the quotes that can still match are written here
(atomically: a new file renamed over the old one); the next start cancels
those that have not expired yet. A signed order and its signature are public
once sent, so nothing secret is written.
"""
from __future__ import annotations

import json
import logging
import os
import time
from decimal import Decimal
from pathlib import Path
from typing import Iterable

from bot.venues.hubble.signing import SignedHubbleOrder

log = logging.getLogger("hubble.journal")


def _row(order: SignedHubbleOrder) -> dict:
    return {"order_id": order.order_id, "market": order.market, "trader": order.trader, "size": str(order.size),
            "price": str(order.price), "salt": str(order.salt), "expire_at": order.expire_at,
            "reduce_only": order.reduce_only, "signature": order.signature.hex(), "encoded": order.encoded.hex()}


def _order(row: dict) -> SignedHubbleOrder:
    return SignedHubbleOrder(row["order_id"], int(row["market"]), row["trader"], Decimal(row["size"]),
                             Decimal(row["price"]), int(row["salt"]), int(row["expire_at"]), bool(row["reduce_only"]),
                             bytes.fromhex(row["signature"]), bytes.fromhex(row["encoded"]))


class QuoteJournal:
    def __init__(self, path: Path, trader: str, market: int):
        self.path = path
        self.trader = trader
        self.market = market

    def record(self, orders: Iterable[SignedHubbleOrder]) -> None:
        """Replace the journal with `orders` (the quotes that may still match, new ones included)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"trader": self.trader, "market": self.market,
                                         "orders": [_row(o) for o in orders]}))
        os.replace(temporary, self.path)

    def load_unexpired(self, now: float | None = None) -> list[SignedHubbleOrder]:
        """Quotes of this trader and market from an earlier run that have not expired yet."""
        now = time.time() if now is None else now
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            log.warning("quote journal %s unreadable (%s): earlier quotes, if any, are left to expire", self.path, exc)
            return []
        if str(data.get("trader", "")).lower() != self.trader.lower() or data.get("market") != self.market:
            return []
        orders = []
        for row in data.get("orders", []):
            try:
                order = _order(row)
            except (KeyError, ValueError, TypeError):
                continue
            if order.expire_at > now:
                orders.append(order)
        return orders
