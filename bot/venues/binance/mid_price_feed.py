"""The mid price from Binance: USDT-M futures bookTicker ((bid+ask)/2) or spot trades, via python-binance.

The feed runs under ``supervision.supervise``: its event is set while data
flows, cleared when the stream breaks or stalls (open but silent), and after
five failed reconnects it reports a fatal error so the process exits non-zero.
Freshness is measured with this process's monotonic clock at receive time,
never with the venue's timestamps (its clock may be skewed).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from decimal import Decimal
from typing import Callable

from binance import AsyncClient, BinanceSocketManager

from bot.settings import MarketSettings
from bot.supervision import Health, stall_timeout, supervise

log = logging.getLogger("feeds")
HISTORY = 120                      # mid samples kept, one a second (for the realised volatility)


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
        self._watch: tuple[Decimal, Decimal, Callable[[], None]] | None = None   # (mid, fraction, call once)
        self.history: deque[tuple[float, Decimal]] = deque(maxlen=HISTORY)      # (monotonic, mid), one a second

    def watch(self, reference: Decimal, fraction: Decimal, moved: Callable[[], None]) -> None:
        """Call `moved` once, as soon as the mid leaves reference x (1 +/- fraction)."""
        self._watch = (reference, fraction, moved) if fraction > 0 else None

    def age(self) -> float:
        return time.monotonic() - self.updated_at

    async def run(self) -> None:
        name = f"mid-price feed ({self.settings.price_feed} {self.symbol})"
        await supervise(name, self._stream, self.event, self.fatal,
                        stall_timeout=stall_timeout(self.settings.futures_feed_frequency))

    def _socket(self, manager: BinanceSocketManager):
        if self.settings.price_feed == "binance-futures":
            manager.FSTREAM_URL = _ws_base(self.endpoints["BINANCE_FUTURES_WS"])
            # bookTicker is served only on the /public route since 2026-04-23 (Binance's change notice of
            # 2026-03-06); python-binance's multiplex socket defaults to /market, where it never arrives
            return manager.futures_multiplex_socket([f"{self.symbol}@bookTicker"], category="public")
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
                    _raise_if_cancel_was_lost()
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
        if not self.history or self.updated_at - self.history[-1][0] >= 1.0:
            self.history.append((self.updated_at, mid))
        watch = self._watch
        if watch is not None and abs(mid - watch[0]) > watch[0] * watch[1]:
            self._watch = None
            watch[2]()
        return True


def _raise_if_cancel_was_lost() -> None:
    """python-binance's ``recv`` reads through ``asyncio.wait_for``, which on Python 3.11 returns the
    message and drops a cancel that arrives as the message does; a busy feed would then read on for
    ever during a stop. ``Task.cancelling()`` still counts that cancel (3.11+)."""
    task = asyncio.current_task()
    if task is not None and getattr(task, "cancelling", lambda: 0)():
        raise asyncio.CancelledError
