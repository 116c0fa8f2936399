"""Background taker flow on the simulated USDⓈ-M books: other traders taking liquidity, so that a user's
resting GTC/GTX LIMIT orders get filled by someone else than the moving synthetic book.

Takers arrive per futures symbol as a Poisson process (``taker_rate`` per second) with exponentially
distributed notional (mean ``taker_size_usd``), buying with probability ``taker_buy_share``; with probability
``informed_takers`` a taker trades in the direction of the book's next move (peeked from the venue's price
history or, without lag, from a copy of the reference path), modelling adverse selection. A taker is a house
order (no account): it meets the users' resting LIMIT orders (every account) and the synthetic levels in
price-time priority, a user order before the synthetic level at the same price, up to its quantity; the
users' orders fill as maker exactly as ``FuturesEngine.cross_resting`` fills them. ``maker_spread_bps`` makes the
futures books' inside spread wider than ``spread_bps`` (a less liquid book). The flow is a model of other
traders, not a venue behaviour: no source sets its figures. All draws come from one RNG the venue owns,
seeded from the seed, drawn once per tick before anything executes, so the flow is a function of the seed and
the tick sequence. With ``taker_rate`` 0 (the default) nothing is drawn and nothing changes.
"""
from __future__ import annotations

import copy
import dataclasses
import random
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from tools.simnet.binance.book import BookParams
from tools.simnet.binance.specs import FUTURES, SymbolSpec
from tools.simnet.binance.trading import ZERO, FuturesEngine, TradeSink
from tools.simnet.poisson import poisson

NextMove = Callable[[str], float]          # symbol -> relative move of its book at the next tick


@dataclass
class FlowParams:
    taker_rate: float = 0.0               # takers per second per futures symbol (0: off)
    taker_size_usd: float = 1_000.0       # mean notional, exponential
    taker_buy_share: float = 0.5          # probability an uninformed taker buys
    informed_takers: float = 0.0          # probability a taker trades the way the book moves next
    maker_spread_bps: float | None = None  # futures inside spread instead of spread_bps (None: spread_bps)

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "FlowParams":
        p = cls()
        for name in ("taker_rate", "taker_size_usd", "taker_buy_share", "informed_takers", "maker_spread_bps"):
            if options.get(name) is not None:
                setattr(p, name, float(options[name]))
        return p


def futures_book_params(options: dict[str, Any]) -> BookParams:
    """The futures books' shape: BookParams' options, the inside spread ``maker_spread_bps`` when it is set."""
    params = BookParams.from_options(options)
    spread = FlowParams.from_options(options).maker_spread_bps
    return params if spread is None else dataclasses.replace(params, spread_bps=spread)


@dataclass(frozen=True)
class Taker:
    symbol: str
    side: str                   # BUY / SELL
    usd: float


class NextMoves:
    """The relative move each futures book makes at the next tick, as the venue will build it: the book is
    built from ``history[0]`` (the path seen ``lag_steps`` late), so the next book comes from ``history[1]``
    once the history is full, from a copy of the path stepped once when there is no lag, and does not move
    while the history fills."""

    def __init__(self, history: deque[dict[str, float]], path: Any):
        self.history = history
        self.path = path
        self._peeked: dict[str, float] | None = None

    def reset(self) -> None:
        self._peeked = None

    def move(self, symbol: str) -> float:
        ref = FUTURES[symbol].ref
        now = self.history[0][ref]
        if self.history.maxlen == 1:
            if self._peeked is None:
                self._peeked = copy.deepcopy(self.path).step()    # the path's own RNG is left as it was
            return self._peeked[ref] / now - 1.0
        if len(self.history) == self.history.maxlen:
            return self.history[1][ref] / now - 1.0
        return 0.0


class TakerFlow:
    def __init__(self, engine: FuturesEngine, params: FlowParams, rng: random.Random, next_move: NextMove,
                 on_trade: TradeSink):
        self.engine = engine
        self.params = params
        self.rng = rng
        self.next_move = next_move
        self.on_trade = on_trade
        self.count = 0                      # takers executed so far

    # ---- draws -----------------------------------------------------------------------------
    def draw(self, dt: float) -> list[Taker]:
        """This tick's takers, every symbol in a fixed order; the RNG is drawn the same whatever the books hold."""
        p = self.params
        takers: list[Taker] = []
        for symbol in FUTURES:
            for _ in range(self._poisson(p.taker_rate * dt)):
                informed = self.rng.random() < p.informed_takers
                buy = self.rng.random() < p.taker_buy_share
                usd = self.rng.expovariate(1.0 / p.taker_size_usd) if p.taker_size_usd > 0 else 0.0
                if informed:
                    move = self.next_move(symbol)
                    buy = move > 0 if move != 0 else buy
                takers.append(Taker(symbol, "BUY" if buy else "SELL", usd))
        return takers

    def _poisson(self, lam: float) -> int:
        return poisson(self.rng, lam)

    # ---- execution ---------------------------------------------------------------------------
    def run(self, dt: float, now: int) -> int:
        """Draw and execute this tick's takers; how many traded."""
        takers = self.draw(dt)
        for taker in takers:
            self.execute(taker, now)
        self.count += len(takers)
        return len(takers)

    def quantity(self, taker: Taker) -> Decimal:
        """The taker's notional at the book mid, on the lot size (at least one lot)."""
        book = self.engine.books[taker.symbol]
        spec = book.spec
        if book.mid <= 0 or taker.usd <= 0:
            return ZERO
        return max(spec.min_qty, spec.floor_qty(Decimal(repr(taker.usd)) / book.mid))

    def execute(self, taker: Taker, now: int) -> Decimal:
        """Walk resting user orders and synthetic levels in price-time priority; the quantity traded."""
        remaining = wanted = self.quantity(taker)
        while remaining > 0:
            done = self._step(taker, remaining, now)
            if done <= 0:
                break
            remaining -= done
        return wanted - remaining

    def _step(self, taker: Taker, remaining: Decimal, now: int) -> Decimal:
        """One user order, or the synthetic levels better than the next user order; the quantity traded."""
        engine, book = self.engine, self.engine.books[taker.symbol]
        makers = engine.makers_for(taker.symbol, taker.side)
        best = book.best_for(taker.side)
        user = makers[0] if makers else None
        if user is not None and (best is None or _not_worse(taker.side, user.price, best)):
            qty = min(remaining, user.remaining)
            engine.fill_resting(user, qty, now)
            return qty
        limit = None if user is None else _inside(book.spec, taker.side, user.price)
        traded = ZERO
        for price, qty in book.take(taker.side, remaining, limit):
            self.on_trade(taker.symbol, price, qty, taker.side == "SELL", engine.next_trade_id)
            engine.next_trade_id += 1
            traded += qty
        return traded


def _not_worse(taker_side: str, price: Decimal, than: Decimal) -> bool:
    """For a taker on `taker_side`, `price` is at least as good as `than`."""
    return price <= than if taker_side == "BUY" else price >= than


def _inside(spec: SymbolSpec, taker_side: str, user_price: Decimal) -> Decimal:
    """The last synthetic price a taker may take before a user order at `user_price` (one tick better)."""
    return user_price - spec.tick if taker_side == "BUY" else user_price + spec.tick
