"""Fill intake: every Hubble fill the bot hears of, from any source, booked once and handed to its one owner.

Sources: the trader stream (pushed at head), the replay of a stream gap from
the chain's logs, and the receipt of a fill on an order this run did not
place. Each fill is booked in the fill ledger by (order, transaction), so a
fill heard twice counts once. Then it has exactly one owner:

* the reconciler, when the fill's block is one it has already balanced (a
  clean comparison at that block or later saw the fill in Hubble's own
  position and hedged the difference): the fill is booked, never hedged again;
* otherwise the hedger, at once.

Whichever acts first owns the fill; the other finds it done (reconciler.py).

A reorg's removal is not taken on the stream's word. The node pushes the
removed logs and the re-mined ones each from its own goroutine (hubblenet
plugin/evm/limit_order.go: ``go PushToTraderFeed`` per batch of logs), so the
re-mined copy of a fill can arrive before the removal of the old one, and a
trader event carries no block hash to tell the two apart
(contract_events_processor.go, TraderEvent). A removal of a standing fill is
therefore checked on chain once its height is accepted (accepted blocks are
final): a receipt that still holds our OrderMatched means the fill stands, in
whichever block the receipt names; no receipt means it is taken back.
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from bot.reporting.performance import Performance
from bot.supervision import Health
from bot.tracking.fills import FillLedger
from bot.tracking.orders import OrderState, OrderTracker
from bot.venues.hubble.chain_logs import hex_id

log = logging.getLogger("orders")
SIZE_SCALE = Decimal(10) ** 18
FILL_SETTLE_SECONDS = 0.3          # a comparison needs this long without a Hubble fill arriving
REPLAY_MARGIN_BLOCKS = 3           # replay a few blocks before the last one known to be covered
REPLAY_SETTLE = 3.0                # seconds for a block at head during a gap to be accepted (our allowance)
REMOVAL_CHECK_SECONDS = 60.0       # how long a reorg's removal is checked on chain before the reconciler is left to it
REMOVAL_POLL = 0.2
RECOVER_ATTEMPTS = 8               # receipt reads for a fill on an unknown order (receipts exist once accepted)


def fill_amount(value) -> Decimal:
    """A fill size from the trader stream, in base units.

    The node sends event amounts as decoded numbers (hubblenet
    contract_events_processor.go PushToTraderFeed: BigIntToFloat(fillAmount, 18));
    a whole number at or above 1e12 can only be a raw 1e18-scaled integer.
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


@dataclass(frozen=True)
class Fill:
    """One fill event as heard (a removal when `removed`)."""
    order_id: str
    tx_hash: str
    qty: Decimal
    price: Decimal
    removed: bool
    block: int
    received: float                 # perf_counter() of its arrival


@dataclass
class _Doubt:
    """A removal being checked on chain, and the highest block any copy of the fill was announced in since."""
    fill: Fill
    market: int
    side: int
    last_block: int = 0
    task: asyncio.Task | None = field(default=None, repr=False)


class FillIntake:
    def __init__(self, market: int, hubble, tracker: OrderTracker, ledger: FillLedger, perf: Performance,
                 spawn: Callable, hedger=None):
        self.market = market
        self.hubble = hubble
        self.tracker = tracker
        self.ledger = ledger
        self.perf = perf
        self.spawn = spawn
        self.hedger = hedger
        self.reconciler = None                     # set once built: it reads positions through the gateway
        self.on_side_filled: Callable[[int, int], None] = lambda side, seq: None   # the quoter's side pause
        self.subscribed = asyncio.Event()
        self.subscriptions = 0
        self.stream_block = 0                      # highest block seen on the trader stream
        self.covered_block = 0                     # every fill up to here has been received
        self._head_seen: tuple[int, int] | None = None   # (head block, subscription count) at the last poll
        self.last_fill_received = -math.inf        # monotonic time of the last fill event of any kind
        self.replays = 0                           # gap replays finished (both passes)
        self.owned_by_reconciler = 0               # fills booked after the reconciler had hedged them
        self._doubts: dict[tuple[str, str], _Doubt] = {}

    # ---- the trader stream ------------------------------------------------------------------------
    async def stream(self, health: Health) -> None:
        def on_subscribed() -> None:
            health.ok()
            self.subscriptions += 1
            if self.subscriptions > 1:
                # taken now, before any event of the new subscription can move stream_block past the gap
                gap_from = max(self.covered_block, self.stream_block)
                self.spawn(self._after_reconnect(gap_from))
            self.subscribed.set()

        def on_update(update, received: float) -> None:
            health.ok()
            self.stream_block = max(self.stream_block, int(update.BlockNumber or 0))
            if update.EventName == "OrderMatched":
                self.on_order_matched(update, received)
            elif update.EventName == "OrderExpired":
                self.tracker.mark(hex_id(update.OrderId), OrderState.EXPIRED, "the node sent OrderExpired")

        await self.hubble.stream_trader_updates(on_subscribed, on_update)

    def on_order_matched(self, update, received: float) -> None:
        """One OrderMatched trader event (synchronous: never waits)."""
        args = update.Args or {}
        self.on_fill(Fill(hex_id(update.OrderId), hex_id(update.TransactionHash), fill_amount(args.get("fillAmount", 0)),
                          fill_price(args.get("price", 0)), bool(update.Removed), int(update.BlockNumber or 0),
                          received))

    def in_doubt(self) -> int:
        """Reorg removals still being checked on chain."""
        return len(self._doubts)

    def quiet(self) -> bool:
        """No fill event arrived in the last moment (the reconciler's comparisons wait for that)."""
        return time.monotonic() - self.last_fill_received >= FILL_SETTLE_SECONDS

    async def advance_covered_block(self, stream_up: bool) -> None:
        """A head seen one poll ago is covered if the trader stream stayed subscribed since."""
        head = await self.hubble.head_block()
        if self._head_seen and self._head_seen[1] == self.subscriptions and stream_up:
            self.covered_block = max(self.covered_block, self._head_seen[0])
        self._head_seen = (head, self.subscriptions)

    # ---- booking -------------------------------------------------------------------------------------
    def on_fill(self, fill: Fill, market: int | None = None, side: int | None = None) -> None:
        """Book one fill event and hand its change to its owner (synchronous: never waits)."""
        self.last_fill_received = time.monotonic()
        order = self.tracker.get(fill.order_id)
        if order is not None:
            market, side = self.market, order.side
        if market is None or side is None:
            log.warning("fill of %s on order %s, not placed by this run: reading its market and side from the "
                        "transaction", fill.qty, fill.order_id[:12])
            self.spawn(self._recover(fill))
            return
        key = (fill.order_id.lower(), fill.tx_hash.lower())
        doubt = self._doubts.get(key)
        if doubt is not None:
            if not fill.removed:
                doubt.last_block = max(doubt.last_block, fill.block)
            return                                 # the chain decides (_check_removal)
        if fill.removed and market == self.market and self.ledger.stands(fill.order_id, fill.tx_hash):
            self._doubt(key, fill, market, side)
            return
        self._book(fill, market, side)

    def _book(self, fill: Fill, market: int, side: int) -> None:
        change = self.ledger.record_hubble(fill.order_id, fill.tx_hash, market, side, fill.qty, fill.price,
                                           fill.removed, fill.block)
        if change == 0:
            return
        if self.tracker.get(fill.order_id) is not None:
            self.tracker.on_fill(fill.order_id, change * side, "fill on the trader stream")
        owner = self._owner(fill.block)
        log.info("%s %s %s @ %s%s", "FILL" if not fill.removed else "FILL REVERTED (reorg)",
                 "bought" if change > 0 else "sold", abs(change), fill.price,
                 {"hedger": "", "none": " (not hedging)",
                  "reconciler": f" (block {fill.block}: already hedged by the reconciler, not hedged again)"}[owner])
        self.perf.journal.write("fill", side=1 if change > 0 else -1, qty=abs(change), price=fill.price,
                                removed=fill.removed, owner=owner)
        if owner == "reconciler":
            self.owned_by_reconciler += 1
            return
        seq = self.hedger.add(-change, fill.received) if self.hedger is not None else 0
        self.on_side_filled(side, seq)

    def _owner(self, block: int) -> str:
        if self.hedger is None:
            return "none"
        if self.reconciler is not None and self.reconciler.owns(block):
            return "reconciler"
        return "hedger"

    # ---- fills on orders this run did not place ---------------------------------------------------------
    async def _recover(self, fill: Fill) -> None:
        """Market and side from the transaction's PositionModified log (receipts exist once accepted)."""
        error = ""
        for attempt in range(1, RECOVER_ATTEMPTS + 1):
            try:
                changes = [c for c in await self.hubble.position_changes(fill.tx_hash) if abs(c.base) == fill.qty]
                if len(changes) == 1:
                    self.on_fill(fill, changes[0].market, 1 if changes[0].base > 0 else -1)
                    return
                error = f"{len(changes)} matching position changes in the receipt"
            except Exception as exc:  # noqa: BLE001 - network trouble: try again
                error = f"{type(exc).__name__}: {exc}"
            await asyncio.sleep(0.2 * attempt)
        log.error("fill of %s on order %s could not be attributed (%s); the reconciler will find and hedge the "
                  "difference if it is in this market", fill.qty, fill.order_id[:12], error)

    # ---- reorgs ----------------------------------------------------------------------------------------
    def _doubt(self, key: tuple[str, str], fill: Fill, market: int, side: int) -> None:
        log.warning("reorg: the node took back the fill of %s on order %s (block %d); checking the chain before "
                    "booking it (a re-mined copy may still stand)", fill.qty, fill.order_id[:12], fill.block)
        doubt = _Doubt(fill, market, side, last_block=fill.block)
        self._doubts[key] = doubt
        doubt.task = self.spawn(self._check_removal(key, doubt))

    async def _check_removal(self, key: tuple[str, str], doubt: _Doubt) -> None:
        fill, deadline = doubt.fill, time.monotonic() + REMOVAL_CHECK_SECONDS
        try:
            while time.monotonic() < deadline:
                try:
                    verdict = await self._removal_verdict(doubt)
                except Exception as exc:  # noqa: BLE001 - the node is unreachable for a moment: ask again
                    log.debug("checking a reorged fill: %s: %s", type(exc).__name__, exc)
                    verdict = None
                if verdict is not None:
                    return self._settle_removal(key, doubt, verdict)
                await asyncio.sleep(REMOVAL_POLL)
            log.error("reorg: could not tell within %.0fs whether the fill of %s on order %s still stands; it stays "
                      "booked and hedged, and the reconciler compares the venues", REMOVAL_CHECK_SECONDS, fill.qty,
                      fill.order_id[:12])
        finally:
            self._doubts.pop(key, None)

    async def _removal_verdict(self, doubt: _Doubt) -> int | bool | None:
        """The block the fill now stands in, False when it is gone, None while its height is not accepted."""
        if await self.hubble.head_block() < doubt.last_block:
            return None
        where = await self.hubble.fill_block(doubt.fill.order_id, doubt.fill.tx_hash)
        return where if where is not None else False

    def _settle_removal(self, key: tuple[str, str], doubt: _Doubt, verdict: int | bool) -> None:
        fill = doubt.fill
        self._doubts.pop(key, None)
        if verdict is False:
            self._book(fill, doubt.market, doubt.side)
            return
        log.info("reorg: the fill of %s on order %s was mined again (block %d): it still stands", fill.qty,
                 fill.order_id[:12], verdict)
        self.ledger.move_fill(fill.order_id, fill.tx_hash, int(verdict))

    # ---- gaps of the trader stream ----------------------------------------------------------------------
    async def _after_reconnect(self, gap_from: int) -> None:
        """The trader stream has no replay (hubblenet trading_apis.go StreamTraderUpdates): read the gap's
        fills from the chain's logs, then let quoting wait for a fresh comparison of the venues.

        Logs exist only for accepted blocks, and a block that was at head during the gap is accepted a
        little later, so the logs are read twice: at once, and ``REPLAY_SETTLE`` seconds later."""
        if self.reconciler is not None:
            self.reconciler.require_fresh("the Hubble trader stream reconnected")
        start = gap_from - REPLAY_MARGIN_BLOCKS
        try:
            end = await self._replay(start)
            await asyncio.sleep(REPLAY_SETTLE)
            await self._replay(end - REPLAY_MARGIN_BLOCKS)
        except Exception as exc:  # noqa: BLE001 - the reconciler still compares the venues
            log.warning("replaying fills after the reconnect failed (%s: %s); the reconciler will compare "
                        "the venues", type(exc).__name__, exc)
        self.replays += 1
        if self.reconciler is not None:
            self.reconciler.require_fresh("fills of the reconnect gap replayed")

    async def _replay(self, start: int) -> int:
        """Book this trader's fills in accepted blocks from `start`; returns the last block read."""
        head = await self.hubble.head_block()
        logs = await self.hubble.matched_logs(max(0, start), head)
        received = time.perf_counter()
        booked = self.ledger.hubble.count
        for item in logs:
            self.on_fill(Fill(item.order_id, item.tx_hash, item.qty, item.price, item.removed, item.block, received))
        log.info("trader stream gap: replayed blocks %d-%d from the chain's logs (%d fills found, %d new)",
                 max(0, start), head, len(logs), self.ledger.hubble.count - booked)
        return head
