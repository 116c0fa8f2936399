"""Market data feeds: the Binance mid price and the Hubble order book.

Each feed runs under ``retry.supervise``: its event is set while data flows,
cleared when the stream breaks or stalls (open but silent), and after five
failed reconnects the feed reports a fatal error so the process exits
non-zero. Freshness is measured with this process's monotonic clock at
receive time, never with the venue's timestamps (its clock may be skewed).
"""
from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal
from typing import Callable

from binance import AsyncClient, BinanceSocketManager

from retry import Health, supervise
from settings import MarketSettings

log = logging.getLogger("feeds")
MIN_STALL_SECONDS = 5.0


def stall_timeout(period: float) -> float:
    """A stream that normally sends every `period` seconds counts as stalled after this long."""
    return max(MIN_STALL_SECONDS, 3 * period)


def _ws_base(url: str) -> str:
    return url.rstrip("/") + "/"


class MidPriceFeed:
    """Mid price from Binance USDT-M bookTicker ((bid+ask)/2) or spot trades, via python-binance."""

    def __init__(self, settings: MarketSettings, endpoints: dict[str, str], fatal: Callable[[str], None]):
        self.settings = settings
        self.symbol = settings.spec.binance_symbol.lower()
        self.endpoints = endpoints
        self.fatal = fatal
        self.event = asyncio.Event()       # mid_price_streaming_event
        self.mid: Decimal | None = None
        self.updated_at = 0.0              # time.monotonic() of the last update
        self.updates = 0

    def age(self) -> float:
        return time.monotonic() - self.updated_at

    async def run(self) -> None:
        name = f"mid-price feed ({self.settings.price_feed} {self.symbol})"
        await supervise(name, self._stream, self.event, self.fatal,
                        stall_timeout=stall_timeout(self.settings.futures_feed_frequency))

    def _socket(self, manager: BinanceSocketManager):
        if self.settings.price_feed == "binance-futures":
            manager.FSTREAM_URL = _ws_base(self.endpoints["BINANCE_FUTURES_WS"])
            return manager.futures_multiplex_socket([f"{self.symbol}@bookTicker"])
        manager.STREAM_URL = _ws_base(self.endpoints["BINANCE_SPOT_WS"])
        return manager.trade_socket(self.symbol.upper())

    async def _stream(self, health: Health) -> None:
        client = AsyncClient()  # no keys and no REST call: only the socket manager needs it
        try:
            socket = self._socket(BinanceSocketManager(client))
            socket.MAX_RECONNECTS = 0  # reconnects are ours (5-retry rule, event cleared meanwhile)
            async with socket as stream:
                while True:
                    message = await stream.recv()
                    if message.get("e") == "error":
                        raise ConnectionError(f"{message.get('type')}: {message.get('m')}")
                    if self._apply(message.get("data", message)):
                        health.ok()
        finally:
            await client.close_connection()

    def _apply(self, data: dict) -> bool:
        """Update the mid from one message; False if the message carried no price."""
        if "b" in data and "a" in data:
            bid, ask = Decimal(data["b"]), Decimal(data["a"])
            if bid <= 0 or ask <= 0 or bid > ask:
                log.warning("ignoring bad bookTicker from Binance: bid %s ask %s", bid, ask)
                return False
            mid = (bid + ask) / 2
        elif "p" in data:
            mid = Decimal(data["p"])
            if mid <= 0:
                return False
        else:
            return False
        self.mid, self.updated_at = mid, time.monotonic()
        self.updates += 1
        return True


class HubbleBookFeed:
    """Best bid and ask of the Hubble market, kept from the depth stream's incremental updates.

    The node sends, every period, the levels whose size changed since its
    last message (size "0" when a level vanished); the first message after
    subscribing is the whole book. So the book is rebuilt on every (re)connect.
    """

    def __init__(self, settings: MarketSettings, hubble_client, fatal: Callable[[str], None]):
        self.settings = settings
        self.client = hubble_client
        self.fatal = fatal
        self.event = asyncio.Event()       # hubble_price_streaming_event
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.updated_at = 0.0
        self.updates = 0

    @property
    def best_bid(self) -> Decimal | None:
        return max(self.bids) if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return min(self.asks) if self.asks else None

    async def run(self) -> None:
        await supervise(f"Hubble order-book feed (market {self.settings.spec.hubble_id})", self._stream,
                        self.event, self.fatal, stall_timeout=stall_timeout(self.settings.hubble_orderbook_seconds))

    async def _stream(self, health: Health) -> None:
        self.bids.clear()
        self.asks.clear()

        async def on_update(_ws, update) -> None:
            self.apply(update.bids, update.asks)
            health.ok()

        await self.client.subscribe_to_order_book_depth_with_freq(
            self.settings.spec.hubble_id, on_update, self.settings.hubble_orderbook_frequency)

    def apply(self, bids: list[list[str]], asks: list[list[str]]) -> None:
        """Apply one depth update: set changed levels, drop levels whose size is 0."""
        for book, levels in ((self.bids, bids), (self.asks, asks)):
            for price_text, size_text in levels or ():
                price, size = Decimal(str(price_text)), Decimal(str(size_text))
                if size > 0:
                    book[price] = size
                else:
                    book.pop(price, None)
        self.updated_at = time.monotonic()
        self.updates += 1
