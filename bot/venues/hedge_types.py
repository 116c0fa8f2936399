"""What hedge venue clients exchange with the engine: results, errors, venue rules, account and order states."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable


# ---- results and errors --------------------------------------------------------
@dataclass(frozen=True)
class HedgeResult:
    requested: Decimal        # signed base size asked for (+ = buy on the hedge venue), incl. netted carry
    filled: Decimal           # signed base size actually filled (sum over attempts)
    avg_price: Decimal | None  # volume-weighted average fill price, None if nothing filled
    fee: Decimal              # fees paid in USD (negative = rebate)
    carried: Decimal          # signed residual below the venue minimum, carried to the next hedge
    attempts: int
    sent_at: float            # time.perf_counter() when the first order request was written
    confirmed_at: float       # time.perf_counter() when the venue's answer to the last order arrived
    book_age: float | None = None   # seconds: age of the hedge book the first order was priced on


class HedgeError(RuntimeError):
    """A hedge could not be completed. ``result`` holds what did fill; the unfilled
    remainder stays in ``client.carried`` so the next hedge (or ``hedge(0)``) retries it."""

    def __init__(self, message: str, result: HedgeResult | None = None):
        super().__init__(message)
        self.result = result


class VenueRequestError(RuntimeError):
    """A request the venue refused as malformed (a 4xx other than rate limits): a bug, a bad key or setting."""


@dataclass(frozen=True)
class PreparedOrder:
    """A signed, ready-to-send hedge order and what identifies it on the venue."""
    request: dict[str, Any]       # the venue's request body or parameters
    client_id: str                # our client order id (Hyperliquid cloid, Binance newClientOrderId)
    is_buy: bool
    size: Decimal
    limit: Decimal
    dead_after: float | None = None   # unix seconds after which the venue can no longer execute it


class HedgeSetupError(RuntimeError):
    """start() refused: unknown symbol, leverage above the venue maximum, no data in time."""



class TransientError(Exception):
    """A retryable failure (network, 5xx, 429). ``ambiguous``: an order may have reached the venue."""

    def __init__(self, message: str, *, ambiguous: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.ambiguous = ambiguous
        self.retry_after = retry_after


class OrderRejected(Exception):
    """The venue refused the order (it did not execute)."""


# ---- venue facts -----------------------------------------------------------------
@dataclass(frozen=True)
class VenueRules:
    size_step: Decimal
    min_size: Decimal
    min_notional: Decimal
    max_leverage: int
    price_rounder: Callable[[Decimal, bool], Decimal]   # (raw limit, is_buy) -> valid limit


@dataclass(frozen=True)
class AccountState:
    position: Decimal             # signed, base units
    free_margin: Decimal          # USD available for new positions
    leverage: int | None = None   # the venue's current setting for the symbol, if reported


@dataclass(frozen=True)
class MarginState:
    """What the risk engine reads of the hedge account: the venue's own figures."""
    equity: Decimal | None              # account value (collateral + unrealised PnL), USD
    liquidation_price: Decimal | None   # the venue's liquidation price of this symbol's position
    mark: Decimal | None                # the venue's mark price of the symbol
    position: Decimal                   # signed, base units


@dataclass
class OrderOutcome:
    filled: Decimal               # unsigned base units
    avg_price: Decimal | None
    order_id: Any = None
    fee: Decimal | None = None    # None: not in the order answer, look it up with _fees()
    status: str = ""
