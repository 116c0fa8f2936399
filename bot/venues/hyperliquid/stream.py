"""Hyperliquid's websocket: the coin's book, and the trader's fills and order updates, pushed.

One connection to ``<api url>/ws`` (the SDK's websocket_manager builds the
same URL), subscribed to ``l2Book`` {coin}, ``userFills`` {user} and
``orderUpdates`` {user}; message shapes as the SDK's utils/types.py
(L2BookMsg, UserFillsMsg, Fill) and the docs' "Subscriptions" page. The
server closes a connection that has sent nothing for 60 s (docs, "Timeouts
and heartbeats"), so a ping goes out every ``PING_SECONDS``. The first
``userFills`` message is a snapshot (``isSnapshot``) of recent fills, not new
ones: it is skipped. Nothing here waits on the event loop for long: each
message is parsed and handed to the client's callbacks.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

import aiohttp

from bot.maths import hedging as hm
from bot.supervision import Health

log = logging.getLogger("hedge.hyperliquid.stream")
PING_SECONDS = 20.0


@dataclass(frozen=True)
class StreamFill:
    oid: int
    is_buy: bool
    size: Decimal
    price: Decimal
    fee: Decimal
    position_after: Decimal     # startPosition + the fill, signed (the venue's own figure)
    time_ms: int
    tid: int


def ws_url(api_url: str) -> str:
    return "ws" + api_url.rstrip("/")[len("http"):] + "/ws"


def parse_book(data: dict[str, Any]) -> hm.Book:
    bids, asks = data["levels"]
    return hm.Book(bids=tuple((Decimal(lv["px"]), Decimal(lv["sz"])) for lv in bids),
                   asks=tuple((Decimal(lv["px"]), Decimal(lv["sz"])) for lv in asks))


def parse_fill(raw: dict[str, Any]) -> StreamFill:
    is_buy = raw["side"] == "B"
    size = Decimal(raw["sz"])
    return StreamFill(int(raw["oid"]), is_buy, size, Decimal(raw["px"]), Decimal(raw.get("fee") or "0"),
                      Decimal(raw["startPosition"]) + (size if is_buy else -size), int(raw["time"]),
                      int(raw.get("tid") or 0))


class HyperliquidStream:
    def __init__(self, api_url: str, coin: str, user: str, on_book: Callable[[hm.Book], None],
                 on_fill: Callable[[StreamFill], None], on_order: Callable[[dict[str, Any]], None]):
        self.url = ws_url(api_url)
        self.coin = coin
        self.user = user
        self.on_book = on_book
        self.on_fill = on_fill
        self.on_order = on_order
        self.messages = 0

    async def run(self, health: Health) -> None:
        """Connect, subscribe, read until the connection breaks (the caller reconnects)."""
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(self.url, heartbeat=None, max_msg_size=2**23) as ws:
                for subscription in ({"type": "l2Book", "coin": self.coin}, {"type": "userFills", "user": self.user},
                                     {"type": "orderUpdates", "user": self.user}):
                    await ws.send_str(json.dumps({"method": "subscribe", "subscription": subscription}))
                pinger = asyncio.create_task(self._ping(ws))
                try:
                    async for message in ws:
                        if message.type != aiohttp.WSMsgType.TEXT:
                            if message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                                break
                            continue
                        self._handle(message.data, health)
                finally:
                    pinger.cancel()
                    await asyncio.gather(pinger, return_exceptions=True)
        raise ConnectionError("hyperliquid websocket closed")

    async def _ping(self, ws) -> None:
        while True:
            await asyncio.sleep(PING_SECONDS)
            await ws.send_str('{"method":"ping"}')

    def _handle(self, text: str, health: Health) -> None:
        if not text.startswith("{"):       # "Websocket connection established."
            return
        message = json.loads(text)
        channel, data = message.get("channel"), message.get("data")
        self.messages += 1
        if channel == "l2Book" and data.get("coin") == self.coin:
            self.on_book(parse_book(data))
            health.ok()
        elif channel == "userFills":
            if not data.get("isSnapshot"):
                for raw in data.get("fills", ()):
                    if raw.get("coin") == self.coin:
                        self.on_fill(parse_fill(raw))
        elif channel == "orderUpdates":
            for update in data or ():
                if update.get("order", {}).get("coin") == self.coin:
                    self.on_order(update)
        elif channel in ("pong", "subscriptionResponse"):
            health.ok()
        elif channel == "error":
            raise ConnectionError(f"hyperliquid websocket refused a request: {data}")
