"""What the observer collects: venue samples, hedge-venue books, fills, order placements, and a run's whole
harvest (``Collected``).

"Maker" is the venue the bot quotes on (Hubble, Hyperliquid or Binance), "hedge" the one it hedges on."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tools.observer import bot_metrics

Level = tuple[Decimal, Decimal]      # (price, size), size in base units


@dataclass(frozen=True)
class HedgeBook:
    """The hedge venue's order book at one moment, best level first on each side."""
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]

    @property
    def mid(self) -> Decimal | None:
        if not self.bids or not self.asks:
            return None
        return (self.bids[0][0] + self.asks[0][0]) / 2


@dataclass(frozen=True)
class Sample:
    """One look at both venues (taken at once on the simulator's loop)."""
    t: float                          # wall-clock seconds
    bids: int                         # the bot's bids resting on the maker venue (that can still match)
    asks: int
    bid_size: Decimal                 # base resting on each side
    ask_size: Decimal
    maker_position: Decimal           # signed base, at the maker venue
    hedge_position: Decimal
    maker_mid: Decimal | None         # the maker venue's book, as its clients see it
    book: HedgeBook = field(repr=False, compare=False)

    @property
    def hedge_mid(self) -> Decimal | None:
        return self.book.mid

    @property
    def net(self) -> Decimal:
        return self.maker_position + self.hedge_position


@dataclass(frozen=True)
class Fill:
    """One fill of the trader as a venue reports it."""
    venue: str                        # "hubble", "hyperliquid" or "binance"
    t: float                          # wall-clock seconds (Hubble: the block's whole second; others: the ms)
    qty: Decimal                      # signed base: + bought
    price: Decimal
    fee: Decimal                      # USD paid (negative: a rebate)
    order_id: str                     # the venue's order id (Hubble's order hash, Hyperliquid oid, Binance orderId)
    ref: str = ""                     # transaction hash or trade id
    block: int | None = None          # Hubble: the block that matched it

    @property
    def notional(self) -> Decimal:
        return abs(self.qty) * self.price


@dataclass(frozen=True)
class VenueFunding:
    """Funding over the run as the venues report it, USD received (negative: paid)."""
    maker: Decimal = Decimal(0)
    hedge: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.maker + self.hedge


@dataclass
class Collected:
    """What a run gathered from the venues."""
    samples: list[Sample]
    maker_fills: list[Fill]
    hedge_fills: list[Fill]
    placements: dict[str, float]
    books: list[tuple[float, HedgeBook]]    # the hedge venue's book at every change, with the samples' books
    funding: VenueFunding
    taker_rate: Decimal
    started: float
    stopped: float
    exit_code: int | None
    bot_tail: list[str]
    liquidated: dict[str, list[dict[str, Any]] | None] = field(default_factory=dict)   # venue -> None: no action
    scraped: bot_metrics.Tracker = field(default_factory=bot_metrics.Tracker)          # the bot's own metrics
    hedge_lot: Decimal | None = None       # the hedge venue's size step
