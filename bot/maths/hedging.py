"""Pure arithmetic of hedging: book walks, slippage limits, venue rounding, carry, margin.

Every function takes and returns ``Decimal`` and has no I/O, so the sign and
unit rules the hedge clients rely on are unit-tested here. Sign convention:
a positive size BUYS on the hedge venue, a negative one SELLS.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal
from typing import Iterable, Sequence

ZERO = Decimal(0)
ONE = Decimal(1)
HL_MAX_SIG_FIGS = 5
HL_MAX_PERP_DECIMALS = 6

Level = tuple[Decimal, Decimal]   # (price, size in base units)


@dataclass(frozen=True)
class Book:
    """Bids best (highest) first, asks best (lowest) first."""

    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()

    def best_bid(self) -> Decimal | None:
        return self.bids[0][0] if self.bids else None

    def best_ask(self) -> Decimal | None:
        return self.asks[0][0] if self.asks else None

    def side_for(self, size: Decimal) -> tuple[Level, ...]:
        """The levels a trade of signed `size` takes from: asks for a buy, bids for a sell."""
        return self.asks if size > 0 else self.bids


@dataclass(frozen=True)
class Walk:
    filled: Decimal          # base units the levels can give (<= requested), unsigned
    notional: Decimal        # sum of price * size taken
    worst_price: Decimal | None

    @property
    def avg_price(self) -> Decimal | None:
        return self.notional / self.filled if self.filled else None


def sign(value: Decimal) -> Decimal:
    return ONE if value > 0 else (-ONE if value < 0 else ZERO)


def walk_book(levels: Iterable[Level], size: Decimal, limit: Decimal | None = None,
              is_buy: bool = True) -> Walk:
    """Take unsigned `size` from `levels` (best first), stopping at levels worse than `limit`."""
    remaining, notional, filled, worst = abs(size), ZERO, ZERO, None
    for price, available in levels:
        if remaining <= 0:
            break
        if limit is not None and (price > limit if is_buy else price < limit):
            break
        take = min(remaining, available)
        if take <= 0:
            continue
        notional += price * take
        filled += take
        remaining -= take
        worst = price
    return Walk(filled, notional, worst)


def slippage_limit(reference: Decimal, is_buy: bool, slippage: Decimal) -> Decimal:
    """Worst acceptable price: reference * (1 + slippage) for a buy, * (1 - slippage) for a sell."""
    return reference * (ONE + slippage) if is_buy else reference * (ONE - slippage)


def round_to_step(value: Decimal, step: Decimal, rounding: str = ROUND_FLOOR) -> Decimal:
    """`value` as a whole number of `step`s (quantised to the step's exponent)."""
    units = (value / step).to_integral_value(rounding=rounding)
    return (units * step).quantize(step) if step.as_tuple().exponent < 0 else units * step


def hyperliquid_price(price: Decimal, sz_decimals: int, is_buy: bool) -> Decimal:
    """A valid Hyperliquid perp limit price no worse than `price` for the taker.

    Rules: at most 5 significant figures and at most 6 - szDecimals decimals;
    integer prices are always valid. A buy rounds down, a sell rounds up, so the
    limit never exceeds the slippage cap.
    """
    if price <= 0:
        raise ValueError(f"price must be positive, got {price}")
    rounding = ROUND_FLOOR if is_buy else ROUND_CEILING
    int_digits = price.adjusted() + 1
    places = min(HL_MAX_PERP_DECIMALS - sz_decimals, max(0, HL_MAX_SIG_FIGS - int_digits))
    rounded = round_to_step(price, ONE.scaleb(-places), rounding)
    if rounded <= 0:  # tiny price on a coarse grid: the smallest legal tick
        rounded = ONE.scaleb(-(HL_MAX_PERP_DECIMALS - sz_decimals))
    return rounded


def binance_price(price: Decimal, tick: Decimal, is_buy: bool) -> Decimal:
    """Price on Binance's tick grid, rounded toward the reference (buy down, sell up)."""
    return round_to_step(price, tick, ROUND_FLOOR if is_buy else ROUND_CEILING)


@dataclass(frozen=True)
class Split:
    order: Decimal   # signed size to send now (0: nothing to send)
    carry: Decimal   # signed residual kept for the next hedge; order + carry == total exactly


def split_order(total: Decimal, step: Decimal, min_size: Decimal, min_notional: Decimal,
                price: Decimal | None) -> Split:
    """Round |total| DOWN to the size step; carry the rest, or all of it if below the venue minimum.

    `price` values the order for the minimum-notional check (None: no price
    known, so nothing can be checked and nothing is sent).
    """
    order = sign(total) * round_to_step(abs(total), step, ROUND_DOWN)
    too_small = abs(order) < max(min_size, step) or price is None or abs(order) * price < min_notional
    if order == 0 or too_small:
        return Split(ZERO, total)
    return Split(order, total - order)


def minimum_round_trip(total: Decimal, step: Decimal, min_size: Decimal, min_notional: Decimal,
                       open_limit: Decimal, close_limit: Decimal) -> Decimal:
    """An order that hedges a `total` too small for the venue's minimum, by overshooting it.

    Sending |total| + k and then closing k leaves exactly |total| hedged, and
    each of the two orders meets the minimum: k is the smallest multiple of
    the step with k >= min_size and k x close_limit >= min_notional (the
    closing order is checked at its own limit price). Returns the signed first
    order, or 0 when |total| rounded down to the step is 0 (a residual below
    the step cannot be hedged at all: it stays carried).
    """
    stepped = round_to_step(abs(total), step, ROUND_DOWN)
    if stepped == 0 or close_limit <= 0:
        return ZERO
    k = max(round_to_step(max(min_size, step), step, ROUND_CEILING),
            round_to_step(min_notional / close_limit, step, ROUND_CEILING))
    order = stepped + k
    while order * open_limit < min_notional:     # only if open_limit is far below close_limit
        order += step
    return sign(total) * order


def opening_size(position: Decimal, size: Decimal) -> Decimal:
    """Unsigned part of a trade of signed `size` that grows |position| (needs new margin)."""
    if position == 0 or sign(position) == sign(size):
        return abs(size)
    return max(ZERO, abs(size) - abs(position))


def required_margin(position: Decimal, size: Decimal, notional: Decimal, leverage: int) -> Decimal:
    """Initial margin for trading `size` whose walked notional is `notional` at `leverage`.

    Only the opening part is charged, at the walk's average price: closing an
    existing position frees margin rather than using it.
    """
    if size == 0:
        return ZERO
    opening = opening_size(position, size)
    return notional * opening / abs(size) / Decimal(leverage)


def margin_ok(position: Decimal, size: Decimal, notional: Decimal, leverage: int,
              free_margin: Decimal) -> bool:
    return required_margin(position, size, notional, leverage) <= free_margin


def can_absorb(book: Book, size: Decimal, slippage: Decimal) -> Walk | None:
    """The walk of signed `size` through `book` within the slippage cap, or None if it cannot fill."""
    if size == 0:
        return Walk(ZERO, ZERO, None)
    levels = book.side_for(size)
    if not levels:
        return None
    is_buy = size > 0
    cap = slippage_limit(levels[0][0], is_buy, slippage)
    walk = walk_book(levels, size, cap, is_buy)
    return walk if walk.filled >= abs(size) else None


def slice_vwap(levels: Iterable[Level], start: Decimal, size: Decimal) -> Decimal | None:
    """Average price of the part of the book from `start` to `start + size` (unsigned sizes, levels best
    first): what a hedge of a quote level pays when the levels before it have taken the first `start`.
    None when the book does not hold `start + size`."""
    before = walk_book(levels, start) if start > 0 else Walk(ZERO, ZERO, None)
    through = walk_book(levels, start + size)
    if through.filled < start + size or size <= 0:
        return None
    return (through.notional - before.notional) / size


def vwap(fills: Sequence[tuple[Decimal, Decimal]]) -> Decimal | None:
    """Volume-weighted average of (price, unsigned size) pairs; None when nothing filled."""
    volume = sum((abs(sz) for _, sz in fills), ZERO)
    if volume == 0:
        return None
    return sum((px * abs(sz) for px, sz in fills), ZERO) / volume


def decimals_of(step: Decimal) -> int:
    """Decimal places of a step such as 0.001 -> 3, 1 -> 0."""
    return max(0, -step.normalize().as_tuple().exponent)  # type: ignore[operator]
