"""Pure computations of the observer's figures from samples and fills (no I/O).

Every price reference is the hedge venue's mid: a maker fill's spread, a
hedge fill's slippage and the residual at the end are all measured against it,
so the PnL parts add up exactly to the total. "Maker" is the venue the bot
quotes on (Hubble, Hyperliquid or Binance).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable, Protocol, Sequence, TypeVar

from tools.observer.records import Fill, HedgeBook, Level, Sample, VenueFunding

ZERO = Decimal(0)


# ---- quotes ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Uptime:
    samples: int                      # samples from the first quote on
    two_sided: float | None           # share with at least one bid and one ask resting
    any_side: float | None            # share with at least one quote resting
    first_quote_t: float | None


def quote_uptime(samples: Sequence[Sample]) -> Uptime:
    """Uptime over the samples from the first one showing a quote (start-up is reported apart)."""
    first = next((i for i, s in enumerate(samples) if s.bids or s.asks), None)
    if first is None:
        return Uptime(0, None, None, None)
    window = samples[first:]
    two = sum(1 for s in window if s.bids and s.asks)
    one = sum(1 for s in window if s.bids or s.asks)
    return Uptime(len(window), two / len(window), one / len(window), window[0].t)


# ---- volumes ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Volume:
    count: int
    base: Decimal
    usd: Decimal


def volume(fills: Iterable[Fill]) -> Volume:
    fills = list(fills)
    return Volume(len(fills), sum((abs(f.qty) for f in fills), ZERO), sum((f.notional for f in fills), ZERO))


def exposure_to_hedge(maker: Iterable[Fill]) -> Decimal:
    """Sum over Hubble blocks of |net size of the block's fills|: a block's fills reach the bot together and
    it hedges their net, so a buy and a sell in one block need no hedge. A fill without a block (Hyperliquid,
    Binance) is grouped with those of the same venue time (one taker's pieces), i.e. nearly always alone."""
    by_block: dict[object, Decimal] = {}
    for f in maker:
        key = f.block if f.block is not None else f.t
        by_block[key] = by_block.get(key, ZERO) + f.qty
    return sum((abs(v) for v in by_block.values()), ZERO)


def hedge_coverage(to_hedge: Decimal, hedge: Volume) -> float | None:
    """Hedged volume / volume to hedge, in base units (above 1 when a hedge below the venue's minimum was
    overshot and closed, or a difference found by the bot's reconciler was hedged)."""
    return float(hedge.base / to_hedge) if to_hedge else None


# ---- exposure ---------------------------------------------------------------------------------------------------
class Timed(Protocol):
    t: float


T = TypeVar("T", bound=Timed)


def time_weighted_abs(points: Sequence[T], value: Callable[[T], Decimal | None]) -> Decimal | None:
    """Mean of |value| over time, each point's value held until the next point (samples or a NetStep path)."""
    held = ZERO
    for current, following in zip(points, points[1:]):
        v = value(current)
        if v is not None:
            held += abs(v) * Decimal(repr(following.t - current.t))
    span = points[-1].t - points[0].t if len(points) > 1 else 0.0
    return held / Decimal(repr(span)) if span > 0 else None


@dataclass(frozen=True)
class NetStep:
    t: float                          # from this venue time on...
    net: Decimal                      # ...maker + hedge position, base


def net_path(fills: Iterable[Fill], start: float, end: float) -> list[NetStep]:
    """The net position from flat at ``start`` to ``end``, one step at each venue time a fill moved it (fills of
    one ms together): exact where both venues stamp fills in ms (Hyperliquid, Binance), unlike 1 s samples."""
    steps = [NetStep(start, ZERO)]
    for f in sorted(fills, key=lambda f: f.t):
        t, net = max(f.t, start), steps[-1].net + f.qty
        if t == steps[-1].t:
            steps[-1] = NetStep(t, net)
        else:
            steps.append(NetStep(t, net))
    return [*steps, NetStep(max(end, steps[-1].t), steps[-1].net)]


def seconds_at_least(steps: Sequence[NetStep], size: Decimal) -> tuple[float, float]:
    """(total, longest stretch) of seconds the path's |net| was ``size`` or more."""
    total = longest = run = 0.0
    for current, following in zip(steps, steps[1:]):
        span = following.t - current.t
        run = run + span if abs(current.net) >= size else 0.0
        total += span if abs(current.net) >= size else 0.0
        longest = max(longest, run)
    return total, longest


def net_usd(sample: Sample) -> Decimal | None:
    mid = sample.hedge_mid
    return None if mid is None else sample.net * mid


# ---- series of sampled values -------------------------------------------------------------------------------
class Series:
    """Values keyed by time; ``at(t)`` is the last one at or before t (the first one before the series starts)."""

    def __init__(self, points: Iterable[tuple[float, object]]):
        pairs = sorted(((t, v) for t, v in points if v is not None), key=lambda p: p[0])
        self.times = [t for t, _ in pairs]
        self.values = [v for _, v in pairs]

    def at(self, t: float):
        if not self.times:
            return None
        i = bisect.bisect_right(self.times, t) - 1
        return self.values[max(i, 0)]


def mid_series(samples: Iterable[Sample]) -> Series:
    return Series((s.t, s.hedge_mid) for s in samples)


# ---- PnL ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PnL:
    total: Decimal
    spread: Decimal                   # maker fills against the hedge mid at their time
    hedge_slippage: Decimal           # hedge fills against the hedge mid at their time
    fees: Decimal                     # - (maker fees + hedge fees)
    maker_fees: Decimal               # paid (negative: rebates)
    hedge_fees: Decimal
    inventory: Decimal                # price moves between each fill and the end mid
    funding: Decimal                  # both venues
    funding_maker: Decimal
    per_million: Decimal | None       # total per $1M of maker notional

    @property
    def rest(self) -> Decimal:
        return self.inventory + self.funding


def edge(fills: Iterable[Fill], mids: Series) -> Decimal:
    """Sum of qty x (mid at the fill - fill price): what each fill made against the reference mid (a fill
    before any mid was seen counts nothing here, so its result stays in the inventory part)."""
    total = ZERO
    for f in fills:
        mid = mids.at(f.t)
        if mid is not None:
            total += f.qty * (mid - f.price)
    return total


def pnl(maker: Sequence[Fill], hedge: Sequence[Fill], mids: Series, end_mid: Decimal,
        funding: VenueFunding = VenueFunding()) -> PnL:
    """Cash of every fill on both venues, fees and funding, plus the residual position at ``end_mid``."""
    fills = [*maker, *hedge]
    cash = sum((-f.qty * f.price for f in fills), ZERO)
    maker_fees = sum((f.fee for f in maker), ZERO)
    hedge_fees = sum((f.fee for f in hedge), ZERO)
    residual = sum((f.qty for f in fills), ZERO)
    total = cash + residual * end_mid - maker_fees - hedge_fees + funding.total
    spread, slippage = edge(maker, mids), edge(hedge, mids)
    fees = -(maker_fees + hedge_fees)
    inventory = total - spread - slippage - fees - funding.total
    traded = volume(maker).usd
    per_million = total / traded * 1_000_000 if traded else None
    return PnL(total, spread, slippage, fees, maker_fees, hedge_fees, inventory, funding.total, funding.maker,
               per_million)


# ---- risk over the run ------------------------------------------------------------------------------------------
def pnl_series(samples: Sequence[Sample], maker: Sequence[Fill], hedge: Sequence[Fill]) -> list[tuple[float, Decimal]]:
    """Mark-to-market PnL at each sample that shows a hedge mid: the cash and fees of every fill on both venues
    at or before the sample's time, plus the net position of those fills at that mid (as ``pnl`` values the
    residual at the end; funding is left out, the venues report it per payment). Hubble fills carry their
    block's whole second, so one counts up to a second early."""
    fills = sorted([*maker, *hedge], key=lambda f: f.t)
    series: list[tuple[float, Decimal]] = []
    cash, held, i = ZERO, ZERO, 0
    for s in sorted(samples, key=lambda x: x.t):
        while i < len(fills) and fills[i].t <= s.t:
            cash -= fills[i].qty * fills[i].price + fills[i].fee
            held += fills[i].qty
            i += 1
        mid = s.hedge_mid
        if mid is not None:
            series.append((s.t, cash + held * mid))
    return series


def max_drawdown(values: Iterable[Decimal]) -> Decimal | None:
    """The largest fall of ``values`` from their running peak (0 if they never fall; None if there are none)."""
    peak: Decimal | None = None
    worst = ZERO
    for v in values:
        peak = v if peak is None or v > peak else peak
        worst = max(worst, peak - v)
    return None if peak is None else worst


def max_abs(samples: Iterable[Sample], value: Callable[[Sample], Decimal]) -> Decimal | None:
    return max((abs(value(s)) for s in samples), default=None)


# ---- hedging at the book of the quote's placement --------------------------------------------------------------
def walk(levels: Sequence[Level], size: Decimal) -> Decimal | None:
    """Average price of taking ``size`` from ``levels`` (best first); None if they hold less."""
    left, cost = size, ZERO
    for price, available in levels:
        take = min(left, available)
        cost += take * price
        left -= take
        if left <= 0:
            return cost / size
    return None


@dataclass(frozen=True)
class PlacementCheck:
    fill: Fill
    placed_at: float
    book_t: float | None
    hedge_price: Decimal | None       # average price hedging the fill at that book (None: book too thin)
    pnl: Decimal | None               # after the maker fee and the hedge taker fee

    @property
    def loses(self) -> bool:
        return self.pnl is None or self.pnl < 0


PRICING_WINDOW = 0.010   # seconds before a placement in which the bot may have priced the quote (see below)


def check_at_placement(fill: Fill, placed_at: float, books: Sequence[tuple[float, HedgeBook]], times: Sequence[float],
                       taker_rate: Decimal, window: float = PRICING_WINDOW) -> PlacementCheck:
    """Would hedging ``fill`` at the hedge book the bot could have seen when it priced the quote have lost
    money after fees?

    The bot signs a quote a few milliseconds before it enters the maker venue's book (quote tick -> orders written,
    p99 about 5 ms in the benchmark) and a book push takes about a millisecond on loopback, so the book it
    priced on is one the venue showed at some point in ``window`` before the placement: the last one before
    that window or any change within it. The fill counts as losing only if it loses on every one of them
    (the best is reported). ``books`` is (time, book) in time order, ``times`` their times."""
    first = max(bisect.bisect_right(times, placed_at - window) - 1, 0)
    last = bisect.bisect_right(times, placed_at)
    candidates = [check_at_book(fill, placed_at, t, book, taker_rate) for t, book in books[first:last]]
    if not candidates:
        return PlacementCheck(fill, placed_at, None, None, None)
    return max(candidates, key=lambda c: (c.pnl is not None, c.pnl or ZERO))


def check_at_book(fill: Fill, placed_at: float, book_t: float, book: HedgeBook,
                  taker_rate: Decimal) -> PlacementCheck:
    if not fill.qty:
        return PlacementCheck(fill, placed_at, book_t, None, None)
    levels = book.bids if fill.qty > 0 else book.asks     # a maker buy is hedged by selling
    price = walk(levels, abs(fill.qty))
    if price is None:
        return PlacementCheck(fill, placed_at, book_t, None, None)
    result = fill.qty * (price - fill.price) - fill.fee - taker_rate * abs(fill.qty) * price
    return PlacementCheck(fill, placed_at, book_t, price, result)


def placement_checks(maker: Sequence[Fill], placed_at: dict[str, float], books: Sequence[tuple[float, HedgeBook]],
                     taker_rate: Decimal) -> list[PlacementCheck]:
    """One check per maker fill whose order's placement time the venue knows; ``books`` in time order."""
    times = [t for t, _ in books]
    return [check_at_placement(f, placed_at[f.order_id], books, times, taker_rate)
            for f in maker if f.order_id in placed_at]
