"""Hedge venues: the interface the engine uses, the shared hedging logic, and the factory.

A ``HedgeClient`` keeps a polled copy of the hedge venue's order book and of
the account (position, free margin), and turns every Hubble fill into an IOC
limit order on the hedge venue (``hedge``). The venue-specific subclasses
(``hedge_hyperliquid``, ``hedge_binance``) only implement the primitives at
the bottom of the class: rules, book, account, leverage, prepare/submit an
order, look an order up by its client id, and the fees of a fill.

Safety rules built in here:
  * sizes are rounded DOWN to the venue's step; what is left (or a total
    below the venue minimum) is carried to the next hedge, never dropped;
  * the limit price is the touch price x (1 +/- slippage), rounded toward the
    touch, so no fill is ever worse than the slippage cap;
  * an order whose outcome is unknown (timeout, connection reset, 5xx after
    the request went out) is looked up by its client order id before anything
    is resent, so a network error can never double a hedge.
"""
from __future__ import annotations

import abc
import asyncio
import logging
import time
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any, Callable

from bot.maths import hedging as hm
from bot import supervision

log = logging.getLogger("hedge")

MAX_ORDER_ATTEMPTS = 5          # order requests per hedge() call
MAX_LOOKUPS = 3                 # client-order-id lookups after an ambiguous failure
RETRY_BASE_DELAY = 0.1          # seconds; doubles per retry
RETRY_MAX_DELAY = 2.0
START_TIMEOUT_MIN = 10.0        # seconds to wait for the first book and account data
REQUEST_TIMEOUT = 10.0          # seconds per HTTP request


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


@dataclass
class OrderOutcome:
    filled: Decimal               # unsigned base units
    avg_price: Decimal | None
    order_id: Any = None
    fee: Decimal | None = None    # None: not in the order answer, look it up with _fees()
    status: str = ""


@dataclass
class _Progress:
    """Running totals of one hedge() call."""
    total: Decimal
    fills: list[tuple[Decimal, Decimal]] = field(default_factory=list)   # (price, unsigned size)
    filled: Decimal = hm.ZERO      # signed
    fee: Decimal = hm.ZERO
    attempts: int = 0
    sent_at: float | None = None
    confirmed_at: float | None = None
    last_error: str = ""

    @property
    def remaining(self) -> Decimal:
        return self.total - self.filled


class _LinkedEvent(asyncio.Event):
    """An Event that tells its owner when it is set or cleared (for the uptime combiner)."""

    def __init__(self, on_change: Callable[[], None]):
        super().__init__()
        self._on_change = on_change

    def set(self) -> None:
        super().set()
        self._on_change()

    def clear(self) -> None:
        super().clear()
        self._on_change()


# ---- the client --------------------------------------------------------------------
class HedgeClient(abc.ABC):
    venue: str = "?"
    request_timeout: float = REQUEST_TIMEOUT     # seconds per HTTP request
    poll_retry_delay: float = 0.5                # supervise's first backoff (doubles per failure)

    def __init__(self, settings: Any, fatal: Callable[[str], None]):
        self.settings = settings
        self.fatal = fatal
        self.uptime = asyncio.Event()
        self.position: Decimal = hm.ZERO
        self.carried: Decimal = hm.ZERO
        self.free_margin: Decimal = hm.ZERO
        self.rules: VenueRules | None = None
        self.book = hm.Book()
        self.book_at = 0.0                      # time.monotonic() of the last book
        self.book_ready = _LinkedEvent(self._update_uptime)
        self.account_ready = _LinkedEvent(self._update_uptime)
        self._position_epoch = 0                # bumped by every local fill; guards poll races
        self._tasks: list[asyncio.Task] = []
        self._seen_book = asyncio.Event()
        self._seen_account = asyncio.Event()

    # ---- lifecycle -------------------------------------------------------------
    async def start(self) -> None:
        await self._open()
        try:
            await self._start_checked()
        except BaseException:
            await self.stop()
            raise

    async def _start_checked(self) -> None:
        self.rules = await self._retrying("load rules", self._load_rules)
        leverage = self.settings.leverage
        if self.rules.max_leverage < leverage:
            raise HedgeSetupError(f"{self.venue}: leverage {leverage}x is above the venue's maximum "
                                  f"{self.rules.max_leverage}x for {self.symbol}; lower 'leverage' in config.py")
        state = await self._retrying("read account", self._fetch_account)
        self._apply_account(state, self._position_epoch)
        if state.position == 0:
            await self._retrying("set leverage", lambda: self._set_leverage(leverage))
            log.info("%s: leverage set to %dx on %s", self.venue, leverage, self.symbol)
        elif state.leverage is not None and state.leverage != leverage:
            log.warning("%s: open position %s on %s: leverage left at %dx (setting %dx applies once flat)",
                        self.venue, state.position, self.symbol, state.leverage, leverage)
        self._tasks = [self._supervised("order book", self._book_worker, self.book_ready),
                       self._supervised("account", self._account_worker, self.account_ready)]
        timeout = max(START_TIMEOUT_MIN, 3 * max(self.settings.hedge_orderbook_frequency,
                                                 self.settings.hedge_user_state_frequency))
        try:
            await asyncio.wait_for(asyncio.gather(self._seen_book.wait(), self._seen_account.wait()), timeout)
        except asyncio.TimeoutError:
            raise HedgeSetupError(f"{self.venue}: no order book and account data within {timeout:.0f}s") from None

    def _supervised(self, what: str, worker: Callable[[supervision.Health], Any], event: asyncio.Event) -> asyncio.Task:
        name = f"{self.venue} {what}"
        return asyncio.create_task(supervision.supervise(name, worker, event, self.fatal, base_delay=self.poll_retry_delay),
                                   name=name)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self.uptime.clear()
        await self._close()

    # ---- pollers -------------------------------------------------------------------
    def _update_uptime(self) -> None:
        if self.book_ready.is_set() and self.account_ready.is_set():
            self.uptime.set()
        else:
            self.uptime.clear()

    async def _book_worker(self, health: supervision.Health) -> None:
        while True:
            self.book = await self._fetch_book()
            self.book_at = time.monotonic()
            self._seen_book.set()
            health.ok()
            await asyncio.sleep(self.settings.hedge_orderbook_frequency)

    async def _account_worker(self, health: supervision.Health) -> None:
        while True:
            epoch = self._position_epoch
            self._apply_account(await self._fetch_account(), epoch)
            self._seen_account.set()
            health.ok()
            await asyncio.sleep(self.settings.hedge_user_state_frequency)

    def _apply_account(self, state: AccountState, epoch: int) -> None:
        if epoch == self._position_epoch:   # no local fill raced this answer (else it predates the fill)
            self.position = state.position
            self.free_margin = state.free_margin

    async def fetch_position(self) -> Decimal:
        epoch = self._position_epoch
        state = await self._retrying("read position", self._fetch_account)
        self._apply_account(state, epoch)
        return state.position

    # ---- queries -----------------------------------------------------------------------
    def best_bid_ask(self) -> tuple[Decimal | None, Decimal | None]:
        return self.book.best_bid(), self.book.best_ask()

    def can_open_position(self, size: Decimal) -> bool:
        """Can a hedge of signed `size` (plus the carry it would net with) fill now, within
        the slippage cap, with enough free margin at the configured leverage?"""
        if not self.uptime.is_set():
            return False
        total = as_decimal(size) + self.carried
        walk = hm.can_absorb(self.book, total, self.settings.slippage)
        if walk is None:
            return False
        return hm.margin_ok(self.position, total, walk.notional, self.settings.leverage, self.free_margin)

    # ---- hedging -------------------------------------------------------------------------
    async def hedge(self, size: Decimal) -> HedgeResult:
        """Hedge signed `size` plus the carry; calls may run concurrently.

        Each call claims the whole carry when it starts and gives back what it
        did not fill when it ends, so concurrent calls never count a residual
        twice nor lose one (no lock: a fill that lands while another hedge is
        in flight is hedged at once instead of waiting for that answer).
        """
        progress = _Progress(total=as_decimal(size) + self.carried)
        self.carried = hm.ZERO
        try:
            await self._hedge_loop(progress)
        except HedgeError as exc:
            exc.result = exc.result or self._result(progress)
            raise
        finally:
            self.carried += progress.remaining
        result = self._result(progress)
        if not self._below_minimum(progress.remaining):
            raise HedgeError(f"{self.venue}: hedge of {progress.total} {self.symbol} incomplete after "
                             f"{progress.attempts} attempts: filled {progress.filled}, "
                             f"{progress.remaining} kept for the next hedge; last error: {progress.last_error}",
                             result)
        return result

    async def _hedge_loop(self, progress: _Progress) -> None:
        fresh = not self._book_is_fresh()
        while progress.attempts < MAX_ORDER_ATTEMPTS:
            if fresh:
                await self._refresh_book(progress)
            fresh = True                      # every retry re-prices from a fresh book
            remaining = progress.remaining
            if self._below_minimum(remaining):
                return
            reference = self._reference(remaining)
            if reference is None:
                progress.attempts += 1
                progress.last_error = "the hedge book has no liquidity on the side needed"
                await asyncio.sleep(supervision.backoff_delay(progress.attempts, RETRY_BASE_DELAY, RETRY_MAX_DELAY))
                continue
            order = self._split(remaining, reference).order
            assert self.rules is not None
            is_buy = order > 0
            limit = self.rules.price_rounder(hm.slippage_limit(reference, is_buy, self.settings.slippage), is_buy)
            progress.attempts += 1
            outcome = await self._place(progress, is_buy, abs(order), limit)
            if outcome is not None and outcome.filled > 0:
                await self._record_fill(progress, is_buy, outcome)

    async def _place(self, progress: _Progress, is_buy: bool, size: Decimal,
                     limit: Decimal) -> OrderOutcome | None:
        """One order attempt; None when it did not execute (after any needed backoff)."""
        prepared = await self._prepare_order(is_buy, size, limit)
        sent_at = time.perf_counter()
        if progress.sent_at is None:
            progress.sent_at = sent_at
        try:
            outcome = await self._submit_order(prepared)
        except OrderRejected as exc:
            progress.confirmed_at = time.perf_counter()
            progress.last_error = f"rejected: {exc}"
            log.warning("%s: order rejected (%s); attempt %d/%d", self.venue, exc, progress.attempts,
                        MAX_ORDER_ATTEMPTS)
            return None
        except TransientError as exc:
            progress.confirmed_at = time.perf_counter()
            progress.last_error = str(exc)
            log.warning("%s: order failed (%s); attempt %d/%d", self.venue, exc, progress.attempts,
                        MAX_ORDER_ATTEMPTS)
            outcome = await self._resolve_ambiguous(prepared) if exc.ambiguous else None
            if outcome is None:
                await asyncio.sleep(exc.retry_after or supervision.backoff_delay(progress.attempts, RETRY_BASE_DELAY,
                                                                           RETRY_MAX_DELAY))
            return outcome
        progress.confirmed_at = time.perf_counter()
        if outcome.filled == 0:
            progress.last_error = f"IOC order at {limit} did not fill ({outcome.status or 'no match'})"
        return outcome

    async def _resolve_ambiguous(self, prepared: Any) -> OrderOutcome | None:
        """After an unknown outcome: the order as the venue knows it, or None if it never arrived."""
        for attempt in range(1, MAX_LOOKUPS + 1):
            try:
                return await self._lookup_order(prepared)
            except TransientError as exc:
                log.warning("%s: order lookup failed (%s), %d/%d", self.venue, exc, attempt, MAX_LOOKUPS)
                await asyncio.sleep(supervision.backoff_delay(attempt, RETRY_BASE_DELAY, RETRY_MAX_DELAY))
        raise HedgeError(f"{self.venue}: an order's outcome is unknown and the venue could not be asked; "
                         "not resending (it may have filled). Check the position on the venue.")

    async def _record_fill(self, progress: _Progress, is_buy: bool, outcome: OrderOutcome) -> None:
        signed = outcome.filled if is_buy else -outcome.filled
        progress.filled += signed
        if outcome.avg_price is not None:
            progress.fills.append((outcome.avg_price, outcome.filled))
        fee = outcome.fee if outcome.fee is not None else await self._fees(outcome)
        progress.fee += fee
        notional = outcome.filled * (outcome.avg_price or hm.ZERO)
        # until the next account poll, charge the margin this fill uses against free margin
        self.free_margin -= hm.required_margin(self.position, signed, notional, self.settings.leverage) + fee
        self._position_epoch += 1
        self.position += signed
        log.info("%s: %s %s %s at %s (fee %s)", self.venue, "bought" if is_buy else "sold",
                 outcome.filled, self.symbol, outcome.avg_price, fee)

    async def _refresh_book(self, progress: _Progress) -> None:
        try:
            self.book = await self._fetch_book()
            self.book_at = time.monotonic()
        except TransientError as exc:   # price from the polled book; the attempt bound still holds
            progress.last_error = f"book refresh failed: {exc}"

    def _book_is_fresh(self) -> bool:
        max_age = max(2.0, 2 * self.settings.hedge_orderbook_frequency)
        return bool(self.book.bids or self.book.asks) and time.monotonic() - self.book_at <= max_age

    def _reference(self, size: Decimal) -> Decimal | None:
        """Touch price on the side a trade of signed `size` takes from."""
        levels = self.book.side_for(size)
        return levels[0][0] if levels else None

    def _below_minimum(self, remaining: Decimal) -> bool:
        """Nothing sendable is left: zero, or below the step / minimum size / minimum notional."""
        if remaining == 0:
            return True
        reference = self._reference(remaining)
        if reference is None:   # no price: decide on the size rules alone
            assert self.rules is not None
            step_units = hm.round_to_step(abs(remaining), self.rules.size_step, ROUND_DOWN)
            return step_units < max(self.rules.min_size, self.rules.size_step)
        return self._split(remaining, reference).order == 0

    def _split(self, total: Decimal, price: Decimal | None) -> hm.Split:
        assert self.rules is not None
        r = self.rules
        return hm.split_order(total, r.size_step, r.min_size, r.min_notional, price)

    def _result(self, progress: _Progress) -> HedgeResult:
        now = time.perf_counter()
        return HedgeResult(requested=progress.total, filled=progress.filled, avg_price=hm.vwap(progress.fills),
                           fee=progress.fee, carried=progress.remaining, attempts=progress.attempts,
                           sent_at=progress.sent_at if progress.sent_at is not None else now,
                           confirmed_at=progress.confirmed_at if progress.confirmed_at is not None else now)

    async def _retrying(self, what: str, call: Callable[[], Any]) -> Any:
        """`call()` with the bounded retry rule for one-shot requests (start-up, position)."""
        for attempt in range(1, MAX_ORDER_ATTEMPTS + 1):
            try:
                return await call()
            except TransientError as exc:
                if attempt == MAX_ORDER_ATTEMPTS:
                    raise HedgeSetupError(f"{self.venue}: {what} failed {attempt} times; last error: {exc}") from None
                await asyncio.sleep(exc.retry_after or supervision.backoff_delay(attempt, RETRY_BASE_DELAY,
                                                                           RETRY_MAX_DELAY))

    # ---- venue primitives ------------------------------------------------------------
    @property
    @abc.abstractmethod
    def symbol(self) -> str:
        """The venue's name of the market (coin or symbol)."""

    async def _open(self) -> None:
        """Create sessions/clients (inside the running loop)."""

    async def _close(self) -> None:
        """Close sessions/clients."""

    @abc.abstractmethod
    async def _load_rules(self) -> VenueRules: ...

    @abc.abstractmethod
    async def _fetch_book(self) -> hm.Book: ...

    @abc.abstractmethod
    async def _fetch_account(self) -> AccountState: ...

    @abc.abstractmethod
    async def _set_leverage(self, leverage: int) -> None: ...

    @abc.abstractmethod
    async def _prepare_order(self, is_buy: bool, size: Decimal, limit: Decimal) -> Any:
        """Everything up to the network write (ids, signatures)."""

    @abc.abstractmethod
    async def _submit_order(self, prepared: Any) -> OrderOutcome:
        """Send; raise OrderRejected or TransientError(ambiguous=...)."""

    @abc.abstractmethod
    async def _lookup_order(self, prepared: Any) -> OrderOutcome | None:
        """The order by its client id; None if the venue never received it."""

    @abc.abstractmethod
    async def _fees(self, outcome: OrderOutcome) -> Decimal:
        """USD fees of an order's fills."""


def as_decimal(value: Decimal | int | float | str) -> Decimal:
    """A size as Decimal; a float goes through its shortest repr (0.1 -> 0.1, not 0.1000000000000000055...)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))
