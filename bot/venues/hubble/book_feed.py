"""Best bid and ask of the Hubble market, kept from the node's depth stream.

Runs under ``supervision.supervise`` like every feed: its event is set while
data flows and cleared when the stream breaks or stalls.
"""
from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Callable

from bot.settings import MarketSettings
from bot.supervision import Health, stall_timeout, supervise


class HubbleBookFeed:
    """Best bid and ask of the Hubble market, kept from the depth stream's incremental updates.

    The node sends, every period, the levels whose size changed since its
    last message (size "0" when a level vanished); the first message after
    subscribing is the whole book. So the book is rebuilt on every (re)connect.
    Sizes on the short side are negative: the node sums each order's unfilled
    quantity, which is negative for a short (hubblenet service.go
    aggregateOrdersByPrice, GetUnFilledBaseAssetQuantity), and the SDK passes
    the sign through. The book keeps sizes unsigned.
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

    def age(self) -> float:
        """Seconds since the last depth message (the node sends one every period, changes or not)."""
        return time.monotonic() - self.updated_at

    def max_age(self) -> float:
        """Older than this, the book is stale: quoting pauses (the stall limit of the depth stream)."""
        return stall_timeout(self.settings.hubble_orderbook_seconds)

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
        """Apply one depth update: set changed levels (by absolute size), drop levels whose size is 0."""
        for book, levels in ((self.bids, bids), (self.asks, asks)):
            for price_text, size_text in levels or ():
                price, size = Decimal(str(price_text)), Decimal(str(size_text))
                if size != 0:
                    book[price] = abs(size)
                else:
                    book.pop(price, None)
        self.updated_at = time.monotonic()
        self.updates += 1
