"""Accounts, positions, resting orders and cross/isolated margin arithmetic.

All money is ``Decimal``. Mark price = the venue's mid. Funding payments
(``funding.pay``) move cash and the positions' cumFunding.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tools.simnet.hyperliquid import fmt
from tools.simnet.hyperliquid.assets import BY_COIN, PerpAsset
from tools.simnet.hyperliquid.builders import BuilderRef

ZERO = Decimal(0)


@dataclass
class Order:
    oid: int
    user: str
    asset: PerpAsset
    is_buy: bool
    limit_px: Decimal
    orig_sz: Decimal
    sz: Decimal                 # remaining
    tif: str
    reduce_only: bool
    cloid: str | None
    timestamp: int
    status: str = "open"
    status_timestamp: int = 0
    builder: BuilderRef | None = None     # the builder code charged on this order's fills

    @property
    def side(self) -> str:
        return "B" if self.is_buy else "A"

    def wire(self) -> dict[str, Any]:
        """The ``order`` object of openOrders / orderUpdates."""
        out: dict[str, Any] = {"coin": self.asset.coin, "side": self.side, "limitPx": fmt.px(self.limit_px),
                               "sz": fmt.plain(self.sz), "oid": self.oid, "timestamp": self.timestamp,
                               "origSz": fmt.plain(self.orig_sz)}
        if self.cloid:
            out["cloid"] = self.cloid
        return out

    def frontend(self) -> dict[str, Any]:
        out = self.wire()
        out.update({"triggerCondition": "N/A", "isTrigger": False, "triggerPx": "0.0", "children": [],
                    "isPositionTpsl": False, "reduceOnly": self.reduce_only, "orderType": "Limit",
                    "tif": self.tif, "cloid": self.cloid})
        return out


@dataclass
class Position:
    szi: Decimal = ZERO
    entry_px: Decimal = ZERO
    # cumFunding {allTime, sinceOpen, sinceChange} (docs info-endpoint/perpetuals, clearinghouseState).
    # Unconfirmed sign: no source states it; simnet shows funding PAID as positive (the opposite of
    # userFunding's usdc, where paid is negative).
    funding_all: Decimal = ZERO
    funding_open: Decimal = ZERO
    funding_change: Decimal = ZERO

    def add_funding(self, paid: Decimal) -> None:
        self.funding_all += paid
        self.funding_open += paid
        self.funding_change += paid

    def cum_funding(self) -> dict[str, str]:
        return {"allTime": fmt.usd(self.funding_all), "sinceOpen": fmt.usd(self.funding_open),
                "sinceChange": fmt.usd(self.funding_change)}


@dataclass
class Leverage:
    value: int
    is_cross: bool = True


@dataclass
class Account:
    address: str
    cash: Decimal                                            # USDC balance incl. realised PnL and fees
    positions: dict[str, Position] = field(default_factory=dict)
    leverage: dict[str, Leverage] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)   # open orders by oid
    fills: list[dict[str, Any]] = field(default_factory=list)
    funding: list[dict[str, Any]] = field(default_factory=list)   # userFunding records, oldest first
    volume: Decimal = ZERO
    n_requests: int = 0                   # address budget used (userRateLimit.nRequestsUsed)
    last_throttled_pass: float | None = None   # monotonic time of the last request let through over the cap
    schedule_cancel_at: int | None = None

    def lev(self, asset: PerpAsset) -> Leverage:
        return self.leverage.setdefault(asset.coin, Leverage(asset.default_leverage))

    def position(self, coin: str) -> Position:
        return self.positions.setdefault(coin, Position())

    # ---- margin ------------------------------------------------------------
    def unrealized(self, marks: dict[str, Decimal]) -> Decimal:
        return sum((p.szi * (marks[c] - p.entry_px) for c, p in self.positions.items() if p.szi), ZERO)

    def account_value(self, marks: dict[str, Decimal]) -> Decimal:
        return self.cash + self.unrealized(marks)

    def position_margin(self, coin: str, marks: dict[str, Decimal]) -> Decimal:
        pos = self.positions.get(coin)
        if not pos or not pos.szi:
            return ZERO
        return abs(pos.szi) * marks[coin] / self.lev(BY_COIN[coin]).value

    def margin_used(self, marks: dict[str, Decimal]) -> Decimal:
        return sum((self.position_margin(c, marks) for c in self.positions), ZERO)

    def order_margin(self) -> Decimal:
        """Initial margin reserved by resting orders that would add exposure."""
        total = ZERO
        for order in self.orders.values():
            if not order.reduce_only:
                total += order.sz * order.limit_px / self.lev(order.asset).value
        return total

    def available(self, marks: dict[str, Decimal]) -> Decimal:
        return self.account_value(marks) - self.margin_used(marks) - self.order_margin()

    def notional(self, marks: dict[str, Decimal]) -> Decimal:
        return sum((abs(p.szi) * marks[c] for c, p in self.positions.items()), ZERO)

    # ---- fills -------------------------------------------------------------
    def apply_fill(self, coin: str, is_buy: bool, px: Decimal, sz: Decimal, fee: Decimal) -> tuple[Decimal, Decimal, str]:
        """Update position and cash; returns (startPosition, closedPnl, dir)."""
        pos = self.position(coin)
        start = pos.szi
        signed = sz if is_buy else -sz
        closed = ZERO
        if start == 0 or (start > 0) == is_buy:
            total = abs(start) + sz
            pos.entry_px = (pos.entry_px * abs(start) + px * sz) / total
        else:
            closing = min(abs(start), sz)
            closed = closing * (px - pos.entry_px) * (1 if start > 0 else -1)
            if sz > abs(start):
                pos.entry_px = px
        pos.szi = start + signed
        if pos.szi == 0:
            pos.entry_px = ZERO
        # sinceChange restarts at every size change, sinceOpen when a position opens or flips
        # (unconfirmed for flips: the docs only name the fields)
        pos.funding_change = ZERO
        if start == 0 or (start > 0) != (pos.szi > 0):
            pos.funding_open = ZERO
        self.cash += closed - fee
        self.volume += px * sz
        return start, closed, _direction(start, pos.szi)

    def state(self, marks: dict[str, Decimal]) -> dict[str, Any]:
        """The clearinghouseState document."""
        value = self.account_value(marks)
        used = self.margin_used(marks)
        ntl = self.notional(marks)
        raw = self.cash - sum((p.szi * marks[c] for c, p in self.positions.items()), ZERO)
        summary = {"accountValue": fmt.usd(value), "totalNtlPos": fmt.usd(ntl),
                   "totalRawUsd": fmt.usd(raw), "totalMarginUsed": fmt.usd(used)}
        positions = [self._position_doc(c, p, marks, value, BY_COIN[c])
                     for c, p in sorted(self.positions.items(), key=lambda kv: BY_COIN[kv[0]].asset) if p.szi]
        withdrawable = max(ZERO, value - used - self.order_margin())
        return {"marginSummary": summary, "crossMarginSummary": dict(summary),
                "crossMaintenanceMarginUsed": fmt.usd(self._maintenance(marks)),
                "withdrawable": fmt.usd(withdrawable), "assetPositions": positions}

    def _maintenance(self, marks: dict[str, Decimal]) -> Decimal:
        return sum((abs(p.szi) * marks[c] / (2 * BY_COIN[c].max_leverage)
                    for c, p in self.positions.items() if p.szi), ZERO)

    def _position_doc(self, coin: str, pos: Position, marks: dict[str, Decimal], value: Decimal,
                      asset: PerpAsset) -> dict[str, Any]:
        mark = marks[coin]
        lev = self.lev(asset)
        upnl = pos.szi * (mark - pos.entry_px)
        margin = abs(pos.szi) * mark / lev.value
        initial = abs(pos.szi) * pos.entry_px / lev.value
        roe = upnl / initial if initial else ZERO
        leverage: dict[str, Any] = {"type": "cross" if lev.is_cross else "isolated", "value": lev.value}
        if not lev.is_cross:
            leverage["rawUsd"] = fmt.usd(margin - pos.szi * mark)
        liq = self._liquidation_px(pos, mark, value, asset)
        return {"type": "oneWay", "position": {
            "coin": coin, "szi": fmt.plain(pos.szi), "entryPx": fmt.px(_round_sig(pos.entry_px)),
            "positionValue": fmt.usd(abs(pos.szi) * mark), "unrealizedPnl": fmt.usd(upnl),
            "returnOnEquity": fmt.usd(roe, Decimal("1e-9")), "leverage": leverage,
            "liquidationPx": fmt.px(_round_sig(liq)) if liq is not None else None,
            "marginUsed": fmt.usd(margin), "maxLeverage": asset.max_leverage,
            "cumFunding": pos.cum_funding()}}

    def _liquidation_px(self, pos: Position, mark: Decimal, value: Decimal, asset: PerpAsset) -> Decimal | None:
        """Price at which account value falls to maintenance margin (this position moving alone)."""
        side = 1 if pos.szi > 0 else -1
        mm_rate = Decimal(1) / (2 * asset.max_leverage)
        size = abs(pos.szi)
        # value + side*size*(liq - mark) = mm_rate*size*liq
        denom = size * (side - mm_rate)
        if denom == 0:
            return None
        liq = (side * size * mark - value) / denom
        return liq if liq > 0 else None


def _direction(start: Decimal, end: Decimal) -> str:
    if start >= 0 and end > start:
        return "Open Long"
    if start <= 0 and end < start:
        return "Open Short"
    if start > 0 and end < 0:
        return "Long > Short"
    if start < 0 and end > 0:
        return "Short > Long"
    return "Close Long" if start > 0 else "Close Short"


def _round_sig(value: Decimal, figs: int = 6) -> Decimal:
    if value == 0:
        return value
    return round(value, max(0, figs - value.adjusted() - 1))
