"""Liquidations: checked at every new mark, a market order to the book first, the liquidator vault behind it.

Sources: docs trading/liquidations (https://hyperliquid.gitbook.io/hyperliquid-docs/trading/liquidations,
"docs/liquidations"); its partial-liquidation and liquidation-price sections read through pages that reproduce
it (HIP-3 deployers' docs, the community wiki hyperliquid-co.gitbook.io) and Hyperliquid's announcement of
partial liquidations (Telegram hyperliquid_announcements, post 307):

* an account is liquidated when its equity falls below the maintenance margin (maintenance.py), judged on the
  mark price; cross positions share the cross account value, an isolated position stands on its own margin;
* the positions are first closed by market orders to the book for the full size, which may fill in part; what
  collateral is left stays with the trader; "Unlike CEXs there is no clearance fee on liquidations" (the
  announcement): the fills pay the ordinary taker fee (engine.liquidation_order);
* a liquidatable position over 100k USDC of notional (10k on testnet) sends only 20% of its size; after a block
  in which any of the user's positions was partially liquidated, for 30 s every market liquidation order of
  that user is for the entire position;
* if the equity falls below 2/3 of the maintenance margin without the book having taken the positions, the
  liquidator vault takes them (backstop): a cross backstop takes every cross position and the cross margin
  (an account with nothing isolated ends at zero), an isolated one that position and its margin. A recorded
  backstop fill (the vault's side, third-party userFills survey): dir "Liquidated Cross Long", fee "0.0",
  crossed true, a price of six significant figures off the tick grid, 1% under the mark of the long it took.

Simnet's choices (unconfirmed, listed in docs/simnet/hyperliquid.md): the check runs once per price tick, on
the marks of that tick, read before its liquidation orders take the book (the mark is the venue's mid, as
everywhere in simnet); each position gets one order per tick, in asset order, all of them even once
maintenance is met again; the order's limit is the price at which the account's equity (cross, or the isolated
position's) would reach zero after the fee, so a market liquidation never leaves a negative balance and what
the book cannot take above it is left for the backstop; a backstop happens only after an order of that tick
filled short; the vault takes each position at the price that hands it the remaining equity (split across
cross positions by notional), rounded to 6 significant figures, no fee; auto-deleveraging is not simulated (the
vault also absorbs a negative equity). The account's resting orders are left alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from tools.simnet.hyperliquid import fmt
from tools.simnet.hyperliquid.accounts import ZERO, Account
from tools.simnet.hyperliquid.assets import BY_COIN, round_size
from tools.simnet.hyperliquid.engine import Engine

PARTIAL_USD = Decimal(100_000)
PARTIAL_FRACTION = Decimal("0.2")
PARTIAL_COOLDOWN_S = 30.0
BACKSTOP_FRACTION = Decimal(2) / 3
MIN_PX = Decimal("0.000001")   # a backstop price never reaches zero (a long whose equity exceeds its notional)


@dataclass(frozen=True)
class LiquidationRules:
    enabled: bool = True
    backstop_fraction: Decimal = BACKSTOP_FRACTION
    partial_usd: Decimal = PARTIAL_USD
    partial_fraction: Decimal = PARTIAL_FRACTION
    cooldown_s: float = PARTIAL_COOLDOWN_S


@dataclass
class Attempt:
    """One market liquidation order: what it asked for and what the book gave."""
    requested: Decimal
    filled: Decimal

    @property
    def short(self) -> bool:
        return self.filled < self.requested


class Liquidator:
    def __init__(self, engine: Engine, rules: LiquidationRules, clock: Callable[[], int]):
        self.engine = engine
        self.rules = rules
        self.clock = clock
        self.records: list[dict[str, Any]] = []      # the `liquidations` control action
        self.cooldown_until: dict[str, int] = {}     # user -> ms: market orders are for the whole position

    def check(self) -> None:
        """Liquidate every account below maintenance at the current marks."""
        if not self.rules.enabled:
            return
        marks = self.engine.marks()
        for acct in list(self.engine.accounts.values()):
            for coin in acct.open_coins(isolated=True):
                self._isolated(acct, coin, marks)
            self._cross(acct, marks)

    # ---- the two margin pools ------------------------------------------------------------------
    def _cross(self, acct: Account, marks: dict[str, Decimal]) -> None:
        mm = self.engine.maintenance
        coins = acct.open_coins(isolated=False)
        if not coins or acct.cross_value(marks) >= acct.cross_maintenance(marks, mm):
            return
        attempts = [self._market(acct, coin, marks, lambda: acct.cross_value(marks)) for coin in coins]
        left = acct.open_coins(isolated=False)
        if left and any(a.short for a in attempts) and \
                acct.cross_value(marks) < self.rules.backstop_fraction * acct.cross_maintenance(marks, mm):
            self._backstop(acct, left, marks, acct.cross_value(marks))
            # the cross margin goes with the positions: the cross account value ends at zero
            acct.cash -= acct.cross_value(marks)

    def _isolated(self, acct: Account, coin: str, marks: dict[str, Decimal]) -> None:
        mm = self.engine.maintenance
        if acct.isolated_equity(coin, marks) >= acct.maintenance(coin, marks, mm):
            return
        attempt = self._market(acct, coin, marks, lambda: acct.isolated_equity(coin, marks))
        if acct.positions[coin].szi and attempt.short and \
                acct.isolated_equity(coin, marks) < self.rules.backstop_fraction * acct.maintenance(coin, marks, mm):
            margin = acct.isolated_margin(coin)
            cash = acct.cash
            self._backstop(acct, [coin], marks, acct.isolated_equity(coin, marks))
            acct.cash = cash - margin   # the position's margin goes with it, the rest of the account is untouched

    # ---- market orders ------------------------------------------------------------------------
    def _market(self, acct: Account, coin: str, marks: dict[str, Decimal], equity: Callable[[], Decimal]) -> Attempt:
        asset = BY_COIN[coin]
        szi = acct.positions[coin].szi
        size, partial = self._order_size(acct, coin, abs(szi), marks[coin])
        is_buy = szi < 0
        limit = _zero_equity_price(size, marks[coin], 1 if szi > 0 else -1, equity(), self.engine.fees.taker)
        fills = self.engine.liquidation_order(acct, asset, is_buy, size, limit,
                                              _liquidation(acct, marks[coin], "market"))
        filled = sum((Decimal(f["sz"]) for f in fills), ZERO)
        if fills:
            if partial:
                self.cooldown_until[acct.address] = self.clock() + int(self.rules.cooldown_s * 1000)
            self._record(acct, coin, is_buy, fills)
        return Attempt(size, filled)

    def _order_size(self, acct: Account, coin: str, size: Decimal, mark: Decimal) -> tuple[Decimal, bool]:
        """(size, partial): a fifth of a position over the partial threshold, outside the user's cooldown."""
        r = self.rules
        if size * mark <= r.partial_usd or self.clock() < self.cooldown_until.get(acct.address, 0):
            return size, False
        lot = Decimal(1).scaleb(-BY_COIN[coin].sz_decimals)
        return min(size, max(lot, round_size(BY_COIN[coin], size * r.partial_fraction))), True

    # ---- the liquidator vault -----------------------------------------------------------------
    def _backstop(self, acct: Account, coins: list[str], marks: dict[str, Decimal], equity: Decimal) -> None:
        """Hand ``coins``' positions to the vault, each at the price that gives it its share of ``equity``."""
        notional = sum((abs(acct.positions[c].szi) * marks[c] for c in coins), ZERO)
        for coin in coins:
            pos = acct.positions[coin]
            side = 1 if pos.szi > 0 else -1
            share = abs(pos.szi) * marks[coin] / notional
            px = _six_figures(marks[coin] - side * equity * share / abs(pos.szi))
            kind = "Isolated" if acct.is_isolated(coin) else "Cross"
            direction = f"Liquidated {kind} {'Long' if side > 0 else 'Short'}"
            fill = self.engine.backstop_fill(acct, BY_COIN[coin], max(px, MIN_PX),
                                             _liquidation(acct, marks[coin], "backstop"), direction)
            self._record(acct, coin, side < 0, [fill])

    def _record(self, acct: Account, coin: str, is_buy: bool, fills: list[dict[str, Any]]) -> None:
        size = sum((Decimal(f["sz"]) for f in fills), ZERO)
        price = sum((Decimal(f["px"]) * Decimal(f["sz"]) for f in fills), ZERO) / size
        self.records.append({"account": acct.address, "market": coin, "size": float(size if is_buy else -size),
                             "price": float(price), "time": self.clock() / 1000.0})


def _liquidation(acct: Account, mark: Decimal, method: str) -> dict[str, str]:
    return {"liquidatedUser": acct.address, "markPx": fmt.px(mark), "method": method}


def _zero_equity_price(size: Decimal, mark: Decimal, side: int, equity: Decimal, fee_rate: Decimal) -> Decimal:
    """The fill price at which closing ``size`` (side +1 long, -1 short) leaves ``equity`` at zero after the
    fee: equity + side x size x (px - mark) - size x px x fee = 0."""
    rate = max(fee_rate, ZERO)
    return (size * mark - side * equity) / (size * (1 - side * rate))


def _six_figures(value: Decimal) -> Decimal:
    """Rounded to 6 significant figures, as the recorded backstop fill's price (67.5499) is."""
    if value == 0:
        return value
    return round(value, max(0, 5 - value.adjusted()))
