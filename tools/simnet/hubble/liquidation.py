"""The validator's side of liquidations: who is liquidable and which resting orders take them over.

Sources (hubblenet 3b29c1a6, plugin/evm/orderbook):
- memory_database.go GetNaughtyTraders: every trader of the memory database (margin and positions as
  of the last *accepted* block) whose hu.GetMarginFraction is below maintenanceMargin; lowest margin
  fraction first (sortLiquidableSliceByMarginFraction, a stable sort).
- hubbleutils/margin_math.go GetMarginFraction with state.go GetHubbleState (UpgradeVersion V2):
  (normalised margin - pending funding + uPnL) x 1e6 / notional, every position at the *oracle* price
  (getOptimalPnl returns the oracle figures from V2 on); no position: MaxInt64. Not the mid-price
  marginFraction of trading_getMarginAndPositions.
- determinePositionToLiquidate: one position per trader, of the *last* active market with a position
  (the loop overwrites its pick), sized |liquidationThreshold| rounded down to a multiple of the
  market's min size; liquidationThreshold = max(|size| x maxLiquidationRatio, minSize) set on each
  PositionModified, kept (only capped at |size|) on PositionLiquidated (UpdatePosition).
- matching_pipeline.go runLiquidations: a long position is sold to resting *long* orders, best price
  first, down to the liquidation lower bound (oracle x (1 - maxLiquidationPriceSpread)); a short is
  bought from short orders up to the upper bound. Each order must pass isExecutable against the
  owner's available margin of this run (limit and reduce-only orders: nothing more; IOC: margin plus
  taker fee; signed: margin, no fee; a short order below the bound is charged at the bound).
  Whatever the book cannot take stays ("unquenched liquidation") until the next run.
- The run happens in MatchingPipeline.Run, after every head block and on the 5 s MatchingTicker,
  before the matching engine; each match is one liquidateAndExecuteOrder transaction of the validator
  (tx_processor.go ExecuteLiquidation).
The simulator's background maker and taker (unlimited synthetic accounts) are never liquidated.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from tools.simnet.hubble import constants as C
from tools.simnet.hubble.engine import MAX_INT64, Engine, notional_of, spread_bounds
from tools.simnet.hubble.memdb import NodeIndex, TraderView
from tools.simnet.hubble.orders import Order

log = logging.getLogger("simnet.hubble")


@dataclass(slots=True)
class Liquidable:
    trader: str
    market: int
    size: int            # unsigned, 1e18: what this run may liquidate
    is_long: bool
    margin_fraction: int


@dataclass(slots=True)
class Match:
    trader: str          # the liquidated trader
    order: Order         # the resting order that takes the position over
    qty: int             # unsigned, 1e18


def _at_oracle(engine: Engine, view: TraderView) -> tuple[int, int]:
    """(total notional, unrealised PnL) of a memdb trader's positions at the current oracle prices."""
    notional = upnl = 0
    for market, pos in view.positions.items():
        if pos.size:
            price = engine.index_prices[market]
            notional += notional_of(pos.size, price)
            upnl += engine.unrealized_pnl(pos, price)   # type: ignore[arg-type]
    return notional, upnl


def margin_fraction(engine: Engine, view: TraderView) -> int:
    """hu.GetMarginFraction (V2) of a memdb trader at the current oracle prices."""
    notional, upnl = _at_oracle(engine, view)
    if notional == 0:
        return MAX_INT64
    return (view.margin - view.pending_funding + upnl) * C.PRICE_SCALE // notional


def available_margin(engine: Engine, view: TraderView | None) -> int:
    """hu.GetAvailableMargin (V2) as GetNaughtyTraders puts it in the marginMap: on-chain reserved margin
    only (the signed orders' virtual reserve does not count); 0 for a trader not in the memdb."""
    if view is None:
        return 0
    notional, upnl = _at_oracle(engine, view)
    used = notional * engine.params.min_allowable_margin // C.PRICE_SCALE
    return view.margin - view.pending_funding + upnl - used - view.reserved


def naughty_traders(engine: Engine, index: NodeIndex) -> list[Liquidable]:
    """GetNaughtyTraders' liquidable positions, lowest margin fraction first."""
    found = []
    for address, view in index.traders.items():
        if address in engine.params.unlimited:
            continue
        mf = margin_fraction(engine, view)
        if mf < engine.params.maintenance_margin:
            liquidable = position_to_liquidate(address, view, mf)
            if liquidable is not None:
                found.append(liquidable)
    found.sort(key=lambda liq: liq.margin_fraction)
    return found


def position_to_liquidate(address: str, view: TraderView, mf: int) -> Liquidable | None:
    """determinePositionToLiquidate: the last active market with a position wins."""
    picked = None
    for market in C.MARKETS:
        pos = view.positions.get(market.market_id)
        if pos is None or pos.size == 0:
            continue
        size = abs(pos.liquidation_threshold) // market.min_size * market.min_size
        picked = Liquidable(address, market.market_id, size, pos.size > 0, mf)
    return picked if picked is not None and picked.size > 0 else None


def plan(engine: Engine, index: NodeIndex) -> list[Match]:
    """runLiquidations: the liquidateAndExecuteOrder calls of one pipeline run (no state changes)."""
    liquidable = naughty_traders(engine, index)
    margins: dict[str, int] = {}
    promised: dict[str, int] = {}      # order id -> size promised to earlier matches of this run
    matches: list[Match] = []
    for liq in liquidable:
        matches += _absorb(engine, index, liq, margins, promised)
    return matches


def _absorb(engine: Engine, index: NodeIndex, liq: Liquidable, margins: dict[str, int],
            promised: dict[str, int]) -> list[Match]:
    market = C.MARKETS[liq.market]
    upper, lower = spread_bounds(engine.index_prices[liq.market], engine.params.max_liquidation_price_spread,
                                 market.price_multiplier)
    book = engine.books[liq.market]
    side = book.bids if liq.is_long else book.asks
    now, left, out = int(engine.clock()), liq.size, []
    for price in side.best_first():
        if left == 0 or (price < lower if liq.is_long else price > upper):
            break
        for order in list(side.levels.get(price, ())):
            free = order.remaining - promised.get(order.id, 0)
            if left == 0 or free <= 0 or order.removed or not order.live(now):
                continue
            qty = min(left, free)
            if not _executable(engine, index, order, qty, upper, margins):
                continue
            promised[order.id] = promised.get(order.id, 0) + qty
            out.append(Match(liq.trader, order, qty))
            left -= qty
    if left:
        log.info("hubble: unquenched liquidation of %s in market %d: %d of %d left", liq.trader, liq.market,
                 left, liq.size)
    return out


def _executable(engine: Engine, index: NodeIndex, order: Order, qty: int, upper: int,
                margins: dict[str, int]) -> bool:
    """isExecutable: the order's owner can afford the fill (its margin for this run is reduced)."""
    if order.kind == "limit" or order.reduce_only or order.trader in engine.params.unlimited:
        return True
    price = upper if not order.is_long and order.price < upper else order.price   # getRequiredMargin
    need = engine.required_margin(price, qty, with_fee=order.kind == "ioc")
    if order.trader not in margins:
        margins[order.trader] = available_margin(engine, index.traders.get(order.trader))
    if need > margins[order.trader]:
        return False
    margins[order.trader] -= need
    return True
