"""The USDⓈ-M trade endpoints a market maker uses beyond one order at a time: amend an order, batches of
orders, and the dead man's switch.

Sources: the official SDK (binance/binance-connector-python, derivatives_trading_usds_futures,
rest_api/api/trade_api.py docstrings, weights and notes; unit-test fixtures for the answers):

* PUT /fapi/v1/order ``modify_order``: "Weight: 1 on 10s order rate limit; 1 on 1min order rate limit; 0 on
  IP rate limit" (rules in amend.py).
* POST /fapi/v1/batchOrders ``place_multiple_orders`` and PUT /fapi/v1/batchOrders ``modify_multiple_orders``:
  "Max 5 orders"; "Weight: 5 on 10s order rate limit; 1 on 1min order rate limit; 5 on IP rate limit";
  "processed concurrently, and the order of matching is not guaranteed"; "The order of returned contents ...
  is the same as the order of the order list"; each element is an order or ``{"code", "msg"}`` (fixtures).
  -4082 "Invalid number of batch place orders." (error-code page) for none or more than 5.
* DELETE /fapi/v1/batchOrders ``cancel_multiple_orders``: weight 1; "Either orderIdList or
  origClientOrderIdList must be sent" (max 10 each, the docs' parameter table); -4032 "Exceed maximum cancel
  order size." (error-code page) beyond 10.
* POST /fapi/v1/countdownCancelAll ``auto_cancel_all_open_orders``: weight 10; "Cancel all open orders of the
  specified symbol at the end of the specified countdown"; "called repeatedly as heartbeats so that the
  existing countdown time can be canceled and replaced by a new one"; "countdownTime of 0, the countdown timer
  will be stopped"; "The system will check all countdowns approximately every 10 milliseconds"; answer
  ``{"symbol": "BTCUSDT", "countdownTime": "100000"}``.

unconfirmed: the list parameters' encoding beyond JSON [JSON, or a Python-style list with single quotes as
some clients send]; which batch elements run first [the list order]; whether a countdown is per API key or
per account [per account and symbol]; an error for a negative countdownTime [-1130].
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Callable

from tools.simnet.binance import amend
from tools.simnet.binance.clock import ServerClock
from tools.simnet.binance.errors import BinanceError, missing
from tools.simnet.binance.order_entry import OrderEntry
from tools.simnet.binance.params import futures_symbol
from tools.simnet.binance.rest import SIGNED, Call

MAX_BATCH, MAX_BATCH_CANCEL = 5, 10


def list_param(params: dict[str, str], name: str) -> list[Any] | None:
    """A JSON list parameter (None when absent); -1130 when it is not a list."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    for text in (raw, raw.replace("'", '"')):
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, list):
            return value
    raise BinanceError(-1130, name=name)


def error_row(err: BinanceError) -> dict[str, Any]:
    return {"code": err.code, "msg": err.msg}


class MakerApi:
    def __init__(self, entry: OrderEntry, clock: ServerClock, book_changed: Callable[[str], None]):
        self.entry = entry
        self.engine = entry.engine
        self.clock = clock
        self.book_changed = book_changed
        self.countdowns: dict[tuple[str, str], asyncio.TimerHandle] = {}

    def routes(self) -> list[tuple[str, str, Any, Any, str]]:
        return [
            ("PUT", "/fapi/v1/order", self.modify_order, 0, SIGNED),
            ("POST", "/fapi/v1/batchOrders", self.place_batch, 5, SIGNED),
            ("PUT", "/fapi/v1/batchOrders", self.modify_batch, 5, SIGNED),
            ("DELETE", "/fapi/v1/batchOrders", self.cancel_batch, 1, SIGNED),
            ("POST", "/fapi/v1/countdownCancelAll", self.countdown_cancel_all, 10, SIGNED),
        ]

    # ---- amend ------------------------------------------------------------------------
    async def modify_order(self, call: Call) -> Any:
        assert call.account is not None
        self.entry.count(call)
        return self._modify_one(call, call.params)

    def _modify_one(self, call: Call, params: dict[str, str]) -> dict[str, Any]:
        assert call.account is not None
        order = amend.modify(self.engine, call.account, params, call.now)
        self.book_changed(order.symbol)
        return amend.amended(order, params.get("modifyId"))

    # ---- batches ---------------------------------------------------------------------
    def _batch(self, call: Call) -> list[dict[str, str]]:
        orders = list_param(call.params, "batchOrders")
        if orders is None:
            raise missing("batchOrders")
        if not 0 < len(orders) <= MAX_BATCH or not all(isinstance(o, dict) for o in orders):
            raise BinanceError(-4082)
        self.entry.count(call, ten=5, minute=1)
        return [{k: _text(v) for k, v in o.items()} for o in orders]

    async def place_batch(self, call: Call) -> Any:
        assert call.account is not None
        rows = []
        for params in self._batch(call):
            try:
                order = self.entry.place(call.account, params, call.now)
                rows.append(order.placement(final=params.get("newOrderRespType", "ACK") == "RESULT"))
            except BinanceError as err:
                rows.append(error_row(err))
        return rows

    async def modify_batch(self, call: Call) -> Any:
        rows = []
        for params in self._batch(call):
            try:
                rows.append(self._modify_one(call, params))
            except BinanceError as err:
                rows.append(error_row(err))
        return rows

    async def cancel_batch(self, call: Call) -> Any:
        assert call.account is not None
        symbol = futures_symbol(call.params)
        ids, client_ids = list_param(call.params, "orderIdList"), list_param(call.params, "origClientOrderIdList")
        if ids is None and client_ids is None:
            raise BinanceError(-1102, "Param 'orderIdList' or 'origClientOrderIdList' must be sent, but both were "
                               "empty/null!")
        wanted = [{"symbol": symbol, "orderId": _text(i)} for i in ids or ()] + \
                 [{"symbol": symbol, "origClientOrderId": _text(c)} for c in client_ids or ()]
        if len(wanted) > MAX_BATCH_CANCEL:
            raise BinanceError(-4032)
        rows = []
        for params in wanted:
            try:
                rows.append(self.engine.cancel(call.account, params, call.now).cancelled())
            except BinanceError as err:
                rows.append(error_row(err))
        self.book_changed(symbol)
        return rows

    # ---- dead man's switch ---------------------------------------------------------------
    async def countdown_cancel_all(self, call: Call) -> Any:
        account = call.account
        assert account is not None
        symbol = futures_symbol(call.params)
        raw = call.params.get("countdownTime", "")
        if raw == "":
            raise missing("countdownTime")
        if not raw.isdigit():
            raise BinanceError(-1130, name="countdownTime")
        key = (account.api_key, symbol)
        timer = self.countdowns.pop(key, None)
        if timer is not None:
            timer.cancel()
        if int(raw) > 0:
            loop = asyncio.get_running_loop()
            self.countdowns[key] = loop.call_later(int(raw) / 1000, self._fire, account, symbol)
        return {"symbol": symbol, "countdownTime": raw}

    def _fire(self, account, symbol: str) -> None:
        """The countdown ran out: "all your orders of the specified symbol will be automatically canceled"
        (Auto-Cancel All Open Orders, USDⓈ-M docs; the SDK's auto_cancel_all_open_orders docstring). Each order
        pushes ORDER_TRADE_UPDATE x=CANCELED, X=CANCELED as any cancel does (the Order Update page lists
        CANCELED). unconfirmed: that the countdown's cancels push exactly that (no capture found), and whether
        fapi refuses new orders afterwards as the options endpoint does (-2010 on /eapi; simnet: it does not)."""
        self.countdowns.pop((account.api_key, symbol), None)
        now = self.clock.server_ms()
        for order in self.engine.open_orders(account, symbol):
            self.engine.cancel(account, {"symbol": symbol, "orderId": str(order.order_id)}, now)
        self.book_changed(symbol)

    def cancel_timers(self) -> None:
        for timer in self.countdowns.values():
            timer.cancel()
        self.countdowns.clear()


def _text(value: Any) -> str:
    """A batch element's value as the string a form parameter would carry."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
