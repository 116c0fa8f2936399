"""The quote loop: every ``orderFrequency``, when every gate is open, one bid and one ask per level on the
maker venue (Hubble by default; bot/venues/maker_venue.py).

Quotes are built by ``maths.quoting`` from the mid price, the maker venue's book and
the account, recorded in the order tracker and the quote journal *before*
they are sent (a fill may beat the placement reply; a crash may follow the
send), and sent in one batch. When a gate closes for a reason that makes
resting quotes dangerous (a feed or venue down, stale data, a fill cooldown,
an unreconciled position), quotes that would still live more than a moment
are cancelled rather than left to fill.
"""
from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal
from typing import Callable

from bot.maths import hedging as hm
from bot.maths import quoting
from bot.reporting.alerts import NO_ALERTS, Alerts
from bot.reporting.performance import Latencies
from bot.settings import MarketSettings
from bot.supervision import cancel_and_wait
from bot.tracking.orders import OrderState, OrderTracker, TrackedOrder
from bot.trading.dependencies import (BookTop, Fatal, Gatekeeper, HedgeProgress, HedgeVenue, MakerFigures, MidFeed,
                                      QuoteRecord, QuoteRisk)
from bot.venues.hubble.chain_logs import hex_id
from bot.venues.maker_venue import MakerVenue, QuoteRules, display_name, rules_of

log = logging.getLogger("quoter")
CANCEL_IF_LIVES_LONGER = 1.0       # seconds: a quote dying sooner than this is left to expire
CANCEL_ATTEMPTS = 3                # cancel transactions per quote before it is reported as left resting
RETRY_SOON = 0.02                  # seconds: a tick that met a momentary pause (a hedge in flight) is retried
HARMLESS_PAUSES = ("hedge in flight", "starting")   # pauses that do not make resting quotes dangerous
GAP_WAKES = ("hedged", "gate reopening")          # wakes that change no price: only levels resting nothing are placed


class Quoter:
    def __init__(self, *, settings: MarketSettings, maker: MakerVenue, tracker: OrderTracker, journal: QuoteRecord,
                 mid_feed: MidFeed, book_feed: BookTop, hedge: HedgeVenue | None, hedges: HedgeProgress,
                 figures: MakerFigures, gatekeeper: Gatekeeper, risk: QuoteRisk, latencies: Latencies, fatal: Fatal,
                 alerts: Alerts = NO_ALERTS):
        self.s = settings
        self.maker = maker                  # the maker venue (bot/venues/maker_venue.py)
        self.market = getattr(maker, "market", settings.spec.hubble_id)
        self.venue = getattr(maker, "venue", "hubble")
        self.tracker = tracker
        self.journal = journal
        self.mid_feed = mid_feed
        self.book_feed = book_feed
        self.hedge = hedge                  # the hedge venue's client (None without hedge mode)
        self.hedges = hedges
        self.figures = figures
        self.gatekeeper = gatekeeper
        self.risk = risk
        self.latencies = latencies
        self.fatal = fatal
        self.alerts = alerts
        self.quoting = True
        self.pause_reason: str | None = "starting"
        self.skipped: list[str] = []        # levels left out by the last build, and why
        self.last_quotes: list[quoting.Quote] = []
        self.ticks = 0                      # quote-loop iterations (tests wait on it)
        self.first_quote_at: float | None = None
        self._cancel_task: asyncio.Task | None = None     # the background canceller
        self._cancel_queue: list[TrackedOrder] = []
        self._settlers: set[asyncio.Task] = set()          # unanswered placements being settled
        self._cancelling: dict[str, TrackedOrder] = {}    # queued or being cancelled, by order id
        self._wake = asyncio.Event()
        self._wake_reason = ""
        self._filled_at = {quoting.BID: -1e18, quoting.ASK: -1e18}   # monotonic time of each side's last fill
        self._fill_hedge = {quoting.BID: 0, quoting.ASK: 0}          # the hedger's intake of each side's last fill

    # ---- waking ----------------------------------------------------------------------------------
    def wake(self, reason: str) -> None:
        """Quote now rather than at the next tick (the mid moved, a side's hedge finished, a gate reopened)."""
        if not self._wake_reason or self._wake_reason in GAP_WAKES:    # a price reason outranks a gap-filling one
            self._wake_reason = reason
        self._wake.set()

    def on_hedges_done(self) -> None:
        """Every hedge is done (the hedger's on_idle): a side that waited for its fill's hedge may quote."""
        self.wake("hedged")

    def on_fill(self, side: int, hedge_intake: int = 0) -> None:
        """A quote of `side` filled: that side waits for that fill's hedge (and orderFillCooldown); the other
        side, and this one once its own hedge is done, go on whatever else the hedger is doing."""
        self._filled_at[side] = time.monotonic()
        self._fill_hedge[side] = hedge_intake

    def paused_side(self, side: int) -> str | None:
        if time.monotonic() - self._filled_at[side] < self.s.order_fill_cooldown:
            return "fill cooldown"
        if self._fill_hedge[side] and not self.hedges.finished(self._fill_hedge[side]):
            return "hedging its last fill"
        return None

    # ---- the loop ----------------------------------------------------------------------------
    async def run(self) -> None:
        await self._first_tick()
        period = self.s.order_frequency
        while self.quoting:
            reason = await self._next(period - (time.time() % period))   # ticks on whole multiples of the period
            if not self.quoting:
                return
            await self.tick(reason)

    async def _next(self, timeout: float) -> str:
        """The next tick, or an earlier wake; returns why."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        reason, self._wake_reason = self._wake_reason or "tick", ""
        self._wake.clear()
        return reason

    async def tick(self, reason: str = "tick") -> None:
        self.ticks += 1
        self.pause_reason = self.gatekeeper.gate()
        self.alerts.gate(self.pause_reason)
        if self.pause_reason is None:
            await self.quote_once(moved=reason == "mid moved", gaps_only=reason in GAP_WAKES)
        elif self.pause_reason.startswith(HARMLESS_PAUSES):
            self.tracker.live_quotes()          # keeps the tracker's window of recent quotes trimmed
            asyncio.get_running_loop().call_later(RETRY_SOON, self.wake, "gate reopening")
        else:
            self.cancel_long_lived(self.pause_reason)

    async def _first_tick(self, poll: float = 0.01) -> None:
        """Quote as soon as every gate opens at start-up, not at the next whole period.

        Polls the gates for at most two periods; after that (a feed still down)
        the periodic loop takes over and reports why it waits.
        """
        deadline = time.monotonic() + 2 * self.s.order_frequency
        while self.quoting and time.monotonic() < deadline:
            self.pause_reason = self.gatekeeper.gate()
            if self.pause_reason is None:
                self.ticks += 1
                await self.quote_once()
                return
            await asyncio.sleep(poll)

    # ---- building and sending ---------------------------------------------------------------------
    def _hedgeable_check(self, live: list[TrackedOrder]) -> Callable[[Decimal], bool]:
        """can_open_position for a side's cumulative quote size plus what already rests on that side
        (taken once per tick: they cannot change while one tick builds its quotes)."""
        resting = {side: sum((q.unfilled for q in live if q.side == side), Decimal(0)) for side in (1, -1)}

        def hedgeable(size: Decimal) -> bool:
            rest = resting[-1 if size > 0 else 1]   # a hedge that buys covers our asks
            return self.hedge.can_open_position(size + (rest if size > 0 else -rest))

        return hedgeable

    def _profit_bound(self) -> quoting.ProfitBound:
        """The worst price at which each level, hedged at once at the hedge venue's book (walked past the levels
        before it), still earns minProfit after the hedge venue's taker fee and Hubble's maker fee."""
        book = self.hedge.book
        taker, maker = Decimal(str(self.hedge.taker_rate)), self.figures.maker_fee
        target = self.s.min_profit_pct / 100

        def bound(side: int, before: Decimal, qty: Decimal) -> Decimal | None:
            levels = book.bids if side == quoting.BID else book.asks   # a filled bid is hedged by a sell
            price = hm.slice_vwap(levels, before, qty)
            return None if price is None else quoting.profitable_price(side, price, taker, maker, target)

        return bound

    def _extra_spread(self) -> Decimal:
        """volatilitySpread x the mid's realised volatility over a quote's life (returns of the 1 s mid samples)."""
        if self.s.volatility_spread <= 0:
            return Decimal(0)
        mids = [mid for _, mid in self.mid_feed.history]
        returns = [(b - a) / a for a, b in zip(mids, mids[1:]) if a > 0]
        if len(returns) < 10:
            return Decimal(0)
        mean = sum(returns, Decimal(0)) / len(returns)
        variance = sum(((r - mean) ** 2 for r in returns), Decimal(0)) / (len(returns) - 1)
        return self.s.volatility_spread * (variance * Decimal(str(self.s.order_expiry))).sqrt()

    def _inventory_shift(self) -> Decimal:
        """A fraction of the price to move both sides by: for the residual carried unhedged (a positive carry,
        still to buy on the hedge venue, raises both so our bid fills first) and, through the risk engine,
        for a Hubble position above inventoryTarget."""
        lot = min(level.qty for level in self.s.levels)
        shift = self.risk.shift(lot)
        if self.s.inventory_skew_pct <= 0 or self.hedge is None or not self.hedge.carried:
            return shift
        return shift + self.s.inventory_skew_pct / 100 * self.hedge.carried / lot

    def build(self, live: list[TrackedOrder]) -> list[quoting.Quote]:
        s, fraction = self.s, self.figures.margin_fraction
        budget = quoting.budgets(self.figures.account, self.market, fraction, s.margin_share, s.defensive_skew_pct)
        budget = quoting.less_committed(budget, {side: sum((q.unfilled * q.price for q in live if q.side == side),
                                                           Decimal(0)) * fraction for side in (1, -1)})
        extra, shift = self._extra_spread(), self._inventory_shift()
        budget = quoting.Budget(budget.bid, budget.ask, budget.skew_bid + extra - shift, budget.skew_ask + extra + shift)
        skipped: list[str] = []
        rules = self.rules()
        quotes = quoting.build_quotes(self.mid_feed.mid, s.levels, budget, fraction, rules.price_tick,
                                      rules.min_size, self.book_feed.best_bid, self.book_feed.best_ask,
                                      s.avoid_crossing, self._hedgeable_check(live) if self.hedge else None,
                                      self._profit_bound() if self.hedge else None, skipped)
        for side, name in ((quoting.BID, "bids"), (quoting.ASK, "asks")):
            why = self.paused_side(side)
            if why:
                quotes = [q for q in quotes if q.side != side]
                skipped.append(f"{name}: {why}")
        self.skipped = skipped
        return quotes

    async def quote_once(self, moved: bool = False, gaps_only: bool = False) -> None:
        """One quote set. `gaps_only` (a wake after a hedge, or a gate reopening: nothing about the prices
        changed) places only the levels that rest nothing, and replaces no resting quote: prices are refreshed
        at the period's tick or when the mid moves, not at every fill (each fill would otherwise requote every
        level, which at a few fills a second reaches the venues' order limits and maxOrderRate)."""
        tick = time.perf_counter()
        now = time.time()
        live = self.tracker.live_quotes(now)
        quotes = self.build(live)
        self.last_quotes = quotes
        self._watch_mid()
        if moved:
            self._cancel_overtaken(live, quotes)
        quotes = [q for q in quotes if not self._still_resting(q, live, now)]
        if gaps_only:
            quotes = [q for q in quotes if not any(o.side == q.side and o.level == q.level
                                                   and o.order_id not in self._cancelling for o in live)]
        quotes, replaced = self._replacing(quotes, live, now)
        # the pre-trade check, on what would be sent, against all that rests
        quotes, refused = self.risk.check_quotes(quotes, live, self.mid_feed.mid, replaced)
        self.skipped += refused
        modifies, replaced = self._pair_for_modify(quotes, replaced)
        self._request_cancel(replaced, "cancelling {} quotes replaced by new ones")
        if not quotes:
            return
        orders = [self.maker.sign(self.market, q.signed_size, q.price, self.s.order_expiry) for q in quotes]
        self.risk.placed(len(orders))
        for quote, order in zip(quotes, orders):   # recorded before sending: a fill may beat the reply
            self.tracker.add_quote(order, quote.level)
        self.journal.record([q.signed for q in live] + orders)
        pairs = [(modifies[id(q)], o) for q, o in zip(quotes, orders) if id(q) in modifies]
        fresh = [o for q, o in zip(quotes, orders) if id(q) not in modifies]
        said: list[bool] = []

        def sent() -> None:                  # once per tick, by whichever request goes out first
            if not said:
                said.append(True)
                self._on_sent(orders, tick)

        await asyncio.gather(*([self._send(fresh, sent)] if fresh else []),
                             *([self._send_modifies(pairs, sent)] if pairs else []))

    async def _send(self, orders: list, on_sent: Callable[[], None]) -> None:
        try:
            results = await self.maker.place(orders, on_sent=on_sent)
        except Exception as exc:
            self._unanswered(orders, exc, "the placement")
            return
        self.tracker.on_quotes_answer(orders, results)
        self._stop_on_operator_refusal(results)

    def _unanswered(self, orders: list, exc: Exception, what: str) -> None:
        for order in orders:     # they may have reached the venue: counted as resting until settled
            self.tracker.mark(order.order_id, OrderState.UNKNOWN, f"no answer to {what} ({exc})")
        log.warning("%s of %d quotes failed: %s: %s", what, len(orders), type(exc).__name__, exc)
        self.tracker.count_quotes(len(orders), 0)
        self._settle_unknown(orders)

    # ---- requotes by modify (a venue that has it: Hyperliquid's batchModify) ----------------------------
    def _pair_for_modify(self, quotes: list[quoting.Quote], replaced: list[TrackedOrder]
                         ) -> tuple[dict[int, TrackedOrder], list[TrackedOrder]]:
        """With requoteByModify on a maker venue that can modify: each new quote takes over one replaced quote
        of its side and level (one action, never both resting); the replaced quotes left over are cancelled."""
        if not (self.s.requote_by_modify and hasattr(self.maker, "replace")):
            return {}, replaced
        spare = list(replaced)
        modifies: dict[int, TrackedOrder] = {}
        for quote in quotes:
            old = next((q for q in spare if q.side == quote.side and q.level == quote.level
                        and q.state is not OrderState.UNKNOWN and q.order_id not in self._cancelling), None)
            if old is not None:
                spare.remove(old)
                modifies[id(quote)] = old
        return modifies, spare

    async def _send_modifies(self, pairs: list[tuple[TrackedOrder, object]], on_sent: Callable[[], None]) -> None:
        new = [order for _, order in pairs]
        try:
            results = await self.maker.replace([(old.signed, order) for old, order in pairs], on_sent=on_sent)
        except Exception as exc:
            self._unanswered(new, exc, "the modify")
            self._settle_unknown([old.signed for old, _ in pairs])     # the old ones may or may not be replaced
            return
        self.tracker.on_quotes_answer(new, results)
        refused = []
        for (old, _), result in zip(pairs, results):
            if result.get("success"):
                self.tracker.mark(old.order_id, OrderState.CANCELLED, "replaced by a modify (the venue accepted it)")
            else:
                refused.append(old)          # the venue left it as it was: it is cancelled the usual way
        self._request_cancel(refused, "cancelling {} quotes whose modify the venue refused")
        self._stop_on_operator_refusal(results)

    def rules(self) -> QuoteRules:
        """The maker venue's tick, step and minimum (Hubble's from the market spec)."""
        return rules_of(self.maker, self.s.spec)

    def _stop_on_operator_refusal(self, results: list[dict]) -> None:
        for result in results:
            error = str(result.get("error") or "")
            remedy = self.maker.operator_remedy(error) if hasattr(self.maker, "operator_remedy") else None
            if remedy is not None:
                self.quoting = False
                self.fatal(f"{self.venue} refuses this bot's quotes ({error}): {remedy}", 78)
                return

    def _settle_unknown(self, orders: list) -> None:
        """Quotes whose placement went unanswered on a venue where quotes rest until cancelled: once the
        placement provably can no longer land (its action's deadline), cancel them and ask the venue about
        each, so none is counted as resting for ever (Hubble's expire by themselves)."""
        if getattr(self.maker, "quotes_expire", True):
            return
        tracked = [q for q in (self.tracker.get(o.order_id) for o in orders) if q is not None]
        wait = max(0.0, max(self.maker.dead_after(o) for o in orders) - time.time())

        async def settle() -> None:
            await asyncio.sleep(wait)
            await self.cancel(tracked, timeout=10.0)

        task = asyncio.create_task(settle())
        self._settlers.add(task)
        task.add_done_callback(self._settlers.discard)

    def _still_resting(self, quote: quoting.Quote, live: list[TrackedOrder], now: float) -> bool:
        """Keep, rather than re-place, a level whose live quote has the same size, a price within the
        level's refreshTolerance (percent) of the new one, and outlives the next tick."""
        tolerance = self.s.levels[quote.level - 1].refresh_tolerance_pct
        horizon = now + self.s.order_frequency
        return any(q.side == quote.side and q.level == quote.level and (q.expire_at or 0) > horizon
                   and q.state is not OrderState.UNKNOWN and q.unfilled == quote.qty
                   and q.order_id not in self._cancelling
                   and abs(q.price - quote.price) * 100 <= tolerance * quote.price
                   for q in live)

    def _on_sent(self, orders, tick: float) -> None:
        for order in orders:
            self.tracker.mark(order.order_id, OrderState.SENT, "written to the node")
        self.latencies.add("quote_tick_to_orders_sent", time.perf_counter() - tick)
        if self.first_quote_at is None:
            self.first_quote_at = time.monotonic()
            if self.hedge is not None:
                self.hedge.budget.mark()
            log.info("first quotes sent")

    def _watch_mid(self) -> None:
        """Requote as soon as the mid leaves the one these quotes were priced on by requoteOnMove."""
        self.mid_feed.watch(self.mid_feed.mid, self.s.requote_on_move_pct / 100, lambda: self.wake("mid moved"))

    def _cancel_overtaken(self, live: list[TrackedOrder], quotes: list[quoting.Quote]) -> None:
        """After a move: cancel resting quotes more aggressive than what the new prices allow (a bid above the
        new bid of its level, an ask below), unless they die within a second anyway."""
        new = {(q.side, q.level): q.price for q in quotes}
        horizon = time.time() + CANCEL_IF_LIVES_LONGER
        overtaken = [q for q in live if (q.expire_at or 0) > horizon
                     and (q.side, q.level) in new and (q.price - new[(q.side, q.level)]) * q.side > 0]
        self._request_cancel(overtaken, "mid moved: cancelling {} quotes the new prices no longer allow")

    def _replacing(self, quotes: list[quoting.Quote], live: list[TrackedOrder],
                   now: float) -> tuple[list[quoting.Quote], list[TrackedOrder]]:
        """The new quotes to place, and the live ones they replace (to be cancelled).

        A level rests at most one quote that outlives the next second besides the one being placed; while
        it holds two such, it is not quoted again. A replaced quote that would outlive the next period too
        (a long orderExpiry) is cancelled; one that dies sooner is left to expire, since a cancel is a
        transaction with a gas cost and the quote is gone within a period anyway. Quotes in their last
        second are not counted: the node rounds expiries up to whole seconds, so consecutive sets overlap
        by up to a second by design, and counting that would hold back every requote of the second after
        each tick. So whatever orderExpiry and orderFrequency are, each side rests
        at most its configured levels plus one set being replaced."""
        horizon = now + CANCEL_IF_LIVES_LONGER
        outlives_next_period = horizon + self.s.order_frequency
        lasting: dict[tuple[int, int | None], list[TrackedOrder]] = {}
        for q in live:
            if (q.expire_at or 0) > horizon:
                lasting.setdefault((q.side, q.level), []).append(q)
        place, replaced = [], []
        for quote in quotes:
            old = lasting.get((quote.side, quote.level), [])
            if len(old) >= 2:
                self.skipped.append(f"{'bid' if quote.side == quoting.BID else 'ask'} level {quote.level}: "
                                    "the quote it replaces is still resting")
                continue
            place.append(quote)
            replaced += [q for q in old if (q.expire_at or 0) > outlives_next_period]
        return place, replaced

    # ---- cancelling ------------------------------------------------------------------------------------
    def cancel_long_lived(self, reason: str) -> None:
        """Quoting paused for `reason`: cancel quotes that would otherwise live on (in the background)."""
        horizon = time.time() + CANCEL_IF_LIVES_LONGER
        doomed = [q for q in self.tracker.live_quotes() if (q.expire_at or 0) > horizon]
        self._request_cancel(doomed, f"quoting paused ({reason}): cancelling {{}} resting quotes rather than "
                                     "leaving them to fill")

    def _request_cancel(self, quotes: list[TrackedOrder], why: str) -> None:
        """Queue quotes for the background canceller (each once while its cancel is in hand)."""
        new = [q for q in quotes if q.order_id not in self._cancelling]
        if not new:
            return
        log.info(why.format(len(new)))
        for q in new:
            self._cancelling[q.order_id] = q
        self._cancel_queue += new
        if self._cancel_task is None or self._cancel_task.done():
            self._cancel_task = asyncio.create_task(self._cancel_worker())

    async def _cancel_worker(self) -> None:
        while self._cancel_queue:
            batch, self._cancel_queue = self._cancel_queue, []
            try:
                await self.cancel(batch, timeout=10.0)
            finally:
                for q in batch:
                    self._cancelling.pop(q.order_id, None)

    async def cancel(self, quotes: list[TrackedOrder], timeout: float) -> int:
        """Cancel quotes on chain and check each one's fate; returns how many the node confirmed cancelled.

        A cancel is a transaction, and one can fail before it reaches the node (refused for gas, an RPC
        error, a timeout) or never be mined. Each quote the receipt does not confirm is asked about; one the
        node still holds is cancelled again in a new transaction, at most CANCEL_ATTEMPTS times within
        `timeout`. Quotes still resting after that are named in one ERROR line with the reasons."""
        deadline = time.monotonic() + timeout
        left, confirmed, reasons = [q for q in quotes], 0, []
        for _attempt in range(CANCEL_ATTEMPTS):
            budget = deadline - time.monotonic()
            if not left or budget <= 0.1:
                break
            try:
                results = await asyncio.wait_for(self.maker.cancel([q.signed for q in left], timeout=budget * 0.8),
                                                 budget)
            except Exception as exc:  # noqa: BLE001 - the node is asked about each quote below
                results = [{"order_id": q.order_id, "success": False, "error": f"{type(exc).__name__}: {exc}",
                            "unknown": True}
                           for q in left]
            done, unconfirmed = self._cancel_results(left, results, reasons)
            confirmed += done
            left = await self._still_held(unconfirmed, deadline)
        if left:
            if self.venue == "hubble":
                log.error("%d quotes still rest on Hubble after cancelling (%s); they can fill until they expire at "
                          "%s: check the node and the trader's native USDC for gas (cancels are transactions)",
                          len(left), "; ".join(dict.fromkeys(reasons)) or "no answer",
                          time.strftime("%H:%M:%S", time.localtime(max(q.expire_at or 0 for q in left))))
            else:
                log.error("%d quotes still rest on %s after cancelling (%s); they can fill until cancelled: check "
                          "the open orders there and cancel them by hand if the venue stays unreachable", len(left),
                          display_name(self.venue), "; ".join(dict.fromkeys(reasons)) or "no answer")
        return confirmed

    def _cancel_results(self, quotes: list[TrackedOrder], results: list[dict],
                        reasons: list[str]) -> tuple[int, list[TrackedOrder]]:
        """Apply a cancel's per-order results; returns (confirmed, quotes whose fate is still open)."""
        by_id = {hex_id(r.get("order_id", "")): r for r in results}
        confirmed, unconfirmed, refused, unanswered = 0, [], 0, []
        for q in quotes:
            result = by_id.get(hex_id(q.order_id), {"success": False, "error": "no result for it", "unknown": True})
            if result.get("success"):
                confirmed += 1
                self.tracker.mark(q.order_id, OrderState.CANCELLED, f"cancel confirmed by {display_name(self.venue)}")
                continue
            unconfirmed.append(q)
            reasons.append(str(result.get("error")))
            if _refused_by_contract(result):
                refused += 1
            else:
                unanswered.append(reasons[-1])
        # A refusal in the receipt (OrderCancelRejected) is the contract saying the order is no longer open
        # (filled, cancelled, expired) - routine when a quote fills or expires as its cancel is mined. Its
        # texts are not confirmed by a public source, so each such quote is still asked about, but only a
        # cancel with no answer (an error, a receipt that does not name it) is worth a warning.
        if len(unconfirmed) > refused:
            log.warning("cancel of %d of %d quotes not confirmed (%s): asking %s about each",
                        len(unconfirmed) - refused, len(quotes), "; ".join(dict.fromkeys(unanswered)),
                        display_name(self.venue))
        elif refused:
            log.info("cancel of %d of %d quotes refused by %s (no longer open): checking each with it", refused,
                     len(quotes), "the contract" if self.venue == "hubble" else display_name(self.venue))
        return confirmed, unconfirmed

    async def _still_held(self, quotes: list[TrackedOrder], deadline: float) -> list[TrackedOrder]:
        """Those of `quotes` the node still holds open (an unanswered question counts as held)."""
        if not quotes:
            return []
        try:
            statuses = await asyncio.wait_for(asyncio.gather(*(self.maker.order_status(q.order_id) for q in quotes),
                                                             return_exceptions=True),
                                              max(0.1, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            return quotes
        held = []
        for q, status in zip(quotes, statuses):
            if status is None:
                self.tracker.mark(q.order_id, OrderState.CANCELLED, "the node no longer holds it")
            else:
                held.append(q)
        return held

    def tasks(self) -> list[asyncio.Task]:
        return ([self._cancel_task] if self._cancel_task is not None else []) + list(self._settlers)

    async def stop(self) -> None:
        self.quoting = False
        if self._cancel_task is not None:
            await cancel_and_wait([self._cancel_task])


def _refused_by_contract(result: dict) -> bool:
    """A per-order cancel result that is the contract's own refusal (an OrderCancelRejected event), not a
    failed or unread transaction."""
    return not result.get("unknown")
