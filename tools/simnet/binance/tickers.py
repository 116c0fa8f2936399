"""24 h rolling statistics of the futures symbols: GET /fapi/v1/ticker/24hr and the ``<symbol>@ticker`` stream.

Sources: the official SDK (binance/binance-connector-python, derivatives_trading_usds_futures):
``ticker24hr_price_change_statistics`` ("24 hour rolling window price change statistics"; weight 1 for a
symbol, 40 without) and its unit-test fixture (the docs' response example: symbol, priceChange,
priceChangePercent, weightedAvgPrice, lastPrice, lastQty, openPrice, highPrice, lowPrice, volume,
quoteVolume, openTime, closeTime, firstId, lastId, count); the stream model
``individual_symbol_ticker_streams_response.py`` (e "24hrTicker", E, s, p, P, w, c, Q, o, h, l, v, q, O, C,
F, L, n, and ps/st "after CM migration"; "Update Speed: 2000ms"; "NOT the statistics of the UTC day, but a
24hr rolling window").

simnet counts every trade on its books (the seeded background trades and the accounts' fills), in one
bucket per minute. unconfirmed: Binance's window granularity [one minute]; the answer when nothing traded
in 24 h [open = high = low = last = the last trade price, or the book's mid, zero volume, firstId = lastId
= -1, count 0]; priceChangePercent decimals [3, as the example]; weightedAvgPrice decimals [the price's
precision].
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tools.simnet.binance.specs import SymbolSpec

MINUTE_MS = 60_000
DAY_MS = 24 * 60 * MINUTE_MS
ZERO = Decimal(0)


@dataclass
class Bucket:
    minute: int              # start of the minute, ms
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote: Decimal
    count: int
    first_id: int
    last_id: int
    last_qty: Decimal


class TradeStats:
    """Per symbol, the trades of the last 24 h in minute buckets."""

    def __init__(self) -> None:
        self.buckets: dict[str, deque[Bucket]] = {}

    def add(self, symbol: str, price: Decimal, qty: Decimal, trade_id: int, now: int) -> None:
        buckets = self.buckets.setdefault(symbol, deque())
        minute = now - now % MINUTE_MS
        if buckets and buckets[-1].minute == minute:
            b = buckets[-1]
            b.high, b.low, b.close = max(b.high, price), min(b.low, price), price
            b.volume += qty
            b.quote += price * qty
            b.count += 1
            b.last_id, b.last_qty = trade_id, qty
        else:
            buckets.append(Bucket(minute, price, price, price, price, qty, price * qty, 1, trade_id, trade_id, qty))
        while buckets and buckets[0].minute <= now - DAY_MS:
            buckets.popleft()

    def window(self, symbol: str, now: int) -> list[Bucket]:
        return [b for b in self.buckets.get(symbol, ()) if b.minute > now - DAY_MS]

    def ticker(self, spec: SymbolSpec, fallback: Decimal, now: int) -> dict[str, Any]:
        """The GET /fapi/v1/ticker/24hr answer of one symbol."""
        window = self.window(spec.symbol, now)
        if window:
            first, last = window[0], window[-1]
            open_, close = first.open, last.close
            high, low = max(b.high for b in window), min(b.low for b in window)
            volume = sum((b.volume for b in window), ZERO)
            quote = sum((b.quote for b in window), ZERO)
            count, first_id, last_id, last_qty = sum(b.count for b in window), first.first_id, last.last_id, last.last_qty
        else:
            open_ = close = high = low = fallback
            volume = quote = last_qty = ZERO
            count, first_id, last_id = 0, -1, -1
        change = close - open_
        percent = (change / open_ * 100).quantize(Decimal("0.001"), ROUND_HALF_UP) if open_ else ZERO
        weighted = spec.fmt_price(quote / volume) if volume else spec.fmt_price(close)
        return {"symbol": spec.symbol, "priceChange": spec.fmt_price(change), "priceChangePercent": f"{percent:f}",
                "weightedAvgPrice": weighted, "lastPrice": spec.fmt_price(close), "lastQty": spec.fmt_qty(last_qty),
                "openPrice": spec.fmt_price(open_), "highPrice": spec.fmt_price(high), "lowPrice": spec.fmt_price(low),
                "volume": spec.fmt_qty(volume), "quoteVolume": f"{quote.quantize(Decimal('0.01')):f}",
                "openTime": now - DAY_MS, "closeTime": now, "firstId": first_id, "lastId": last_id, "count": count}


def ticker_event(row: dict[str, Any], now: int) -> dict[str, Any]:
    """``<symbol>@ticker`` from the REST row (the same statistics, the stream's letters)."""
    return {"e": "24hrTicker", "E": now, "s": row["symbol"], "p": row["priceChange"], "P": row["priceChangePercent"],
            "w": row["weightedAvgPrice"], "c": row["lastPrice"], "Q": row["lastQty"], "o": row["openPrice"],
            "h": row["highPrice"], "l": row["lowPrice"], "v": row["volume"], "q": row["quoteVolume"],
            "O": row["openTime"], "C": row["closeTime"], "F": row["firstId"], "L": row["lastId"], "n": row["count"],
            "ps": row["symbol"], "st": 1}
