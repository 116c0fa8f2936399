"""State changes of the exchange, one record per contract event the node would log.

The engine appends them; the block builder turns them into logs (receipts,
eth_getLogs) and feed events, and the node index replays the accepted ones
(ClearingHouse events are applied only when their block is accepted,
contract_events_processor.go ProcessAcceptedEvents).
"""
from __future__ import annotations

from dataclasses import dataclass

from tools.simnet.hubble.orders import Order


@dataclass(slots=True)
class Accepted:
    order: Order


@dataclass(slots=True)
class Rejected:
    order: Order
    err: str


@dataclass(slots=True)
class Matched:
    order: Order
    fill: int                 # absolute, 1e18
    price: int
    open_interest: int        # market open interest after the fill, 1e18
    timestamp: int
    is_liquidation: bool = False   # the order absorbed a liquidation (liquidateAndExecuteOrder)


@dataclass(slots=True)
class PositionModified:
    trader: str
    market: int
    base: int                 # signed fill, 1e18
    price: int
    realized_pnl: int         # 1e6
    size: int
    open_notional: int
    fee: int                  # 1e6 (negative = rebate)
    mode: int                 # 0 taker, 1 maker
    timestamp: int


@dataclass(slots=True)
class PositionLiquidated:
    """ClearingHouse PositionLiquidated of the liquidated trader (the node's abis/ClearingHouse.go)."""
    trader: str
    market: int
    base: int                 # liquidationAmount, 1e18: signed like the absorbing order (+ = a long was liquidated)
    price: int
    realized_pnl: int         # 1e6
    size: int                 # position after the liquidation
    open_notional: int
    fee: int                  # liquidation penalty, 1e6
    timestamp: int


@dataclass(slots=True)
class LiquidationError:
    """OrderBook LiquidationError: the liquidation transaction ran but the contract refused it."""
    trader: str
    order_hash: str           # 0x hex: LIQUIDATION_FAILED, or the order's hash when the order side failed
    err: str
    amount: int               # toLiquidate, 1e18 (unsigned)


@dataclass(slots=True)
class FundingPaid:
    trader: str
    market: int
    payment: int              # 1e6, positive = paid by the trader
    cumulative: int           # cumulativePremiumFraction the position is settled to


@dataclass(slots=True)
class FundingRateUpdated:
    market: int
    premium: int              # premiumFraction of this period, 1e6 price units
    underlying: int
    cumulative: int
    next_funding_time: int
    timestamp: int
    block: int


@dataclass(slots=True)
class CancelAccepted:
    order: Order
    auto: bool = False


@dataclass(slots=True)
class CancelRejected:
    order_id: str
    trader: str
    kind: str
    err: str
