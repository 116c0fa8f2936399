"""The hedge worker: turns Hubble position changes into hedge orders, at once, exactly once.

``add`` is called synchronously by the fill handler (it never waits). A task
takes whatever is pending when it first runs, so the fills of one loop
iteration are netted into one order; a fill that lands while hedges are in
flight gets its own order at once instead of waiting for their answers (the
client claims and returns its carry per call, so concurrent hedges never
count a residual twice nor lose one). Differences the reconciler finds on
the venues are hedged by orders of their own, booked apart in the ledger.
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from decimal import Decimal
from typing import Callable

from bot.errors import ConfigurationProblem
from bot.reporting.alerts import NO_ALERTS, Alerts
from bot.reporting.journal import EventJournal
from bot.reporting.performance import Latencies
from bot.supervision import cancel_and_wait
from bot.tracking.fills import FillLedger
from bot.trading.dependencies import Fatal
from bot.venues.hedge_base import HedgeClient

log = logging.getLogger("hedger")
ZERO = Decimal(0)
PRESSURE_FROM = 0.5                  # share of the request budget from which hedges net longer
PRESSURE_NETTING = (0.1, 0.5)        # seconds of netting at PRESSURE_FROM and with the share used up


class Hedger:
    def __init__(self, *, client: HedgeClient, ledger: FillLedger, latencies: Latencies, fatal: Fatal,
                 netting_window: float = 0.0, journal: EventJournal | None = None, alerts: Alerts = NO_ALERTS):
        self.client = client
        self.netting_window = netting_window   # seconds a hedge waits for more fills to net with
        self.journal = journal
        self.on_idle: Callable[[], None] = lambda: None   # told when every hedge is done
        self.alerts = alerts
        self.ledger = ledger
        self.latencies = latencies
        self.fatal = fatal
        self.pending = ZERO                  # signed hedge-venue size not yet handed to an order
        self._pending_since: deque[float] = deque()
        self._seq = 0                        # intake number of the last add()
        self._pending_seqs: list[int] = []   # intakes in `pending`
        self._open_seqs: set[int] = set()    # intakes whose hedge has not finished
        self._queued = False                 # a task is created but has not taken the pending size yet
        self.in_flight = 0
        self.sends = 0                       # hedge calls started (the reconciler checks nothing moved)
        self.failed = False
        self._netting_said = False           # the longer netting under request pressure was said
        self.idle = asyncio.Event()
        self.idle.set()
        self._tasks: set[asyncio.Task] = set()

    # ---- intake (synchronous) ----------------------------------------------------------------------
    def add(self, size: Decimal, received: float) -> int:
        """Hedge signed hedge-venue `size` (a filled Hubble bid is hedged by a sell: negative); returns the
        intake's number, for ``finished`` (0 for nothing to hedge)."""
        if size == 0:
            return 0
        self._seq += 1
        self._pending_seqs.append(self._seq)
        self._open_seqs.add(self._seq)
        self.pending += size
        self._pending_since.append(received)
        self.idle.clear()
        if not self._queued:
            self._queued = True
            self._start(self._hedge_pending())
        return self._seq

    def finished(self, seq: int) -> bool:
        """Has the hedge of intake `seq` (and whatever it was netted with) finished?"""
        return seq not in self._open_seqs

    def add_reconciliation(self, size: Decimal) -> None:
        """Hedge a difference found on the venues, in an order of its own (booked as reconciliation)."""
        if size == 0:
            return
        self.idle.clear()
        self._start(self._hedge_once(size, [], reconciliation=True))

    def carry_is_a_lot(self) -> bool:
        """Has the client's carried residual grown to one lot of the venue (its price moved, or a partial fill
        left what is too small at the order's limit but not at the touch)?"""
        lot = self.client.lot()
        return lot is not None and self.client.carried != 0 and abs(self.client.carried) >= lot

    def send_carry(self) -> None:
        """Hedge the client's carried residual now: an order of its own, booked as a hedge. The hedger owns
        the carry, so nothing else sends it (the reconciler counts it as outstanding work)."""
        if self.client.carried == 0 or self.failed:
            return
        log.info("sending the carried residual of %s %s", self.client.carried, self.client.venue)
        self.idle.clear()
        self._start(self._hedge_once(ZERO, [], carry=True))

    def _after_hedge(self, carry_send: bool) -> None:
        """A hedge that leaves a carry of a lot is followed by a send of it at once; a send that still leaves
        one is retried by the positions watcher at its next poll (never a tight loop)."""
        if not carry_send and not self.failed and self.carry_is_a_lot():
            self.send_carry()

    def _start(self, coro) -> None:
        self.in_flight += 1
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        self.in_flight -= 1
        if self.in_flight == 0 and (self.pending == 0 or self.failed):
            self.idle.set()
            self.on_idle()

    # ---- reading --------------------------------------------------------------------------------------
    def outstanding(self) -> Decimal:
        """Signed hedge-venue size decided but not on the venue: pending plus the client's carry.
        Exact only while idle (an order in flight may already have executed)."""
        return self.pending + self.client.carried

    async def wait_idle(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self.idle.wait(), max(0.0, timeout))
            return True
        except asyncio.TimeoutError:
            return False

    # ---- work ---------------------------------------------------------------------------------------------
    def _window(self) -> float:
        """How long a hedge waits for more fills to net with: hedgeNettingWindow, or longer while hedge orders
        use much of this process's share of the venue's limits (a 429 or a ban would hold every hedge up far
        longer than netting does): from PRESSURE_FROM of the share, 0.1 s, growing to 0.5 s when it is used up."""
        budget = getattr(self.client, "budget", None)
        pressure = budget.pressure() if budget is not None else 0.0
        if pressure < PRESSURE_FROM:
            if self._netting_said:
                log.info("%s: hedge orders are back under %d%% of this process's share of the venue's limits: "
                         "netting for %.3fs again", self.client.venue, PRESSURE_FROM * 100, self.netting_window)
                self._netting_said = False
            return self.netting_window
        extra = PRESSURE_NETTING[0] + (PRESSURE_NETTING[1] - PRESSURE_NETTING[0]) * min(
            1.0, (pressure - PRESSURE_FROM) / (1 - PRESSURE_FROM))
        if not self._netting_said:
            log.warning("%s: requests use %.0f%% of this process's share of the venue's limits: fills are netted for "
                        "up to %.2fs before hedging (each hedge that much later) until it falls; more market "
                        "processes or a hedgeNettingWindow spread the load", self.client.venue, pressure * 100,
                        PRESSURE_NETTING[1])
            self._netting_said = True
        return max(self.netting_window, extra)

    async def _hedge_pending(self) -> None:
        window = self._window()
        if window > 0:                       # fills arriving meanwhile join this order (no new task is queued)
            await asyncio.sleep(window)
        self._queued = False
        if self.failed:      # stopping: the pending size is left for the restart's reconciliation
            return
        size, self.pending = self.pending, ZERO
        received = list(self._pending_since)
        self._pending_since.clear()
        seqs, self._pending_seqs = self._pending_seqs, []
        try:
            if size != 0:
                await self._hedge_once(size, received)
        finally:
            if not self.failed:              # a failed hedge keeps its sides paused: the bot is stopping
                self._open_seqs.difference_update(seqs)

    async def _hedge_once(self, size: Decimal, received: list[float], reconciliation: bool = False,
                          carry: bool = False) -> None:
        bid, ask = self.client.best_bid_ask()
        reference = ask if size > 0 else bid
        self.sends += 1
        try:
            result = await self.client.hedge(size)
        except Exception as exc:
            # What did fill is booked; the rest stays in the client's carry. Stop the bot: quotes are
            # cancelled on the way out and the restart reconciles the position.
            partial = getattr(exc, "result", None)
            if partial is not None:
                self.ledger.record_hedge(partial.filled, partial.avg_price, partial.fee, reference, reconciliation)
            self.failed = True
            message = f"hedge of {size} on {self.client.venue} failed: {exc}; the restart reconciles the position"
            self.alerts.hedge_failed(size, self.client.venue, str(exc))
            if isinstance(exc, ConfigurationProblem):
                self.fatal(message, 78)      # the operator must fix the account first: pm2 does not restart
            else:
                self.fatal(message)
            return
        if result.attempts and result.book_age is not None:
            self.latencies.add("hedge_book_age", result.book_age)
        if result.attempts:
            for t in received:
                self.latencies.add("fill_to_hedge_sent", result.sent_at - t)
                self.latencies.add("fill_to_hedge_confirmed", result.confirmed_at - t)
        self.ledger.record_hedge(result.filled, result.avg_price, result.fee, reference, reconciliation)
        if result.filled and self.journal is not None:
            first = min(received) if received else None
            self.journal.write("hedge", filled=result.filled, avg_price=result.avg_price, fee=result.fee,
                               reference=reference, reconciliation=reconciliation,
                               slippage_usd=((result.avg_price - reference) * result.filled
                                             if reference is not None and result.avg_price is not None else None),
                               sent_ms=round((result.sent_at - first) * 1000, 3) if first is not None else None,
                               confirmed_ms=round((result.confirmed_at - first) * 1000, 3) if first is not None else None)
        if result.filled:
            log.info("HEDGE%s %s %s on %s @ %s (fee %s, carried %s)", " (reconciliation)" if reconciliation else "",
                     "bought" if result.filled > 0 else "sold", abs(result.filled), self.client.venue,
                     result.avg_price, result.fee, result.carried)
        self._after_hedge(carry)

    def tasks(self) -> list[asyncio.Task]:
        return list(self._tasks)

    async def stop(self) -> None:
        await cancel_and_wait(list(self._tasks))
