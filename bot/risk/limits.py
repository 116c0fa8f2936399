"""Pre-trade checks and the trading state: pure functions over Decimal, no I/O.

Every quote passes ``check_quotes`` before it is signed. The position bound is
a worst case: a bid is allowed only if the Hubble position stays within
``maxPosition`` (base and USD) even when every bid already resting and this
one fill. That is why the Hubble position can never pass the limit through
our own quotes, whatever the flow does (only a hedge venue's liquidation or
an operator's manual trade could move it past).

Hedges never come here: a hedge that a limit would block would leave the
fill naked, the one outcome worse than any position. A hedge past
``maxHedgePosition`` goes out and turns the state to REDUCING.
"""
from __future__ import annotations

import collections
import enum
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Iterable, Sequence

ZERO = Decimal(0)
BID, ASK = 1, -1


class TradingState(str, enum.Enum):
    ACTIVE = "ACTIVE"            # both sides quote
    REDUCING = "REDUCING"        # only the side that shrinks the position quotes
    HALTED = "HALTED"            # no quotes, resting ones cancelled; hedges and reconciliation go on


@dataclass(frozen=True)
class RiskLimits:
    max_order_size: Decimal          # base units per quote
    max_order_notional: Decimal      # USD per quote
    max_resting_per_side: Decimal    # base units resting on one side
    max_position: Decimal            # |Hubble position|, base units
    max_position_usd: Decimal        # |Hubble position| x mark, USD
    max_hedge_position: Decimal      # |hedge venue position|, base units (REDUCING past it; hedges never blocked)
    max_order_rate: int              # quotes placed per minute
    inventory_target: Decimal        # |Hubble position| above which quotes skew toward zero
    position_skew_pct: Decimal       # % of price both sides shift per lot above the target
    liquidation_warn_pct: Decimal    # distance to liquidation (% of price) that alerts
    liquidation_reduce_pct: Decimal  # ... that turns the state to REDUCING
    liquidation_unwind_pct: Decimal  # ... that unwinds both legs
    unwind_size: Decimal             # base units closed on both legs per unwind step
    max_daily_loss: Decimal          # USD since UTC midnight (0 = off)
    max_total_loss: Decimal          # USD since the risk baseline (0 = off)
    on_kill: str                     # "halt" | "flatten"


@dataclass(frozen=True)
class Exposure:
    """What the checks need, taken once per quote tick."""
    position: Decimal                # signed Hubble position, base units
    resting: dict[int, Decimal]      # side -> base units resting unfilled
    mark: Decimal                    # price for USD limits
    # side -> base units of `resting` that this tick replaces (their cancel or modify goes out with it): the
    # position bound still counts them, since they can fill until the venue confirms, but the growing side's
    # share of the room does not, since the new quotes take their place rather than join them
    leaving: dict[int, Decimal] = field(default_factory=dict)


GROWING_SHARE = Decimal("0.5")


@dataclass(frozen=True)
class QuoteGrid:
    """How the quotes of the side that grows the position are sized against the room left to the bound:
    cut to a multiple of `step` (the maker venue's size step), no smaller than `min_qty` (the larger of the
    maker venue's minimum and the hedge venue's smallest order, so that a cut quote's fill can be hedged on
    its own), and, once the position is past inventoryTarget, all of the side together (resting ones too) at
    most `growing_share` of the room left.

    With a share of one half, a taker that sweeps the whole growing side moves the position half of the way
    to the bound, never onto it: the side keeps quoting, smaller and smaller, for several sweeps in a row
    (sizes shrink with inventory, as in Hummingbot's inventory skew) instead of quoting in full up to the
    limit and then not at all, and the state turns REDUCING only when half the room is under the minimum."""
    step: Decimal
    min_qty: Decimal
    growing_share: Decimal = Decimal(1)


def projected(exposure: Exposure, side: int, qty: Decimal) -> Decimal:
    """The Hubble position if every resting quote of `side` and this one fill."""
    return exposure.position + side * (exposure.resting.get(side, ZERO) + qty)


def check_quote(limits: RiskLimits, exposure: Exposure, side: int, qty: Decimal, price: Decimal) -> str | None:
    """Why this quote must not be placed, or None. Checks run cheapest first."""
    return _size_refusal(limits, exposure, side, qty, price) or position_refusal(limits, exposure, side, qty)


def _size_refusal(limits: RiskLimits, exposure: Exposure, side: int, qty: Decimal, price: Decimal) -> str | None:
    if qty > limits.max_order_size:
        return f"order size {qty} above maxOrderSize {limits.max_order_size}"
    if qty * price > limits.max_order_notional:
        return f"order notional {qty * price:.2f} USD above maxOrderNotional {limits.max_order_notional}"
    if exposure.resting.get(side, ZERO) + qty > limits.max_resting_per_side:
        return f"resting size per side would pass maxRestingPerSide {limits.max_resting_per_side}"
    return None


def position_refusal(limits: RiskLimits, exposure: Exposure, side: int, qty: Decimal) -> str | None:
    """Why this quote could carry the position past maxPosition or maxPositionUsd, or None."""
    after = projected(exposure, side, qty)
    if abs(after) > abs(exposure.position):          # only a growing position is bounded
        parts = f"({_n(exposure.position)} held, {_n(exposure.resting.get(side, ZERO))} resting, {_n(qty)} more)"
        if abs(after) > limits.max_position:
            return f"position could reach {_n(after)} {parts} past maxPosition {_n(limits.max_position)}"
        if abs(after) * exposure.mark > limits.max_position_usd:
            return (f"position could reach {abs(after) * exposure.mark:.0f} USD {parts} past maxPositionUsd "
                    f"{limits.max_position_usd}")
    return None


def fitting_qty(limits: RiskLimits, exposure: Exposure, side: int, grid: QuoteGrid) -> Decimal | None:
    """The largest quote of `side` that keeps the side's resting quotes and this one within the grid's share
    of the room left to both position bounds, on the grid; None when not even `grid.min_qty` fits.

    For the side that grows the position, |position + side x (resting + q)| = side x position + resting + q,
    so with share 1 (the hard bound) q <= bound - side x position - resting, and with a share k,
    resting + q <= k x (bound - side x position); bound is the smaller of maxPosition and
    maxPositionUsd / mark.
    """
    bound = limits.max_position
    if exposure.mark > 0:
        bound = min(bound, limits.max_position_usd / exposure.mark)
    held = exposure.resting.get(side, ZERO)
    if grid.growing_share < 1:
        held -= exposure.leaving.get(side, ZERO)
    room = (bound - side * exposure.position) * grid.growing_share - held
    if grid.step <= 0 or room <= 0:
        return None
    qty = (room / grid.step).to_integral_value(rounding=ROUND_FLOOR) * grid.step
    min_qty = (grid.min_qty / grid.step).to_integral_value(rounding=ROUND_CEILING) * grid.step
    return qty if qty >= max(min_qty, grid.step) else None


def _sized_for_room(limits: RiskLimits, exposure: Exposure, quote, grid: QuoteGrid | None):
    """(the quote to check: `quote` itself, or cut to the grid's share of the room left, None when nothing of
    it fits the share; the reason it was refused then). Only the side that grows the position is sized."""
    if grid is None or quote.side * exposure.position < 0:
        return quote, None
    shared = quote.side * exposure.position > limits.inventory_target     # the share applies past the target
    qty = fitting_qty(limits, exposure, quote.side, replace(grid, growing_share=Decimal(1)))
    if qty is not None and shared:
        within_share = fitting_qty(limits, exposure, quote.side, grid)
        qty = None if within_share is None else min(qty, within_share)
    if qty is None:
        room = f"{_n(grid.growing_share * 100)} % of the room" if shared else "the room"
        return None, (f"position {_n(exposure.position)} with {_n(exposure.resting.get(quote.side, ZERO))} "
                      f"resting leaves under {_n(grid.min_qty)} in {room} to maxPosition {_n(limits.max_position)}")
    return (replace(quote, qty=qty) if qty < quote.qty else quote), None


class OrderRate:
    """Quotes placed in the last minute (maxOrderRate)."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._times: collections.deque[float] = collections.deque()

    def room(self, now: float) -> int:
        while self._times and self._times[0] <= now - 60.0:
            self._times.popleft()
        return max(0, self.per_minute - len(self._times))

    def placed(self, count: int, now: float) -> None:
        self._times.extend([now] * count)


def check_quotes(limits: RiskLimits, exposure: Exposure, quotes: Sequence, room: int,
                 sides: Iterable[int] = (BID, ASK), grid: QuoteGrid | None = None) -> tuple[list, list[str]]:
    """(the quotes that pass, one reason per refused one). Quotes are taken in order (best levels first);
    each accepted quote counts as resting for the ones after it. `sides`: the sides the state lets quote.
    With a `grid`, the quotes of the side that grows the position are cut to the grid's share of the room left
    (the first level that passes it takes what is left; the levels after it then find none) rather than
    placed whole or dropped (QuoteGrid)."""
    allowed_sides = set(sides)
    resting = dict(exposure.resting)
    accepted, reasons = [], []
    for quote in quotes:
        if quote.side not in allowed_sides:
            reasons.append(f"{_name(quote.side)} level {quote.level}: state REDUCING (only the side that "
                           "shrinks the position quotes)")
            continue
        if len(accepted) >= room:
            reasons.append(f"{_name(quote.side)} level {quote.level}: maxOrderRate {limits.max_order_rate}/min reached")
            continue
        now = Exposure(exposure.position, resting, exposure.mark, exposure.leaving)
        sized, why = _sized_for_room(limits, now, quote, grid)
        if sized is not None:
            quote = sized
            why = check_quote(limits, now, quote.side, quote.qty, quote.price)
        if why:
            reasons.append(f"{_name(quote.side)} level {quote.level}: {why}")
            continue
        resting[quote.side] = resting.get(quote.side, ZERO) + quote.qty
        accepted.append(quote)
    return accepted, reasons


def shrinking_side(position: Decimal, hedge_position: Decimal) -> int | None:
    """The Hubble side whose fills shrink the position (a long Hubble position shrinks by selling), taken from
    the hedge position when Hubble is flat (a long hedge shrinks when Hubble buys and the hedge sells)."""
    if position:
        return ASK if position > 0 else BID
    if hedge_position:
        return BID if hedge_position > 0 else ASK
    return None


def position_state(limits: RiskLimits, position: Decimal, hedge_position: Decimal, mark: Decimal,
                   smallest_qty: Decimal) -> str | None:
    """Why the position alone calls for REDUCING, or None: no growing quote of `smallest_qty` fits (the
    smallest level, or with cutting to fit the grid's minimum), or the hedge position is past its limit."""
    grown = abs(position) + smallest_qty
    if position and (grown > limits.max_position or grown * mark > limits.max_position_usd):
        return f"maker position {_n(position)} at maxPosition {_n(limits.max_position)}"
    if abs(hedge_position) > limits.max_hedge_position:
        return f"hedge position {_n(hedge_position)} past maxHedgePosition {_n(limits.max_hedge_position)}"
    return None


def inventory_shift(limits: RiskLimits, position: Decimal, lot: Decimal) -> Decimal:
    """Fraction of price to move both sides by for a Hubble position above inventoryTarget: a long position
    lowers both (our ask fills first, our bid less), a short one raises both."""
    excess = abs(position) - limits.inventory_target
    if limits.position_skew_pct <= 0 or excess <= 0 or lot <= 0:
        return ZERO
    direction = -1 if position > 0 else 1
    return direction * limits.position_skew_pct / 100 * excess / lot


def _n(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def _name(side: int) -> str:
    return "bid" if side == BID else "ask"
