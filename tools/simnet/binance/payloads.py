"""Market-stream message shapes (futures and spot), field letters as Binance's.

Futures field sets follow the stream models of the official SDK
(binance/binance-connector-python, clients/derivatives_trading_usds_futures,
websocket_streams/models): since SDK 12.0.0 (2026-06-29) book tickers and depth updates
carry ``ps`` (pair) and ``st`` (symbol type, 1 = UM) and aggTrade / markPrice carry ``st``,
described as "(After CM migration)"; aggTrade's ``nq`` (quantity without RPI-order trades)
came with SDK 11.0.0. unconfirmed: since when the live streams send ``ps``/``st``.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from tools.simnet.binance.book import Book
from tools.simnet.binance.orders import Order

UM = 1          # "st": symbol type, 1 = UM (USDⓈ-M)
ZERO_QTY = Decimal(0)


def futures_book_ticker(book: Book, now: int) -> dict[str, Any]:
    spec = book.spec
    bid, bid_qty, ask, ask_qty = book.top()
    return {"e": "bookTicker", "u": book.update_id, "s": spec.symbol, "ps": spec.symbol, "b": spec.fmt_price(bid),
            "B": spec.fmt_qty(bid_qty), "a": spec.fmt_price(ask), "A": spec.fmt_qty(ask_qty), "T": now, "E": now,
            "st": UM}


def spot_book_ticker(book: Book) -> dict[str, Any]:
    spec = book.spec
    bid, bid_qty, ask, ask_qty = book.top()
    return {"u": book.update_id, "s": spec.symbol, "b": spec.fmt_price(bid), "B": spec.fmt_qty(bid_qty),
            "a": spec.fmt_price(ask), "A": spec.fmt_qty(ask_qty)}


def spot_partial_depth(book: Book, levels: int) -> dict[str, Any]:
    bids, asks = book.levels(levels)
    return {"lastUpdateId": book.update_id, "bids": bids, "asks": asks}


def agg_trade(symbol: str, agg_id: int, trade_id: int, price: str, qty: str, buyer_maker: bool,
              now: int, spot: bool) -> dict[str, Any]:
    msg = {"e": "aggTrade", "E": now, "s": symbol, "a": agg_id, "p": price, "q": qty, "f": trade_id,
           "l": trade_id, "T": now, "m": buyer_maker}
    if spot:
        msg["M"] = True
    else:
        msg.update(nq=qty, st=UM)        # no RPI orders are simulated: nq == q
    return msg


def spot_trade(symbol: str, trade_id: int, price: str, qty: str, buyer_maker: bool, now: int) -> dict[str, Any]:
    return {"e": "trade", "E": now, "s": symbol, "t": trade_id, "p": price, "q": qty, "T": now,
            "m": buyer_maker, "M": True}


def mark_price(symbol: str, mark: Decimal, index: Decimal, rate: Decimal, next_funding: int,
               now: int) -> dict[str, Any]:
    """<symbol>@markPrice: p mark, i index, P estimated settle price, r funding rate, T next funding time.
    unconfirmed: ``ap`` (mark price moving average) is sent equal to the mark."""
    text = f"{mark:.8f}"
    return {"e": "markPriceUpdate", "E": now, "s": symbol, "p": text, "ap": text, "P": f"{index:.8f}",
            "i": f"{index:.8f}", "r": f"{rate:.8f}", "T": next_funding, "st": UM}


def force_order(order: Order, now: int) -> dict[str, Any]:
    """<symbol>@forceOrder / !forceOrder@arr (USDⓈ-M Liquidation Order Streams: e, E, o{s S o f q p ap X l z T}).
    unconfirmed: the docs say only the latest liquidation of a symbol per 1000 ms is pushed as a snapshot
    [simnet pushes each one at once]."""
    spec = order.spec
    return {"e": "forceOrder", "E": now, "o": {
        "s": order.symbol, "S": order.side, "o": order.type, "f": order.tif, "q": spec.fmt_qty(order.qty),
        "p": spec.fmt_price(order.price), "ap": spec.fmt_price(order.avg_price), "X": order.status,
        "l": spec.fmt_qty(order.fills[-1]["qty"]) if order.fills else spec.fmt_qty(ZERO_QTY),
        "z": spec.fmt_qty(order.executed), "T": order.update_time}}
