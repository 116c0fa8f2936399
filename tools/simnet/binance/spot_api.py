"""Spot REST endpoints (/api/v3/...): what AsyncClient.create calls plus the price feed.

The spot app's websocket routes are added by the venue (ws_endpoints.py).
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from tools.simnet.binance.book import Book
from tools.simnet.binance.errors import BinanceError
from tools.simnet.binance.rest import NONE, Call, RestPipeline
from tools.simnet.binance.specs import SPOT, spot_exchange_info

DEPTH_WEIGHTS = ((100, 5), (500, 25), (1000, 50), (5000, 250))


def depth_weight(params: dict[str, str]) -> int:
    raw = params.get("limit", "100")
    limit = int(raw) if raw.isdigit() else 100
    return next((w for cap, w in DEPTH_WEIGHTS if limit <= cap), 250)


class SpotApi:
    def __init__(self, books: dict[str, Book], pipeline: RestPipeline):
        self.books = books                    # symbol -> spot book
        self.p = pipeline

    def app(self) -> web.Application:
        app = web.Application()
        routes = [
            ("/api/v3/ping", self.ping, 1), ("/api/v3/time", self.time, 1),
            ("/api/v3/exchangeInfo", self.exchange_info, 20),
            ("/api/v3/ticker/bookTicker", self.book_ticker, 2),
            ("/api/v3/ticker/price", self.ticker_price, 2),
            ("/api/v3/depth", self.depth, depth_weight),
        ]
        for path, handler, weight in routes:
            app.router.add_get(path, self.p.route(handler, weight, NONE))
        return app

    async def ping(self, call: Call) -> Any:
        return {}

    async def time(self, call: Call) -> Any:
        return {"serverTime": call.now}

    async def exchange_info(self, call: Call) -> Any:
        info = spot_exchange_info(call.now, self.p.limiter.limit)
        wanted = call.params.get("symbol")
        if wanted:
            if wanted not in SPOT:
                raise BinanceError(-1121)
            info["symbols"] = [s for s in info["symbols"] if s["symbol"] == wanted]
        return info

    def _symbol(self, call: Call) -> str | None:
        symbol = call.params.get("symbol")
        if symbol is not None and symbol not in SPOT:
            raise BinanceError(-1121)
        return symbol

    def _ticker(self, symbol: str) -> dict[str, Any]:
        spec = SPOT[symbol]
        bid, bid_qty, ask, ask_qty = self.books[symbol].top()
        return {"symbol": symbol, "bidPrice": spec.fmt_price(bid), "bidQty": spec.fmt_qty(bid_qty),
                "askPrice": spec.fmt_price(ask), "askQty": spec.fmt_qty(ask_qty)}

    async def book_ticker(self, call: Call) -> Any:
        symbol = self._symbol(call)
        return self._ticker(symbol) if symbol else [self._ticker(s) for s in SPOT]

    async def ticker_price(self, call: Call) -> Any:
        def one(s: str) -> dict[str, Any]:
            return {"symbol": s, "price": SPOT[s].fmt_price(self.books[s].top()[0])}
        symbol = self._symbol(call)
        return one(symbol) if symbol else [one(s) for s in SPOT]

    async def depth(self, call: Call) -> Any:
        symbol = self._symbol(call)
        if symbol is None:
            raise BinanceError(-1102, name="symbol")
        raw = call.params.get("limit", "100")
        limit = min(int(raw), 5000) if raw.isdigit() and int(raw) > 0 else 100
        book = self.books[symbol]
        bids, asks = book.levels(limit)
        return {"lastUpdateId": book.update_id, "bids": bids, "asks": asks}
