"""The fill ledger: every fill of this run on both venues, counted once, the source of every money figure.

Hubble fills arrive from the trader stream, from a replay of the chain's logs
after a reconnect, or twice (a duplicate event). Each is identified by its
order and transaction: the node sends one ``executeMatchedOrders``
transaction per matched pair (hubblenet tx_processor.go,
ExecuteMatchedOrdersTx), so an order fills at most once per transaction. The
ledger keeps, per identity, whether the fill currently stands: a reorg's
removal (``Removed``) takes a standing fill back, and the same fill mined
again (even at the same height) stands again. Duplicates of the current
state change nothing. Fills of other markets (one key trading several
markets, or a trade by hand) are counted apart and never hedged here.

Positions, coverage and PnL figures are derived from these totals; the
positions the venues report are the reconciler's business, and the status
line shows those.
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field, replace
from decimal import Decimal

from cachetools import TTLCache

log = logging.getLogger("ledger")
ZERO = Decimal(0)
FILL_MEMORY_SECONDS = 6 * 3600      # how long a fill's identity is remembered (reorgs and duplicates come within minutes)
RECENT_FILLS = 10_000               # fills kept with their block for delta_after
SCAN_FILLS = 2_000                  # delta_after looks at the newest this many (blocks only ever a few ahead)


@dataclass(frozen=True)
class Totals:
    """Cumulative figures of one kind of fill. Sizes are base units; cash is -(signed size x price)."""
    count: int = 0
    volume: Decimal = ZERO          # sum of |size|
    notional: Decimal = ZERO        # sum of |size| x price
    delta: Decimal = ZERO           # signed position change
    cash: Decimal = ZERO
    fees: Decimal = ZERO            # paid (negative: rebate)

    def add(self, signed: Decimal, price: Decimal, fee: Decimal, count: int = 1) -> "Totals":
        return Totals(self.count + count, self.volume + abs(signed), self.notional + abs(signed) * price,
                      self.delta + signed, self.cash - signed * price, self.fees + fee)


@dataclass(frozen=True)
class LedgerSnapshot:
    hubble: Totals
    hedge: Totals
    reconciliation: Totals
    slippage_bps_sum: Decimal
    other_market_fills: int
    slippage_usd: Decimal = ZERO

    def minus(self, earlier: "LedgerSnapshot") -> "LedgerSnapshot":
        """What happened between `earlier` and this snapshot (for one CSV period)."""
        def diff(a: Totals, b: Totals) -> Totals:
            return Totals(a.count - b.count, a.volume - b.volume, a.notional - b.notional, a.delta - b.delta,
                          a.cash - b.cash, a.fees - b.fees)
        return LedgerSnapshot(diff(self.hubble, earlier.hubble), diff(self.hedge, earlier.hedge),
                              diff(self.reconciliation, earlier.reconciliation),
                              self.slippage_bps_sum - earlier.slippage_bps_sum,
                              self.other_market_fills - earlier.other_market_fills,
                              self.slippage_usd - earlier.slippage_usd)

    @property
    def cash(self) -> Decimal:
        return self.hubble.cash + self.hedge.cash + self.reconciliation.cash

    @property
    def residual(self) -> Decimal:
        """Net base position this run's fills left open on the two venues together."""
        return self.hubble.delta + self.hedge.delta + self.reconciliation.delta

    def spread_pnl(self, mid: Decimal | None) -> Decimal:
        """Cash on both venues plus the unhedged residual valued at mid (0 without a mid)."""
        return self.cash + (self.residual * mid if mid is not None else ZERO)

    @property
    def fees(self) -> Decimal:
        return self.hubble.fees + self.hedge.fees + self.reconciliation.fees


@dataclass
class FillLedger:
    market_id: int                   # the Hubble market this bot trades
    maker_fee_pct: Decimal           # Hubble maker fee, percent (the trader stream carries no fee)
    hubble: Totals = field(default_factory=Totals)
    hedge: Totals = field(default_factory=Totals)
    reconciliation: Totals = field(default_factory=Totals)
    slippage_bps_sum: Decimal = ZERO
    slippage_usd: Decimal = ZERO     # what hedges cost against the touch they were priced on (positive: worse)
    other_market_fills: int = 0
    estimated_prices: int = 0        # hedges booked at their reference price because the venue gave none
    epoch: int = 0                   # bumped on every booking (lets a reader see that nothing moved meanwhile)
    # (order, tx) -> (stands, block, signed size of the fill)
    _standing: TTLCache = field(default_factory=lambda: TTLCache(maxsize=500_000, ttl=FILL_MEMORY_SECONDS))
    _by_block: deque = field(default_factory=lambda: deque(maxlen=RECENT_FILLS))   # (block, signed change)

    # ---- Hubble ------------------------------------------------------------------------------
    def record_hubble(self, order_id: str, tx_hash: str, market: int, side: int, qty: Decimal, price: Decimal,
                      removed: bool, block: int = 0) -> Decimal:
        """Book one fill event; returns the signed change of the Hubble position it makes (0 when the
        event changes nothing: a duplicate, a removal of a fill never booked, another market)."""
        if market != self.market_id:
            self.other_market_fills += 1
            log.info("fill of %s on order %s in market %s ignored: this bot trades market %s", qty,
                     order_id[:12], market, self.market_id)
            return ZERO
        key = (order_id.lower(), tx_hash.lower())
        entry = self._standing.get(key)
        if (entry is not None and entry[0]) == (not removed):
            return ZERO     # already so: a duplicate event, or the removal of a fill this run never booked
        self._standing[key] = (not removed, block, side * qty)
        signed = side * qty * (-1 if removed else 1)
        fee = abs(signed) * price * self.maker_fee_pct / 100 * (-1 if removed else 1)
        self.hubble = self.hubble.add(signed, price, fee, count=-1 if removed else 1)
        self._by_block.append((block, signed))
        self.epoch += 1
        return signed

    def stands(self, order_id: str, tx_hash: str) -> bool:
        """Is this fill booked and not taken back?"""
        entry = self._standing.get((order_id.lower(), tx_hash.lower()))
        return entry is not None and entry[0]

    def move_fill(self, order_id: str, tx_hash: str, block: int) -> None:
        """A standing fill turned out to be mined in `block` (a reorg mined it again elsewhere): only
        ``delta_after`` changes, the totals do not."""
        key = (order_id.lower(), tx_hash.lower())
        entry = self._standing.get(key)
        if entry is None or not entry[0] or entry[1] == block:
            return
        _, old, signed = entry
        self._standing[key] = (True, block, signed)
        self._by_block.extend(((old, -signed), (block, signed)))
        self.epoch += 1

    def delta_after(self, block: int) -> Decimal:
        """Signed Hubble change of the fills booked in blocks after `block`.

        The node changes positions when a block is *accepted* but streams its
        fills at *head* (hubblenet plugin/evm/limit_order.go; eth_blockNumber is
        the last accepted block), so a position read at accepted block N plus
        this is what the position will be once every booked fill is accepted.
        """
        return sum((change for number, change in list(self._by_block)[-SCAN_FILLS:] if number > block), ZERO)

    # ---- hedge venue ---------------------------------------------------------------------------
    def record_hedge(self, filled: Decimal, avg_price: Decimal | None, fee: Decimal, reference: Decimal | None,
                     reconciliation: bool = False) -> None:
        """A hedge order's fills (signed: + bought on the hedge venue). Reconciliation hedges (exposure
        found on the venues rather than from a fill of this run) are kept apart, so coverage stays
        hedged / filled volume."""
        if not filled:
            return
        if avg_price is None:        # the venue did not say (its answer and its stream both failed us)
            self.estimated_prices += 1
            avg_price = reference if reference is not None else ZERO
            log.warning("hedge of %s booked at %s: the venue did not report its average price (the touch it was "
                        "priced on is used; PnL figures carry that estimate)", filled, avg_price)
        if reconciliation:
            self.reconciliation = self.reconciliation.add(filled, avg_price, fee)
        else:
            self.hedge = self.hedge.add(filled, avg_price, fee)
            if reference:
                side = 1 if filled > 0 else -1
                self.slippage_bps_sum += (avg_price - reference) / reference * 10_000 * side
                self.slippage_usd += (avg_price - reference) * filled
        self.epoch += 1

    # ---- reading ---------------------------------------------------------------------------------
    def snapshot(self) -> LedgerSnapshot:
        return LedgerSnapshot(replace(self.hubble), replace(self.hedge), replace(self.reconciliation),
                              self.slippage_bps_sum, self.other_market_fills, self.slippage_usd)

    @property
    def coverage(self) -> float | None:
        """Hedged volume / filled volume over this run (reconciliation hedges excluded)."""
        return float(self.hedge.volume / self.hubble.volume) if self.hubble.volume else None
