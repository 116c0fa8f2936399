"""The hedging logic every hedge venue shares; the venue subclasses implement the primitives at the bottom.

A ``HedgeClient`` keeps a polled copy of the hedge venue's order book and of
the account (position, free margin), and turns every Hubble fill into an IOC
limit order on the hedge venue (``hedge``). The venue-specific subclasses
(``bot.venues.hyperliquid.hedge``, ``bot.venues.binance.hedge``) implement:
rules, book, account, leverage, prepare/submit an order, look an order up by
its client id, and the fees of a fill.

Safety rules built in here:
  * sizes are rounded DOWN to the venue's step; the venue minimum is checked
    at the price the venue checks it at (``min_notional_at``), and the rules
    are re-read after any rejection. A hedge of which nothing has filled yet
    and whose size is below the minimum (a small reconciliation difference, a
    venue that raised its minimum) is done by overshooting it and closing the
    overshoot: two orders that each meet the minimum. What a partial fill
    leaves below the minimum, and anything below one step, is carried to the
    next hedge, never dropped;
  * the limit price is the touch price x (1 +/- slippage), rounded toward the
    touch, so no fill is ever worse than the slippage cap;
  * an order whose outcome is unknown (timeout, connection reset, 5xx after the
    request went out) is resolved only by the venue's answer about it, or by
    its provable death: every order carries a venue-side deadline after which
    it can no longer execute, and "not found" counts only after that deadline.
    So a network error can never double a hedge;
  * an account poll that overlapped an order is discarded (its position may
    or may not include that order's fill).
"""
from __future__ import annotations

import abc
import asyncio
import logging
import time
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from typing import Any, Callable

from bot import supervision
from bot.maths import hedging as hm
from bot.tracking.orders import OrderState, TrackedOrder
from bot.venues.request_budget import Limit, RequestBudget
from bot.venues.hedge_types import (  # noqa: F401  (re-exported: the venue clients import them from here)
    AccountState, HedgeError, HedgeResult, HedgeSetupError, MarginState, OrderOutcome, OrderRejected, PreparedOrder,
    TransientError, VenueRequestError, VenueRules,
)

log = logging.getLogger("hedge")

MAX_ORDER_ATTEMPTS = 8          # refusals by the venue per hedge() call, inside HEDGE_RETRY_SECONDS
REFUSAL_BASE_DELAY = 0.5        # seconds before retrying a refused order; doubles per refusal up to 4 s, so a
REFUSAL_MAX_DELAY = 4.0         # venue that refuses for a while (a crash, a halt) is outlasted, not hammered
HEDGE_RETRY_SECONDS = 20.0      # a hedge retries network trouble, outages and unfilled IOCs this long
MAX_ORDERS_PER_HEDGE = 60       # and never sends more orders than this for one call
MAX_VENUE_WAIT = 120.0          # seconds of the venue's own Retry-After a hedge honours on top
MAX_LOOKUP_FAILURES = 5         # failed lookups (venue unreachable), and HEDGE_RETRY_SECONDS of them, before an
                                # unknown outcome is reported
RETRY_BASE_DELAY = 0.1          # seconds; doubles per retry
RETRY_MAX_DELAY = 2.0
START_TIMEOUT_MIN = 10.0        # seconds to wait for the first book and account data
REQUEST_TIMEOUT = 10.0          # seconds per HTTP request
STREAM_BOOK_WAIT = 0.15        # seconds a retry waits for the stream's next book before reading it by REST
BOOK_POLL_CEILING = 0.9        # a book poll waits while this share of the process's request budget is used
RATE_LIMIT_PAUSE = 2.0          # seconds a rate-limited poll waits when the venue does not say how long
BOOK_STALL_SECONDS = 10.0       # a book stream that delivers nothing for this long is reconnected (books move:
                                # Hyperliquid resends its book every 0.5 to 5 s, Binance pushes each change)
RULES_REFRESH_SECONDS = 900.0   # venue rules (minimums, steps) are re-read this often (and after any rejection)


@dataclass
class _Progress:
    """Running totals of one hedge() call."""
    total: Decimal
    fills: list[tuple[Decimal, Decimal]] = field(default_factory=list)   # (price, unsigned size)
    filled: Decimal = hm.ZERO      # signed
    fee: Decimal = hm.ZERO
    attempts: int = 0              # orders tried
    rejections: int = 0            # of which the venue refused
    venue_wait: float = 0.0        # seconds slept because the venue said so (Retry-After)
    started: float = field(default_factory=time.monotonic)
    sent_at: float | None = None
    confirmed_at: float | None = None
    last_error: str = ""
    book_age: float | None = None

    @property
    def remaining(self) -> Decimal:
        return self.total - self.filled

    def may_retry(self) -> bool:
        """Refusals are counted; time is counted without the waits the venue itself asked for (Retry-After),
        which are honoured (a client that ignores them is banned) up to MAX_VENUE_WAIT."""
        elapsed = time.monotonic() - self.started
        return (self.rejections < MAX_ORDER_ATTEMPTS and self.attempts < MAX_ORDERS_PER_HEDGE
                and elapsed - self.venue_wait < HEDGE_RETRY_SECONDS
                and elapsed < HEDGE_RETRY_SECONDS + MAX_VENUE_WAIT)


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


@dataclass
class _OrderWaiter:
    """The stream's updates of one order in flight, for the code waiting on its outcome."""
    events: list = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class _NoListener:
    def add(self, order: TrackedOrder) -> TrackedOrder:
        return order

    def mark(self, order_id: str, state: OrderState, evidence: str) -> None:
        return None


# ---- the client --------------------------------------------------------------------
class HedgeClient(abc.ABC):
    venue: str = "?"
    limits: tuple[Limit, ...] = ()               # the venue's request limits (request_budget)
    account_weight: dict[str, int] = {}          # what one REST account read costs
    min_notional_at: str = "limit"               # "limit": the order's limit price; "touch": the best price
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
        self.rules_at = 0.0
        self._book = hm.Book()
        self._build_book: Callable[[], hm.Book] | None = None   # a pushed book, built when first read
        self.book_at = 0.0                      # time.monotonic() of the last book
        self.book_ready = _LinkedEvent(self._update_uptime)
        self.account_ready = _LinkedEvent(self._update_uptime)
        self.order_listener: Any = _NoListener()   # the order tracker, set by the engine
        self._position_epoch = 0                # bumped by every local fill
        self._orders_sent = 0                   # bumped when an order is written (guards account polls)
        self._orders_in_flight = 0
        self._tasks: list[asyncio.Task] = []
        self._seen_book = asyncio.Event()
        self._seen_account = asyncio.Event()
        self.book_source = "rest"
        self.account_checked_at = -1e9          # monotonic time of the last REST account read
        self.position_stream_up = asyncio.Event()   # set while the stream that pushes the position runs
        self._position_stamp = 0                # venue time (ms) of the last pushed position applied
        self._order_waiters: dict[str, _OrderWaiter] = {}
        self._book_pushed = asyncio.Event()
        self._failing: dict[int, str] = {}      # hedge() calls now retrying, and why
        self.budget = RequestBudget(self.venue, self.limits, settings.hedge_venue_processes)

    # ---- lifecycle -------------------------------------------------------------
    async def start(self) -> None:
        await self._open()
        try:
            await self._start_checked()
        except BaseException:
            await self.stop()
            raise

    async def _start_checked(self) -> None:
        await self._check_account_setup()
        await self._refresh_rules()
        leverage = self.settings.leverage
        if self.rules.max_leverage < leverage:
            raise HedgeSetupError(f"{self.venue}: leverage {leverage}x is above the venue's maximum "
                                  f"{self.rules.max_leverage}x for {self.symbol}; lower 'leverage' in config.py")
        state = await self._retrying("read account", self._fetch_account)
        self._apply_account(state)
        if state.position == 0:
            await self._retrying("set leverage", lambda: self._set_leverage(leverage))
            log.info("%s: leverage set to %dx on %s", self.venue, leverage, self.symbol)
        elif state.leverage is not None and state.leverage != leverage:
            log.warning("%s: open position %s on %s: leverage left at %dx (setting %dx applies once flat)",
                        self.venue, state.position, self.symbol, state.leverage, leverage)
        self._tasks = [self._supervised("order book", self._book_worker, self.book_ready),
                       self._supervised("account", self._account_worker, self.account_ready)]
        if self.settings.hedge_streams:
            self._tasks += [self._supervised(name, worker, event, retries=None, stall_timeout=stall)
                            for name, worker, event, stall in (self._stream_spec(spec) for spec in self._streams())]
        timeout = START_TIMEOUT_MIN + 3 * self.settings.hedge_orderbook_frequency   # the first reads go at once
        try:
            await asyncio.wait_for(asyncio.gather(self._seen_book.wait(), self._seen_account.wait()), timeout)
        except asyncio.TimeoutError:
            raise HedgeSetupError(f"{self.venue}: no order book and account data within {timeout:.0f}s") from None

    def _supervised(self, what: str, worker: Callable[[supervision.Health], Any], event: asyncio.Event,
                    retries: int | None = supervision.MAX_RETRIES, stall_timeout: float | None = None) -> asyncio.Task:
        """A worker under the 5-retry rule; a stream (``retries=None``) is retried for ever, since REST
        takes over while it is down. With `stall_timeout`, a worker that reports nothing good for that long
        is restarted: an open socket that has gone silent is not up."""
        name = f"{self.venue} {what}"
        return asyncio.create_task(supervision.supervise(name, worker, event, self.fatal,
                                                         base_delay=self.poll_retry_delay, max_retries=retries,
                                                         stall_timeout=stall_timeout),
                                   name=name)

    @staticmethod
    def _stream_spec(spec: tuple) -> tuple:
        """(name, worker, event, stall timeout or None) from a ``_streams`` entry of 3 or 4 items."""
        return spec if len(spec) == 4 else (*spec, None)

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
        """The book by REST: always without streams, and with them only while the stream is silent. A poll
        is skipped while hedges use nearly all of this process's request share (the book then ages and
        quoting pauses, which is what lowers the load), and a rate-limit answer is waited out, not counted
        as a break of the poller."""
        while True:
            wait = self.settings.hedge_orderbook_frequency
            if not self.settings.hedge_streams or self.book_age() > self.max_book_age() / 2:
                if self.budget.pressure() < BOOK_POLL_CEILING or not self._seen_book.is_set():
                    try:
                        self.book = await self._fetch_book()
                        self.book_at, self.book_source = time.monotonic(), "rest"
                    except TransientError as exc:
                        if exc.retry_after is None and "429" not in str(exc):
                            raise
                        log.warning("%s: book poll rate limited (%s): waiting", self.venue, exc)
                        wait = max(wait, exc.retry_after or RATE_LIMIT_PAUSE)
            self._seen_book.set()
            health.ok()
            await asyncio.sleep(wait)

    @property
    def book(self) -> hm.Book:
        if self._build_book is not None:
            self._book, self._build_book = self._build_book(), None
        return self._book

    @book.setter
    def book(self, book: hm.Book) -> None:
        self._book, self._build_book = book, None

    def on_stream_book(self, build: Callable[[], hm.Book]) -> None:
        """The venue's stream changed the book. It is built only when read (a hedge, a quote tick), not on
        every push: sorting a deep book at every push would take the event loop from the fill handler."""
        self._build_book, self.book_at, self.book_source = build, time.monotonic(), "stream"
        self._seen_book.set()
        self._book_pushed.set()

    def on_stream_position(self, position: Decimal, stamp: int) -> None:
        """The venue's own figure for the position, pushed (a fill or an account update). Applied only when
        no order is in flight (that order's fill may or may not be in it) and newer than the last one."""
        if self._orders_in_flight == 0 and stamp >= self._position_stamp:
            self._position_stamp = stamp
            self.position = position

    def on_stream_account(self, position: Decimal, free_margin: Decimal, stamp: int) -> None:
        """The venue's pushed account: position and free margin (same rules as a pushed position)."""
        if self._orders_in_flight == 0 and stamp >= self._position_stamp:
            self._position_stamp = stamp
            self.position = position
            self.free_margin = free_margin * self.settings.hedge_margin_share

    def on_stream_order(self, client_id: str, event: Any) -> None:
        """An update of one of our orders pushed by the venue: kept for whoever waits on that order."""
        waiter = self._order_waiters.get(client_id)
        if waiter is not None:
            waiter.events.append(event)
            waiter.changed.set()

    async def await_stream_order(self, client_id: str, done: Callable[[list], bool], timeout: float) -> list:
        """The stream's updates of an order until `done(updates)` holds or `timeout` passes."""
        waiter = self._order_waiters.get(client_id)
        if waiter is None:
            return []
        deadline = time.monotonic() + timeout
        while not done(waiter.events):
            waiter.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                await asyncio.wait_for(waiter.changed.wait(), left)
            except asyncio.TimeoutError:
                break
        return list(waiter.events)

    async def _account_worker(self, health: supervision.Health) -> None:
        """The account by REST every hedgeClient_user_state_frequency: the pushed position is healed
        by it (a read the request budget may skip when hedges need the room)."""
        while True:
            if self.budget.allows_optional(self.account_weight):
                await self._poll_account()
                self.account_checked_at = time.monotonic()
            self._seen_account.set()
            health.ok()
            if time.monotonic() - self.rules_at > RULES_REFRESH_SECONDS:
                await self._refresh_rules()
            await asyncio.sleep(self.settings.hedge_user_state_frequency)

    async def _poll_account(self) -> AccountState:
        """Read the account; apply it only if no order was in flight or sent while it was read (its
        position might or might not include that order's fill)."""
        epoch, sent, idle = self._position_epoch, self._orders_sent, self._orders_in_flight == 0
        state = await self._fetch_account()
        if idle and self._orders_in_flight == 0 and sent == self._orders_sent and epoch == self._position_epoch:
            self._apply_account(state)
        return state

    def _apply_account(self, state: AccountState) -> None:
        self.position = state.position
        self.free_margin = state.free_margin * self.settings.hedge_margin_share

    async def fetch_position(self) -> Decimal:
        """The venue's own answer about the position, asked now (the summary, a stream that is down)."""
        state = await self._retrying("read position", self._poll_account)
        self.account_checked_at = time.monotonic()
        return state.position

    async def venue_position(self) -> Decimal:
        """The position for the reconciler: the venue's pushed figure while its stream runs and the REST
        check is recent (no request), else asked by REST."""
        recent = time.monotonic() - self.account_checked_at <= 2 * self.settings.hedge_user_state_frequency + 5
        if self.settings.hedge_streams and self.position_stream_up.is_set() and recent:
            return self.position
        return await self.fetch_position()

    async def margin_state(self) -> MarginState:
        """Equity, liquidation price and mark as the venue reports them now (the risk engine's reading)."""
        return await self._retrying("read margin", self._fetch_margin)

    async def funding_rate_per_hour(self) -> Decimal | None:
        """The venue's current funding rate of this symbol per hour (positive: longs pay), None if unread."""
        return await self._retrying("read funding", self._fetch_funding)

    async def _refresh_rules(self) -> None:
        rules = await self._retrying("load rules", self._load_rules)
        if self.rules is not None and (rules.min_notional, rules.min_size, rules.size_step) != (
                self.rules.min_notional, self.rules.min_size, self.rules.size_step):
            log.warning("%s: %s rules changed: minimum notional %s -> %s, minimum size %s -> %s, step %s -> %s",
                        self.venue, self.symbol, self.rules.min_notional, rules.min_notional, self.rules.min_size,
                        rules.min_size, self.rules.size_step, rules.size_step)
        self.rules, self.rules_at = rules, time.monotonic()

    async def _refresh_rules_quietly(self) -> None:
        try:
            await self._refresh_rules()
        except (HedgeSetupError, VenueRequestError) as exc:
            log.warning("%s: re-reading the venue's rules failed (%s)", self.venue, exc)

    # ---- queries -----------------------------------------------------------------------
    def best_bid_ask(self) -> tuple[Decimal | None, Decimal | None]:
        return self.book.best_bid(), self.book.best_ask()

    def book_age(self) -> float:
        return time.monotonic() - self.book_at

    def max_book_age(self) -> float:
        """A book older than this is stale: quoting pauses rather than price hedges from it."""
        return self.settings.hedge_book_max_age

    def lot(self) -> Decimal | None:
        """The smallest order the venue takes now, in base units (its minimum size, or its minimum
        notional at the touch, on the step grid); a residual smaller than this may be carried."""
        if self.rules is None:
            return None
        r, touch = self.rules, self.book.best_bid() or self.book.best_ask()
        by_notional = r.min_notional / touch if touch else hm.ZERO
        return hm.round_to_step(max(r.min_size, r.size_step, by_notional), r.size_step, ROUND_CEILING)

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
        if self._next_order(progress.remaining) is not None:
            raise HedgeError(f"{self.venue}: hedge of {progress.total} {self.symbol} incomplete after "
                             f"{progress.attempts} orders in {time.monotonic() - progress.started:.1f}s "
                             f"({progress.rejections} refused): filled {progress.filled}, "
                             f"{progress.remaining} kept for the next hedge; last error: {progress.last_error}",
                             result)
        return result

    async def _hedge_loop(self, progress: _Progress) -> None:
        """Orders until `progress` is done: refusals end it after MAX_ORDER_ATTEMPTS, anything else (network
        trouble, an outage, an IOC that found no liquidity) is retried for HEDGE_RETRY_SECONDS, each try
        priced from a fresh book. While a hedge is retrying, ``failing`` says why (quoting pauses)."""
        fresh = not self._book_is_fresh()
        progress.book_age = self.book_age() if not fresh else 0.0   # age of the book the first order is priced on
        tries = 0
        try:
            while progress.may_retry():
                if fresh:
                    await self._refresh_book(progress)
                fresh = True                      # every retry re-prices from a fresh book
                remaining = progress.remaining
                if remaining == 0:
                    return
                if tries:
                    self._failing[id(progress)] = progress.last_error or "retrying"
                tries += 1
                if self._reference(remaining) is None:
                    progress.last_error = "the hedge book has no liquidity on the side needed"
                    await asyncio.sleep(supervision.backoff_delay(tries, RETRY_BASE_DELAY, RETRY_MAX_DELAY))
                    continue
                planned = self._next_order(remaining, overshoot=progress.filled == 0)
                if planned is None:
                    return                        # below one step: carried
                order, limit = planned
                progress.attempts += 1
                outcome = await self._place(progress, order > 0, abs(order), limit)
                if outcome is not None and outcome.filled > 0:
                    await self._record_fill(progress, order > 0, outcome)
                elif outcome is not None:         # the IOC found nothing within the cap: let the book move
                    await asyncio.sleep(supervision.backoff_delay(tries, RETRY_BASE_DELAY, RETRY_MAX_DELAY) / 2)
        finally:
            self._failing.pop(id(progress), None)

    def failing(self) -> str | None:
        """Why a hedge in hand is retrying, if one is (quoting pauses and long-lived quotes are cancelled)."""
        return next(iter(self._failing.values()), None)

    def _limit(self, is_buy: bool) -> Decimal | None:
        """The IOC limit for a trade: the touch on the side it takes, capped by the slippage setting."""
        levels = self.book.asks if is_buy else self.book.bids
        if not levels:
            return None
        assert self.rules is not None
        return self.rules.price_rounder(hm.slippage_limit(levels[0][0], is_buy, self.settings.slippage), is_buy)

    def _next_order(self, remaining: Decimal, overshoot: bool = False) -> tuple[Decimal, Decimal] | None:
        """(signed size, limit) of the next order for `remaining`, or None when nothing can be sent.

        The minimum is checked at the price the venue checks it at. With `overshoot`, a remainder
        below the minimum but of at least one step is overshot (``minimum_round_trip``)."""
        if remaining == 0:
            return None
        assert self.rules is not None
        r, is_buy = self.rules, remaining > 0
        limit = self._limit(is_buy)
        if limit is None:   # no price: decide on the size rules alone
            stepped = hm.round_to_step(abs(remaining), r.size_step, ROUND_DOWN)
            return (remaining, hm.ZERO) if stepped >= max(r.min_size, r.size_step) else None
        valued_at = limit if self.min_notional_at == "limit" else self._reference(remaining)
        order = hm.split_order(remaining, r.size_step, r.min_size, r.min_notional, valued_at).order
        if order == 0 and overshoot:
            close_limit = self._limit(not is_buy)
            close_at = close_limit if self.min_notional_at == "limit" else self._reference(-remaining)
            order = hm.minimum_round_trip(remaining, r.size_step, r.min_size, r.min_notional, valued_at,
                                          close_at) if close_at is not None else hm.ZERO
            if order != 0:
                log.info("%s: %s %s is below the venue minimum (%s %s, %s USD): sending %s and closing the "
                         "overshoot", self.venue, remaining, self.symbol, r.min_size, self.symbol, r.min_notional,
                         order)
        return (order, limit) if order != 0 else None

    async def _place(self, progress: _Progress, is_buy: bool, size: Decimal,
                     limit: Decimal) -> OrderOutcome | None:
        """One order attempt; None when it did not execute (after any needed backoff)."""
        try:
            prepared = await self._prepare_order(is_buy, size, limit)
        except OrderRejected as exc:          # it cannot be sent as it is (e.g. not exact on the wire)
            progress.rejections += 1
            progress.last_error = f"not sendable: {exc}"
            log.warning("%s: order not sent (%s); attempt %d", self.venue, exc, progress.attempts)
            await self._refresh_rules_quietly()
            return None
        except (TransientError, VenueRequestError, ValueError, ArithmeticError) as exc:   # nothing reached the venue
            progress.last_error = f"preparing the order failed: {type(exc).__name__}: {exc}"
            log.warning("%s: preparing an order failed (%s: %s); retrying", self.venue, type(exc).__name__, exc)
            return None
        tracked = self.order_listener.add(TrackedOrder(prepared.client_id, self.venue, self.settings.market,
                                                       1 if is_buy else -1, size, limit, prepared.dead_after))
        sent_at = time.perf_counter()
        if progress.sent_at is None:
            progress.sent_at = sent_at
        self._orders_sent += 1
        self._orders_in_flight += 1
        self._order_waiters[prepared.client_id] = _OrderWaiter()
        try:
            outcome = await self._submit_order(prepared)
        except OrderRejected as exc:
            progress.confirmed_at = time.perf_counter()
            progress.rejections += 1
            progress.last_error = f"rejected: {exc}"
            self.order_listener.mark(tracked.order_id, OrderState.REJECTED, f"venue refused it: {exc}")
            log.warning("%s: order rejected (%s); refusal %d/%d", self.venue, exc, progress.rejections,
                        MAX_ORDER_ATTEMPTS)
            await self._refresh_rules_quietly()   # the venue's minimum may have changed: price the retry by it
            await asyncio.sleep(supervision.backoff_delay(progress.rejections, REFUSAL_BASE_DELAY, REFUSAL_MAX_DELAY))
            return None
        except TransientError as exc:
            progress.confirmed_at = time.perf_counter()
            progress.last_error = str(exc)
            log.warning("%s: order failed (%s); attempt %d, retrying for up to %.0fs", self.venue, exc,
                        progress.attempts, HEDGE_RETRY_SECONDS)
            if not exc.ambiguous:
                self.order_listener.mark(tracked.order_id, OrderState.REJECTED, f"not executed: {exc}")
                if exc.retry_after:
                    progress.venue_wait += exc.retry_after
                    self._failing[id(progress)] = f"the venue asked for {exc.retry_after:.0f}s: {exc}"
                await asyncio.sleep(exc.retry_after or supervision.backoff_delay(
                    progress.attempts, RETRY_BASE_DELAY, RETRY_MAX_DELAY))
                return None
            self.order_listener.mark(tracked.order_id, OrderState.UNKNOWN, f"no answer: {exc}")
            outcome = await self._resolve_unknown(prepared)
            if outcome is None:
                self.order_listener.mark(tracked.order_id, OrderState.EXPIRED,
                                         "not found after its venue-side deadline: it never executed")
                return None
        finally:
            self._orders_in_flight -= 1
            self._order_waiters.pop(prepared.client_id, None)
        progress.confirmed_at = time.perf_counter()
        filled = outcome.filled >= size
        self.order_listener.mark(tracked.order_id, OrderState.FILLED if filled else OrderState.CANCELLED,
                                 f"venue answer: filled {outcome.filled} of {size} ({outcome.status})")
        if outcome.filled == 0:
            progress.last_error = f"IOC order at {limit} did not fill ({outcome.status or 'no match'})"
        return outcome

    async def _resolve_unknown(self, prepared: PreparedOrder) -> OrderOutcome | None:
        """After an unknown outcome: the order as the venue knows it, or None once it provably never
        executed (not found after its venue-side deadline). One "not found" before the deadline
        proves nothing (the order may still be on its way), so the venue is asked again."""
        failures = attempt = 0
        asking_since = time.monotonic()
        while True:
            attempt += 1
            checked_at = time.time()
            try:
                outcome = await self._lookup_order(prepared)
            except TransientError as exc:
                failures += 1
                log.warning("%s: order lookup failed (%s), %d", self.venue, exc, failures)
                if failures >= MAX_LOOKUP_FAILURES and time.monotonic() - asking_since > HEDGE_RETRY_SECONDS:
                    raise HedgeError(f"{self.venue}: order {prepared.client_id}'s outcome is unknown and the venue "
                                     f"could not be asked for {HEDGE_RETRY_SECONDS:.0f}s; not resending (it may have "
                                     "filled)") from None
            else:
                if outcome is not None:
                    log.warning("%s: order %s found after an unknown outcome: %s, filled %s", self.venue,
                                prepared.client_id, outcome.status, outcome.filled)
                    return outcome
                if prepared.dead_after is None:
                    raise HedgeError(f"{self.venue}: order {prepared.client_id} not found, and nothing proves it "
                                     "cannot still execute; not resending (it may fill)")
                if checked_at > prepared.dead_after:
                    log.info("%s: order %s not found after its deadline: it never executed", self.venue,
                             prepared.client_id)
                    return None
            wait = supervision.backoff_delay(attempt, RETRY_BASE_DELAY, RETRY_MAX_DELAY)
            if prepared.dead_after is not None:
                wait = min(wait, max(0.05, prepared.dead_after - time.time() + 0.05))
            await asyncio.sleep(wait)

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
        """A book newer than the last answer: the stream's next push if it comes soon, else REST."""
        if self.settings.hedge_streams and await self._book_pushed_after(time.monotonic(), STREAM_BOOK_WAIT):
            return
        try:
            self.book = await self._fetch_book()
            self.book_at, self.book_source = time.monotonic(), "rest"
        except TransientError as exc:   # price from the polled book; the attempt bound still holds
            progress.last_error = f"book refresh failed: {exc}"

    async def _book_pushed_after(self, moment: float, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not (self.book_source == "stream" and self.book_at >= moment):
            self._book_pushed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                await asyncio.wait_for(self._book_pushed.wait(), left)
            except asyncio.TimeoutError:
                return False
        return True

    def _book_is_fresh(self) -> bool:
        return bool(self.book.bids or self.book.asks) and self.book_age() <= self.max_book_age()

    def _reference(self, size: Decimal) -> Decimal | None:
        """Touch price on the side a trade of signed `size` takes from."""
        levels = self.book.side_for(size)
        return levels[0][0] if levels else None

    def _result(self, progress: _Progress) -> HedgeResult:
        now = time.perf_counter()
        return HedgeResult(requested=progress.total, filled=progress.filled, avg_price=hm.vwap(progress.fills),
                           fee=progress.fee, carried=progress.remaining, attempts=progress.attempts,
                           sent_at=progress.sent_at if progress.sent_at is not None else now,
                           confirmed_at=progress.confirmed_at if progress.confirmed_at is not None else now,
                           book_age=progress.book_age)

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

    async def _check_account_setup(self) -> None:
        """Refuse (ConfigurationProblem) credentials or account modes the venue would refuse to trade with."""

    def _streams(self) -> list[tuple]:
        """The venue's streams: (name, worker, event set while it runs[, stall timeout: seconds without what the
        stream must deliver, after which it is reconnected; none for a stream that may rightly be quiet])."""
        return []

    @abc.abstractmethod
    async def _load_rules(self) -> VenueRules: ...

    @abc.abstractmethod
    async def _fetch_book(self) -> hm.Book: ...

    @abc.abstractmethod
    async def _fetch_account(self) -> AccountState: ...

    @abc.abstractmethod
    async def _set_leverage(self, leverage: int) -> None: ...

    @abc.abstractmethod
    async def _fetch_margin(self) -> MarginState: ...

    @abc.abstractmethod
    async def _fetch_funding(self) -> Decimal | None: ...

    @abc.abstractmethod
    async def _prepare_order(self, is_buy: bool, size: Decimal, limit: Decimal) -> PreparedOrder:
        """Everything up to the network write (ids, signatures, the venue-side deadline)."""

    @abc.abstractmethod
    async def _submit_order(self, prepared: PreparedOrder) -> OrderOutcome:
        """Send; raise OrderRejected or TransientError(ambiguous=...)."""

    @abc.abstractmethod
    async def _lookup_order(self, prepared: PreparedOrder) -> OrderOutcome | None:
        """The order by its client id; None if the venue does not know it (yet)."""

    @abc.abstractmethod
    async def _fees(self, outcome: OrderOutcome) -> Decimal:
        """USD fees of an order's fills."""


def as_decimal(value: Decimal | int | float | str) -> Decimal:
    """A size as Decimal; a float goes through its shortest repr (0.1 -> 0.1, not 0.1000000000000000055...)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))
