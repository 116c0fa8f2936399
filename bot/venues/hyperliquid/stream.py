"""Hyperliquid's websocket: the coin's book, and the trader's fills and order updates, pushed.

One connection to ``<api url>/ws`` (the SDK's websocket_manager builds the
same URL); message shapes as the SDK's utils/types.py (L2BookMsg, BboData,
UserFillsMsg, Fill) and the docs' "Subscriptions" page. The book is built
from three pushes, since the venue pushes the full ``l2Book`` (20 levels)
only every ~5 s, the ``fast`` one (5 levels) every 0.5 s, and ``bbo`` whenever
the top changes (docs/simnet/hyperliquid.md, websocket section): the newest
top of book, the fast levels, then the deep levels beyond them. The account
comes from ``clearinghouseState`` pushes (position and withdrawable) and
``userFills`` (the position after each fill). The venue drops a connection it
has had nothing to send on for 60 s (docs, "Timeouts and heartbeats"), so a
ping goes out every ``PING_SECONDS``. The first ``userFills`` message is a
snapshot (``isSnapshot``) of recent fills, not new ones: it is skipped.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

import aiohttp

from bot.maths import hedging as hm
from bot.supervision import Health
from bot.venues.venue_clock import VenueClock

log = logging.getLogger("hedge.hyperliquid.stream")
PING_SECONDS = 20.0
CLOSE_SECONDS = 2.0              # seconds a close waits for the venue's close frame


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


class PostNotSent(ConnectionError):
    """A post request that never left (the socket was down): it cannot have executed."""


def ws_url(api_url: str) -> str:
    return "ws" + api_url.rstrip("/")[len("http"):] + "/ws"


def parse_book(data: dict[str, Any]) -> hm.Book:
    bids, asks = data["levels"]
    return hm.Book(bids=tuple((Decimal(lv["px"]), Decimal(lv["sz"])) for lv in bids),
                   asks=tuple((Decimal(lv["px"]), Decimal(lv["sz"])) for lv in asks))


class BookParts:
    """The deep book, the fast book and the bbo, each with the venue time it was taken at."""

    def __init__(self):
        self.deep: tuple[int, hm.Book] | None = None
        self.fast: tuple[int, hm.Book] | None = None
        self.bbo: tuple[int, Decimal | None, Decimal | None, Decimal | None, Decimal | None] | None = None

    def on_l2book(self, data: dict[str, Any]) -> None:
        part = (int(data.get("time", 0)), parse_book(data))
        if data.get("fast"):
            self.fast = part
        else:
            self.deep = part

    def on_bbo(self, data: dict[str, Any]) -> None:
        bid, ask = data["bbo"]
        self.bbo = (int(data.get("time", 0)), Decimal(bid["px"]) if bid else None, Decimal(bid["sz"]) if bid else None,
                    Decimal(ask["px"]) if ask else None, Decimal(ask["sz"]) if ask else None)

    def book(self) -> hm.Book:
        books = sorted((p for p in (self.deep, self.fast) if p is not None), key=lambda p: p[0])
        if not books:
            return hm.Book()
        newest_time, newest = books[-1]
        bids, asks = list(newest.bids), list(newest.asks)
        if len(books) == 2:               # the other book's levels beyond the newest one's
            older = books[0][1]
            if bids:
                bids += [lv for lv in older.bids if lv[0] < bids[-1][0]]
            if asks:
                asks += [lv for lv in older.asks if lv[0] > asks[-1][0]]
        if self.bbo is not None and self.bbo[0] > newest_time:
            _, bid, bid_sz, ask, ask_sz = self.bbo
            if bid is not None:
                bids = [(bid, bid_sz)] + [lv for lv in bids if lv[0] < bid]
            if ask is not None:
                asks = [(ask, ask_sz)] + [lv for lv in asks if lv[0] > ask]
        return hm.Book(bids=tuple(bids), asks=tuple(asks))


def parse_fill(raw: dict[str, Any]) -> StreamFill:
    is_buy = raw["side"] == "B"
    size = Decimal(raw["sz"])
    return StreamFill(int(raw["oid"]), is_buy, size, Decimal(raw["px"]), Decimal(raw.get("fee") or "0"),
                      Decimal(raw["startPosition"]) + (size if is_buy else -size), int(raw["time"]),
                      int(raw.get("tid") or 0))


class HyperliquidStream:
    def __init__(self, api_url: str, coin: str, user: str, on_book: Callable[[Callable[[], hm.Book]], None],
                 on_fill: Callable[[StreamFill], None],
                 on_account: Callable[[Decimal, Decimal, int], None], clock: VenueClock | None = None):
        self.url = ws_url(api_url)
        self.clock = clock or VenueClock("hyperliquid")   # fed the venue's `time` stamps as they arrive
        self.coin = coin
        self.user = user
        self.on_book = on_book
        self.on_fill = on_fill
        self.on_account = on_account
        self.messages = 0
        self.parts = BookParts()
        self._ws = None
        self._posts: dict[int, asyncio.Future] = {}
        self._restart_reason: str | None = None
        self.funding_since_open: Decimal | None = None   # cumFunding.sinceOpen of the position, as pushed
        self._post_ids = itertools.count(1)

    async def run(self, health: Health) -> None:
        """Connect, subscribe, read until the connection breaks (the caller reconnects)."""
        async with aiohttp.ClientSession() as session:
            # a close waits at most CLOSE_SECONDS for the venue's answer (a silent socket gives none)
            async with session.ws_connect(self.url, heartbeat=None, max_msg_size=2**23,
                                          timeout=aiohttp.ClientWSTimeout(ws_close=CLOSE_SECONDS)) as ws:
                self._ws = ws
                self.parts = BookParts()
                for subscription in ({"type": "l2Book", "coin": self.coin}, {"type": "l2Book", "coin": self.coin, "fast": True},
                                     {"type": "bbo", "coin": self.coin}, {"type": "userFills", "user": self.user},
                                     {"type": "clearinghouseState", "user": self.user}):
                    await ws.send_str(json.dumps({"method": "subscribe", "subscription": subscription}))
                pinger = asyncio.create_task(self._ping(ws))
                self._restart_reason = None
                try:
                    async for message in ws:
                        if message.type != aiohttp.WSMsgType.TEXT:
                            if message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                                break
                            continue
                        self._handle(message.data, health)
                finally:
                    self._ws = None
                    self._fail_posts(ConnectionError("hyperliquid websocket closed with the post unanswered"))
                    pinger.cancel()
                    await asyncio.gather(pinger, return_exceptions=True)
        if self._restart_reason:
            raise ConnectionError(f"hyperliquid websocket reconnected: {self._restart_reason}")
        raise ConnectionError("hyperliquid websocket closed")

    def restart(self, reason: str) -> bool:
        """Close the connection in use (the supervisor reconnects); False when there is none."""
        ws = self._ws
        if ws is None or ws.closed or self._restart_reason:
            return False
        self._restart_reason = reason
        asyncio.ensure_future(ws.close())
        return True

    async def post_action(self, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send an /exchange body as a post request on the socket (docs, "Post requests"); the answer's
        ``response`` ({type, payload}). PostNotSent when it never left; other errors leave it unknown."""
        ws = self._ws
        if ws is None or ws.closed:
            raise PostNotSent("hyperliquid websocket not connected")
        post_id = next(self._post_ids)
        future = asyncio.get_running_loop().create_future()
        self._posts[post_id] = future
        try:
            try:
                await ws.send_str(json.dumps({"method": "post", "id": post_id,
                                              "request": {"type": "action", "payload": payload}}))
            except (ConnectionError, RuntimeError) as exc:
                raise PostNotSent(f"hyperliquid websocket: {exc}") from None
            return await asyncio.wait_for(future, timeout)
        finally:
            self._posts.pop(post_id, None)

    def _fail_posts(self, error: Exception) -> None:
        for future in self._posts.values():
            if not future.done():
                future.set_exception(error)

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
        if channel in ("l2Book", "bbo") and data.get("coin") == self.coin:
            self.clock.observe(data.get("time") or 0)
            (self.parts.on_l2book if channel == "l2Book" else self.parts.on_bbo)(data)
            if self.parts.deep or self.parts.fast:
                self.on_book(self.parts.book)
            health.ok()
        elif channel == "clearinghouseState":
            self._account(data.get("clearinghouseState") or {})
        elif channel == "userFills":
            if not data.get("isSnapshot"):
                for raw in data.get("fills", ()):
                    if raw.get("coin") == self.coin:
                        self.on_fill(parse_fill(raw))
            health.ok()
        elif channel == "post":
            future = self._posts.get(int(data.get("id", -1)))
            if future is not None and not future.done():
                future.set_result(data.get("response") or {})
        elif channel == "error":
            raise ConnectionError(f"hyperliquid websocket refused a request: {data}")

    def _account(self, state: dict[str, Any]) -> None:
        mine = [item["position"] for item in state.get("assetPositions", ())
                if item.get("position", {}).get("coin") == self.coin]
        position = sum((Decimal(p["szi"]) for p in mine), Decimal(0))
        funding = [p.get("cumFunding", {}).get("sinceOpen") for p in mine]
        self.funding_since_open = Decimal(funding[0]) if funding and funding[0] is not None else None
        if "withdrawable" in state:
            self.on_account(position, Decimal(state["withdrawable"]), int(state.get("time", 0)))
