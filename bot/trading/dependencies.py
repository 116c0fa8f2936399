"""The shapes the quoter and the hedger are built from: what each calls on the objects it is given.

Each is a Protocol that an object the order manager already holds satisfies as it is (the order manager
itself, the risk engine, the hedger, the feeds), so order_manager.py names the parts it hands over instead
of wrapping them in lambdas. Only what the part calls is listed. The reconciler's shapes are in
bot/tracking/reconciler.py (tracking sits below trading).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Callable, Iterable, Protocol

from bot.maths.hedging import Book
from bot.maths.quoting import Account, Quote
from bot.tracking.orders import TrackedOrder
from bot.venues.request_budget import RequestBudget


class Fatal(Protocol):
    """Stop the bot with `message` (the engine's ``fatal``): status 78 when only the operator can fix the
    cause (pm2 does not restart it), 1 otherwise."""

    def __call__(self, message: str, status: int = 1) -> None: ...


# ---- the quoter's --------------------------------------------------------------------------------------
class Gatekeeper(Protocol):
    """Says whether quoting may go on (OrderManager: the feeds, the venues, the risk engine, the reconciler)."""

    def gate(self) -> str | None:
        """Why quoting must wait now, or None when every condition holds."""


class MakerFigures(Protocol):
    """The maker account as last read (OrderManager), which quotes are sized and priced on. Read at each
    tick: the order manager replaces them as it re-reads the venue."""

    @property
    def account(self) -> Account | None: ...

    @property
    def margin_fraction(self) -> Decimal | None: ...   # the venue's margin requirement (quotes sized at 1/it)

    @property
    def maker_fee(self) -> Decimal: ...                 # a fraction; negative: a rebate


class HedgeProgress(Protocol):
    """Whether a fill's hedge is done (the Hedger), so the side it filled can quote again."""

    def finished(self, seq: int) -> bool:
        """Has the hedge of intake `seq` (Hedger.add's number) finished?"""


class NoHedger:
    """The HedgeProgress of a run without a hedge venue: no fill waits for a hedge."""

    def finished(self, seq: int) -> bool:
        return True


class QuoteRisk(Protocol):
    """The risk engine's part in a quote set: the inventory shift, the pre-trade check, the order rate."""

    def shift(self, lot: Decimal) -> Decimal: ...

    def check_quotes(self, quotes: list[Quote], live: list[TrackedOrder], mark: Decimal,
                     leaving: list[TrackedOrder] = ...) -> tuple[list[Quote], list[str]]: ...

    def placed(self, count: int) -> None: ...


class MidFeed(Protocol):
    """The reference mid price (MidPriceFeed): quotes are priced around it and requoted when it moves."""

    @property
    def mid(self) -> Decimal | None: ...

    @property
    def history(self) -> Iterable[tuple[float, Decimal]]: ...    # (monotonic, mid), one a second

    def watch(self, reference: Decimal, fraction: Decimal, moved: Callable[[], None]) -> None: ...


class BookTop(Protocol):
    """The maker venue's best bid and ask (its book feed), which quotes avoid crossing."""

    @property
    def best_bid(self) -> Decimal | None: ...

    @property
    def best_ask(self) -> Decimal | None: ...


class HedgeVenue(Protocol):
    """What the quoter reads of the hedge venue's client (a HedgeClient): its book and taker fee, which bound
    each level's price; whether it can absorb a side's quotes; the residual it carries, which skews both sides;
    its request budget, whose window starts at the first quotes."""
    taker_rate: Decimal
    carried: Decimal

    @property
    def book(self) -> Book: ...

    @property
    def budget(self) -> RequestBudget: ...

    def can_open_position(self, size: Decimal) -> bool: ...


class QuoteRecord(Protocol):
    """Where the quotes that may rest are written before they are sent (Hubble's quote journal; a venue
    whose open orders can be listed keeps none)."""

    def record(self, orders: list) -> None: ...
