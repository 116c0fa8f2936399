"""Futures accounts: USDT wallet, one-way positions, leverage, cross margin.

Exact arithmetic (Decimal) throughout. Margin model: cross, one-way mode;
initial margin = notional / leverage at the mark price; available balance =
wallet + unrealised PnL - position initial margin - open-order initial margin.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tools.simnet.binance.specs import DEFAULT_LEVERAGE, FUTURES

ZERO = Decimal(0)


@dataclass
class Position:
    symbol: str
    amount: Decimal = ZERO       # signed: > 0 long
    entry: Decimal = ZERO
    realized: Decimal = ZERO     # cumulative realised PnL on this symbol
    update_time: int = 0

    def apply(self, signed_qty: Decimal, price: Decimal) -> Decimal:
        """Apply a fill; return the PnL it realises."""
        old = self.amount
        new = old + signed_qty
        realized = ZERO
        if old == 0 or (old > 0) == (signed_qty > 0):
            self.entry = (self.entry * abs(old) + price * abs(signed_qty)) / abs(new)
        else:
            closed = min(abs(signed_qty), abs(old))
            realized = closed * (price - self.entry) * (1 if old > 0 else -1)
            if new == 0:
                self.entry = ZERO
            elif (new > 0) != (old > 0):
                self.entry = price
        self.amount = new
        self.realized += realized
        return realized


@dataclass
class Account:
    api_key: str
    wallet: Decimal
    positions: dict[str, Position] = field(default_factory=dict)
    leverage: dict[str, int] = field(default_factory=dict)

    def position(self, symbol: str) -> Position:
        if symbol not in self.positions:
            self.positions[symbol] = Position(symbol)
        return self.positions[symbol]

    def leverage_of(self, symbol: str) -> int:
        return self.leverage.get(symbol, DEFAULT_LEVERAGE)

    # ---- margin ---------------------------------------------------------------
    def unrealized(self, marks: dict[str, Decimal]) -> Decimal:
        return sum((p.amount * (marks[s] - p.entry) for s, p in self.positions.items() if p.amount), ZERO)

    def position_margin(self, marks: dict[str, Decimal]) -> Decimal:
        return sum((abs(p.amount) * marks[s] / self.leverage_of(s)
                    for s, p in self.positions.items() if p.amount), ZERO)

    def available(self, marks: dict[str, Decimal], order_margin: Decimal) -> Decimal:
        return self.wallet + self.unrealized(marks) - self.position_margin(marks) - order_margin

    def exposure_increase(self, symbol: str, side: str, qty: Decimal) -> Decimal:
        """Part of an order of `qty` on `side` that would open (not reduce) a position."""
        amount = self.position(symbol).amount
        signed = qty if side == "BUY" else -qty
        if amount == 0 or (amount > 0) == (signed > 0):
            return qty
        return max(ZERO, qty - abs(amount))


def new_account(api_key: str, initial_margin: float) -> Account:
    account = Account(api_key, Decimal(repr(initial_margin)))
    for symbol in FUTURES:
        account.position(symbol)
    return account
