"""The maker venue: what the engine asks of the venue it quotes on, whichever venue that is.

The engine (OrderManager, Quoter, the fill intakes, the reconciler, the risk
engine) talks to a maker venue only through the methods below. Hubble is the
first implementation (``bot.venues.hubble.maker.HubbleMaker``: signed orders
that expire, fills on the trader stream, a chain to replay gaps from);
Hyperliquid (ALO orders) and Binance USDⓈ-M (GTX orders) are the others
(``bot.venues.hyperliquid.maker``, ``bot.venues.binance.maker``): their quotes
rest until cancelled, so a dead-man switch on the venue bounds them if the bot
dies, and their fills come on the account's user stream, with a read-back of
the venue's own fill list for a stream gap.

The fill mark. Every fill carries a mark and every account read is taken at
one: Hubble's marks are accepted block numbers (positions move at acceptance),
the others' are the venue's own milliseconds (a fill's trade time; the account
read's venue time). A read at mark M includes every fill with a mark up to M:
the reconciler's ``balanced_through`` and the ledger's ``delta_after`` use it
without knowing which venue it came from.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Protocol

from bot.maths.quoting import Account

NO_EXPIRY_SECONDS = 365 * 24 * 3600.0   # a quote that rests until cancelled: "expires" a year out (finite, so
                                       # the tracker's and the logs' time arithmetic keeps working)


@dataclass(frozen=True)
class QuoteOrder:
    """One quote of a venue whose orders rest until cancelled (Hyperliquid, Binance)."""
    order_id: str          # our client order id: the key of the tracker and the ledger
    market: int
    size: Decimal          # signed base units: + bid, - ask
    price: Decimal
    expire_at: float       # unix seconds; now + NO_EXPIRY_SECONDS for quotes without a venue expiry

    @property
    def side(self) -> int:
        return 1 if self.size > 0 else -1


@dataclass(frozen=True)
class StreamedFill:
    """One fill of the maker account, as a user stream pushes it or the venue's fill list returns it."""
    order_id: str          # our client order id when the order had one, else "oid:<venue order id>"
    fill_id: str           # the venue's trade id (unique per fill of this account)
    side: int              # +1 we bought, -1 we sold
    qty: Decimal           # base units, unsigned
    price: Decimal
    mark: int              # the venue's trade time, ms
    received: float = 0.0  # perf_counter() of its arrival


@dataclass(frozen=True)
class AccountReading:
    """One read of the maker account and the fill marks it was taken between."""
    account: Account
    before: int            # the venue's mark just before the read
    after: int             # and just after (equal: the read is consistent with one mark)


@dataclass(frozen=True)
class QuoteRules:
    """What every quote must respect on this venue."""
    price_tick: Decimal    # quotes are priced on this grid (bids down, asks up)
    min_size: Decimal      # and sized in multiples of this, at least this
    min_notional: Decimal  # USD, 0 when the venue has none


class MakerVenue(Protocol):
    venue: str             # "hubble" | "hyperliquid" | "binance"
    trader: str            # the account's address or name (never a secret)
    market: int            # the market id of this venue's account and fills (Hubble's AMM index; 0 elsewhere)
    quotes_expire: bool    # True when the venue drops a quote at its expiry by itself (Hubble)
    positions_lag_fills: bool   # True when a fill is pushed before the position shows it (Hubble: at acceptance)
    fill_model: str        # "chain": fills in blocks that may reorg, a gap replayed from logs (Hubble);
                           # "stream": final fills on a user stream, a gap read back from the fill list

    # ---- life cycle ----
    async def start(self) -> None: ...
    async def close(self) -> None: ...
    def tasks(self) -> list[asyncio.Task]: ...
    def quote_rules(self) -> QuoteRules: ...
    def book_feed(self) -> Any: ...                      # best_bid, best_ask, event, updated_at, age(), max_age(), run()
    async def clear_earlier_quotes(self, journal: Any, timeout: float) -> None: ...

    # ---- quotes ----
    def sign(self, market: int, size: Decimal, price: Decimal, expiry_seconds: float) -> Any: ...
    async def place(self, orders: list, on_sent: Callable[[], None] | None = None) -> list[dict]: ...
    async def cancel(self, orders: list, timeout: float) -> list[dict]: ...
    async def order_status(self, order_id: str) -> dict | None: ...
    def operator_remedy(self, error: str) -> str | None: ...
    def dead_after(self, order: Any) -> float: ...      # unix seconds after which an unanswered place cannot land
    # optional: ``replace(pairs, on_sent)`` requotes in place (Hyperliquid's batchModify; quoter.py uses it if present)

    # ---- fills: Hubble's come from its trader stream and chain logs (fill_intake.py); the others' from ----
    async def stream_fills(self, on_subscribed: Callable[[], None], on_fill: Callable[["StreamedFill"], None],
                           alive: Callable[[], None]) -> None: ...
    async def fills_since(self, start_ms: int) -> list["StreamedFill"]: ...

    # ---- account ----
    async def head_block(self) -> int: ...              # the venue's fill mark now
    async def account(self) -> Account: ...
    async def account_reading(self) -> AccountReading: ...
    async def position(self, market: int) -> Decimal: ...
    async def margin_requirement(self) -> Decimal: ...
    async def maintenance_margin(self) -> Decimal: ...
    async def maker_fee(self) -> Decimal: ...

    # ---- the risk engine's unwind (unwind.py): a reduce-only IOC whose fill comes like a quote's ----
    async def place_ioc(self, market: int, size: Decimal, price: Decimal,
                        reduce_only: bool) -> tuple[str, str, float]: ...
    async def ioc_receipt(self, ref: str) -> dict | None: ...


def operator_remedy(refusals: dict[str, str], error: str) -> str | None:
    """The operator's fix for a refusal only the operator can fix, or None (a routine refusal)."""
    return next((fix for text, fix in refusals.items() if text in error), None)


VENUE_NAMES = {"hubble": "Hubble", "hyperliquid": "Hyperliquid", "binance": "Binance"}


def rules_of(maker: Any, spec: Any) -> QuoteRules:
    """The maker venue's tick, step and minimum; Hubble's gateway has no quote_rules, so its market spec's."""
    rules = getattr(maker, "quote_rules", None)
    return rules() if callable(rules) else QuoteRules(spec.price_tick, spec.min_size, Decimal(0))


def display_name(venue: str) -> str:
    return VENUE_NAMES.get(venue, venue)


async def still_open(maker: Any, orders: list, deadline: float, poll: float = 0.5) -> list:
    """Wait until the venue holds none of `orders` open (or each has expired); returns those left. A question
    the venue did not answer counts as open."""
    left = list(orders)
    while left:
        now = time.time()
        statuses = await asyncio.gather(*(maker.order_status(o.order_id) for o in left), return_exceptions=True)
        left = [o for o, status in zip(left, statuses)
                if o.expire_at > now and (isinstance(status, Exception) or status is not None)]
        if not left or time.monotonic() > deadline:
            break
        await asyncio.sleep(poll)
    return left
