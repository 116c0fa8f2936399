"""Futures accounts: USDT wallet, positions per (symbol, positionSide), modes, income.

Exact arithmetic (Decimal) throughout. Margin model: cross; initial margin =
notional / leverage at the mark price; available balance = wallet +
unrealised PnL - position initial margin - open-order initial margin.

Position mode (GET/POST /fapi/v1/positionSide/dual): One-way mode keeps one
``BOTH`` position per symbol; Hedge Mode keeps a ``LONG`` (amount >= 0) and a
``SHORT`` (amount <= 0) position per symbol. Source: USDⓈ-M docs, "Change
Position Mode (TRADE)" and common-definition "Position side (positionSide):
BOTH, LONG, SHORT".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tools.simnet.binance.specs import DEFAULT_LEVERAGE, FUTURES

ZERO = Decimal(0)
BOTH, LONG, SHORT = "BOTH", "LONG", "SHORT"


@dataclass
class Position:
    symbol: str
    side: str = BOTH             # positionSide
    amount: Decimal = ZERO       # signed: > 0 long
    entry: Decimal = ZERO
    realized: Decimal = ZERO     # cumulative realised PnL on this position
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
    dual_side: bool = False              # Hedge Mode (dualSidePosition=true)
    multi_assets: bool = False           # Multi-Assets Mode (GET /fapi/v1/multiAssetsMargin)
    fee_burn: bool = False               # BNB fee deduction (GET/POST /fapi/v1/feeBurn; bnb.py)
    bnb: Decimal = ZERO                  # BNB in the futures wallet: pays commissions when fee_burn, not margin
    margin_types: dict[str, str] = field(default_factory=dict)   # symbol -> "CROSSED" (default) / "ISOLATED"
    positions: dict[tuple[str, str], Position] = field(default_factory=dict)
    leverage: dict[str, int] = field(default_factory=dict)
    income: list[dict[str, Any]] = field(default_factory=list)   # GET /fapi/v1/income rows, oldest first

    def position(self, symbol: str, side: str = BOTH) -> Position:
        key = (symbol, side)
        if key not in self.positions:
            self.positions[key] = Position(symbol, side)
        return self.positions[key]

    def sides(self) -> tuple[str, ...]:
        return (LONG, SHORT) if self.dual_side else (BOTH,)

    def symbol_positions(self, symbol: str) -> list[Position]:
        return [self.position(symbol, side) for side in self.sides()]

    def open_positions(self) -> list[Position]:
        return [p for p in self.positions.values() if p.amount]

    def has_position(self) -> bool:
        return any(p.amount for p in self.positions.values())

    def leverage_of(self, symbol: str) -> int:
        return self.leverage.get(symbol, DEFAULT_LEVERAGE)

    def margin_type(self, symbol: str) -> str:
        return self.margin_types.get(symbol, "CROSSED")

    # ---- margin ---------------------------------------------------------------
    def unrealized(self, marks: dict[str, Decimal]) -> Decimal:
        return sum((p.amount * (marks[p.symbol] - p.entry) for p in self.open_positions()), ZERO)

    def position_margin(self, marks: dict[str, Decimal]) -> Decimal:
        return sum((abs(p.amount) * marks[p.symbol] / self.leverage_of(p.symbol) for p in self.open_positions()), ZERO)

    def available(self, marks: dict[str, Decimal], order_margin: Decimal) -> Decimal:
        return self.wallet + self.unrealized(marks) - self.position_margin(marks) - order_margin

    def exposure_increase(self, symbol: str, side: str, qty: Decimal, position_side: str = BOTH) -> Decimal:
        """Part of an order of `qty` on `side` that would open (not reduce) a position."""
        if position_side != BOTH:                     # Hedge Mode: BUY LONG / SELL SHORT open, the rest close
            opens = (side == "BUY") == (position_side == LONG)
            return qty if opens else ZERO
        amount = self.position(symbol).amount
        signed = qty if side == "BUY" else -qty
        if amount == 0 or (amount > 0) == (signed > 0):
            return qty
        return max(ZERO, qty - abs(amount))

    # ---- income history ---------------------------------------------------------
    def add_income(self, symbol: str, kind: str, amount: Decimal, now: int, tran_id: int,
                   trade_id: str = "", asset: str = "USDT") -> dict[str, Any]:
        """A GET /fapi/v1/income row (fields as the docs' "Get Income History" example)."""
        row = {"symbol": symbol, "incomeType": kind, "income": f"{amount:.8f}", "asset": asset,
               # unconfirmed: "info" for trade and funding rows (the docs' only example is a TRANSFER with
               # info "TRANSFER"); recorded third-party fixtures show "" as well
               "info": kind, "time": now, "tranId": tran_id, "tradeId": trade_id}
        self.income.append(row)
        return row


def new_account(api_key: str, initial_margin: float, dual_side: bool = False,
                multi_assets: bool = False, fee_burn: bool = False, bnb: Decimal = ZERO) -> Account:
    account = Account(api_key, Decimal(repr(initial_margin)), dual_side, multi_assets, fee_burn, Decimal(str(bnb)))
    for symbol in FUTURES:
        account.symbol_positions(symbol)
    return account
