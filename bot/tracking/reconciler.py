"""The reconciler: the venues' own positions against the hedge work the bot knows of, all the time.

The bot's invariant is Hubble position + hedge position + outstanding hedge
work = 0, where the outstanding work is what the hedger has decided but not
yet put on the hedge venue (pending fills and the carried residual below the
venue's minimum). The reconciler asks both venues for their positions and
checks it. A difference means exposure the bot did not see: a fill missed
while the trader stream reconnected, a hedge that executed after its answer
was lost, a trade by hand.

A comparison counts only when nothing moved while it was taken (no hedge in
flight, no new fill booked, no fill received just before, the same accepted
block before and after the Hubble read), because a fill or a hedge that is on
the venue but not yet in the bot's books looks like a difference for a
moment. Hubble streams fills at head but changes positions at acceptance, so
the Hubble read is taken at an accepted block and the ledger's fills of later
blocks are added to it. At start-up one clean comparison is enough (nothing
is trading yet); while running, the same difference must be seen twice, at
least ``confirm_seconds`` apart, before it is hedged. A difference that the
hedge venue cannot absorb stops quoting with a loud error until it is gone.

Ownership of a unit of exposure. A fill reaches the bot from the trader
stream, from the replay of a stream gap, or from a receipt read for an order
this run did not place, and any of them may come *after* the reconciler has
already seen that fill's effect in Hubble's own position and hedged the
difference. A clean comparison taken at accepted block N that balances the
venues (no difference, or its difference hedged) accounts for every fill in
blocks up to N, booked or not. So ``balanced_through`` is the highest such N,
and a fill in a block up to it that is booked only afterwards is the
reconciler's: it is booked (for PnL) but never hedged again
(``owns``). A fill in a later block is the hedger's. Whichever of the two
acts first owns the fill; the other sees it as done.

This assumes the hedge account's position in the coin belongs to this bot
alone (one process per coin on the hedge account).
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from bot.reporting.alerts import NO_ALERTS, Alerts
from bot.tracking.fills import FillLedger

log = logging.getLogger("reconciler")
ZERO = Decimal(0)


@dataclass(frozen=True)
class HubbleReading:
    """Hubble's own figure for the position, as the reconciler needs it."""
    position: Decimal              # the answer at `block`, plus this run's fills booked in later blocks
    block: int                     # the accepted block the answer was read at
    consistent: bool               # the same accepted block before and after the read


@dataclass(frozen=True)
class Comparison:
    at: float                      # time.monotonic() when the reads finished
    hubble: Decimal                # Hubble's answer, signed base units
    hedge: Decimal                 # the hedge venue's answer
    outstanding: Decimal           # hedge work decided but not on the venue (signed, hedge-venue size)
    clean: bool                    # nothing moved while it was taken
    block: int = 0                 # the accepted Hubble block of the reading

    @property
    def net(self) -> Decimal:
        """The venues' net exposure (what a status line should show)."""
        return self.hubble + self.hedge

    @property
    def drift(self) -> Decimal:
        return self.hubble + self.hedge + self.outstanding


class MakerPositions(Protocol):
    """The maker venue's own figure for the position (OrderManager)."""

    async def read_maker_position(self) -> HubbleReading: ...


class HedgePositions(Protocol):
    """The hedge venue's own figure for the position (a hedge client)."""
    venue: str

    async def venue_position(self) -> Decimal: ...


class HedgeWork(Protocol):
    """What the reconciler reads of the hedger (is anything moving, what is decided but not on the venue)
    and asks of it (hedge a difference)."""
    idle: asyncio.Event
    sends: int

    def outstanding(self) -> Decimal: ...

    def add_reconciliation(self, size: Decimal) -> None: ...

    async def wait_idle(self, timeout: float) -> bool: ...


class FillActivity(Protocol):
    """The fill intake, asked whether a maker fill arrived in the last moment."""

    def quiet(self) -> bool: ...


class Reconciler:
    def __init__(self, *, maker_positions: MakerPositions, hedge_positions: HedgePositions, hedger: HedgeWork,
                 ledger: FillLedger, fills: FillActivity, confirm_seconds: float, alerts: Alerts = NO_ALERTS,
                 maker_name: str = "Hubble"):
        self.maker_positions = maker_positions
        self.hedge_positions = hedge_positions
        self.hedger = hedger
        self.ledger = ledger
        self.fills = fills
        self.maker_name = maker_name          # the maker venue's name, for the log lines
        self.confirm_seconds = confirm_seconds
        self.alerts = alerts
        self.last: Comparison | None = None         # the latest comparison, clean or not
        self.last_clean: Comparison | None = None
        self._suspect: Comparison | None = None     # a difference seen once, waiting for confirmation
        self._fresh_after = 0.0                     # comparisons must finish after this to reopen quoting
        self.problem: str | None = None             # a difference that could not be hedged
        self.hedged_total = ZERO
        self.balanced_through = 0                   # fills up to this accepted block are accounted for

    # ---- ownership -----------------------------------------------------------------------------
    def owns(self, block: int) -> bool:
        """Is a Hubble fill in `block`, booked only now, already covered by a comparison that balanced the
        venues? (Then it must not be hedged again.) A fill without a block number is never the
        reconciler's: the hedger takes it, and any double would show in the next comparison."""
        return 0 < block <= self.balanced_through

    def _balanced(self, c: Comparison) -> None:
        if c.block > self.balanced_through:
            self.balanced_through = c.block

    # ---- gates ---------------------------------------------------------------------------------
    def require_fresh(self, why: str) -> None:
        """Quoting waits until a clean comparison taken from now on (e.g. after a fill-stream reconnect)."""
        self._fresh_after = time.monotonic()
        log.info("reconciler: quoting waits for a fresh comparison of the venues' positions (%s)", why)

    def gate(self) -> str | None:
        if self.problem:
            return self.problem
        if self.last_clean is None or self.last_clean.at < self._fresh_after:
            return "reconciling positions"
        return None

    # ---- comparing ---------------------------------------------------------------------------------
    async def compare(self) -> Comparison:
        hedger, ledger = self.hedger, self.ledger
        idle_before, sends, epoch = hedger.idle.is_set(), hedger.sends, ledger.epoch
        quiet_before = self.fills.quiet()
        reading, hedge = await asyncio.gather(self.maker_positions.read_maker_position(),
                                              self.hedge_positions.venue_position())
        clean = (reading.consistent and idle_before and hedger.idle.is_set() and sends == hedger.sends
                 and epoch == ledger.epoch and quiet_before)
        comparison = Comparison(time.monotonic(), reading.position, hedge, hedger.outstanding(), clean,
                                reading.block)
        self.last = comparison
        if clean:
            self.last_clean = comparison
        return comparison

    async def check(self, startup: bool = False) -> Comparison:
        """One comparison; hedge a difference once it is confirmed (at once at start-up)."""
        comparison = await self.compare()
        if not comparison.clean:
            return comparison
        drift = comparison.drift
        if drift == 0:
            if self._suspect is not None:
                log.info("reconciler: the difference of %s resolved itself", self._suspect.drift)
            self._suspect = None
            self.problem = None
            self._balanced(comparison)
            return comparison
        suspect = self._suspect
        confirmed = startup or (suspect is not None and suspect.drift == drift
                                and comparison.at - suspect.at >= self.confirm_seconds)
        if not confirmed:
            if suspect is None or suspect.drift != drift:
                self._suspect = comparison
            return comparison
        self._suspect = None
        self._balanced(comparison)          # before the hedge goes out: a fill booked meanwhile is ours
        self._hedge_difference(comparison)
        return comparison

    def _hedge_difference(self, c: Comparison) -> None:
        ledger = self.ledger
        log.warning("RECONCILER: the venues hold %s %s and %s %s (outstanding hedge work %s): %s of exposure "
                    "the bot did not see (this run's fills moved it by %s); hedging %s. This balances the venues through "
                    "mark %d (Hubble: the block; elsewhere the venue's ms): a fill up to it that arrives later is "
                    "booked, not hedged again", self.maker_name, c.hubble,
                    self.hedge_positions.venue, c.hedge, c.outstanding, c.drift, ledger.hubble.delta, -c.drift, c.block)
        self.alerts.drift(c.hubble, c.hedge, c.outstanding, c.drift, self.hedge_positions.venue)
        self.hedged_total += -c.drift
        self.hedger.add_reconciliation(-c.drift)

    async def settle(self, timeout: float, attempts: int = 5) -> Comparison:
        """Start-up: compare, hedge any difference, repeat until the venues agree (or give up loudly)."""
        deadline = time.monotonic() + timeout
        comparison = None
        for _ in range(attempts):
            if not await self.hedger.wait_idle(deadline - time.monotonic()):
                break
            comparison = await self.check(startup=True)
            if comparison.clean and comparison.drift == 0:
                return comparison
            if comparison.clean:
                await self.hedger.wait_idle(deadline - time.monotonic())
            else:
                await asyncio.sleep(0.2)
        drift = comparison.drift if comparison else "unknown"
        raise ReconciliationError(f"positions did not reconcile at start-up (difference {drift}); "
                                  "check both venues' positions by hand")


class ReconciliationError(RuntimeError):
    """The venues' positions could not be brought back in line."""
