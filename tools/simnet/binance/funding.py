"""Funding of the simulated USDT-M perpetuals.

* Funding is exchanged every ``fundingIntervalHours`` (8 by default) at
  00:00/08:00/16:00 UTC; a position of amount ``a`` pays ``a * markPrice *
  fundingRate`` (longs pay shorts when the rate is positive). Sources: Binance
  "Introduction to Binance Futures Funding Rates" (funding = nominal value of
  position x funding rate; every 8 hours), GET /fapi/v1/fundingInfo
  ("fundingIntervalHours"), GET /fapi/v1/premiumIndex (lastFundingRate,
  nextFundingTime).
* The default rate 0.0001 is the rate of a zero premium under Binance's
  formula (interest rate 0.03 %/day = 0.01 % per 8 h; F = P + clamp(I - P,
  +-0.05 %)), the value most perpetuals show most of the time. simnet keeps the
  rate constant per symbol (option ``funding_rate``); unconfirmed: no premium
  index is simulated.
* Each payment is an income row ``FUNDING_FEE`` (GET /fapi/v1/income) and an
  ``ACCOUNT_UPDATE`` with ``m: "FUNDING_FEE"``: for cross positions only the
  balance ``B`` and the symbol ``S``, no ``P`` (user-data-stream docs, Event
  Balance and Position Update, and the official SDK model
  websocket_streams/models/account_update_a.py "S: Symbol associated with
  FUNDING_FEE event").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from tools.simnet.binance.accounts import ZERO, Account

HOUR_MS = 3_600_000
DEFAULT_RATE = Decimal("0.0001")
DEFAULT_INTERVAL_HOURS = 8
# GET /fapi/v1/fundingInfo example values (docs); unconfirmed for these symbols
RATE_CAP, RATE_FLOOR = Decimal("0.02"), Decimal("-0.02")


@dataclass
class Funding:
    symbols: tuple[str, ...]
    enabled: bool = True
    rates: dict[str, Decimal] = field(default_factory=dict)
    interval_hours: dict[str, int] = field(default_factory=dict)
    settled_until: dict[str, int] = field(default_factory=dict)     # symbol -> last funding time paid (ms)
    history: list[dict[str, Any]] = field(default_factory=list)      # GET /fapi/v1/fundingRate rows, oldest first

    def record(self, symbol: str, rate: Decimal, funding_time: int, mark: Decimal) -> None:
        self.history.append({"symbol": symbol, "fundingRate": f"{rate:.8f}", "fundingTime": funding_time,
                             "markPrice": f"{mark:.8f}", "rateType": "Regular"})

    @classmethod
    def from_options(cls, symbols: tuple[str, ...], options: dict[str, Any], now_ms: int) -> "Funding":
        rate, hours = options.get("funding_rate", DEFAULT_RATE), options.get("funding_interval_hours",
                                                                            DEFAULT_INTERVAL_HOURS)
        funding = cls(symbols, bool(options.get("funding", True)),
                      {s: Decimal(str(rate.get(s, DEFAULT_RATE) if isinstance(rate, dict) else rate)) for s in symbols},
                      {s: int(hours.get(s, DEFAULT_INTERVAL_HOURS) if isinstance(hours, dict) else hours)
                       for s in symbols})
        for symbol in symbols:
            funding.settled_until[symbol] = funding.last_time(symbol, now_ms)
        return funding

    def period_ms(self, symbol: str) -> int:
        return self.interval_hours[symbol] * HOUR_MS

    def last_time(self, symbol: str, now_ms: int) -> int:
        return now_ms // self.period_ms(symbol) * self.period_ms(symbol)

    def next_time(self, symbol: str, now_ms: int) -> int:
        return self.last_time(symbol, now_ms) + self.period_ms(symbol)

    def due(self, now_ms: int) -> list[str]:
        """Symbols whose funding time has passed since the last settlement (each paid once)."""
        if not self.enabled:
            return []
        due = [s for s in self.symbols if self.last_time(s, now_ms) > self.settled_until[s]]
        for symbol in due:
            self.settled_until[symbol] = self.last_time(symbol, now_ms)
        return due

    def info_rows(self) -> list[dict[str, Any]]:
        """GET /fapi/v1/fundingInfo lists only symbols with adjusted cap/floor/interval (docs)."""
        return [{"symbol": s, "adjustedFundingRateCap": f"{RATE_CAP:.8f}",
                 "adjustedFundingRateFloor": f"{RATE_FLOOR:.8f}", "fundingIntervalHours": self.interval_hours[s],
                 "disclaimer": False}
                for s in self.symbols if self.interval_hours[s] != DEFAULT_INTERVAL_HOURS]


def settle(account: Account, symbol: str, mark: Decimal, rate: Decimal, now: int,
           next_tran_id: Callable[[], int]) -> dict[str, Any] | None:
    """Pay one funding on every position of `symbol`; the ACCOUNT_UPDATE event, or None if flat."""
    paid = False
    for position in account.symbol_positions(symbol):
        if not position.amount:
            continue
        amount = funding_payment(position.amount, mark, rate)
        account.wallet += amount
        account.add_income(symbol, "FUNDING_FEE", amount, now, next_tran_id())
        paid = True
    if not paid:
        return None
    wallet = f"{account.wallet:.8f}"
    # unconfirmed: "bc" (balance change except PnL and commission) on a funding payment
    return {"e": "ACCOUNT_UPDATE", "E": now, "T": now, "a": {
        "m": "FUNDING_FEE", "B": [{"a": "USDT", "wb": wallet, "cw": wallet, "bc": "0"}], "P": [], "S": symbol}}


def funding_payment(position_amount: Decimal, mark: Decimal, rate: Decimal) -> Decimal:
    return -position_amount * mark * rate if position_amount else ZERO
