"""Fill intake of a maker venue that pushes fills on the account's user stream (Hyperliquid, Binance).

The Hubble intake (fill_intake.py) has blocks, reorgs and a chain to replay;
here a fill is final when it is pushed, carries its own side, and the venue
keeps a list of the account's fills to read a stream gap back from. Every
fill of this coin on the maker account is the bot's business (the account's
position in the coin belongs to this process, as on the hedge venue): our
quotes, an earlier run's, the risk engine's unwinds, a trade by hand.

Each fill is booked in the ledger by the venue's trade id, so a
fill heard twice (the stream, and the read-back after a reconnect) counts
once, and handed to its one owner:

* the reconciler, when the fill's mark (the venue's trade time, ms) is at or
  before one it has already balanced: its position read at that venue time
  already held the fill and the difference was hedged, so it is booked and
  never hedged again;
* otherwise the hedger, at once.

The read-back of a gap is the venue's own fill list from a little before the
last moment the stream was known to be whole; the reconciler waits for a
fresh comparison while it runs, as after a Hubble reconnect.
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
from decimal import Decimal
from typing import Any, Callable

from bot.reporting.performance import Performance
from bot.supervision import Health
from bot.tracking.fills import FillLedger
from bot.tracking.orders import OrderTracker
from bot.venues.maker_venue import StreamedFill  # noqa: F401  (re-exported for the tests)

log = logging.getLogger("orders")
FILL_SETTLE_SECONDS = 0.3          # a comparison needs this long without a fill arriving
READBACK_MARGIN_MS = 5_000         # the read-back of a gap starts this long before the last covered moment
READBACK_SETTLE = 2.0              # seconds; the gap is read back twice (at once, and this much later)


class StreamFillIntake:
    def __init__(self, maker: Any, tracker: OrderTracker, ledger: FillLedger, perf: Performance,
                 spawn: Callable, hedger=None):
        self.maker = maker
        self.market = maker.market
        self.tracker = tracker
        self.ledger = ledger
        self.perf = perf
        self.spawn = spawn
        self.hedger = hedger
        self.reconciler = None                     # set once built
        self.on_side_filled: Callable[[int, int], None] = lambda side, seq: None   # the quoter's side pause
        self.subscribed = asyncio.Event()
        self.subscriptions = 0
        self.covered_block = 0                     # venue ms: every fill up to here has been received
        self._head_seen: tuple[int, int] | None = None
        self.last_fill_received = -math.inf
        self.replays = 0
        self.owned_by_reconciler = 0

    # ---- the stream ---------------------------------------------------------------------------------
    async def stream(self, health: Health) -> None:
        def on_subscribed() -> None:
            health.ok()
            self.subscriptions += 1
            if self.subscriptions > 1:
                self.spawn(self._after_reconnect(self.covered_block))
            self.subscribed.set()

        def on_fill(fill: StreamedFill) -> None:
            health.ok()
            self.on_fill(fill)

        await self.maker.stream_fills(on_subscribed, on_fill, health.ok)

    def quiet(self) -> bool:
        return time.monotonic() - self.last_fill_received >= FILL_SETTLE_SECONDS

    def in_doubt(self) -> int:
        return 0                                   # no reorgs: a pushed fill is final

    async def advance_covered_block(self, stream_up: bool) -> None:
        """A venue time seen one poll ago is covered if the stream stayed subscribed since."""
        now = await self.maker.head_block()
        if self._head_seen and self._head_seen[1] == self.subscriptions and stream_up:
            self.covered_block = max(self.covered_block, self._head_seen[0])
        self._head_seen = (now, self.subscriptions)

    # ---- booking ------------------------------------------------------------------------------------
    def on_fill(self, fill: StreamedFill) -> None:
        """Book one fill and hand it to its owner (synchronous: never waits)."""
        self.last_fill_received = time.monotonic()
        # keyed by the venue's trade id alone: a read-back may name the order differently from the push
        change = self.ledger.record_hubble(self.maker.venue, fill.fill_id, self.market, fill.side, fill.qty,
                                           fill.price, False, fill.mark)
        if change == 0:
            return                                 # heard before (the stream and a read-back)
        order = self.tracker.get(fill.order_id)
        if order is not None:
            self.tracker.on_fill(fill.order_id, abs(change), f"fill on the {self.maker.venue} user stream")
        else:
            log.warning("fill of %s on %s order %s, not placed by this run: booked and hedged like any other",
                        fill.qty, self.maker.venue, fill.order_id[:14])
        owner = self._owner(fill.mark)
        log.info("FILL %s %s %s @ %s on %s%s", "bought" if change > 0 else "sold", abs(change), self.maker.symbol,
                 fill.price, self.maker.venue,
                 {"hedger": "", "none": " (not hedging)",
                  "reconciler": " (already hedged by the reconciler, not hedged again)"}[owner])
        self.perf.journal.write("fill", side=fill.side, qty=abs(change), price=fill.price, removed=False, owner=owner)
        if owner == "reconciler":
            self.owned_by_reconciler += 1
            return
        seq = self.hedger.add(-change, fill.received or time.perf_counter()) if self.hedger is not None else 0
        self.on_side_filled(fill.side, seq)

    def _owner(self, mark: int) -> str:
        if self.hedger is None:
            return "none"
        if self.reconciler is not None and self.reconciler.owns(mark):
            return "reconciler"
        return "hedger"

    # ---- gaps -----------------------------------------------------------------------------------------
    async def _after_reconnect(self, covered_ms: int) -> None:
        """Read the gap's fills back from the venue's fill list, twice (a fill being written as the stream
        came back may show only in the second read), then let quoting wait for a fresh comparison."""
        if self.reconciler is not None:
            self.reconciler.require_fresh(f"the {self.maker.venue} user stream reconnected")
        start = max(0, covered_ms - READBACK_MARGIN_MS)
        try:
            await self._read_back(start)
            await asyncio.sleep(READBACK_SETTLE)
            await self._read_back(start)
        except Exception as exc:  # noqa: BLE001 - the reconciler still compares the venues
            log.warning("reading back the fills of the %s stream gap failed (%s: %s); the reconciler will compare "
                        "the venues", self.maker.venue, type(exc).__name__, exc)
        self.replays += 1
        if self.reconciler is not None:
            self.reconciler.require_fresh("fills of the reconnect gap read back")

    async def _read_back(self, start_ms: int) -> None:
        fills = await self.maker.fills_since(start_ms)
        booked = self.ledger.hubble.count
        for fill in fills:
            self.on_fill(fill)
        log.info("%s user stream gap: read back the fills since %d (%d found, %d new)", self.maker.venue, start_ms,
                 len(fills), self.ledger.hubble.count - booked)
