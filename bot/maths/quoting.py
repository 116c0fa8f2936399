"""Quote math: free margin, per-side budgets, defensive skew, level prices and sizes.

Pure functions over Decimal, so every rule is unit-tested without a venue.
Conventions: side +1 is a bid (we buy on Hubble), -1 an ask. Sizes are
positive base units here; the signed Hubble size is side * qty. The hedge of
a filled bid is a sell on the hedge venue, so its hedge size is -qty.

Free margin follows the node's available margin (hubbleutils
GetAvailableMargin): margin (already net of pending funding) - used margin +
unrealised PnL - reserved margin, with used margin = total position notional x the chain's
``minAllowableMargin`` (the Hubble margin requirement, a fraction: 0.2 is 5x).
The hedge venue's ``leverage`` setting has nothing to do with it. The side
that reduces an existing position also gets that position's margin back in
its budget.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Callable, Sequence

from bot.settings import Level

BID, ASK = 1, -1
ZERO = Decimal(0)


@dataclass(frozen=True)
class Position:
    market: int
    size: Decimal                 # signed base units
    notional: Decimal             # |size| * mark, USD
    unrealised_pnl: Decimal       # USD
    unrealised_funding: Decimal   # USD owed by the trader (already taken out of the account's margin)


@dataclass(frozen=True)
class Account:
    margin: Decimal
    reserved_margin: Decimal
    positions: tuple[Position, ...]

    def position(self, market: int) -> Position | None:
        return next((p for p in self.positions if p.market == market), None)


@dataclass(frozen=True)
class Budget:
    bid: Decimal        # USD of margin the bids may use
    ask: Decimal
    skew_bid: Decimal   # extra spread, fraction of price
    skew_ask: Decimal


@dataclass(frozen=True)
class Quote:
    side: int
    level: int
    price: Decimal
    qty: Decimal

    @property
    def signed_size(self) -> Decimal:
        return self.qty * self.side


def free_margin(account: Account, margin_fraction: Decimal) -> Decimal:
    """The node's margin is already net of pending funding (hubblenet trading_apis.go GetMarginAndPositions:
    margin = normalised margin - getTotalFunding), so unrealised funding is not subtracted again."""
    used = sum((p.notional for p in account.positions), ZERO) * margin_fraction
    upnl = sum((p.unrealised_pnl for p in account.positions), ZERO)
    return account.margin - used + upnl - account.reserved_margin


def budgets(account: Account, market: int, margin_fraction: Decimal, margin_share: Decimal,
            defensive_skew_pct: Decimal) -> Budget:
    """Margin per side and the defensive skew, given the position in `market`."""
    free = free_margin(account, margin_fraction)
    base = free * margin_share
    bid = ask = base
    skew_bid = skew_ask = ZERO
    position = account.position(market)
    if position is not None and position.size != 0:
        position_margin = position.notional * margin_fraction
        reducing_budget = (free + position_margin) * margin_share
        skew = position_margin / free * 10 * defensive_skew_pct / 100 if free > 0 else ZERO
        if position.size > 0:
            ask, skew_bid = reducing_budget, skew
        else:
            bid, skew_ask = reducing_budget, skew
    return Budget(bid, ask, skew_bid, skew_ask)


def less_committed(budget: Budget, committed: dict[int, Decimal]) -> Budget:
    """The budget without the margin our resting quotes already hold.

    The node holds margin for signed orders off the books it reports (its
    memory database's virtual reserve; ``reservedMargin`` counts on-chain
    orders only), so the account's free margin does not show what our own
    quotes use. Quotes that will be kept rather than re-placed are counted
    here too: conservative, never over-committing.
    """
    return Budget(budget.bid - committed.get(BID, ZERO), budget.ask - committed.get(ASK, ZERO),
                  budget.skew_bid, budget.skew_ask)


def round_to_tick(price: Decimal, tick: Decimal, side: int) -> Decimal:
    """Bids round down and asks round up: rounding never tightens our spread."""
    rounding = ROUND_FLOOR if side == BID else ROUND_CEILING
    return (price / tick).to_integral_value(rounding=rounding) * tick


def level_price(mid: Decimal, spread_pct: Decimal, skew: Decimal, side: int, tick: Decimal,
                best_bid: Decimal | None, best_ask: Decimal | None, avoid_crossing: bool) -> Decimal:
    """Price of one level; with avoid_crossing it stays strictly inside our side of the book."""
    fraction = spread_pct / 100 + skew
    price = round_to_tick(mid * (1 - side * fraction), tick, side)
    if avoid_crossing:
        opposite = best_ask if side == BID else best_bid
        if opposite is not None and (price - opposite) * side >= 0:
            price = round_to_tick(opposite * (1 - side * fraction), tick, side)
            price = min(price, opposite - tick) if side == BID else max(price, opposite + tick)
    return price


def level_qty(wanted: Decimal, budget: Decimal, margin_fraction: Decimal, price: Decimal,
              min_size: Decimal) -> Decimal:
    """The level's qty, or what the budget allows rounded down to the minimum size (0 if nothing)."""
    if budget <= 0 or price <= 0:
        return ZERO
    affordable = budget / (price * margin_fraction)
    if wanted <= affordable:
        return wanted
    return (affordable / min_size).to_integral_value(rounding=ROUND_FLOOR) * min_size


ProfitBound = Callable[[int, Decimal, Decimal], "Decimal | None"]


def build_quotes(mid: Decimal, levels: Sequence[Level], budget: Budget, margin_fraction: Decimal, tick: Decimal,
                 min_size: Decimal, best_bid: Decimal | None, best_ask: Decimal | None, avoid_crossing: bool,
                 hedgeable: Callable[[Decimal], bool] | None, profit_bound: ProfitBound | None = None,
                 skipped: list[str] | None = None) -> list[Quote]:
    """One bid and one ask per level, budgets spent level by level.

    `hedgeable(size)` is asked for the cumulative hedge of the side so far
    (a filled bid is hedged by a sell): a level whose hedge, together with the
    levels before it, could not be done is skipped. `profit_bound(side,
    size before, qty)` is the worst price at which that level, hedged at once,
    still earns the minimum profit after both fees (the highest bid, the
    lowest ask), or None when the hedge book cannot take it: the level's price
    is the better for us of its spread and that bound. Why a level was left
    out goes into `skipped`.
    """
    quotes: list[Quote] = []
    for side, remaining, skew in ((BID, budget.bid, budget.skew_bid), (ASK, budget.ask, budget.skew_ask)):
        cumulative = ZERO
        for level in levels:
            name = f"{'bid' if side == BID else 'ask'} {level.number}"
            price = level_price(mid, level.spread_pct, skew, side, tick, best_bid, best_ask, avoid_crossing)
            qty = level_qty(level.qty, remaining, margin_fraction, price, min_size)
            if qty <= 0:
                _note(skipped, name, "no margin left")
                continue
            if hedgeable is not None and not hedgeable(-side * (cumulative + qty)):
                _note(skipped, name, "the hedge venue cannot take its hedge")
                continue
            if profit_bound is not None:
                bound = profit_bound(side, cumulative, qty)
                if bound is None or bound <= 0:
                    _note(skipped, name, "no profitable price: the hedge book is too thin")
                    continue
                price = min(price, round_to_tick(bound, tick, side)) if side == BID else \
                    max(price, round_to_tick(bound, tick, side))
            cumulative += qty
            remaining -= qty * price * margin_fraction
            quotes.append(Quote(side, level.number, price, qty))
    return quotes


def _note(skipped: list[str] | None, name: str, why: str) -> None:
    if skipped is not None:
        skipped.append(f"{name}: {why}")


def profitable_price(side: int, hedge_vwap: Decimal, taker_fee: Decimal, maker_fee: Decimal,
                     min_profit: Decimal) -> Decimal:
    """The worst Hubble price at which a fill, hedged at `hedge_vwap`, earns `min_profit` (fraction of the fill's
    notional) after the hedge venue's taker fee and Hubble's maker fee (fractions; a rebate is negative).

    A bid at P bought on Hubble and sold on the hedge venue: vwap x (1 - taker) - P x (1 + maker) >= P x min_profit,
    so P <= vwap x (1 - taker) / (1 + maker + min_profit). An ask mirrors it:
    P >= vwap x (1 + taker) / (1 - maker - min_profit).
    """
    if side == BID:
        return hedge_vwap * (1 - taker_fee) / (1 + maker_fee + min_profit)
    return hedge_vwap * (1 + taker_fee) / (1 - maker_fee - min_profit)
