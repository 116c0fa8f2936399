"""Maintenance margin, margin ratio, liquidation and bankruptcy prices of a cross-margin account.

Source: Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts"
(https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93; its formula's terms as
quoted in dev.binance.vision/t/883 and on Binance's white-label page apollox.zendesk.com 4404868544409):

    LP = (WB - TMM1 + UPNL1 + cumB + cumL + cumS - Side1BOTH x Position1BOTH x EP1BOTH
          - Position1LONG x EP1LONG + Position1SHORT x EP1SHORT)
         / (Position1BOTH x MMRB + Position1LONG x MMRL + Position1SHORT x MMRS
            - Side1BOTH x Position1BOTH - Position1LONG + Position1SHORT)

WB the cross wallet balance, TMM1 / UPNL1 the maintenance margin / unrealised PnL of every other
symbol, cum / MMR the bracket of each position of the symbol; "both long and short position share the
same liquidation price" in cross margin. It is where margin balance (WB + all unrealised PnL) equals the
maintenance margin; the FAQ: when the notional at the liquidation price falls in another bracket than
the one assumed, recompute with that bracket (done here until the brackets agree).

Liquidation is triggered when "Collateral = Initial Collateral + Realized PnL + Unrealized PnL <
Maintenance Margin" (Binance FAQ "Liquidation", https://www.binance.com/en/support/faq/360033525271),
i.e. the margin ratio (maintenance margin / margin balance) reaches 100 %. Everything is cross here:
simnet records ISOLATED but computes margin as cross (account_api.set_margin_type). One USDT wallet:
Multi-Assets mode's other collateral is not modelled.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Mapping

from tools.simnet.binance.accounts import LONG, SHORT, Account, Position
from tools.simnet.binance.brackets import Bracket, Ladder, bracket_for

ZERO = Decimal(0)
Table = Mapping[str, Ladder]


def position_bracket(table: Table, position: Position, price: Decimal) -> Bracket:
    return bracket_for(table[position.symbol], abs(position.amount) * price)


def position_maint(table: Table, position: Position, mark: Decimal) -> Decimal:
    """notional x maintMarginRatio - cum, the notional at the mark (0 without a position)."""
    if not position.amount:
        return ZERO
    notional = abs(position.amount) * mark
    return position_bracket(table, position, mark).maint(notional)


def upnl(position: Position, mark: Decimal) -> Decimal:
    return position.amount * (mark - position.entry) if position.amount else ZERO


def account_maint(account: Account, marks: Mapping[str, Decimal], table: Table) -> Decimal:
    return sum((position_maint(table, p, marks[p.symbol]) for p in account.open_positions()), ZERO)


def margin_balance(account: Account, marks: Mapping[str, Decimal]) -> Decimal:
    return account.wallet + account.unrealized(marks)


def margin_ratio(account: Account, marks: Mapping[str, Decimal], table: Table) -> Decimal | None:
    """maintenance margin / margin balance; None without a position, infinite-like when balance <= 0."""
    maint = account_maint(account, marks, table)
    if maint <= 0:
        return None
    balance = margin_balance(account, marks)
    return maint / balance if balance > 0 else Decimal("Infinity")


def _side(position: Position) -> int:
    """+1 long, -1 short (Hedge Mode: by positionSide; One-way: by the amount's sign)."""
    if position.side in (LONG, SHORT):
        return 1 if position.side == LONG else -1
    return 1 if position.amount > 0 else -1


def _solve(account: Account, symbol: str, marks: Mapping[str, Decimal], table: Table,
           brackets: list[Bracket] | None) -> Decimal | None:
    """The price of `symbol` at which margin balance = maintenance margin (brackets given) or = 0 (None)."""
    own = [p for p in account.open_positions() if p.symbol == symbol]
    others = [p for p in account.open_positions() if p.symbol != symbol]
    tmm = ZERO if brackets is None else sum((position_maint(table, p, marks[p.symbol]) for p in others), ZERO)
    numerator = account.wallet - tmm + sum((upnl(p, marks[p.symbol]) for p in others), ZERO)
    denominator = ZERO
    for i, p in enumerate(own):
        size, side = abs(p.amount), _side(p)
        numerator -= side * size * p.entry
        denominator -= side * size
        if brackets is not None:
            numerator += brackets[i].cum
            denominator += size * brackets[i].mmr
    if denominator == 0:
        return None
    price = numerator / denominator
    return price if price > 0 else None


def liquidation_price(account: Account, symbol: str, marks: Mapping[str, Decimal], table: Table) -> Decimal | None:
    """The documented cross-margin liquidation price of `symbol`, or None (no position, or none above 0:
    the FAQ's "If the liquidation price is less than 0, the UI display would be '--'")."""
    own = [p for p in account.open_positions() if p.symbol == symbol]
    if not own:
        return None
    brackets = [position_bracket(table, p, marks[symbol]) for p in own]
    price: Decimal | None = None
    for _ in range(len(table[symbol]) + 1):
        price = _solve(account, symbol, marks, table, brackets)
        if price is None:
            return None
        moved = [position_bracket(table, p, price) for p in own]
        if moved == brackets:
            break
        brackets = moved
    return price


def bankruptcy_price(account: Account, symbol: str, marks: Mapping[str, Decimal], table: Table) -> Decimal | None:
    """The price of `symbol` at which the margin balance is 0, other symbols at their marks (None if there is
    none above 0, or the symbol's positions net to zero)."""
    return _solve(account, symbol, marks, table, None)
