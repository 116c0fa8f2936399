"""Synthetic order book around the venue's mid, rebuilt on every price step.

Liquidity taken by the simulator's own accounts is removed from the levels
until the next step rebuilds the book, so a large hedge walks the book and
pays slippage, and two hedges in the same step see a thinner book.

Resting LIMIT orders of the users (GTC/GTX, every account) are part of the
book a client reads: ``resting_source`` (set by the engine) gives their
quantity per price, and ``quantities``/``levels``/``top`` add it to the
synthetic levels, so depth, bookTicker and REST depth show them at their
prices (a market maker reads its own venue's book to avoid crossing). The
synthetic levels alone (``synthetic_top``, ``fillable``, ``take``) are what a
user's own taker order trades against (flow.py has the takers that fill the
resting orders). The overlay is re-read before every read of the book; a
level it changed takes the next update id like any other change.

Every changed price level takes the next update id (one per level change) and
is written to a journal, so the diff depth streams can say which levels changed
between two ids (depth_streams.py). The ids come from a counter the venue may
share between books: USDⓈ-M ids are not contiguous per symbol (the docs'
examples: Diff. Book Depth Streams U=157 after pu=149; Partial Book Depth
Streams U=390497796 after pu=390497794), which is why the futures book rule
chains events by ``pu`` and never by ``U == previous u + 1``.
"""
from __future__ import annotations

import dataclasses
import itertools
import random
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterator

BID, ASK = "b", "a"

from tools.simnet.binance.specs import SymbolSpec

Levels = dict[str, dict[Decimal, Decimal]]            # side ("b"/"a") -> price -> qty


@dataclass
class BookParams:
    spread_bps: float = 1.0         # top-of-book spread
    depth_levels: int = 20
    level_size_usd: float = 50_000.0
    level_step_bps: float = 1.0     # gap between levels
    level_growth: float = 0.25      # level i holds (1 + i * growth) times level 0
    size_jitter: float = 0.2        # +/- relative noise on level sizes (seeded)

    @classmethod
    def from_options(cls, options: dict[str, Any], prefix: str = "",
                     base: "BookParams | None" = None) -> "BookParams":
        params = dataclasses.replace(base) if base else cls()
        for name in ("spread_bps", "depth_levels", "level_size_usd", "level_step_bps", "level_growth",
                     "size_jitter"):
            key = prefix + name
            if key in options:
                setattr(params, name, type(getattr(params, name))(options[key]))
        return params


class Book:
    """Bids (best first) and asks (best first) as [price, qty] Decimal pairs."""

    def __init__(self, spec: SymbolSpec, params: BookParams, ids: Iterator[int] | None = None,
                 journaled: bool = False):
        self.spec = spec
        self.params = params
        self.bids: list[list[Decimal]] = []
        self.asks: list[list[Decimal]] = []
        self.mid = Decimal(0)
        self._update_id = 0
        self.resting_source: Callable[[], Levels] | None = None   # users' resting orders (engine)
        self._resting: Levels = {BID: {}, ASK: {}}
        self._ids = ids if ids is not None else itertools.count(1)
        self.journaled = journaled                                 # keep the journal (futures books)
        self.journal: deque[tuple[int, str, Decimal]] = deque()    # (update id, side, price), oldest first

    def rebuild(self, mid: float, rng: random.Random) -> None:
        spec, p = self.spec, self.params
        self.mid = Decimal(repr(mid))
        half = self.mid * Decimal(repr(p.spread_bps)) / Decimal(20_000)
        best_bid = spec.floor_price(self.mid - half)
        best_ask = spec.ceil_price(self.mid + half)
        if best_ask <= best_bid:
            best_ask = best_bid + spec.tick
        gap = max(spec.tick, spec.floor_price(self.mid * Decimal(repr(p.level_step_bps)) / Decimal(10_000)))
        before = self.quantities()
        self.bids = self._side(best_bid, -gap, rng)
        self.asks = self._side(best_ask, gap, rng)
        self._note_changes(before, self.quantities())

    def _note_changes(self, before: Levels, after: Levels) -> None:
        for side in (BID, ASK):
            old, new = before[side], after[side]
            for price in [p for p, q in new.items() if old.get(p) != q] + [p for p in old if p not in new]:
                self._note(side, price)

    def _side(self, best: Decimal, gap: Decimal, rng: random.Random) -> list[list[Decimal]]:
        spec, p = self.spec, self.params
        levels = []
        for i in range(max(1, p.depth_levels)):
            price = best + gap * i
            if price <= 0:
                break
            jitter = 1.0 + rng.uniform(-p.size_jitter, p.size_jitter)
            usd = p.level_size_usd * (1.0 + i * p.level_growth) * jitter
            qty = spec.floor_qty(Decimal(repr(usd)) / price)
            levels.append([price, max(qty, spec.min_qty)])
        return levels

    def _note(self, side: str, price: Decimal) -> None:
        """One level changed: it takes the next update id."""
        self._update_id = next(self._ids)
        if self.journaled:
            self.journal.append((self._update_id, side, price))

    @property
    def update_id(self) -> int:
        self.sync_resting()
        return self._update_id

    def sync_resting(self) -> None:
        """Re-read the users' resting orders; each level whose quantity they changed takes an update id."""
        if self.resting_source is None:
            return
        new = self.resting_source()
        if new == self._resting:
            return
        before = self._merged()
        self._resting = new
        self._note_changes(before, self._merged())

    def changes_after(self, update_id: int) -> list[tuple[int, str, Decimal]]:
        """Journal entries with an id above `update_id` (oldest first)."""
        return [entry for entry in self.journal if entry[0] > update_id]

    def trim(self, update_id: int | None) -> None:
        """Forget journal entries up to `update_id` (None: all of them)."""
        journal = self.journal
        while journal and (update_id is None or journal[0][0] <= update_id):
            journal.popleft()

    # ---- queries -------------------------------------------------------------
    def quantities(self) -> Levels:
        """price -> qty per side ("b", "a"): synthetic levels plus the users' resting orders."""
        self.sync_resting()
        return self._merged()

    def _merged(self) -> Levels:
        out: Levels = {BID: {p: q for p, q in self.bids}, ASK: {p: q for p, q in self.asks}}
        for side in (BID, ASK):
            for price, qty in self._resting[side].items():
                out[side][price] = out[side].get(price, Decimal(0)) + qty
        return out

    def _sorted(self) -> tuple[list[list[Decimal]], list[list[Decimal]]]:
        """Merged levels, bids high to low and asks low to high."""
        self.sync_resting()
        if not self._resting[BID] and not self._resting[ASK]:
            return self.bids, self.asks
        merged = self._merged()
        bids = [[p, q] for p, q in sorted(merged[BID].items(), reverse=True)]
        asks = [[p, q] for p, q in sorted(merged[ASK].items())]
        return bids, asks

    def top(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """Best bid, its qty, best ask, its qty, resting user orders included (what a client reads)."""
        return _top(*self._sorted())

    def synthetic_top(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """The synthetic levels' touch alone (what crosses resting orders, where background trades print)."""
        return _top(self.bids, self.asks)

    def levels(self, limit: int) -> tuple[list[list[str]], list[list[str]]]:
        fmt = self._fmt
        bids, asks = self._sorted()
        return [fmt(lv) for lv in bids[:limit]], [fmt(lv) for lv in asks[:limit]]

    def _fmt(self, level: list[Decimal]) -> list[str]:
        return [self.spec.fmt_price(level[0]), self.spec.fmt_qty(level[1])]

    def best_for(self, taker_side: str) -> Decimal | None:
        """Best price a taker on `taker_side` would trade at."""
        levels = self.asks if taker_side == "BUY" else self.bids
        return levels[0][0] if levels else None

    def would_cross(self, taker_side: str, limit: Decimal) -> bool:
        """Whether an order at `limit` would trade at once against the whole book, users' resting orders
        included (the GTX check: trading.py, amend.py)."""
        bids, asks = self._sorted()
        levels = asks if taker_side == "BUY" else bids
        if not levels:
            return False
        best = levels[0][0]
        return best <= limit if taker_side == "BUY" else best >= limit

    # ---- taking liquidity ------------------------------------------------------
    def fillable(self, taker_side: str, qty: Decimal, limit: Decimal | None) -> Decimal:
        """How much of `qty` would fill now (without taking it)."""
        total = Decimal(0)
        for price, size in self._crossable(taker_side, limit):
            total += size
            if total >= qty:
                return qty
        return total

    def take(self, taker_side: str, qty: Decimal, limit: Decimal | None) -> list[tuple[Decimal, Decimal]]:
        """Remove up to `qty` from the opposite synthetic side, best first; returns (price, qty) fills."""
        levels = self.asks if taker_side == "BUY" else self.bids
        fills: list[tuple[Decimal, Decimal]] = []
        remaining = qty
        side = ASK if taker_side == "BUY" else BID
        while remaining > 0 and levels:
            price, size = levels[0]
            if limit is not None and ((taker_side == "BUY" and price > limit) or
                                      (taker_side == "SELL" and price < limit)):
                break
            done = min(size, remaining)
            fills.append((price, done))
            remaining -= done
            if done == size:
                levels.pop(0)
            else:
                levels[0][1] = size - done
            self._note(side, price)
        return fills

    def _crossable(self, taker_side: str, limit: Decimal | None):
        levels = self.asks if taker_side == "BUY" else self.bids
        for price, size in levels:
            if limit is not None and ((taker_side == "BUY" and price > limit) or
                                      (taker_side == "SELL" and price < limit)):
                return
            yield price, size


def _top(bids: list[list[Decimal]], asks: list[list[Decimal]]) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    bid = bids[0] if bids else [Decimal(0), Decimal(0)]
    ask = asks[0] if asks else [Decimal(0), Decimal(0)]
    return bid[0], bid[1], ask[0], ask[1]
