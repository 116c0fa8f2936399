"""Distances to liquidation: pure maths over Decimal.

The hedge venues report a liquidation price (Hyperliquid clearinghouseState
``liquidationPx``, Binance positionRisk ``liquidationPrice``). Hubble's node
reports each position's margin fraction and the chain its maintenance margin
(testing_getClearingHouseVars ``maintenance_margin``); the price at which the
margin fraction of this market's position falls to the maintenance margin is
solved here, holding the account's other positions at their marks.
"""
from __future__ import annotations

from decimal import Decimal

ZERO = Decimal(0)


def hubble_liquidation_price(size: Decimal, mark: Decimal, equity: Decimal, maintenance: Decimal) -> Decimal | None:
    """Price P where (equity + size x (P - mark)) / (|size| x P) = maintenance; None when no price liquidates
    (a long covered by its margin) or there is no position."""
    if not size or mark <= 0:
        return None
    denominator = size - maintenance * abs(size)
    if denominator == 0:
        return None
    price = (size * mark - equity) / denominator
    return price if price > 0 else None


def distance_pct(position: Decimal, mark: Decimal | None, liquidation: Decimal | None) -> Decimal | None:
    """How far the price can move against `position` before liquidation, in % of the mark (0 when past it);
    None with no position or no liquidation price."""
    if not position or not mark or liquidation is None or liquidation <= 0:
        return None
    move = (mark - liquidation) if position > 0 else (liquidation - mark)
    return max(ZERO, move / mark * 100)
