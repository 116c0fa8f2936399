"""Minimal indexer API (HUBBLE_INDEXER_API_URL): candles, funding and open interest.

Answers are built from the trades the node has seen (PositionModified logs of
the simulated chain); funding rates are the simulated rate (knob funding_rate).
The indexer's response shapes are not documented anywhere public: unconfirmed.
"""
from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from tools.simnet.hubble import constants as C
from tools.simnet.hubble.engine import Engine

_INTERVALS = {"1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "4h": 14400,
              "8h": 28800, "1d": 86400, "1w": 604800, "1M": 2592000}


class Indexer:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.funding_rate = 0.0
        self.trades: dict[int, list[tuple[int, float, float]]] = {m.market_id: [] for m in C.MARKETS}  # ts, px, size

    def record(self, market: int, timestamp: int, price: float, size: float) -> None:
        self.trades[market].append((timestamp, price, abs(size)))

    def routes(self, prefix: str) -> list[web.RouteDef]:
        return [web.get(prefix + "/market/{name}/chart", self.chart),
                web.get(prefix + "/market/{name}/predicted_funding_rate", self.predicted_funding),
                web.get(prefix + "/market/{name}/funding_rate", self.funding),
                web.get(prefix + "/market/{name}/open_interest", self.open_interest)]

    def _market(self, request: web.Request) -> C.HubbleMarket:
        name = request.match_info["name"]
        for market in C.MARKETS:
            if market.name == name:
                return market
        raise web.HTTPNotFound(text='{"error":"market not found"}', content_type="application/json")

    async def chart(self, request: web.Request) -> web.Response:
        market = self._market(request)
        frame = _INTERVALS.get(request.query.get("timeframe", "1m"), 60)
        start = int(request.query.get("start", 0))
        end = int(request.query.get("end", time.time()))
        candles: dict[int, dict[str, Any]] = {}
        for ts, px, size in self.trades[market.market_id]:
            if not start <= ts <= end:
                continue
            key = ts - ts % frame
            c = candles.setdefault(key, {"time": key, "open": px, "high": px, "low": px, "close": px, "volume": 0.0})
            c["high"], c["low"], c["close"] = max(c["high"], px), min(c["low"], px), px
            c["volume"] += size
        return web.json_response({"data": [candles[k] for k in sorted(candles)]})

    async def predicted_funding(self, request: web.Request) -> web.Response:
        self._market(request)
        return web.json_response({"data": {"fundingRate": self.funding_rate, "nextFundingTime": int(time.time()) // 3600 * 3600 + 3600}})

    async def funding(self, request: web.Request) -> web.Response:
        self._market(request)
        return web.json_response({"data": {"fundingRate": self.funding_rate, "timestamp": int(request.query.get("timestamp", 0))}})

    async def open_interest(self, request: web.Request) -> web.Response:
        market = self._market(request)
        oi = self.engine.open_interest[market.market_id] / C.SIZE_SCALE
        return web.json_response({"data": {"openInterest": oi, "timestamp": int(request.query.get("timestamp", 0))}})
