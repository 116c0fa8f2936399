"""Synthetic order book of one coin, rebuilt from the venue price each tick.

Liquidity taken by an aggressive order stays taken until the next rebuild,
so a large hedge (or two in a row) walks the book and pays slippage.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tools.simnet.hyperliquid.assets import PerpAsset, round_price, round_size, tick_size


@dataclass(frozen=True)
class BookParams:
    spread_bps: Decimal = Decimal("1")
    depth_levels: int = 20
    level_size_usd: Decimal = Decimal("25000")
    level_step_bps: Decimal = Decimal("1")
    level_growth: Decimal = Decimal("0.25")   # each deeper level holds this much more


@dataclass
class Level:
    px: Decimal
    sz: Decimal
    n: int


@dataclass
class SyntheticBook:
    asset: PerpAsset
    params: BookParams
    bids: list[Level] = field(default_factory=list)   # best first
    asks: list[Level] = field(default_factory=list)   # best first
    price: Decimal | None = None                      # the venue price the levels were built around

    def rebuild(self, price: Decimal) -> None:
        """New levels around ``price`` (the venue's mid)."""
        self.price = price
        p = self.params
        half = p.spread_bps / Decimal(20000)
        step = p.level_step_bps / Decimal(10000)
        self.bids, self.asks = [], []
        for i in range(p.depth_levels):
            usd = p.level_size_usd * (1 + p.level_growth * i)
            bid_px = round_price(self.asset, price * (1 - half - step * i), up=False)
            ask_px = round_price(self.asset, price * (1 + half + step * i), up=True)
            if self.bids and bid_px >= self.bids[-1].px:
                bid_px = self.bids[-1].px - _tick_below(self.asset, self.bids[-1].px)
            if self.asks and ask_px <= self.asks[-1].px:
                ask_px = round_price(self.asset, self.asks[-1].px * (1 + Decimal("1e-9")), up=True)
                if ask_px <= self.asks[-1].px:
                    ask_px = self.asks[-1].px + _tick_below(self.asset, self.asks[-1].px)
            n = 1 + i % 4
            self.bids.append(Level(bid_px, max(round_size(self.asset, usd / bid_px), _lot(self.asset)), n))
            self.asks.append(Level(ask_px, max(round_size(self.asset, usd / ask_px), _lot(self.asset)), n))

    def best_bid(self) -> Decimal | None:
        return self.bids[0].px if self.bids else None

    def best_ask(self) -> Decimal | None:
        return self.asks[0].px if self.asks else None

    def mid(self) -> Decimal:
        """The mid; with one side taken empty (a thin book), the venue price the book was built around
        (simnet's stand-in: the real mark "combines external CEX prices with Hyperliquid's book state", docs
        trading/liquidations)."""
        bid, ask = self.best_bid(), self.best_ask()
        if bid is None or ask is None:
            assert self.price is not None, "book not built"
            return self.price
        return (bid + ask) / 2

    def plan(self, is_buy: bool, limit_px: Decimal, size: Decimal) -> list[tuple[Decimal, Decimal]]:
        """(px, sz) fills an aggressive order would get, without taking them."""
        levels = self.asks if is_buy else self.bids
        fills: list[tuple[Decimal, Decimal]] = []
        left = size
        for level in levels:
            if left <= 0:
                break
            if (is_buy and level.px > limit_px) or (not is_buy and level.px < limit_px):
                break
            if level.sz <= 0:
                continue
            take = min(left, level.sz)
            fills.append((level.px, take))
            left -= take
        return fills

    def take(self, is_buy: bool, fills: list[tuple[Decimal, Decimal]]) -> None:
        """Remove the liquidity of ``fills`` (from ``plan``) from the book."""
        levels = self.asks if is_buy else self.bids
        by_px = {level.px: level for level in levels}
        for px_, sz in fills:
            by_px[px_].sz -= sz
        levels[:] = [lv for lv in levels if lv.sz > 0]


def _lot(asset: PerpAsset) -> Decimal:
    return Decimal(1).scaleb(-asset.sz_decimals)


def _tick_below(asset: PerpAsset, price: Decimal) -> Decimal:
    return tick_size(asset, price * (1 - Decimal("1e-9")))
