"""OrderManager: the fill listener, the positions poller, the hedge worker and the quote loop.

Fills. The trader stream's callback never waits: it looks the order's side
up in the order-data cache (quotes are cached *before* they are sent, so a
fill that beats the placement reply is still known), records the fill and
adds its hedge to ``pending_hedge`` and starts a hedge task, which sends
whatever is pending as one order (fills of the same loop iteration are
netted); a fill that lands while a hedge is in flight gets its own order at
once rather than waiting for that answer. Each fill is counted once: duplicate events are
dropped by key, a fill removed by a reorg is reversed, a fill for an order
missing from the cache has its side recovered from the node.

Quotes. Every ``orderFrequency`` seconds, only when every gate is open (feeds
and pollers healthy, no cooldown, no hedge pending, data fresh), one bid and
one ask per level are built by ``quoting.build_quotes`` and sent at once.
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from cachetools import TTLCache

from bot.maths import quoting
from bot.venues.hubble.gateway import HubbleGateway
from bot.venues.hubble.signing import SignedHubbleOrder
from bot.reporting.performance import Performance
from bot.venues.binance.mid_price_feed import MidPriceFeed
from bot.venues.hubble.book_feed import HubbleBookFeed
from bot.supervision import Health, supervise
from bot.settings import MarketSettings

log = logging.getLogger("orders")
ZERO = Decimal(0)
SIZE_SCALE = Decimal(10) ** 18


@dataclass
class CachedQuote:
    order: SignedHubbleOrder
    level: int
    filled: Decimal = ZERO
    cancelled: bool = False

    def live(self, now: float) -> bool:
        return not self.cancelled and self.order.expire_at > now and self.filled < abs(self.order.size)

    @property
    def side(self) -> int:
        return self.order.side


def fill_amount(value) -> Decimal:
    """A fill size from the trader stream, in base units.

    The node sends event amounts as decoded numbers; a whole number at or
    above 1e12 can only be the raw 1e18-scaled integer, anything else is
    already in base units.
    """
    amount = abs(Decimal(str(value)))
    if amount == amount.to_integral_value() and amount >= Decimal(10) ** 12:
        amount /= SIZE_SCALE
    return amount


def fill_price(value) -> Decimal:
    """A fill price in USD (raw 1e6-scaled integers above 1e9 are scaled down, as for sizes)."""
    price = Decimal(str(value))
    if price == price.to_integral_value() and price >= Decimal(10) ** 9:
        price /= Decimal(10) ** 6
    return price


class OrderManager:
    def __init__(self, settings: MarketSettings, hubble: HubbleGateway, hedge, mid_feed: MidPriceFeed,
                 book_feed: HubbleBookFeed, perf: Performance, fatal: Callable[[str], None]):
        self.s = settings
        self.market = settings.spec.hubble_id
        self.hubble = hubble
        self.hedge = hedge if settings.hedge_mode else None
        self.mid_feed = mid_feed
        self.book_feed = book_feed
        self.perf = perf
        self.fatal = fatal
        self.fill_feed_event = asyncio.Event()
        self.positions_event = asyncio.Event()
        self.order_cache: TTLCache = TTLCache(maxsize=100_000, ttl=settings.order_expiry + 600)
        self._seen_fills: TTLCache = TTLCache(maxsize=200_000, ttl=6 * 3600)
        self.account: quoting.Account | None = None
        self.account_at = -math.inf
        self.last_fill_at = -math.inf
        self.pending_hedge = ZERO
        self._pending_since: deque[float] = deque()
        self._hedge_queued = False          # a hedge task is created but has not taken the pending size yet
        self._hedges_in_flight = 0
        self._hedge_failed = False
        self._hedge_tasks: set[asyncio.Task] = set()
        self.hedge_idle = asyncio.Event()
        self.hedge_idle.set()
        self.quoting = True
        self.pause_reason: str | None = "starting"
        self.last_quotes: list[quoting.Quote] = []
        self._recent: deque[CachedQuote] = deque()   # quotes of the last orderExpiry, in placement order
        self.ticks = 0                      # quote-loop iterations (tests wait on it)
        self.start_positions: tuple[Decimal, Decimal] | None = None   # (Hubble, hedge) before reconciliation
        self.first_quote_at: float | None = None   # time.monotonic() when the first quotes were written
        self._tasks: list[asyncio.Task] = []

    # ---- lifecycle ------------------------------------------------------------
    def start(self) -> None:
        self._tasks += [
            asyncio.create_task(supervise("Hubble fill stream", self._fill_stream, self.fill_feed_event, self.fatal)),
            asyncio.create_task(supervise("Hubble positions poller", self._poll_positions, self.positions_event,
                                          self.fatal)),
            asyncio.create_task(self._performance_rows()),
        ]

    async def stop_tasks(self) -> None:
        for task in [*self._tasks, *self._hedge_tasks]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._hedge_tasks, return_exceptions=True)

    # ---- fills ----------------------------------------------------------------
    async def _fill_stream(self, health: Health) -> None:
        def on_update(update, received: float) -> None:
            health.ok()
            if update.EventName == "OrderMatched":
                self.on_order_matched(update, received)

        await self.hubble.stream_trader_updates(health.ok, on_update)

    def on_order_matched(self, update, received: float) -> None:
        """Handle one OrderMatched trader event (synchronous: never waits)."""
        args = update.Args or {}
        order_id = _hex(update.OrderId)
        removed = bool(update.Removed)
        key = (order_id, _hex(update.TransactionHash), str(args.get("fillAmount")), str(update.BlockNumber), removed)
        if key in self._seen_fills:
            return
        self._seen_fills[key] = True
        qty, price = fill_amount(args.get("fillAmount", 0)), fill_price(args.get("price", 0))
        cached = self.order_cache.get(order_id)
        if cached is not None:
            cached.filled += -qty if removed else qty
            self._record_fill(cached.side, qty, price, removed, received)
        else:
            log.warning("fill for order %s not in the order cache: asking Hubble for its side", order_id)
            self._tasks.append(asyncio.create_task(self._recover_fill(order_id, qty, price, removed, received)))

    async def _recover_fill(self, order_id: str, qty: Decimal, price: Decimal, removed: bool, received: float) -> None:
        for attempt in range(1, 6):
            try:
                side = await self.hubble.order_side(order_id)
                if side:
                    self._record_fill(side, qty, price, removed, received)
                    return
                error = "the node does not know the order's side"
            except Exception as exc:  # network trouble: try again
                error = f"{type(exc).__name__}: {exc}"
            await asyncio.sleep(0.2 * attempt)
        self.fatal(f"fill of {qty} on unknown order {order_id} could not be attributed ({error}); "
                   "stopping so that start-up reconciliation hedges the position")

    def _record_fill(self, side: int, qty: Decimal, price: Decimal, removed: bool, received: float) -> None:
        signed = side * qty * (-1 if removed else 1)
        log.info("%s %s %s @ %s%s", "FILL" if not removed else "FILL REVERTED (reorg)",
                 "bought" if signed > 0 else "sold", abs(signed), price, "" if self.hedge else " (not hedging)")
        self.perf.on_fill(signed, price)
        self.last_fill_at = time.monotonic()
        if self.hedge is not None:
            self.pending_hedge -= signed
            self._pending_since.append(received)
            self.hedge_idle.clear()
            self._schedule_hedge()

    def _schedule_hedge(self) -> None:
        """Start a hedge task unless one is already queued to start.

        The task takes whatever is pending when it first runs, so fills that
        arrive in the same loop iteration are netted into one order; a fill
        arriving while earlier hedges are in flight gets its own order at once
        instead of waiting for their answers (the client's carry is claimed
        and returned per call, so concurrent hedges never lose a residual).
        """
        if not self._hedge_queued:
            self._hedge_queued = True
            self._hedges_in_flight += 1
            task = asyncio.create_task(self._hedge_pending())
            self._hedge_tasks.add(task)
            task.add_done_callback(self._hedge_tasks.discard)

    async def _hedge_pending(self) -> None:
        self._hedge_queued = False
        try:
            if self._hedge_failed:      # stopping: the pending size is left for the restart's reconciliation
                return
            size, self.pending_hedge = self.pending_hedge, ZERO
            received = list(self._pending_since)
            self._pending_since.clear()
            if size != 0:
                await self._hedge_once(size, received)
        finally:
            self._hedges_in_flight -= 1
            if self._hedges_in_flight == 0 and (self.pending_hedge == 0 or self._hedge_failed):
                self.hedge_idle.set()

    async def _hedge_once(self, size: Decimal, received: list[float]) -> None:
        bid, ask = self.hedge.best_bid_ask()
        reference = ask if size > 0 else bid
        try:
            result = await self.hedge.hedge(size)
        except Exception as exc:
            # What did fill is booked; the rest stays in the client's carry. Stop the bot:
            # quotes are cancelled on the way out and the restart reconciles the position.
            partial = getattr(exc, "result", None)
            if partial is not None:
                self.perf.on_hedge(partial.filled, partial.avg_price, partial.fee, reference)
            self._hedge_failed = True
            self.fatal(f"hedge of {size} on {self.hedge.venue} failed: {exc}; "
                       "the restart reconciles the position")
            return
        if result.attempts:
            for t in received:
                self.perf.latency("fill_to_hedge_sent", result.sent_at - t)
                self.perf.latency("fill_to_hedge_confirmed", result.confirmed_at - t)
        self.perf.on_hedge(result.filled, result.avg_price, result.fee, reference)
        log.info("HEDGE %s %s on %s @ %s (fee %s, carried %s)", "bought" if result.filled > 0 else "sold",
                 abs(result.filled), self.hedge.venue, result.avg_price, result.fee, result.carried)

    # ---- positions ------------------------------------------------------------
    async def _poll_positions(self, health: Health) -> None:
        timeout = max(5.0, 2 * self.s.hubble_position_poll_interval)
        while True:
            self.account = await asyncio.wait_for(self.hubble.account(), timeout)
            self.account_at = time.monotonic()
            health.ok()
            await asyncio.sleep(self.s.hubble_position_poll_interval)

    def hubble_position(self) -> Decimal | None:
        if self.account is None:
            return None
        position = self.account.position(self.market)
        return position.size if position else ZERO

    # ---- quoting ----------------------------------------------------------------
    def gate(self) -> str | None:
        """Why quoting must wait now, or None when every condition holds."""
        now = time.monotonic()
        checks = [
            (self.mid_feed.event.is_set(), "mid-price feed down"),
            (self.book_feed.event.is_set(), "Hubble order-book feed down"),
            (self.hedge is None or self.hedge.uptime.is_set(), "hedge venue down"),
            (self.fill_feed_event.is_set(), "Hubble fill stream down"),
            (self.positions_event.is_set(), "Hubble positions poller down"),
            (now - self.last_fill_at >= self.s.order_fill_cooldown, "fill cooldown"),
            (self.hedge_idle.is_set(), "hedge in flight"),
            (self.mid_feed.age() <= self.s.mid_price_expiry, "mid price stale"),
            (now - self.account_at <= self.s.position_data_expiry, "position data stale"),
        ]
        return next((reason for ok, reason in checks if not ok), None)

    async def quote_loop(self) -> None:
        await self._first_tick()
        period = self.s.order_frequency
        while self.quoting:
            await asyncio.sleep(period - (time.time() % period))  # ticks on whole multiples of the period
            if not self.quoting:
                return
            self.ticks += 1
            self.pause_reason = self.gate()
            if self.pause_reason is None:
                await self.quote_once()

    async def _first_tick(self, poll: float = 0.01) -> None:
        """Quote as soon as every gate opens at start-up, not at the next whole period.

        Polls the gates for at most two periods; after that (a feed still down)
        the periodic loop takes over and reports why it waits.
        """
        deadline = time.monotonic() + 2 * self.s.order_frequency
        while self.quoting and time.monotonic() < deadline:
            self.pause_reason = self.gate()
            if self.pause_reason is None:
                self.ticks += 1
                await self.quote_once()
                return
            await asyncio.sleep(poll)

    def _resting(self, side: int) -> Decimal:
        """Unfilled size of our live quotes on `side` (unsigned).

        Reads only the quotes placed within the last orderExpiry (``_recent``),
        not the whole order cache, which keeps ten minutes of orders for late
        fills: the quote tick's cost must not grow with uptime.
        """
        now = time.time()
        recent = self._recent
        while recent and recent[0].order.expire_at <= now:    # expiries are placed in time order
            recent.popleft()
        return sum((q.order.size * side - q.filled for q in recent if q.side == side and q.live(now)), ZERO)

    def _hedgeable_check(self) -> Callable[[Decimal], bool]:
        """can_open_position for a side's cumulative quote size plus what already rests on that side.

        The resting sums are taken once per tick (they cannot change while one tick builds its quotes).
        """
        resting = {1: self._resting(1), -1: self._resting(-1)}

        def hedgeable(size: Decimal) -> bool:
            rest = resting[-1 if size > 0 else 1]   # a hedge that buys covers our asks
            return self.hedge.can_open_position(size + (rest if size > 0 else -rest))

        return hedgeable

    def build(self) -> list[quoting.Quote]:
        budget = quoting.budgets(self.account, self.market, self.s.leverage, self.s.margin_share,
                                 self.s.defensive_skew_pct)
        return quoting.build_quotes(self.mid_feed.mid, self.s.levels, budget, self.s.leverage, self.s.spec.price_tick,
                                    self.s.spec.min_size, self.book_feed.best_bid, self.book_feed.best_ask,
                                    self.s.avoid_crossing, self._hedgeable_check() if self.hedge else None)

    async def quote_once(self) -> None:
        tick = time.perf_counter()
        quotes = self.build()
        self.last_quotes = quotes
        now = time.time()
        quotes = [q for q in quotes if not self._still_resting(q, now)]
        if not quotes:
            return
        orders = [self.hubble.sign(self.market, q.signed_size, q.price, self.s.order_expiry) for q in quotes]
        for quote, order in zip(quotes, orders):   # cached before sending: a fill may beat the reply
            cached = self.order_cache[order.order_id] = CachedQuote(order, quote.level)
            self._recent.append(cached)
        try:
            results = await self.hubble.place(orders, on_sent=lambda: self._on_quotes_sent(tick))
        except Exception as exc:
            log.warning("placing %d quotes failed: %s: %s", len(orders), type(exc).__name__, exc)
            self.perf.on_orders(len(orders), 0)
            return
        placed = 0
        for order, result in zip(orders, results):
            if result["success"]:
                placed += 1
            else:
                self.order_cache[order.order_id].cancelled = True   # never rested: not part of our exposure
                log.info("quote %s %s @ %s rejected: %s", order.size, order.order_id[:10], order.price, result["error"])
        self.perf.on_orders(len(orders), placed)

    def _still_resting(self, quote: quoting.Quote, now: float) -> bool:
        """Keep, rather than re-place, a level whose live quote has the same size, a price within the
        level's refreshTolerance (percent) of the new one, and outlives the next tick."""
        tolerance = self.s.levels[quote.level - 1].refresh_tolerance_pct
        horizon = now + self.s.order_frequency
        return any(q.side == quote.side and q.level == quote.level and q.live(now) and q.order.expire_at > horizon
                   and abs(q.order.size) - q.filled == quote.qty
                   and abs(q.order.price - quote.price) * 100 <= tolerance * quote.price
                   for q in self._recent)

    def _on_quotes_sent(self, tick: float) -> None:
        self.perf.latency("quote_tick_to_orders_sent", time.perf_counter() - tick)
        if self.first_quote_at is None:
            self.first_quote_at = time.monotonic()
            log.info("first quotes sent")

    # ---- start and stop ---------------------------------------------------------
    async def reconcile(self) -> None:
        """Before the first quote: hedge any difference between the Hubble and hedge positions."""
        if self.hedge is None:
            return
        hubble_position = await self.hubble.position(self.market)
        hedge_position = await self.hedge.fetch_position()
        self.start_positions = (hubble_position, hedge_position)
        net = hubble_position + hedge_position
        log.info("reconciliation: Hubble %s, %s %s, net delta %s", hubble_position, self.hedge.venue,
                 hedge_position, net)
        if net != 0:
            log.warning("net delta %s at start-up (a crash or kill mid-hedge?): hedging %s on %s",
                        net, -net, self.hedge.venue)
            result = await self.hedge.hedge(-net)
            self.perf.on_hedge(result.filled, result.avg_price, result.fee, None, reconciliation=True)

    def positions_now(self) -> tuple[Decimal | None, Decimal | None]:
        """(Hubble, hedge) positions: start-up figures plus this run's fills and hedges, event by event.

        Fresher than the pollers (a poll lags by up to its interval), for the status line."""
        if self.start_positions is None:
            return self.hubble_position(), (self.hedge.position if self.hedge else None)
        hubble, hedge = self.start_positions
        return hubble + self.perf.hubble_delta, (hedge + self.perf.hedge_delta) if self.hedge else None

    def live_quotes(self) -> list[SignedHubbleOrder]:
        now = time.time()
        return [q.order for q in list(self.order_cache.values()) if q.live(now)]

    async def shutdown(self, hedge_timeout: float = 30.0) -> None:
        """Stop quoting, let hedges finish, leave nothing resting, write the last CSV row."""
        self.quoting = False
        await self._wait_hedges(hedge_timeout)
        live = self.live_quotes()
        if live:
            log.info("cancelling %d resting quotes", len(live))
            try:
                results = await asyncio.wait_for(self.hubble.cancel(live), timeout=max(10.0, self.s.order_expiry + 5))
                for result in results:
                    cached = self.order_cache.get(_hex(result.get("order_id", "")))
                    if cached is not None and result.get("success"):
                        cached.cancelled = True
                    elif cached is not None:
                        log.info("cancel of %s refused: %s", result.get("order_id"), result.get("error"))
            except Exception as exc:
                log.warning("cancel failed (%s: %s); waiting for the quotes to expire instead", type(exc).__name__, exc)
        await self._confirm_nothing_resting()
        await self._wait_hedges(hedge_timeout)
        await asyncio.to_thread(self.perf.write_csv_row)

    async def _wait_hedges(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self.hedge_idle.wait(), timeout)
        except asyncio.TimeoutError:
            log.error("hedges still pending after %.0fs: %s unhedged; the next start reconciles it",
                      timeout, self.pending_hedge)

    async def _confirm_nothing_resting(self) -> None:
        deadline = time.monotonic() + self.s.order_expiry + 5
        while True:
            try:
                still = [o for o in await self.hubble.open_orders(self.market)
                         if str(getattr(o, "OrderId", "")).lower() in self.order_cache]
            except Exception as exc:
                log.warning("could not list open orders to confirm the cancel: %s", exc)
                still = self.live_quotes()
            if not still:
                log.info("no quotes left resting on Hubble")
                return
            if time.monotonic() > deadline:
                log.error("%d quotes still resting on Hubble after cancel and expiry", len(still))
                return
            await asyncio.sleep(0.5)

    async def _performance_rows(self) -> None:
        while True:
            await asyncio.sleep(self.s.performance_tracking_interval)
            path = await asyncio.to_thread(self.perf.write_csv_row)
            log.info("performance row written to %s", path)


def _hex(value) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    text = str(value).lower()
    return text if text.startswith("0x") else "0x" + text
