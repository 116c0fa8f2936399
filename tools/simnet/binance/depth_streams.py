"""USDⓈ-M depth streams: ``<s>@depth[@100ms|@500ms]`` (diff) and ``<s>@depth<n>[@speed]`` (partial).

The update-id chain, as "How to manage a local order book correctly" (USDⓈ-M,
https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/How-to-manage-a-local-order-book-correctly)
has a client check it:

* one update-id sequence per symbol, shared by GET /fapi/v1/depth (``lastUpdateId``),
  bookTicker (``u``) and every stream and connection (book.py);
* an event carries ``U`` (first update id in the event), ``u`` (final update id) and ``pu``
  ("Final update Id in last stream (ie `u` in last stream)", Diff. Book Depth Streams page);
  each event of a stream has ``pu`` equal to the previous event's ``u``, whether or not this
  connection saw that event (the stream is one sequence, joined at any point);
* a diff event lists every level changed in (pu, u] with its absolute quantity, "0" when the
  level went away ("The data in each event is the absolute quantity for a price level. If the
  quantity is 0, remove the price level");
* "pushed every 250 milliseconds, 500 milliseconds, 100 milliseconds (if existing)" (Diff. Book
  Depth Streams; the Chinese page says "如有刷新", "if there is an update"): no event when nothing
  changed. unconfirmed: the same for partial depth streams (simnet: no event when unchanged).

A stream's chain starts when its first subscriber arrives (``start``); a stream nobody listens
to is forgotten. The ``depth_gap`` fault advances a stream's chain without publishing, so its
next event has a ``pu`` no client saw.

The ``stale_depth_snapshot`` fault (``StaleSnapshots``) makes GET /fapi/v1/depth answer with the book
as it was when the fault was set, for the next ``count`` requests: a REST snapshot older than the
stream a client buffers (its ``lastUpdateId`` below the first buffered event's ``U``). Real clients
meet this: bmoscon/cryptostore#57 (2020, Binance futures: "snaphot has no overlap with first update
... pretty often when Binance futures connects"); bitrich-info/xchange-stream#328 (2019: the snapshot
fetched again and again while "market activity was high"); nkaz001/hftbacktest#186 as named in issue
17 (not found in the searched copies). The USD-M rule has no step for it beyond "initialize the process
from step 3" (get a new snapshot). unconfirmed: how old Binance's snapshots get and how often [as old
as the moment the fault was set, for ``count`` answers].
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from tools.simnet.binance.book import ASK, BID, Book
from tools.simnet.binance.payloads import UM


class DepthFeeds:
    def __init__(self, books: dict[str, Book]):
        self.books = books
        self.last_u: dict[str, int] = {}          # stream name -> u of its last event (sent or skipped)
        self.skips: dict[str, int] = {}           # stream name -> events to skip (depth_gap fault)

    def start(self, name: str, symbol: str) -> None:
        """A stream got its first subscriber: its chain starts at the book's current update id."""
        self.last_u[name] = self.books[symbol].update_id

    def event(self, name: str, symbol: str, levels: int, now: int) -> dict[str, Any] | None:
        """The stream's next event, or None when nothing changed or the event is skipped."""
        book = self.books[symbol]
        pu = self.last_u.setdefault(name, book.update_id)
        u = book.update_id
        if u == pu:
            return None
        changes = book.changes_after(pu)
        first = changes[0][0] if changes else u
        self.last_u[name] = u
        if self.skips.get(name, 0) > 0:
            self.skips[name] -= 1
            return None
        if levels:
            bids, asks = book.levels(levels)
        else:
            bids, asks = diff_levels(book, changes)
        return {"e": "depthUpdate", "E": now, "T": now, "s": symbol, "U": first, "u": u, "pu": pu,
                "b": bids, "a": asks, "ps": symbol, "st": UM}

    def skip(self, names: list[str], count: int) -> None:
        for name in names:
            self.skips[name] = self.skips.get(name, 0) + count

    def prune(self, active: set[str], symbol_of: dict[str, str]) -> None:
        """Forget streams nobody listens to; trim each book's journal to what live streams still need."""
        for name in [n for n in self.last_u if n not in active]:
            del self.last_u[name]
            self.skips.pop(name, None)
        needed: dict[str, int] = {}
        for name, u in self.last_u.items():
            symbol = symbol_of[name]
            needed[symbol] = min(u, needed.get(symbol, u))
        for symbol, book in self.books.items():
            book.trim(needed.get(symbol))


def diff_levels(book: Book, changes: list[tuple[int, str, Decimal]]) -> tuple[list[list[str]], list[list[str]]]:
    """Each changed level once, with its quantity now ("0..." when it is gone); bids high to low, asks low to high."""
    now = book.quantities()
    spec = book.spec
    touched: dict[str, set[Decimal]] = {BID: set(), ASK: set()}
    for _, side, price in changes:
        touched[side].add(price)
    out = {}
    for side, descending in ((BID, True), (ASK, False)):
        out[side] = [[spec.fmt_price(p), spec.fmt_qty(now[side].get(p, Decimal(0)))]
                     for p in sorted(touched[side], reverse=descending)]
    return out[BID], out[ASK]


class StaleSnapshots:
    """The ``stale_depth_snapshot`` fault: per symbol, a frozen book and how many REST answers still show it."""

    def __init__(self) -> None:
        self.frozen: dict[str, tuple[int, int, list[list[str]], list[list[str]]]] = {}   # symbol -> (left, id, b, a)

    def arm(self, book: Book, count: int) -> None:
        bids, asks = book.levels(1000)
        self.frozen[book.spec.symbol] = (count, book.update_id, bids, asks)

    def take(self, symbol: str, limit: int) -> tuple[int, list[list[str]], list[list[str]]] | None:
        """(lastUpdateId, bids, asks) of the frozen book for one answer, or None when none is due."""
        entry = self.frozen.get(symbol)
        if entry is None:
            return None
        left, update_id, bids, asks = entry
        if left <= 1:
            del self.frozen[symbol]
        else:
            self.frozen[symbol] = (left - 1, update_id, bids, asks)
        return update_id, bids[:limit], asks[:limit]

    def clear(self) -> None:
        self.frozen.clear()
