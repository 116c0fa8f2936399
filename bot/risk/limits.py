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
from dataclasses import dataclass
from decimal import Decimal
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


def projected(exposure: Exposure, side: int, qty: Decimal) -> Decimal:
    """The Hubble position if every resting quote of `side` and this one fill."""
    return exposure.position + side * (exposure.resting.get(side, ZERO) + qty)


def check_quote(limits: RiskLimits, exposure: Exposure, side: int, qty: Decimal, price: Decimal) -> str | None:
    """Why this quote must not be placed, or None. Checks run cheapest first."""
    if qty > limits.max_order_size:
        return f"order size {qty} above maxOrderSize {limits.max_order_size}"
    if qty * price > limits.max_order_notional:
        return f"order notional {qty * price:.2f} USD above maxOrderNotional {limits.max_order_notional}"
    if exposure.resting.get(side, ZERO) + qty > limits.max_resting_per_side:
        return f"resting size per side would pass maxRestingPerSide {limits.max_resting_per_side}"
    after = projected(exposure, side, qty)
    if abs(after) > abs(exposure.position):          # only a growing position is bounded
        if abs(after) > limits.max_position:
            return f"position could reach {_n(after)} past maxPosition {_n(limits.max_position)}"
        if abs(after) * exposure.mark > limits.max_position_usd:
            return f"position could reach {abs(after) * exposure.mark:.0f} USD past maxPositionUsd {limits.max_position_usd}"
    return None


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
                 sides: Iterable[int] = (BID, ASK)) -> tuple[list, list[str]]:
    """(the quotes that pass, one reason per refused one). Quotes are taken in order (best levels first);
    each accepted quote counts as resting for the ones after it. `sides`: the sides the state lets quote."""
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
        why = check_quote(limits, Exposure(exposure.position, resting, exposure.mark), quote.side, quote.qty,
                          quote.price)
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
    """Why the position alone calls for REDUCING, or None: no growing quote of the smallest level fits, or
    the hedge position is past its limit."""
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
