"""Background taker flow: other traders taking liquidity on the simulated Hyperliquid book.

Without it a user's resting Alo/Gtc order fills only when the synthetic book moves through it
(``Engine._fill_if_crossed``). With ``taker_rate`` > 0, every tick and every coin draws takers: a Poisson
number (``taker_rate`` per second x the path step), each with an exponentially distributed notional (mean
``taker_size_usd``), buying with probability ``taker_buy_share``; with probability ``informed_takers`` a taker
instead trades in the direction of the next move of the reference path (peeked from a copy of the path, as
the Hubble venue's activity.py does), modelling adverse selection. Under ``lag_seconds`` the venue follows the
reference late, so an informed taker trades on a move the venue shows only later.

A taker is an IOC order of a house address (``TAKER``, no account: it has no position, margin or fee) that
walks the book in price-time priority up to 5% from the mid: users' resting orders at or better than the
synthetic touch first, then the synthetic depth and any user order behind it, by price (a user's order ahead of
the synthetic level at one price). Users' orders fill as in a user-to-user match (``Engine.fill_resting``):
maker fee, ``crossed: false``, the userFills push, orderUpdates "filled" when done, reduce-only orders only
while they reduce; synthetic depth taken stays taken until the next rebuild. Every piece prints a public
trade (users [buyer, seller], ``TAKER`` on the taker's side, ``HOUSE`` for the synthetic depth). A taker under
the venue's $10 minimum is dropped.

The flow is a model of other traders, not a venue behaviour: no source sets its figures. Its draws come from
the venue's seeded RNG, a fixed number per taker and only in ``on_tick``, so the takers are a function of the
seed and the tick sequence (what they hit depends on the book, and so on the users' orders).
"""
from __future__ import annotations

import copy
import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Mapping

from tools.simnet.hyperliquid import fmt
from tools.simnet.hyperliquid.assets import ASSETS, BY_COIN, MIN_ORDER_VALUE, PerpAsset, round_size
from tools.simnet.hyperliquid.engine import HOUSE, Engine, Match
from tools.simnet.pricepath import PricePath
from tools.simnet.poisson import poisson

TAKER = "0x" + "0" * 39 + "2"   # the background takers' address in public trades
# how far a taker walks the book: the SDK's DEFAULT_SLIPPAGE for market orders (exchange.py), a modelling choice
TAKER_SLIPPAGE = Decimal("0.05")
ZERO = Decimal(0)


@dataclass(frozen=True)
class FlowParams:
    taker_rate: float = 0.0                   # takers per second per coin; 0 = no flow
    taker_size_usd: Decimal = Decimal(1000)   # mean notional (exponential)
    taker_buy_share: float = 0.5              # probability an uninformed taker buys
    informed_takers: float = 0.0              # probability a taker trades with the next move of the path

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "FlowParams":
        if "maker_spread_bps" in options:
            # the synthetic book's inside spread already has a knob; one name for one thing
            raise ValueError("hyperliquid.maker_spread_bps is not a knob: the inside spread is hyperliquid.spread_bps")
        d = cls()
        params = cls(taker_rate=float(options.get("taker_rate", d.taker_rate)),
                     taker_size_usd=Decimal(str(options.get("taker_size_usd", d.taker_size_usd))),
                     taker_buy_share=float(options.get("taker_buy_share", d.taker_buy_share)),
                     informed_takers=float(options.get("informed_takers", d.informed_takers)))
        params.check()
        return params

    def check(self) -> None:
        if self.taker_rate < 0 or self.taker_size_usd <= 0:
            raise ValueError(f"taker_rate must be >= 0 and taker_size_usd > 0, got {self}")
        for name in ("taker_buy_share", "informed_takers"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class Taker:
    coin: str
    is_buy: bool
    usd: Decimal
    informed: bool


class PathPeek:
    """The next relative move of each symbol of the reference path, read off one copy per tick."""

    def __init__(self, path: PricePath):
        self.path = path
        self._moves: dict[str, float] | None = None

    def __call__(self, symbol: str) -> float:
        if self._moves is None:
            clone = copy.deepcopy(self.path)
            before = clone.prices()
            after = clone.step()
            self._moves = {s: after[s] / before[s] - 1.0 for s in before}
        return self._moves[symbol]


class TakerFlow:
    def __init__(self, engine: Engine, rng: random.Random, params: FlowParams, dt: float):
        self.engine = engine
        self.rng = rng
        self.params = params
        self.dt = dt
        self.count = 0     # takers sent to the book so far (those under the minimum are not)

    def on_tick(self, path: PricePath) -> list[Taker]:
        """Draw this tick's takers and send each to the book; returns them (dropped ones included)."""
        takers = self.draw(PathPeek(path))
        for taker in takers:
            self.execute(taker)
        return takers

    # ---- drawing ---------------------------------------------------------------------------
    def draw(self, next_move: Callable[[str], float]) -> list[Taker]:
        p = self.params
        takers: list[Taker] = []
        for asset in ASSETS:
            for _ in range(self._poisson(p.taker_rate * self.dt)):
                takers.append(self._one(asset, next_move))
        return takers

    def _one(self, asset: PerpAsset, next_move: Callable[[str], float]) -> Taker:
        p = self.params
        informed = self.rng.random() < p.informed_takers
        buy = self.rng.random() < p.taker_buy_share
        usd = Decimal(repr(self.rng.expovariate(1.0 / float(p.taker_size_usd))))
        if informed:
            move = next_move(asset.symbol)
            if move != 0:
                buy = move > 0
        return Taker(asset.coin, buy, usd, informed)

    def _poisson(self, lam: float) -> int:
        return poisson(self.rng, lam)

    # ---- executing ---------------------------------------------------------------------------
    def execute(self, taker: Taker) -> Decimal:
        """One taker against the book; returns the size it got."""
        asset = BY_COIN[taker.coin]
        book = self.engine.books[asset.coin]
        mid = book.mid()
        size = round_size(asset, taker.usd / mid)
        if size * mid < MIN_ORDER_VALUE:
            return ZERO
        limit = mid * (1 + TAKER_SLIPPAGE) if taker.is_buy else mid * (1 - TAKER_SLIPPAGE)
        left = size
        depth: list[tuple[Decimal, Decimal]] = []
        trades: list[dict[str, Any]] = []
        for match in self.engine.candidates(asset, taker.is_buy, limit, size):
            if left <= 0:
                break
            got, trade = self._take(asset.coin, match, left, taker.is_buy)
            if match.maker is None:
                depth.append((match.px, got))
            if trade is not None:
                trades.append(trade)
            left -= got
        book.take(taker.is_buy, depth)
        if trades:
            self.engine.sink.on_trades(asset.coin, trades)
        self.count += 1
        return size - left

    def _take(self, coin: str, match: Match, left: Decimal, is_buy: bool) -> tuple[Decimal, dict[str, Any] | None]:
        """(size taken, public trade) of one piece: a user's resting order or a synthetic level."""
        if match.maker is None:
            got = min(left, match.sz)
            tid = self.engine.next_tid
            self.engine.next_tid += 1
            digest = "0x" + hashlib.sha256(f"flow:{tid}".encode()).hexdigest()
            return got, _trade(coin, is_buy, fmt.px(match.px), fmt.plain(got), self.engine.clock(), digest, tid,
                               HOUSE)
        got, fill = self.engine.fill_resting(match.maker, match.px, left)
        if fill is None:
            return ZERO, None
        return got, _trade(coin, is_buy, fill["px"], fill["sz"], fill["time"], fill["hash"], fill["tid"],
                           match.maker.user)


def _trade(coin: str, taker_buys: bool, px: str, sz: str, time_ms: int, digest: str, tid: int,
           maker: str) -> dict[str, Any]:
    """A public trade of a background taker: ``side`` is the taker's, ``users`` [buyer, seller]."""
    users = [TAKER, maker] if taker_buys else [maker, TAKER]
    return {"coin": coin, "side": "B" if taker_buys else "A", "px": px, "sz": sz, "time": time_ms, "hash": digest,
            "tid": tid, "users": users}
