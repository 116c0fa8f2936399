"""Binance USDT-M websockets: the symbol's book kept from the diff-depth stream, and the user-data stream.

Routes (Binance change notice of 2026-03-06, in force since 2026-04-23):
depth streams only on ``/public``, user data only on ``/private`` with a
listenKey (docs/simnet/binance.md lists the URL forms).

The book follows Binance's "How to manage a local order book correctly"
(USDⓈ-M): buffer the stream's events, take a REST snapshot, drop events with
``u`` < the snapshot's ``lastUpdateId``, start at the event with ``U`` <=
lastUpdateId <= ``u``, and from then on every event's ``pu`` must equal the
previous event's ``u``; a gap means "initialize the process from step 3": a
new snapshot, on the same connection, with the events still buffered. A
snapshot older than the first buffered event (clients meet it: a REST
snapshot lagging the stream) is fetched again the same way, up to
``MAX_SNAPSHOTS`` per sync; only then is the connection dropped. Quantities are
absolute; 0 removes the level. The diff stream comes every 100 ms at best, so
``@bookTicker`` (pushed on every change of the top) is laid over the top of
the book while it is newer than the last diff: bookTicker's ``u`` and the
depth ids are one sequence per symbol (docs/simnet/binance.md, "Streams the
bot uses").

The user-data stream lives as long as its listenKey: created with POST
/fapi/v1/listenKey, kept alive with PUT every ``KEEPALIVE_SECONDS`` (a key
expires 60 minutes after its last keepalive), and replaced when the venue
says ``listenKeyExpired`` or closes the connection (it does after 24 h).
The URL names the events the bot reads (``USER_EVENTS``): ``events`` is an
allow list on ``/private``, so an event not named never arrives, and one
source says a connection naming none gets nothing at all; the path form
``/private/ws/<key>`` is silent on mainnet (docs/simnet/binance.md, "The
/private route"). A connection can also stay open and go quiet: the hedge
client notices (a filled order with no ORDER_TRADE_UPDATE) and calls
``restart``, and the supervisor opens a new one.
"""
from __future__ import annotations

import asyncio
import heapq
import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Awaitable, Callable

import aiohttp

from bot.maths import hedging as hm
from bot.supervision import Health

log = logging.getLogger("hedge.binance.stream")
BOOK_LEVELS = 50                 # levels per side handed to the hedge client (enough to walk any hedge)
SNAPSHOT_LIMIT = 1000            # GET /fapi/v1/depth limit at (re)sync: weight 20, the whole book
MAX_SNAPSHOTS = 3                # snapshots per sync before the connection is given up (3 x weight 20)
KEEPALIVE_SECONDS = 30 * 60
KEEPALIVE_ATTEMPTS = 5           # keepalive PUTs tried before the connection is renewed with a new key
KEEPALIVE_RETRY_SECONDS = 60.0
# the user-data events the bot reads; listenKeyExpired too, or an expiry is never seen (events is an allow list)
USER_EVENTS = ("ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE", "listenKeyExpired")


class SequenceGap(ConnectionError):
    """A diff-depth event did not follow the previous one (pu != previous u): resync."""


class SnapshotTooOld(SequenceGap):
    """The first event after the snapshot starts past its lastUpdateId: the snapshot predates the stream."""


class UserStreamSilent(ConnectionError):
    """The user-data connection is open but the venue stopped pushing on it: reconnect."""


@dataclass(frozen=True)
class OrderEvent:
    """One ORDER_TRADE_UPDATE of one of our orders (docs, User Data Streams, "Event: Order Update")."""
    client_id: str
    status: str                  # X
    execution: str               # x: NEW, TRADE, EXPIRED, CANCELED, ...
    filled: Decimal              # z: cumulative filled quantity
    avg_price: Decimal | None    # ap
    commission: Decimal          # n: of this trade (0 when no trade), in commission_asset
    event_ms: int
    commission_asset: str = "USDT"   # N: "BNB" when BNB fee deduction paid it
    last_qty: Decimal = Decimal(0)   # l: this trade's quantity
    last_price: Decimal = Decimal(0)  # L: this trade's price


class LocalBook:
    """Levels kept from a snapshot and the diff events that follow it."""

    def __init__(self, snapshot: dict[str, Any]):
        self.last_u = int(snapshot["lastUpdateId"])
        self.bids = {Decimal(p): Decimal(q) for p, q in snapshot["bids"] if Decimal(q) != 0}
        self.asks = {Decimal(p): Decimal(q) for p, q in snapshot["asks"] if Decimal(q) != 0}
        self.started = False
        self.ticker: tuple[int, Decimal, Decimal, Decimal, Decimal] | None = None   # (u, bid, bid qty, ask, ask qty)

    def apply_ticker(self, event: dict[str, Any]) -> None:
        """A bookTicker: the top of the book as of update id ``u`` (kept while newer than the diffs)."""
        u = int(event["u"])
        if u > self.last_u and (self.ticker is None or u > self.ticker[0]):
            self.ticker = (u, Decimal(event["b"]), Decimal(event["B"]), Decimal(event["a"]), Decimal(event["A"]))

    def apply(self, event: dict[str, Any]) -> bool:
        """Apply one depthUpdate; False when it predates the snapshot. Raises SequenceGap on a gap."""
        first, last, previous = int(event["U"]), int(event["u"]), int(event["pu"])
        if last < self.last_u:
            return False
        if not self.started:
            if first > self.last_u:
                raise SnapshotTooOld(f"first event U={first} is past the snapshot's lastUpdateId {self.last_u}")
            self.started = True
        elif previous != self.last_u:
            raise SequenceGap(f"depth event pu={previous} does not follow u={self.last_u}")
        for side, levels in ((self.bids, event["b"]), (self.asks, event["a"])):
            for price_text, qty_text in levels:
                price, qty = Decimal(price_text), Decimal(qty_text)
                if qty == 0:
                    side.pop(price, None)
                else:
                    side[price] = qty
        self.last_u = last
        return True

    def top(self, levels: int = BOOK_LEVELS) -> hm.Book:
        bids = heapq.nlargest(levels, self.bids.items())
        asks = heapq.nsmallest(levels, self.asks.items())
        if self.ticker is not None and self.ticker[0] > self.last_u:
            _, bid, bid_qty, ask, ask_qty = self.ticker
            bids = [(bid, bid_qty)] + [level for level in bids if level[0] < bid][:levels - 1]
            asks = [(ask, ask_qty)] + [level for level in asks if level[0] > ask][:levels - 1]
        return hm.Book(bids=tuple(bids), asks=tuple(asks))


def route(ws_base: str, path: str) -> str:
    return ws_base.rstrip("/") + "/" + path.lstrip("/")


class BinanceBookStream:
    def __init__(self, ws_base: str, symbol: str, snapshot: Callable[[], Awaitable[dict[str, Any]]],
                 on_book: Callable[[Callable[[], hm.Book]], None], period: str = "100ms"):
        name = symbol.lower()
        self.symbol = symbol
        self.url = route(ws_base, f"public/stream?streams={name}@depth@{period}/{name}@bookTicker")
        self.snapshot = snapshot
        self.on_book = on_book
        self.resyncs = 0

    async def run(self, health: Health) -> None:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(self.url, heartbeat=None, max_msg_size=2**23) as ws:
                events = _Events(ws)
                try:
                    book = await self._sync(events, await events.next())
                    health.ok()
                    while True:
                        batch = await events.next()
                        try:
                            for event in batch:
                                _apply(book, event)
                        except SequenceGap as gap:
                            log.warning("binance depth stream %s: %s; taking a new snapshot on the same "
                                        "connection (book rule: initialize from step 3)", self.symbol, gap)
                            book = await self._sync(events, batch)
                        self.on_book(book.top)
                        health.ok()
                finally:
                    await events.close()

    async def _sync(self, events: "_Events", pending: list[dict[str, Any]]) -> LocalBook:
        """A snapshot after `pending` (the buffered events), then the events that follow it (the docs' steps
        3-5). A snapshot the stream has already passed is fetched again, after the next event, keeping
        every buffered event: up to MAX_SNAPSHOTS, then SequenceGap (the supervisor reconnects)."""
        for attempt in range(1, MAX_SNAPSHOTS + 1):
            book = LocalBook(await self.snapshot())
            self.resyncs += 1
            pending += events.drain()
            try:
                await self._catch_up(book, events, pending)
                return book
            except SequenceGap as gap:
                if attempt == MAX_SNAPSHOTS:
                    raise SequenceGap(f"{gap}; still after {MAX_SNAPSHOTS} snapshots") from None
                log.info("binance depth stream %s: %s; fetching the depth snapshot again (%d/%d), the stream and "
                         "its buffered events kept", self.symbol, gap, attempt + 1, MAX_SNAPSHOTS)
                pending += await events.next()
        raise AssertionError("unreachable")

    async def _catch_up(self, book: LocalBook, events: "_Events", pending: list[dict[str, Any]]) -> None:
        """Apply the buffered events to a fresh snapshot, waiting for more until one straddles it."""
        applied = 0
        while True:
            for event in pending[applied:]:
                _apply(book, event)
            applied = len(pending)
            if book.started:
                break
            pending += await events.next()
        self.on_book(book.top)


def _apply(book: LocalBook, event: dict[str, Any]) -> None:
    if event.get("e") == "bookTicker":
        book.apply_ticker(event)
    else:
        book.apply(event)


class _Events:
    """depthUpdate events read in the background; ``next`` waits for at least one and returns all there are."""

    def __init__(self, ws):
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read(ws))

    async def _read(self, ws) -> None:
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                data = json.loads(message.data)
                data = data.get("data", data)
                if data.get("e") in ("depthUpdate", "bookTicker"):
                    self.queue.put_nowait(data)
            elif message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                break
        raise ConnectionError("binance depth stream closed")

    async def next(self) -> list[dict[str, Any]]:
        if self.queue.empty():
            getter = asyncio.ensure_future(self.queue.get())
            done, _ = await asyncio.wait({getter, self.reader}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                self.reader.result()          # raises the reader's error
            first = [getter.result()]
        else:
            first = []
        return first + self.drain()

    def drain(self) -> list[dict[str, Any]]:
        items = []
        while not self.queue.empty():
            items.append(self.queue.get_nowait())
        return items

    async def close(self) -> None:
        self.reader.cancel()
        await asyncio.gather(self.reader, return_exceptions=True)


class BinanceUserStream:
    def __init__(self, ws_base: str, symbol: str, listen_key: Callable[[], Awaitable[str]],
                 keepalive: Callable[[str], Awaitable[Any]], on_order: Callable[[OrderEvent], None],
                 on_position: Callable[[Decimal, int], None],
                 on_balance: Callable[[str, Decimal], None] = lambda asset, balance: None):
        self.ws_base = ws_base
        self.on_balance = on_balance
        self.symbol = symbol
        self.listen_key = listen_key
        self.keepalive = keepalive
        self.on_order = on_order
        self.on_position = on_position
        self.connected = asyncio.Event()
        self.reconnects = 0
        self.order_events = 0                  # ORDER_TRADE_UPDATEs of our symbol received
        self._restart = asyncio.Event()
        self._restart_reason = ""

    def url(self, key: str) -> str:
        return route(self.ws_base, f"private/ws?listenKey={key}&events={'/'.join(USER_EVENTS)}")

    def restart(self, reason: str) -> bool:
        """Drop the connection in use (the supervisor reconnects with the key POST hands out); False when
        there is none. Not a DELETE of the key: the market processes sharing the account share it."""
        if not self.connected.is_set() or self._restart.is_set():
            return False
        self._restart_reason = reason
        self._restart.set()
        return True

    async def run(self, health: Health) -> None:
        key = await self.listen_key()
        self.reconnects += 1
        async with aiohttp.ClientSession() as session:
            try:
                connecting = session.ws_connect(self.url(key), heartbeat=None, max_msg_size=2**23)
                ws = await connecting
            except aiohttp.ClientError as exc:        # its text carries the URL, listenKey included: not logged
                raise ConnectionError(f"binance user-data stream: connecting to /private failed "
                                      f"({type(exc).__name__}{_status(exc)})") from None
            async with ws:
                self._restart.clear()
                self.connected.set()
                health.ok()
                tasks = [asyncio.create_task(self._read(ws, health)), asyncio.create_task(self._keep_alive(key)),
                         asyncio.create_task(self._restart.wait())]
                try:
                    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        task.result()              # the reader's or the keepalive's error
                finally:
                    self.connected.clear()
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
        if self._restart.is_set():
            raise UserStreamSilent(self._restart_reason)
        raise ConnectionError("binance user-data stream closed (after 24 h the venue closes every connection)")

    async def _read(self, ws, health: Health) -> None:
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                self._handle(json.loads(message.data), health)
            elif message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                break

    async def _keep_alive(self, key: str) -> None:
        """PUT the listenKey every KEEPALIVE_SECONDS. A failed keepalive is said and retried (the key lives 60
        minutes from its last keepalive, so there is time); after KEEPALIVE_ATTEMPTS failures in a row the
        connection is dropped and the supervisor reconnects with a new key."""
        while True:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            for attempt in range(1, KEEPALIVE_ATTEMPTS + 1):
                try:
                    await self.keepalive(key)
                    break
                except Exception as exc:  # noqa: BLE001 - any failure of the PUT is said, then retried
                    if attempt == KEEPALIVE_ATTEMPTS:
                        raise ConnectionError(f"binance listenKey keepalive failed {attempt} times ({exc}): "
                                              "reconnecting with a new key") from None
                    log.warning("binance: listenKey keepalive failed (%s: %s), attempt %d/%d; retrying in %.0fs "
                                "(the key expires 60 minutes after its last keepalive)", type(exc).__name__, exc,
                                attempt, KEEPALIVE_ATTEMPTS, KEEPALIVE_RETRY_SECONDS)
                    await asyncio.sleep(KEEPALIVE_RETRY_SECONDS)

    def _handle(self, message: dict[str, Any], health: Health) -> None:
        event = message.get("data", message)
        kind = event.get("e")
        if kind == "listenKeyExpired":
            raise ConnectionError("binance listenKey expired: reconnecting with a new one")
        if kind == "ORDER_TRADE_UPDATE":
            o = event["o"]
            if o.get("s") == self.symbol:
                self.order_events += 1
                ap = Decimal(o["ap"]) if o.get("ap") and Decimal(o["ap"]) != 0 else None
                self.on_order(OrderEvent(o.get("c", ""), o.get("X", ""), o.get("x", ""), Decimal(o.get("z") or "0"),
                                         ap, Decimal(o.get("n") or "0"), int(event.get("E", 0)), o.get("N") or "",
                                         Decimal(o.get("l") or "0"), Decimal(o.get("L") or "0")))
        elif kind == "ACCOUNT_UPDATE":
            for balance in event.get("a", {}).get("B", ()):
                if balance.get("a") and balance.get("wb") is not None:
                    self.on_balance(balance["a"], Decimal(balance["wb"]))
            for position in event.get("a", {}).get("P", ()):
                if position.get("s") == self.symbol and position.get("ps", "BOTH") == "BOTH":
                    self.on_position(Decimal(position["pa"]), int(event.get("E", 0)))
        health.ok()


def _status(exc: Exception) -> str:
    status = getattr(exc, "status", None)
    return f", HTTP {status}" if status else ""
