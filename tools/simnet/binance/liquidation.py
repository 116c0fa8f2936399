"""Liquidation of cross-margin accounts, checked whenever the mark prices move.

Trigger: margin balance (wallet + unrealised PnL) below the maintenance margin (maintenance.py has
the sources). Then, per Binance FAQ "Liquidation" (https://www.binance.com/en/support/faq/360033525271):
"During liquidation, a user's all open orders are immediately canceled" -- pushed as EXPIRED with
``er`` "5", "Order has expired when the account was liquidated" (USDⓈ-M Event: Order Update, Expiry
Reason); "all liquidation orders are Immediate or Cancel orders"; the liquidated pay "a liquidation fee
on the amount being liquidated"; an account left below 0 is brought back to 0 by the insurance fund
(Binance FAQ "Insurance Fund", https://www.binance.com/en/support/articles/360033525371: such a trader
"is bankrupt, and Binance will need to take over remaining positions"; "The insurance fund will collect
liquidation fees from clients that do not result in client bankruptcy").

The liquidation order, as Binance shows it:
* client order id ``autoclose-<13-digit ms><6 digits>`` ("starts with 'autoclose-': liquidation order",
  Event: Order Update; GET /fapi/v1/forceOrders example "autoclose-1596107620040000020");
* REST (forceOrders, GET /fapi/v1/order, userTrades): ``type``/``origType`` "LIMIT", ``timeInForce``
  "IOC", ``price`` its limit (forceOrders example; JKorf/Binance.Net#1456, 2024-12-11: a real
  liquidation order read back by REST has the "autoclose" prefix and type Limit);
* user stream: ORDER_TRADE_UPDATE ``o``/``ot`` "LIQUIDATION" (the page's Order Type list), first x/X
  NEW ("c shows as 'autoclose-XXX', X shows as 'NEW'"), then the execution with x "CALCULATED"
  ("CALCULATED - Liquidation Execution"), X FILLED; no TRADE_LITE ("it only pushes TRADE Execution
  Type", Event: Trade Lite). unconfirmed: whether the fill is pushed as CALCULATED or TRADE [CALCULATED].
* ACCOUNT_UPDATE of the fill: m "ORDER"; the clearance fee (or the insurance fund's top-up): m
  "INSURANCE_CLEAR" (the reason list of Event: Balance and Position Update) with ``B`` only and ``bc``
  the change, and an income row INSURANCE_CLEAR (Get Income History's list; the Chinese page glosses it
  强平, forced liquidation). unconfirmed: that the fee has its own push [it has].

Simplified (unconfirmed, said in docs/simnet/binance.md): every position of the account is closed in full
(Binance first tries a partial close; the FAQ: small positions "will almost always be fully liquidated");
the IOC's limit is the bankruptcy price (margin balance 0), rounded to the tick against the account, and it
fills in full at the mark rounded to the tick against the account, or at its limit when the mark is already
past it (the insurance fund takes the position over); the synthetic book is not touched and no public
trade is printed (Binance sends the IOC to the book: the forceOrders example's avgPrice is better than its
price); no trading commission on the fill [the clearance fee is the charge]; the fee is ``liquidationFee``
(exchangeInfo) x the notional closed, at most what is left of the margin balance.

``MARGIN_CALL`` (Event: Margin Call: "When the user's position risk ratio is too high"): pushed once when
the margin ratio reaches option ``margin_call_ratio`` (unconfirmed: Binance's level [0.8]), again only
after it fell back below; ``p`` lists every open position (all are cross here).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Callable, Iterable, Mapping

from tools.simnet.binance import maintenance as mm
from tools.simnet.binance.accounts import Account, Position
from tools.simnet.binance.brackets import Ladder
from tools.simnet.binance.orders import Order
from tools.simnet.binance.specs import FUTURES, SymbolSpec
from tools.simnet.binance.trading import FuturesEngine

ZERO = Decimal(0)
ForceSink = Callable[[Order], None]          # a liquidation order has executed (the forceOrder market streams)


@dataclass(frozen=True)
class Liquidation:
    """One liquidation fill, as the ``liquidations`` control action lists it."""
    account: str
    symbol: str
    size: Decimal            # signed: + the venue bought to close a short
    price: Decimal
    time_ms: int
    order_id: int

    def row(self) -> dict[str, Any]:
        return {"account": self.account, "market": self.symbol, "size": float(self.size),
                "price": float(self.price), "time": self.time_ms / 1000.0}


def _tick(spec: SymbolSpec, price: Decimal, up: bool) -> Decimal:
    return (price / spec.tick).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR) * spec.tick


class Liquidator:
    def __init__(self, engine: FuturesEngine, brackets: Mapping[str, Ladder], fees: Mapping[str, Decimal],
                 margin_call_ratio: Decimal | None, on_force: ForceSink):
        self.engine = engine
        self.brackets = brackets
        self.fees = fees
        self.margin_call_ratio = margin_call_ratio
        self.on_force = on_force
        self.history: list[Liquidation] = []
        self.orders: list[tuple[str, Order]] = []        # (api key, order): GET /fapi/v1/forceOrders
        self._called: set[str] = set()                   # accounts whose MARGIN_CALL was pushed
        self._seq = 0

    # ---- the check -------------------------------------------------------------------
    def check(self, accounts: Iterable[Account], now: int) -> list[Liquidation]:
        """Every account: a MARGIN_CALL when its ratio crosses the warning level, a liquidation when its
        margin balance is below its maintenance margin."""
        done: list[Liquidation] = []
        for account in list(accounts):
            marks = self.engine.marks()
            ratio = mm.margin_ratio(account, marks, self.brackets)
            self._margin_call(account, ratio, marks, now)
            if ratio is not None and ratio > 1:
                done.extend(self.liquidate(account, now))
        return done

    def _margin_call(self, account: Account, ratio: Decimal | None, marks: Mapping[str, Decimal], now: int) -> None:
        level = self.margin_call_ratio
        key = account.api_key
        if level is None or ratio is None or ratio < level:
            self._called.discard(key)
            return
        if key in self._called:
            return
        self._called.add(key)
        rows = [{"s": p.symbol, "ps": p.side, "pa": FUTURES[p.symbol].fmt_qty(p.amount), "mt": "CROSSED", "iw": "0",
                 "mp": f"{marks[p.symbol]:.8f}", "up": f"{mm.upnl(p, marks[p.symbol]):.8f}",
                 "mm": f"{mm.position_maint(self.brackets, p, marks[p.symbol]):.8f}"}
                for p in account.open_positions()]
        self.engine.on_user(key, {"e": "MARGIN_CALL", "E": now, "cw": f"{account.wallet:.8f}", "p": rows})

    # ---- the liquidation ---------------------------------------------------------------
    def liquidate(self, account: Account, now: int) -> list[Liquidation]:
        """Expire the account's open orders, close every position, settle the clearance fee."""
        self._expire_orders(account, now)
        priced = [(position, *self._prices(account, position)) for position in account.open_positions()]
        done = [self._close(account, position, limit, price, now) for position, limit, price in priced]
        self._clear(account, done, now)
        self._called.discard(account.api_key)
        self.history.extend(done)
        return done

    def _expire_orders(self, account: Account, now: int) -> None:
        engine = self.engine
        for order in engine.open_orders(account):
            order.status, order.update_time = "EXPIRED", now
            notional = engine.notional(account, order.symbol)
            engine.on_user(account.api_key, order.trade_event(now, "EXPIRED", notional=notional, expiry_reason="5"))

    def _prices(self, account: Account, position: Position) -> tuple[Decimal, Decimal]:
        """(limit, execution) of the closing IOC, priced when the liquidation starts: the limit is the symbol's
        bankruptcy price for a position on the side the symbol's net position is on (else the mark: a hedge
        leg that gains as the price moves on), the execution the mark; each rounded to the tick against the
        account, the execution never past the limit."""
        spec = FUTURES[position.symbol]
        marks = self.engine.marks()
        mark = marks[position.symbol]
        selling = position.amount > 0
        net = sum((p.amount for p in account.open_positions() if p.symbol == position.symbol), ZERO)
        bankrupt = mm.bankruptcy_price(account, position.symbol, marks, self.brackets) if net else None
        at_mark = _tick(spec, mark, up=not selling)
        if bankrupt is None or (net > 0) != selling:
            return at_mark, at_mark
        limit = _tick(spec, bankrupt, up=selling)
        return limit, (max(at_mark, limit) if selling else min(at_mark, limit))

    def _close(self, account: Account, position: Position, limit: Decimal, price: Decimal, now: int) -> Liquidation:
        engine = self.engine
        spec = FUTURES[position.symbol]
        qty = abs(position.amount)
        side = "SELL" if position.amount > 0 else "BUY"
        self._seq += 1
        order = engine.create(account, {"spec": spec, "side": side, "type": "LIMIT", "tif": "IOC", "qty": qty,
                                        "price": limit, "client_id": f"autoclose-{now}{self._seq:06d}",
                                        "reduce_only": False, "position_side": position.side}, now)
        order.autoclose = True
        engine.order_event(account, order, now, "NEW")
        self._fill(account, order, position, price, now)
        self.orders.append((account.api_key, order))
        self.on_force(order)
        return Liquidation(account.api_key, spec.symbol, qty if side == "BUY" else -qty, price, now, order.order_id)

    def _fill(self, account: Account, order: Order, position: Position, price: Decimal, now: int) -> None:
        """The whole order at `price`: realised PnL into the wallet, no commission (module docstring)."""
        engine = self.engine
        qty = order.remaining
        realized = position.apply(qty if order.side == "BUY" else -qty, price)
        position.update_time = now
        account.wallet += realized
        order.executed += qty
        order.cum_quote += price * qty
        order.status, order.update_time = "FILLED", now
        trade_id = engine.next_trade_id
        engine.next_trade_id += 1
        order.fills.append({"price": price, "qty": qty, "fee": ZERO, "fee_asset": "USDT", "maker": False,
                            "tradeId": trade_id, "realized": realized, "time": now})
        if realized:
            account.add_income(order.symbol, "REALIZED_PNL", realized, now, engine.tran_id(), str(trade_id))
        update = engine.account_event(account, order.symbol, order.position_side, now)
        trade = order.trade_event(now, "CALCULATED", qty, price, ZERO, False, trade_id, realized,
                                  notional=engine.notional(account, order.symbol))
        for event in ((update, trade) if engine.account_first else (trade, update)):
            engine.on_user(account.api_key, event)

    def _clear(self, account: Account, done: list[Liquidation], now: int) -> None:
        """Per closed position the clearance fee, liquidationFee x notional closed, while the wallet lasts; or
        the insurance fund's top-up of a wallet the closes left negative. One INSURANCE_CLEAR push for all."""
        engine = self.engine
        total = ZERO
        if not done:
            return
        if account.wallet < 0:
            total = -account.wallet
            account.add_income(done[0].symbol, "INSURANCE_CLEAR", total, now, engine.tran_id())
        for record in done:
            fee = min(abs(record.size) * record.price * self.fees[record.symbol], account.wallet + total)
            if fee > 0:
                total -= fee
                account.add_income(record.symbol, "INSURANCE_CLEAR", -fee, now, engine.tran_id())
        if not total:
            return
        account.wallet += total
        wallet = f"{account.wallet:.8f}"
        engine.on_user(account.api_key, {"e": "ACCOUNT_UPDATE", "E": now, "T": now, "a": {
            "m": "INSURANCE_CLEAR", "B": [{"a": "USDT", "wb": wallet, "cw": wallet, "bc": f"{total:.8f}"}],
            "P": []}})

    # ---- what the endpoints and the control action read ------------------------------------
    def force_orders(self, api_key: str) -> list[Order]:
        return [order for key, order in self.orders if key == api_key]

    def rows(self) -> list[dict[str, Any]]:
        return [record.row() for record in self.history]
