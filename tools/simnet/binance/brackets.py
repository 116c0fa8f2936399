"""Leverage brackets (GET /fapi/v1/leverageBracket) and the liquidation clearance fee rate per symbol.

A bracket: notionalCap, initialLeverage (the highest leverage a position of that size may use),
maintMarginRatio and cum (the "maintenance amount"). Maintenance margin = position notional x
maintMarginRatio - cum of the bracket the notional falls in (Binance FAQ "How to Calculate
Liquidation Price of USDⓈ-M Futures Contracts",
https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93, "Maintenance Margin").
The same page gives cum: amount on level n = floor of level n x (rate on level n - rate on level
n-1) + amount on level n-1, so a bracket given without cum (option ``leverage_brackets``) gets it so.

Default ladders: a dump of Binance's answer in freqtrade/freqtrade,
freqtrade/exchange/binance_leverage_tiers.json (commit 3d9514d, 2024-10-24; each tier's ``info`` is
the raw bracket of GET /fapi/v1/leverageBracket). Their first brackets' leverages (ETH 125, SOL 100,
AVAX 75) are also what bot/market_specs.py lists for Binance.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Mapping

from tools.simnet.binance.specs import FUTURES

ZERO = Decimal(0)


@dataclass(frozen=True)
class Bracket:
    cap: int                 # notionalCap
    leverage: int            # initialLeverage
    mmr: Decimal             # maintMarginRatio
    cum: Decimal             # maintenance amount
    floor: int = 0           # notionalFloor: the previous bracket's cap

    def maint(self, notional: Decimal) -> Decimal:
        return notional * self.mmr - self.cum


Ladder = tuple[Bracket, ...]
RawRow = tuple[int, int, str] | tuple[int, int, str, str]

# (notionalCap, initialLeverage, maintMarginRatio, cum) per symbol, from the freqtrade dump (module docstring)
RAW: dict[str, list[RawRow]] = {
    "ETHUSDT": [(50_000, 125, "0.004", "0"), (600_000, 100, "0.005", "50"), (3_000_000, 75, "0.0065", "950"),
                (12_000_000, 50, "0.01", "11450"), (50_000_000, 25, "0.02", "131450"),
                (65_000_000, 20, "0.025", "381450"), (150_000_000, 10, "0.05", "2006450"),
                (320_000_000, 5, "0.1", "9506450"), (400_000_000, 4, "0.125", "17506450"),
                (530_000_000, 3, "0.15", "27506450"), (800_000_000, 2, "0.25", "80506450"),
                (1_200_000_000, 1, "0.5", "280506450")],
    "SOLUSDT": [(20_000, 100, "0.005", "0"), (100_000, 75, "0.0065", "30"), (800_000, 50, "0.01", "380"),
                (4_000_000, 25, "0.02", "8380"), (8_000_000, 20, "0.025", "28380"),
                (40_000_000, 10, "0.05", "228380"), (80_000_000, 5, "0.1", "2228380"),
                (100_000_000, 4, "0.125", "4228380"), (200_000_000, 2, "0.25", "16728380"),
                (400_000_000, 1, "0.5", "66728380")],
    "AVAXUSDT": [(5_000, 75, "0.005", "0"), (25_000, 50, "0.0065", "7.5"), (80_000, 40, "0.01", "95"),
                 (400_000, 25, "0.02", "895"), (800_000, 20, "0.025", "2895"),
                 (4_000_000, 10, "0.05", "22895"), (8_000_000, 5, "0.1", "222895"),
                 (10_000_000, 4, "0.125", "422895"), (20_000_000, 2, "0.25", "1672895"),
                 (50_000_000, 1, "0.5", "6672895")],
}

# exchangeInfo "liquidationFee" (the clearance fee rate). ETHUSDT "0.012500": the recorded listing of
# 2024-05-07 (specs.FUTURES). unconfirmed: AVAXUSDT and SOLUSDT [the same]. Option ``liquidation_fee``.
LIQUIDATION_FEE: dict[str, Decimal] = {s: Decimal("0.0125") for s in FUTURES}


def ladder(rows: Iterable[RawRow | list[Any]]) -> Ladder:
    """Brackets from (cap, leverage, mmr[, cum]) rows, floors chained, a missing cum derived (FAQ rule)."""
    out: list[Bracket] = []
    for row in rows:
        cap, lev, mmr = int(row[0]), int(row[1]), Decimal(str(row[2]))
        floor = out[-1].cap if out else 0
        if len(row) > 3:
            cum = Decimal(str(row[3]))
        else:
            cum = floor * (mmr - out[-1].mmr) + out[-1].cum if out else ZERO
        out.append(Bracket(cap, lev, mmr, cum, floor))
    return tuple(out)


DEFAULT: dict[str, Ladder] = {symbol: ladder(rows) for symbol, rows in RAW.items()}


def table_from_options(option: Mapping[str, Any] | None) -> dict[str, Ladder]:
    """Option ``leverage_brackets``: {"ETHUSDT": [[notionalCap, initialLeverage, maintMarginRatio(, cum)], ...]};
    symbols not named keep Binance's ladders."""
    table = dict(DEFAULT)
    for symbol, rows in (option or {}).items():
        table[symbol] = ladder(rows)
    return table


def fees_from_options(option: Any) -> dict[str, Decimal]:
    """Option ``liquidation_fee``: one rate for every symbol, or {"SOLUSDT": 0.015}."""
    fees = dict(LIQUIDATION_FEE)
    if option is None:
        return fees
    items = option.items() if isinstance(option, Mapping) else ((s, option) for s in fees)
    for symbol, rate in items:
        fees[symbol] = Decimal(str(rate))
    return fees


def bracket_for(brackets: Ladder, notional: Decimal) -> Bracket:
    """The bracket a position of `notional` (absolute, at the mark) falls in; the last beyond every cap."""
    for bracket in brackets:
        if notional <= bracket.cap:
            return bracket
    return brackets[-1]


def max_leverage(brackets: Ladder) -> int:
    return brackets[0].leverage


def max_notional(brackets: Ladder, leverage: int) -> int:
    """maxNotionalValue: the largest notionalCap whose bracket still allows `leverage`."""
    caps = [b.cap for b in brackets if b.leverage >= leverage]
    return caps[-1] if caps else brackets[0].cap


def answer(symbol: str, brackets: Ladder) -> dict[str, Any]:
    """One symbol's GET /fapi/v1/leverageBracket row: numbers, not strings (docs example; SDK fixture)."""
    rows = [{"bracket": i, "initialLeverage": b.leverage, "notionalCap": b.cap, "notionalFloor": b.floor,
             "maintMarginRatio": float(b.mmr), "cum": float(b.cum)} for i, b in enumerate(brackets, start=1)]
    return {"symbol": symbol, "notionalCoef": 1.0, "brackets": rows}
