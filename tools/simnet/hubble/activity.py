"""Simulated market participants: background makers around the venue price, Poisson takers.

Makers post a ladder (depth_levels per side, level_size_usd growing with
depth, level_step_bps apart) whose inside is spread_bps wide, so a bot quoting
a tighter spread is top of book. They re-quote when the venue price moved by
more than half a level step and never cross resting orders (post-only).
Takers arrive per market as a Poisson process (taker_rate per second) with
exponentially distributed notional (mean taker_size_usd), buying with
probability taker_buy_share (0.5: no side bias; the ``trend`` scenario leans
it); with probability informed_takers a taker trades in the direction of the
next move of the reference path (peeked from a copy of the path), modelling
adverse selection. The taker flow is a model of other traders, not a venue
behaviour: no source sets its figures.
All draws come from the venue's seeded RNG, once per tick, so the flow is a
function of the seed and the tick sequence.
"""
from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass
from typing import Any, Callable

from eth_utils import keccak

from tools.simnet.hubble import constants as C
from tools.simnet.hubble.engine import Engine
from tools.simnet.hubble.orders import Order
from tools.simnet.poisson import poisson


@dataclass
class ActivityParams:
    spread_bps: float = 50.0
    depth_levels: int = 5
    level_size_usd: float = 5_000.0
    level_growth: float = 1.5
    level_step_bps: float = 10.0
    taker_rate: float = 0.5
    taker_size_usd: float = 1_000.0
    informed_takers: float = 0.0
    taker_buy_share: float = 0.5      # probability an uninformed taker buys (a modelling knob, not a venue fact)

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "ActivityParams":
        p = cls()
        for name in p.__dataclass_fields__:
            if name in options:
                setattr(p, name, type(getattr(p, name))(options[name]))
        return p


def round_price(price: float, market: C.HubbleMarket, up: bool) -> int:
    """1e6-scaled price on the market's tick, rounded away from mid."""
    step = market.price_multiplier
    ticks = price * C.PRICE_SCALE / step
    return max(step, int(math.ceil(ticks) if up else math.floor(ticks)) * step)


def round_size(size: float, market: C.HubbleMarket) -> int:
    lots = int(size * C.SIZE_SCALE // market.min_size)
    return max(1, lots) * market.min_size


class Activity:
    def __init__(self, engine: Engine, rng: random.Random, params: ActivityParams,
                 take: Callable[[int, bool, int], Any]):
        self.engine = engine
        self.rng = rng
        self.params = params
        self.take = take
        self._quoted_at: dict[int, float] = {}
        self._orders: dict[int, list[Order]] = {m.market_id: [] for m in C.MARKETS}
        self._counter = 0

    # ---- makers --------------------------------------------------------------
    def refresh_makers(self, prices: dict[int, float], force: bool = False) -> None:
        step = self.params.level_step_bps / 1e4
        for market_id, price in prices.items():
            last = self._quoted_at.get(market_id)
            if not force and last is not None and abs(price / last - 1) < step / 2 and self._complete(market_id):
                continue
            self._requote(C.MARKETS[market_id], price)
            self._quoted_at[market_id] = price

    def _complete(self, market_id: int) -> bool:
        return all(o.in_book for o in self._orders[market_id])

    def _requote(self, market: C.HubbleMarket, price: float) -> None:
        engine = self.engine
        for order in self._orders[market.market_id]:   # synthetic quotes leave without events
            if not order.removed:
                order.status = C.STATUS_CANCELLED
                engine.mark_removed(order)
        placed: list[Order] = []
        p = self.params
        half = p.spread_bps / 2e4
        for level in range(p.depth_levels):
            offset = half + level * p.level_step_bps / 1e4
            usd = p.level_size_usd * p.level_growth ** level
            for is_long in (True, False):
                px = round_price(price * (1 - offset if is_long else 1 + offset), market, up=not is_long)
                if engine.crosses_makerbook(market.market_id, is_long, px):
                    continue
                size = round_size(usd / price, market)
                self._counter += 1
                order_id = "0x" + keccak(f"maker|{self._counter}".encode()).hex()
                order = engine.new_order(Order(order_id, market.market_id, C.BACKGROUND_MAKER,
                                               size if is_long else -size, px, self._counter, False, True, "signed"))
                engine.rest(order)
                placed.append(order)
        self._orders[market.market_id] = placed

    # ---- takers --------------------------------------------------------------
    def run_takers(self, dt: float, prices: dict[int, float], next_move: Callable[[int], float]) -> int:
        """Draw this tick's taker arrivals for every market and execute them; returns the count."""
        p = self.params
        count = 0
        for market in C.MARKETS:
            arrivals = self._poisson(p.taker_rate * dt)
            for _ in range(arrivals):
                informed = self.rng.random() < p.informed_takers
                buy = self.rng.random() < p.taker_buy_share
                usd = self.rng.expovariate(1.0 / p.taker_size_usd) if p.taker_size_usd > 0 else 0.0
                if informed:
                    move = next_move(market.market_id)
                    if move != 0:
                        buy = move > 0
                price = prices[market.market_id]
                if usd <= 0 or price <= 0:
                    continue
                self.take(market.market_id, buy, round_size(usd / price, market))
                count += 1
        return count

    def _poisson(self, lam: float) -> int:
        return poisson(self.rng, lam)


def peek_next(path: Any, symbol: str) -> float:
    """Relative move of `symbol` at the next step of the reference path, without advancing it."""
    clone = copy.deepcopy(path)
    before = clone.price(symbol)
    return clone.step()[symbol] / before - 1.0
