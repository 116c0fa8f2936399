"""Mark and index prices of the simulated USDT-M symbols.

Binance's mark price is its own series (median of index-based estimates and
the last price), not the order book's mid; PERCENT_PRICE, MIN_NOTIONAL for
MARKET orders, margin and unrealised PnL use it (USDⓈ-M docs,
common-definition "PERCENT_PRICE ... based on the mark price", "MIN_NOTIONAL
... Since MARKET orders have no price, the mark price is used").

simnet's mark is the synthetic book's mid (before our own fills take
liquidity) moved by the ``mark_offset_bps`` option, or a value pinned with the
``set_mark`` control action, so a test can put the mark away from the book.
unconfirmed: Binance's exact mark formula is not modelled. The index is the
spot book's mid.
"""
from __future__ import annotations

from decimal import Decimal

from tools.simnet.binance.book import Book

TEN_THOUSAND = Decimal(10_000)


class Marks:
    def __init__(self, books: dict[str, Book], spot_books: dict[str, Book], offset_bps: float = 0.0):
        self.books = books
        self.spot_books = spot_books
        self.offset = Decimal(repr(float(offset_bps))) / TEN_THOUSAND
        self.pinned: dict[str, Decimal] = {}

    def mark(self, symbol: str) -> Decimal:
        pinned = self.pinned.get(symbol)
        if pinned is not None:
            return pinned
        return self.books[symbol].mid * (1 + self.offset)

    def index(self, symbol: str) -> Decimal:
        book = self.spot_books.get(symbol)
        return book.mid if book is not None and book.mid else self.books[symbol].mid

    def all(self) -> dict[str, Decimal]:
        return {symbol: self.mark(symbol) for symbol in self.books}

    def pin(self, symbol: str, price: Decimal | None = None, offset_bps: float | None = None) -> Decimal:
        """The ``set_mark`` action: a fixed mark, or the book mid moved by `offset_bps`; neither unpins."""
        if price is not None:
            self.pinned[symbol] = Decimal(str(price))
        elif offset_bps is not None:
            self.pinned[symbol] = self.books[symbol].mid * (1 + Decimal(repr(float(offset_bps))) / TEN_THOUSAND)
        else:
            self.pinned.pop(symbol, None)
        return self.mark(symbol)
