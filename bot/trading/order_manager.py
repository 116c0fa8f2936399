"""OrderManager: the seed's coordinator of fills, positions, hedges and quotes, with an ordered life cycle.

It talks to the maker venue only through bot/venues/maker_venue.py (Hubble by default; Hyperliquid or
Binance with ``maker=``). The names that say "hubble" (``hubble_position``, ``ledger.hubble``) are the
maker leg's, from when Hubble was the only maker venue.

Start-up, in this order (each step waits for the one before):
  1. subscribe to the maker venue's fill stream and wait for its confirmation,
     so no fill can happen unseen from here on;
  2. clear the quotes an earlier run may have left resting (Hubble: from the
     quote journal, cancelled on chain or waited out until they expire; the
     others: the coin's open orders listed and cancelled, then the venue's
     dead-man switch armed);
  3. read the maker account and the venue's margin requirement;
  4. reconcile: hedge any difference between the two venues' positions;
  5. quote, while the positions watcher re-reads and re-compares both venues.

Fills are the business of the fill intake (``fill_intake.FillIntake`` for
Hubble: the trader stream, a gap's replay or a receipt;
``stream_fill_intake.StreamFillIntake`` for the others: the user stream and a
gap's read-back), booked once, and handed to their one owner (the hedger, or
the reconciler when it already hedged them). A carried
hedge residual that reaches one lot of the hedge venue is sent by the hedger
at once (it owns the carry), not left to wait for the next fill.

Stopping stays inside pm2's kill timeout: every step takes from one budget.
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
from decimal import Decimal
from pathlib import Path

from bot import supervision
from bot.maths import quoting
from bot.reporting.alerts import NO_ALERTS, Alerts
from bot.reporting.performance import Performance
from bot.risk.record import RiskStore
from bot.risk.risk_engine import RiskEngine
from bot.risk.unwind import Unwinder
from bot.settings import MarketSettings
from bot.supervision import Health, cancel_and_wait, supervise
from bot.tracking.fills import FillLedger
from bot.tracking.orders import OrderState, OrderTracker
from bot.tracking.reconciler import HubbleReading, Reconciler
from bot.trading.dependencies import Fatal, NoHedger
from bot.trading.fill_intake import FillIntake
from bot.trading.hedger import Hedger
from bot.trading.quoter import Quoter
from bot.trading.stream_fill_intake import StreamFillIntake
from bot.venues.hubble.quote_journal import QuoteJournal
from bot.venues.maker_venue import MakerVenue, display_name, rules_of, still_open

log = logging.getLogger("orders")
ZERO = Decimal(0)
SUBSCRIBE_TIMEOUT = 20.0           # seconds to wait for the trader stream's confirmation at start-up
CONFIRM_SECONDS = 2.0              # a difference must be seen twice this far apart before it is hedged
STARTUP_RECONCILE_TIMEOUT = 60.0
RISK_FIRST_READ_TIMEOUT = 5.0      # seconds the start-up waits for the risk engine's first reading of the venues
STATE_DIR = Path("state")
CARRY_PAUSE = "hedging a carried residual of one lot"


class NoJournal:
    """The quote journal of a venue whose open orders can be listed (nothing to keep on disk)."""

    def record(self, orders) -> None:
        pass

    def load_unexpired(self) -> list:
        return []


class OrderManager:
    def __init__(self, settings: MarketSettings, maker: MakerVenue, hedge, mid_feed, book_feed,
                 ledger: FillLedger, tracker: OrderTracker, perf: Performance, fatal: Fatal,
                 alerts: Alerts = NO_ALERTS):
        self.s = settings
        self.maker = self.hubble = maker          # `hubble`: the maker venue's older name (Hubble was the only one)
        self.venue = getattr(maker, "venue", "hubble")
        self.name = display_name(self.venue)
        self._answerer = "node" if self.venue == "hubble" else "venue"    # who confirms, in the stop's log lines
        self.market = getattr(maker, "market", settings.spec.hubble_id)
        self.hedge = hedge if settings.hedge_mode else None
        self.mid_feed = mid_feed
        self.book_feed = book_feed
        self.ledger = ledger
        self.tracker = tracker
        tracker.quote_venue = self.venue
        self.perf = perf
        self.fatal = fatal
        self.fill_feed_event = asyncio.Event()
        self.positions_event = asyncio.Event()
        self.risk_event = asyncio.Event()
        self.account: quoting.Account | None = None
        self.account_at = -math.inf
        self.margin_fraction: Decimal | None = None
        self.journal = (QuoteJournal(STATE_DIR / f"{settings.market.lower()}-quotes.json", maker.trader, self.market)
                        if getattr(maker, "quotes_expire", True) else NoJournal())
        self._tasks: set[asyncio.Task] = set()
        self._carry_said = False                   # the carry-of-a-lot warning was given
        self.maker_fee = Decimal(0)                # Hubble's, a fraction: read from chain at start
        self.account_block = 0                     # the accepted block the last account read was taken at
        self._booked_at_read = ZERO                # the ledger's maker delta when that read began
        # Hubble moves positions when a block is accepted, after the fill is streamed at head; the other maker
        # venues move them with the fill (bot/venues/maker_venue.py)
        self._positions_lag = getattr(maker, "positions_lag_fills", True)
        self.hedger = self._hedger(alerts) if self.hedge else None
        self.fills = self._fill_intake()
        self.reconciler = self._reconciler(alerts) if self.hedge else None
        self.risk = self._risk_engine(alerts)
        self.quoter = self._quoter(alerts)
        self._link_parts()

    # ---- the parts, each from its named dependencies ----------------------------------------------------
    def _hedger(self, alerts: Alerts) -> Hedger:
        return Hedger(client=self.hedge, ledger=self.ledger, latencies=self.perf.latencies, fatal=self.fatal,
                      netting_window=self.s.hedge_netting_window, journal=self.perf.journal, alerts=alerts)

    def _fill_intake(self) -> FillIntake | StreamFillIntake:
        """The venue's fill model (maker_venue.MakerVenue.fill_model): a chain's (blocks, reorgs, logs to replay a
        gap from) or a user stream's (final fills, the venue's fill list to read a gap back from)."""
        if getattr(self.maker, "fill_model", "chain") == "chain":
            return FillIntake(self.market, self.maker, self.tracker, self.ledger, self.perf, self._spawn, self.hedger)
        return StreamFillIntake(self.maker, self.tracker, self.ledger, self.perf, self._spawn, self.hedger)

    def _reconciler(self, alerts: Alerts) -> Reconciler:
        """The order manager reads the maker position (read_maker_position); the hedge client its own."""
        return Reconciler(maker_positions=self, hedge_positions=self.hedge, hedger=self.hedger, ledger=self.ledger,
                          fills=self.fills, confirm_seconds=CONFIRM_SECONDS, alerts=alerts, maker_name=self.name)

    def _risk_engine(self, alerts: Alerts) -> RiskEngine:
        """The risk engine over this order manager's positions, with its unwinder on the maker venue."""
        s, maker = self.s, self.maker
        rules = rules_of(maker, s.spec)
        unwinder = Unwinder(maker, self.tracker, self.market, s.market, rules.min_size, rules.price_tick)
        return RiskEngine(settings=s, maker=maker, hedge=self.hedge, positions=self, mid_feed=self.mid_feed,
                          unwinder=unwinder, store=RiskStore(risk_state_path(s.market), maker.trader),
                          alerts=alerts, on_halt=self._on_halt)

    def _quoter(self, alerts: Alerts) -> Quoter:
        """The order manager is the quoter's gatekeeper (gate) and holds the maker figures it sizes quotes on
        (account, margin_fraction, maker_fee)."""
        return Quoter(settings=self.s, maker=self.maker, tracker=self.tracker, journal=self.journal,
                      mid_feed=self.mid_feed, book_feed=self.book_feed, hedge=self.hedge,
                      hedges=self.hedger if self.hedger is not None else NoHedger(), figures=self, gatekeeper=self,
                      risk=self.risk, latencies=self.perf.latencies, fatal=self.fatal, alerts=alerts)

    def _link_parts(self) -> None:
        """The links that run both ways, set once both ends exist: the fill intake hands a fill the reconciler
        already covered to it, and tells the quoter which side filled; the hedger tells the quoter when every
        hedge is done (the quoter asks the hedger whether a fill's hedge finished)."""
        self.fills.reconciler = self.reconciler
        self.fills.on_side_filled = self.quoter.on_fill
        if self.hedger is not None:
            self.hedger.on_idle = self.quoter.on_hedges_done

    # ---- life cycle -----------------------------------------------------------------------------
    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def start(self) -> None:
        """Steps 1 to 4 of the docstring; the caller then runs ``run_quoting``."""
        self._spawn(supervise(f"{self.name} fill stream", self.fills.stream, self.fill_feed_event, self.fatal))
        try:
            await asyncio.wait_for(self.fills.subscribed.wait(), SUBSCRIBE_TIMEOUT)
        except asyncio.TimeoutError:
            raise TimeoutError(f"the {self.name} fill stream did not confirm its subscription in "
                               f"{SUBSCRIBE_TIMEOUT:.0f}s") from None
        self.fills.covered_block = await self.maker.head_block()
        await self.clear_earlier_quotes()
        self.margin_fraction = await self.maker.margin_requirement()
        await self._read_maker_fee()
        await self.read_maker_position()
        log.info("%s margin requirement %s: quotes sized at %sx", self.name, self.margin_fraction,
                 format((1 / self.margin_fraction).normalize(), "f"))
        if self.reconciler is not None:
            c = await self.reconciler.settle(STARTUP_RECONCILE_TIMEOUT)
            log.info("reconciled: %s %s, %s %s, net %s (carried below the venue minimum: %s)", self.name, c.hubble,
                     self.hedge.venue, c.hedge, c.net, self.hedge.carried)
        try:                                       # the state is known before the first quote
            await asyncio.wait_for(self.risk.evaluate(), RISK_FIRST_READ_TIMEOUT)
        except asyncio.TimeoutError:
            log.warning("the risk engine's first reading took over %.0fs (a venue slow to answer): quoting starts "
                        "on the limits it can check; the risk watcher keeps reading", RISK_FIRST_READ_TIMEOUT)
        self._spawn(supervise(f"{self.name} positions watcher", self._watch_positions, self.positions_event, self.fatal))
        self._spawn(supervise("risk engine", self.risk.watch, self.risk_event, self.fatal))
        self._spawn(supervision.keep_running("performance CSV", self._performance_rows, self.fatal))

    async def run_quoting(self) -> None:
        await supervision.keep_running("quote loop", self.quoter.run, self.fatal)

    # ---- earlier runs -----------------------------------------------------------------------------
    async def clear_earlier_quotes(self, timeout: float = 30.0) -> None:
        """An earlier run's quotes: Hubble's from the quote journal (cancelled, or waited out until they
        expire); the other venues' are listed and cancelled, and their dead-man switch armed."""
        await self.maker.clear_earlier_quotes(self.journal, timeout)

    async def _read_maker_fee(self) -> None:
        """The maker venue's maker fee (Hubble's from chain), for pricing quotes (and for PnL unless
        HUBBLE_MAKER_FEE_PCT is set)."""
        try:
            self.maker_fee = await self.maker.maker_fee()
        except Exception as exc:  # noqa: BLE001 - the quotes are then priced without the maker fee
            log.warning("%s maker fee unreadable (%s: %s): quotes priced without it", self.name, type(exc).__name__,
                        exc)
            return
        if self.ledger.maker_fee_pct == 0 and self.maker_fee != 0:
            self.ledger.maker_fee_pct = self.maker_fee * 100

    # ---- positions ------------------------------------------------------------------------------
    async def read_maker_position(self) -> HubbleReading:
        """Read the maker account (for quoting; the reconciler's MakerPositions); return the position in this
        market as it will be once every fill booked so far is accepted, the accepted block it was read at, and
        whether the read was consistent (taken at one accepted block: positions change at acceptance, fills are
        streamed at head)."""
        timeout = max(5.0, 2 * self.s.hubble_position_poll_interval)
        booked_before = self.ledger.hubble.delta
        reading = await asyncio.wait_for(self.maker.account_reading(), timeout)
        account, before, after = reading.account, reading.before, reading.after
        # Set together, with no await between: the read reflects an accepted block in [before, after], so
        # fills after `before` are added to it (a fill counted twice for a moment errs on the safe side of
        # the risk bounds; one counted in neither would not).
        self.account, self.account_at, self.account_block = account, time.monotonic(), before
        self._booked_at_read = booked_before
        position = self.account.position(self.market)
        size = position.size if position else ZERO
        if not self._positions_lag:
            # A venue whose position moves with the fill holds, in a read taken while no fill arrived, every
            # fill booked so far (the reconciler counts a read only then): its own figure, marked at its time.
            return HubbleReading(size, after, True)
        return HubbleReading(size + self.ledger.delta_after(after), after, before == after)

    async def _watch_positions(self, health: Health) -> None:
        while True:
            await self.fills.advance_covered_block(self.fill_feed_event.is_set())
            if self.reconciler is not None:
                await self.reconciler.check()
                self._send_carry_of_a_lot()
            else:
                await self.read_maker_position()
            health.ok()
            await asyncio.sleep(self.s.hubble_position_poll_interval)

    def _send_carry_of_a_lot(self) -> None:
        """The watcher's retry of the hedger's own carry rule (Hedger.send_carry_of_a_lot): a carried residual
        of one lot that a send did not clear is sent again at every poll; said once, not at every poll."""
        big = self.hedger.carry_is_a_lot()
        if big and self.hedger.idle.is_set():
            self.hedger.send_carry()
        if big and not self._carry_said:
            log.warning("%s %s carried unhedged, at least one lot (%s): hedging it; quoting waits until it is sent",
                        self.hedge.carried, self.hedge.symbol, self.hedge.lot())
        elif not big and self._carry_said:
            log.info("the carried residual is below one lot again (%s): quoting resumes", self.hedge.carried)
        self._carry_said = big

    async def settled_hubble_position(self, poll: float = 0.2) -> Decimal:
        """Hubble's own figure once every fill this run saw is accepted (positions move at acceptance,
        fills are streamed at head); the caller bounds the wait. Elsewhere the venue's figure at once."""
        while self._positions_lag:
            block = await self.maker.head_block()
            if self.ledger.delta_after(block) == 0:
                return await self.maker.position(self.market)
            await asyncio.sleep(poll)
        return await self.maker.position(self.market)

    def hubble_position_now(self) -> Decimal | None:
        """The maker position of the last account read plus every fill booked since (the risk engine's bound
        must count a fill the moment it is heard, not at the next poll): on Hubble the fills of later blocks,
        elsewhere those booked after the read began (one booked during the read counts twice for a moment:
        the safe side of the bounds)."""
        position = self.hubble_position()
        if position is None:
            return None
        if not self._positions_lag:
            return position + self.ledger.hubble.delta - self._booked_at_read
        return position + self.ledger.delta_after(self.account_block)

    def hedging(self) -> bool:
        return self.hedger is not None and not self.hedger.idle.is_set()

    async def cancel_side(self, side: int) -> None:
        live = [q for q in self.tracker.live_quotes() if q.side == side]
        if live:
            await self.quoter.cancel(live, timeout=5.0)

    def _on_halt(self, reason: str) -> None:
        """The kill switch tripped: cancel every resting quote now (not only the long-lived ones)."""
        live = self.tracker.live_quotes()
        if live:
            self._spawn(self._cancel_for_halt(live))

    async def _cancel_for_halt(self, live: list) -> None:
        confirmed = await self.quoter.cancel(live, timeout=10.0)
        log.warning("kill switch: %d of %d resting quotes cancelled (confirmed by %s)", confirmed, len(live), self.name)

    def hubble_position(self) -> Decimal | None:
        if self.account is None:
            return None
        position = self.account.position(self.market)
        return position.size if position else ZERO

    # ---- gates ------------------------------------------------------------------------------------
    def gate(self) -> str | None:
        """Why quoting must wait now, or None when every condition holds."""
        now = time.monotonic()
        hedge, reconciler = self.hedge, self.reconciler
        halted = self.risk.gate()
        if halted:
            return halted
        checks = [
            (self.risk_event.is_set(), "risk engine down"),
            (self.mid_feed.event.is_set(), "mid-price feed down"),
            (self.book_feed.event.is_set(), f"{self.name} order-book feed down"),
            (hedge is None or hedge.uptime.is_set(), "hedge venue down"),
            (hedge is None or not hedge.failing(), "a hedge is failing: retrying it"),
            (self.fill_feed_event.is_set(), f"{self.name} fill stream down"),
            (self.positions_event.is_set(), f"{self.name} positions watcher down"),
            (self.account is not None and self.margin_fraction, f"no {self.name} account data yet"),
            (self.mid_feed.age() <= self.s.mid_price_expiry, "mid price stale"),
            (now - self.account_at <= self.s.position_data_expiry, "position data stale"),
            (self.book_feed.age() <= self.book_feed.max_age(), f"{self.name} order book stale"),
            (hedge is None or hedge.book_age() <= hedge.max_book_age(), "hedge order book stale"),
        ]
        reason = next((reason for ok, reason in checks if not ok), None)
        if reason is None and self.hedger is not None and self.hedger.carry_is_a_lot():
            reason = CARRY_PAUSE
        return reason or (reconciler.gate() if reconciler else None)

    @property
    def pause_reason(self) -> str | None:
        return self.quoter.pause_reason

    # ---- stopping -------------------------------------------------------------------------------------
    async def shutdown(self, budget: float) -> None:
        """No new quotes; cancel what rests; let hedges finish; confirm with the node; last CSV row."""
        deadline = time.monotonic() + budget
        await self.quoter.stop()
        live = self.tracker.live_quotes()
        cancelled = 0
        if live:
            log.info("cancelling %d resting quotes", len(live))
            cancelled = await self.quoter.cancel(live, timeout=min(10.0, _left(deadline) / 3))
        if self.hedger is not None and not await self.hedger.wait_idle(_left(deadline) / 2):
            log.error("hedges still pending at shutdown: %s unhedged; the next start reconciles it",
                      self.hedger.pending)
        await self._confirm_nothing_resting(deadline - 2.0, cancelled)
        if self.hedger is not None:
            await self.hedger.wait_idle(_left(deadline) - 1.0)
        row = self.perf.cut_row()
        await asyncio.to_thread(self.perf.append_row, row)

    async def _confirm_nothing_resting(self, deadline: float, cancelled: int = 0) -> None:
        """Ask the node about each quote of this run that could still match (the node lists only Limit
        orders in getOpenOrders, so each signed quote is asked about by its id)."""
        candidates = [q for q in self.tracker.live_quotes()]
        if not candidates:
            log.info("no quotes left resting on %s (%s)", self.name, f"{cancelled} cancels confirmed by the {self._answerer}"
                     if cancelled else "the rest expired")
            return
        left = await still_open(self.maker, [q.signed for q in candidates], deadline)
        if left:
            log.error("%d quotes still resting on %s at exit (they expire by %s)", len(left), self.name,
                      time.strftime("%H:%M:%S", time.localtime(max(o.expire_at for o in left))))
        else:
            for q in candidates:
                self.tracker.mark(q.order_id, OrderState.CANCELLED, "the node no longer holds it")
            log.info("no quotes left resting on %s (the %s confirms)", self.name, self._answerer)

    async def stop_tasks(self, timeout: float = 4.0) -> None:
        """End every task of the order manager, the quoter's and the hedger's, within `timeout` in all."""
        tasks = (list(self._tasks) + self.quoter.tasks() + self.risk.tasks() + _tasks_of(self.maker)
                 + (self.hedger.tasks() if self.hedger else []))
        self.quoter.quoting = False
        await cancel_and_wait(tasks, timeout=timeout)

    async def _performance_rows(self) -> None:
        while True:
            await asyncio.sleep(self.s.performance_tracking_interval)
            row = self.perf.cut_row()
            path = await asyncio.to_thread(self.perf.append_row, row)
            log.info("performance row written to %s", path)


def risk_state_path(market: str) -> Path:
    """Where the kill switch and the loss baselines of `market` are kept (record.RiskStore)."""
    return STATE_DIR / f"{market.lower()}-risk.json"


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def _tasks_of(maker) -> list:
    tasks = getattr(maker, "tasks", None)
    return tasks() if callable(tasks) else []
