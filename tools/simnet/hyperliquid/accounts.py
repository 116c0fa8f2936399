"""Accounts, positions, resting orders and cross/isolated margin arithmetic.

All money is ``Decimal``. Mark price = the venue's mid. Funding payments
(``funding.pay``) move cash and the positions' cumFunding. The maintenance
rule is maintenance.py's; liquidations act on it in liquidation.py.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tools.simnet.hyperliquid import fmt
from tools.simnet.hyperliquid.assets import BY_COIN, PerpAsset
from tools.simnet.hyperliquid.builders import BuilderRef
from tools.simnet.hyperliquid.maintenance import DEFAULT_MAINTENANCE, Maintenance

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
    # wall-clock second the order was accepted: an inspection figure for tools/observer (control action
    # placements), not a venue field (the venue's own time is ``timestamp``, on the venue clock)
    placed_at: float = field(default_factory=time.time, compare=False, repr=False)

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
    # Cross and isolated (docs trading/margining and trading/liquidations): cross positions share the account's
    # cross margin, an isolated position carries its own. Simnet has no updateIsolatedMargin, so an isolated
    # position's margin is the initial margin it was opened with, |szi| x entryPx / leverage (added to with
    # the position, released pro rata as it shrinks); its realised PnL, fees and funding settle into the one
    # USDC balance (unconfirmed: the venue may keep them in the isolated margin).
    def is_isolated(self, coin: str) -> bool:
        lev = self.leverage.get(coin)
        return lev is not None and not lev.is_cross

    def open_coins(self, isolated: bool | None = None) -> list[str]:
        """Coins with a position, in asset order; only cross (False) or isolated (True) ones if asked."""
        coins = [c for c, p in self.positions.items()
                 if p.szi and (isolated is None or self.is_isolated(c) == isolated)]
        return sorted(coins, key=lambda c: BY_COIN[c].asset)

    def unrealized(self, marks: dict[str, Decimal]) -> Decimal:
        return sum((p.szi * (marks[c] - p.entry_px) for c, p in self.positions.items() if p.szi), ZERO)

    def account_value(self, marks: dict[str, Decimal]) -> Decimal:
        return self.cash + self.unrealized(marks)

    def isolated_margin(self, coin: str) -> Decimal:
        pos = self.positions.get(coin)
        if not pos or not pos.szi:
            return ZERO
        return abs(pos.szi) * pos.entry_px / self.lev(BY_COIN[coin]).value

    def isolated_equity(self, coin: str, marks: dict[str, Decimal]) -> Decimal:
        """An isolated position's own value: its margin plus its unrealised PnL."""
        pos = self.positions[coin]
        return self.isolated_margin(coin) + pos.szi * (marks[coin] - pos.entry_px)

    def cross_value(self, marks: dict[str, Decimal]) -> Decimal:
        """Cross account value: the account value less what the isolated positions hold."""
        return self.account_value(marks) - sum((self.isolated_equity(c, marks) for c in self.open_coins(True)), ZERO)

    def maintenance(self, coin: str, marks: dict[str, Decimal], mm: Maintenance = DEFAULT_MAINTENANCE) -> Decimal:
        pos = self.positions.get(coin)
        if not pos or not pos.szi:
            return ZERO
        return abs(pos.szi) * marks[coin] * mm.rate(BY_COIN[coin])

    def cross_maintenance(self, marks: dict[str, Decimal], mm: Maintenance = DEFAULT_MAINTENANCE) -> Decimal:
        return sum((self.maintenance(c, marks, mm) for c in self.open_coins(False)), ZERO)

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

    def state(self, marks: dict[str, Decimal], mm: Maintenance = DEFAULT_MAINTENANCE) -> dict[str, Any]:
        """The clearinghouseState document.

        marginSummary covers every position, crossMarginSummary and crossMaintenanceMarginUsed the cross ones
        (nktkas ClearinghouseStateResponse: "Maintenance margin used for cross-margin positions"; the two
        summaries are equal when nothing is isolated, as in every recorded answer). totalRawUsd is the USD
        side: accountValue less the signed position values (SDK cassette test_get_user_state.yaml: 1182.312496
        less the net 1095.763094 of its twelve positionValues is 86.5494, recorded 86.549602: the values are
        rounded)."""
        value = self.account_value(marks)
        summary = self._summary(value, self.open_coins(), marks)
        cross_summary = self._summary(self.cross_value(marks), self.open_coins(False), marks)
        positions = [self._position_doc(c, self.positions[c], marks, mm) for c in self.open_coins()]
        withdrawable = max(ZERO, value - self.margin_used(marks) - self.order_margin())
        return {"marginSummary": summary, "crossMarginSummary": cross_summary,
                "crossMaintenanceMarginUsed": fmt.usd(self.cross_maintenance(marks, mm)),
                "withdrawable": fmt.usd(withdrawable), "assetPositions": positions}

    def _summary(self, value: Decimal, coins: list[str], marks: dict[str, Decimal]) -> dict[str, str]:
        ntl = sum((abs(self.positions[c].szi) * marks[c] for c in coins), ZERO)
        raw = value - sum((self.positions[c].szi * marks[c] for c in coins), ZERO)
        used = sum((self.position_margin(c, marks) for c in coins), ZERO)
        return {"accountValue": fmt.usd(value), "totalNtlPos": fmt.usd(ntl), "totalRawUsd": fmt.usd(raw),
                "totalMarginUsed": fmt.usd(used)}

    def _position_doc(self, coin: str, pos: Position, marks: dict[str, Decimal], mm: Maintenance) -> dict[str, Any]:
        asset = BY_COIN[coin]
        mark = marks[coin]
        lev = self.lev(asset)
        upnl = pos.szi * (mark - pos.entry_px)
        margin = abs(pos.szi) * mark / lev.value
        initial = abs(pos.szi) * pos.entry_px / lev.value
        roe = upnl / initial if initial else ZERO
        leverage: dict[str, Any] = {"type": "cross" if lev.is_cross else "isolated", "value": lev.value}
        if not lev.is_cross:
            # the USD side of the isolated position: its value less the signed position value
            leverage["rawUsd"] = fmt.usd(self.isolated_equity(coin, marks) - pos.szi * mark)
        liq = self.liquidation_px(coin, marks, mm)
        return {"type": "oneWay", "position": {
            "coin": coin, "szi": fmt.plain(pos.szi), "entryPx": fmt.px(_round_sig(pos.entry_px)),
            "positionValue": fmt.usd(abs(pos.szi) * mark), "unrealizedPnl": fmt.usd(upnl),
            "returnOnEquity": fmt.usd(roe, Decimal("1e-9")), "leverage": leverage,
            "liquidationPx": fmt.px(_round_sig(liq)) if liq is not None else None,
            "marginUsed": fmt.usd(margin), "maxLeverage": asset.max_leverage,
            "cumFunding": pos.cum_funding()}}

    def liquidation_px(self, coin: str, marks: dict[str, Decimal], mm: Maintenance = DEFAULT_MAINTENANCE
                       ) -> Decimal | None:
        """The mark at which this position, moving alone, brings its margin down to maintenance.

        Docs trading/liquidations, "Computing liquidation price" (read through the pages that reproduce it,
        see liquidation.py): liq_price = price - side x margin_available /
        position_size / (1 - l x side), l = 1 / maintenance leverage (the maintenance rate), side +1 long, -1
        short, price the mark; margin_available = account value - maintenance margin required (cross: the cross
        account value and the maintenance of every cross position; isolated: the position's own margin and
        maintenance). It is exactly the mark where the liquidation check (liquidation.py) fires, the other
        marks held. None when that price is not positive (a long the account can carry to zero), as recorded
        (SDK cassette test_get_user_state.yaml, liquidationPx null on longs). The 2023 recording's shorts fit
        the formula without its (1 - l x side) term (and a 1% rate on everything): the venue has changed the
        formula since, or the docs state it more exactly than the venue computes it; simnet follows the docs."""
        pos = self.positions.get(coin)
        if not pos or not pos.szi:
            return None
        side = 1 if pos.szi > 0 else -1
        rate = mm.rate(BY_COIN[coin])
        if self.is_isolated(coin):
            available = self.isolated_equity(coin, marks) - self.maintenance(coin, marks, mm)
        else:
            available = self.cross_value(marks) - self.cross_maintenance(marks, mm)
        denom = abs(pos.szi) * (1 - rate * side)
        if denom == 0:
            return None
        liq = marks[coin] - side * available / denom
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
