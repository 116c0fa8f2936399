"""USDT-M futures REST endpoints (/fapi/...): market data, orders, user-stream keys.

Account endpoints are in account_api.py, batches and the dead man's switch in maker_api.py, the order checks
they share in order_entry.py. Weights: the official SDK's endpoint docstrings
(binance/binance-connector-python, clients/derivatives_trading_usds_futures/rest_api/api).
"""
from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any, Protocol

from aiohttp import web

from tools.simnet.binance import bnb
from tools.simnet.binance.account_api import AccountApi
from tools.simnet.binance.brackets import Ladder
from tools.simnet.binance.clock import ServerClock
from tools.simnet.binance.depth_streams import StaleSnapshots
from tools.simnet.binance.errors import BinanceError
from tools.simnet.binance.funding import Funding
from tools.simnet.binance.late_execution import LateOrders, no_answer
from tools.simnet.binance.liquidation import Liquidator
from tools.simnet.binance.listen_keys import ListenKeys
from tools.simnet.binance.maker_api import MakerApi
from tools.simnet.binance.marks import Marks
from tools.simnet.binance.order_entry import OrderEntry
from tools.simnet.binance.params import futures_symbol
from tools.simnet.binance.rest import NONE, SIGNED, USER_STREAM, Call, RestPipeline
from tools.simnet.binance.specs import FUTURES, PercentPrice, futures_exchange_info
from tools.simnet.binance.tickers import TradeStats
from tools.simnet.binance.trading import FuturesEngine
from tools.simnet.faults import Faults

DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)
SEVEN_DAYS_MS = 7 * 86_400_000
FORCE_ORDER_FIELDS = ("orderId", "symbol", "status", "clientOrderId", "price", "avgPrice", "origQty", "executedQty",
                      "cumQuote", "timeInForce", "type", "reduceOnly", "closePosition", "side", "positionSide",
                      "stopPrice", "workingType", "origType", "time", "updateTime")     # the docs example


def depth_weight(params: dict[str, str]) -> int:
    limit = int(params.get("limit", "500")) if params.get("limit", "500").isdigit() else 500
    return 2 if limit <= 50 else 5 if limit <= 100 else 10 if limit <= 500 else 20


def per_symbol(one: int, every: int):
    """Weight that depends on whether ``symbol`` was sent (e.g. bookTicker: 2 / 5)."""
    return lambda params: one if params.get("symbol") else every


class FuturesVenue(Protocol):
    """What the /fapi endpoints read of the venue (venue.BinanceVenue is one)."""
    options: dict[str, Any]
    faults: Faults
    clock: ServerClock
    engine: FuturesEngine
    brackets: dict[str, Ladder]
    liquidation_fees: dict[str, Decimal]
    percent_price: dict[str, PercentPrice]
    marks: Marks
    funding: Funding
    trade_stats: TradeStats
    stale_snapshots: StaleSnapshots
    liquidator: Liquidator
    listen_keys: ListenKeys

    def last_price(self, symbol: str) -> Decimal: ...

    def book_changed(self, symbol: str) -> None: ...


class FuturesApi:
    """The /fapi REST app; its websocket routes are added by the venue (ws_endpoints.py)."""

    def __init__(self, venue: FuturesVenue, pipeline: RestPipeline):
        self.venue = venue
        self.engine = venue.engine
        self.p = pipeline
        self.entry = OrderEntry(venue.engine, venue.faults, venue.options, venue.book_changed)
        self.late = LateOrders()
        self.accounts = AccountApi(venue.engine, venue.brackets)
        self.maker = MakerApi(self.entry, venue.clock, venue.book_changed)

    def app(self) -> web.Application:
        p, r = self.p, web.Application()
        routes = [
            ("GET", "/fapi/v1/ping", self.ping, 1, NONE),
            ("GET", "/fapi/v1/time", self.time, 1, NONE),
            ("GET", "/fapi/v1/exchangeInfo", self.exchange_info, 1, NONE),
            ("GET", "/fapi/v1/depth", self.depth, depth_weight, NONE),
            ("GET", "/fapi/v1/ticker/bookTicker", self.book_ticker, per_symbol(2, 5), NONE),
            ("GET", "/fapi/v1/ticker/price", self.ticker_price, per_symbol(1, 2), NONE),
            # Symbol Price Ticker V2 (SDK symbol_price_ticker_v2: the same answer and weights); python-binance
            # 1.0.37 futures_symbol_ticker asks this one
            ("GET", "/fapi/v2/ticker/price", self.ticker_price, per_symbol(1, 2), NONE),
            ("GET", "/fapi/v1/premiumIndex", self.premium_index, per_symbol(1, 10), NONE),
            # tickers.py: weight 1 with a symbol, 40 without (SDK ticker24hr_price_change_statistics)
            ("GET", "/fapi/v1/ticker/24hr", self.ticker_24hr, per_symbol(1, 40), NONE),
            # share 500 / 5 min / IP with fundingInfo (SDK get_funding_rate_history; not modelled, as fundingInfo)
            ("GET", "/fapi/v1/fundingRate", self.funding_rate, 0, NONE),
            # weight 0; shares a 500 / 5 min / IP limit with /fapi/v1/fundingRate (unconfirmed: not modelled)
            ("GET", "/fapi/v1/fundingInfo", self.funding_info, 0, NONE),
            ("POST", "/fapi/v1/order", self.new_order, 0, SIGNED),
            ("GET", "/fapi/v1/order", self.get_order, 1, SIGNED),
            ("DELETE", "/fapi/v1/order", self.cancel_order, 1, SIGNED),
            ("GET", "/fapi/v1/openOrders", self.open_orders, per_symbol(1, 40), SIGNED),
            ("DELETE", "/fapi/v1/allOpenOrders", self.cancel_all, 1, SIGNED),
            ("GET", "/fapi/v1/userTrades", self.user_trades, 5, SIGNED),
            # User's Force Orders: "20 with symbol, 50 without symbol" (docs)
            ("GET", "/fapi/v1/forceOrders", self.force_orders, per_symbol(20, 50), SIGNED),
            ("POST", "/fapi/v1/listenKey", self.listen_key_new, 1, USER_STREAM),
            ("PUT", "/fapi/v1/listenKey", self.listen_key_keepalive, 1, USER_STREAM),
            ("DELETE", "/fapi/v1/listenKey", self.listen_key_close, 1, USER_STREAM),
        ]
        for method, path, handler, weight, security in routes + self.accounts.routes() + self.maker.routes():
            r.router.add_route(method, path, p.route(handler, weight, security))
        return r

    # ---- market data --------------------------------------------------------
    async def ping(self, call: Call) -> Any:
        return {}

    async def time(self, call: Call) -> Any:
        return {"serverTime": call.now}

    async def exchange_info(self, call: Call) -> Any:
        info = futures_exchange_info(call.now, self.p.limiter.limit, self.venue.percent_price,
                                     self.venue.liquidation_fees)
        floor = self.entry.min_notional_floor()
        if floor is not None:
            for symbol in info["symbols"]:
                for rule in symbol["filters"]:
                    if rule["filterType"] == "MIN_NOTIONAL" and Decimal(rule["notional"]) < floor:
                        rule["notional"] = f"{floor:f}"
        return info

    async def depth(self, call: Call) -> Any:
        symbol = futures_symbol(call.params)
        raw = call.params.get("limit", "500")
        limit = int(raw) if raw.isdigit() else -1
        if limit not in DEPTH_LIMITS:
            raise BinanceError(-1130, name="limit")
        book = self.engine.books[symbol]
        stale = self.venue.stale_snapshots.take(symbol, limit)        # the stale_depth_snapshot fault
        update_id, (bids, asks) = (stale[0], stale[1:]) if stale else (book.update_id, book.levels(limit))
        return {"lastUpdateId": update_id, "E": call.now, "T": call.now, "bids": bids, "asks": asks}

    def _ticker(self, symbol: str, now: int) -> dict[str, Any]:
        book = self.engine.books[symbol]
        spec = FUTURES[symbol]
        bid, bid_qty, ask, ask_qty = book.top()
        # fields of the docs example (SDK model symbol_order_book_ticker_response1.py); unconfirmed: whether
        # the live answer also carries lastUpdateId (simnet used to send it; the docs do not show it)
        return {"symbol": symbol, "bidPrice": spec.fmt_price(bid), "bidQty": spec.fmt_qty(bid_qty),
                "askPrice": spec.fmt_price(ask), "askQty": spec.fmt_qty(ask_qty), "time": now}

    async def book_ticker(self, call: Call) -> Any:
        symbol = futures_symbol(call.params, required=False)
        if symbol:
            return self._ticker(symbol, call.now)
        return [self._ticker(s, call.now) for s in FUTURES]

    def price_symbol(self, call: Call) -> str | None:
        """``symbol`` of an endpoint that also answers for BNBUSDT, the price-only symbol (bnb.py)."""
        return bnb.SYMBOL if call.params.get("symbol") == bnb.SYMBOL else futures_symbol(call.params, required=False)

    async def ticker_price(self, call: Call) -> Any:
        def one(s: str) -> dict[str, Any]:
            if s == bnb.SYMBOL:
                return {"symbol": s, "price": f"{self.engine.bnb_price.price:.2f}", "time": call.now}
            return {"symbol": s, "price": FUTURES[s].fmt_price(self.venue.last_price(s)), "time": call.now}
        symbol = self.price_symbol(call)
        return one(symbol) if symbol else [one(s) for s in (*FUTURES, bnb.SYMBOL)]

    async def premium_index(self, call: Call) -> Any:
        """markPrice, indexPrice, lastFundingRate (the rate of the coming settlement), nextFundingTime
        (marks.py, funding.py). interestRate 0.0001: Binance's 0.01 % per 8 h interest component."""
        marks, funding = self.venue.marks, self.venue.funding

        def one(s: str) -> dict[str, Any]:
            if s == bnb.SYMBOL:          # price-only: mark = index = the BNB price, the default funding
                price = f"{self.engine.bnb_price.price:.8f}"
                return {"symbol": s, "markPrice": price, "indexPrice": price, "estimatedSettlePrice": price,
                        "lastFundingRate": "0.00010000", "interestRate": "0.00010000",
                        "nextFundingTime": funding.next_time(next(iter(FUTURES)), call.now), "time": call.now}
            index = f"{marks.index(s):.8f}"
            return {"symbol": s, "markPrice": f"{marks.mark(s):.8f}", "indexPrice": index,
                    "estimatedSettlePrice": index, "lastFundingRate": f"{funding.rates[s]:.8f}",
                    "interestRate": "0.00010000", "nextFundingTime": funding.next_time(s, call.now),
                    "time": call.now}
        symbol = self.price_symbol(call)
        return one(symbol) if symbol else [one(s) for s in (*FUTURES, bnb.SYMBOL)]

    async def funding_info(self, call: Call) -> Any:
        return self.venue.funding.info_rows()

    async def ticker_24hr(self, call: Call) -> Any:
        def one(s: str) -> dict[str, Any]:
            return self.venue.trade_stats.ticker(FUTURES[s], self.venue.last_price(s), call.now)
        symbol = futures_symbol(call.params, required=False)
        return one(symbol) if symbol else [one(s) for s in FUTURES]

    async def funding_rate(self, call: Call) -> Any:
        """GET /fapi/v1/fundingRate: past settlements, ascending; "If the number of data between startTime and
        endTime is larger than limit, return as startTime + limit" (SDK docstring); limit default 100, max 1000.
        unconfirmed: without startTime/endTime the SDK says "the most recent 200 records" [the most recent
        `limit`]; ``rateType`` ["Regular", as the fixture]."""
        symbol = futures_symbol(call.params, required=False)
        params = call.params
        raw = params.get("limit", "100")
        limit = min(int(raw), 1000) if raw.isdigit() and int(raw) > 0 else 100
        start = int(params["startTime"]) if params.get("startTime", "").isdigit() else None
        end = int(params["endTime"]) if params.get("endTime", "").isdigit() else None
        rows = [r for r in self.venue.funding.history if symbol in (None, r["symbol"])
                and (start is None or r["fundingTime"] >= start) and (end is None or r["fundingTime"] <= end)]
        return rows[:limit] if start is not None else rows[-limit:]

    # ---- orders -------------------------------------------------------------
    async def new_order(self, call: Call) -> Any:
        venue, account = self.venue, call.account
        assert account is not None
        self.entry.count(call)
        fields = self.entry.checked(account, call.params)
        if venue.faults.take("late_execution"):
            return await self._late(call, fields)
        order = self._match(call, fields, call.now)
        if venue.faults.take("unknown_status"):
            # general-info, HTTP 503: "Unknown error, please check your request or try again later." = execution
            # status UNKNOWN. unconfirmed: the code sent with that text (simnet: -1001)
            raise BinanceError(-1001, "Unknown error, please check your request or try again later.", status=503)
        if venue.faults.take("slow_ack"):
            await asyncio.sleep(float(venue.faults.flags.get("slow_ack_seconds", 2.0)))
        return order.placement(final=call.params.get("newOrderRespType", "ACK") == "RESULT")

    def _match(self, call: Call, fields: dict[str, Any], now: int):
        assert call.account is not None
        return self.entry.match(call.account, fields, now)

    async def _late(self, call: Call, fields: dict[str, Any]) -> Any:
        """late_execution.py: no answer; invisible for late_execution_seconds; then executed or -5028."""
        flags, account = self.venue.faults.flags, call.account
        assert account is not None
        delay = float(flags.get("late_execution_seconds", 2.0))

        def execute() -> None:
            now = self.venue.clock.server_ms()
            self.engine.check_prices(fields)
            self.engine.check_account(account, fields)
            self._match(call, fields, now)

        self.late.schedule(delay, call.params, self.venue.clock.server_ms, execute)
        return await no_answer(call.request, str(flags.get("late_execution_answer", "timeout")),
                               float(flags.get("late_execution_hold_seconds", delay + 1.0)))

    async def get_order(self, call: Call) -> Any:
        assert call.account is not None
        return self.engine.find(call.account, call.params, -2013).rest()

    async def cancel_order(self, call: Call) -> Any:
        assert call.account is not None
        order = self.engine.cancel(call.account, call.params, call.now)
        self.venue.book_changed(order.symbol)            # the order left the book (book.py)
        return order.cancelled()

    async def open_orders(self, call: Call) -> Any:
        assert call.account is not None
        symbol = futures_symbol(call.params, required=False)
        return [o.rest() for o in self.engine.open_orders(call.account, symbol)]

    async def cancel_all(self, call: Call) -> Any:
        assert call.account is not None
        symbol = futures_symbol(call.params)
        for order in self.engine.open_orders(call.account, symbol):
            self.engine.cancel(call.account, {"symbol": symbol, "orderId": str(order.order_id)}, call.now)
        self.venue.book_changed(symbol)
        return {"code": 200, "msg": "The operation of cancel all open order is done."}

    async def user_trades(self, call: Call) -> Any:
        account = call.account
        symbol = futures_symbol(call.params)
        only = call.params.get("orderId")
        rows = []
        for oid, order in self.engine.orders.items():
            if self.engine.owner[oid] is not account or order.symbol != symbol or only not in (None, str(oid)):
                continue
            spec = order.spec
            for fill in order.fills:
                # baseQty, marginAsset, pair: in the docs example since SDK 17.0.0 (2026-08-07);
                # unconfirmed: baseQty differs from qty only for coin-margined contracts
                rows.append({"buyer": order.side == "BUY", "commission": f"{fill['fee']:.8f}",
                             "commissionAsset": fill["fee_asset"], "id": fill["tradeId"], "maker": fill["maker"],
                             "orderId": oid, "price": spec.fmt_price(fill["price"]),
                             "qty": spec.fmt_qty(fill["qty"]), "quoteQty": f"{fill['price'] * fill['qty']:f}",
                             "baseQty": spec.fmt_qty(fill["qty"]), "marginAsset": "USDT", "pair": symbol,
                             "realizedPnl": f"{fill['realized']:.8f}", "side": order.side,
                             "positionSide": order.position_side,
                             "symbol": symbol, "time": fill["time"]})
        return sorted(rows, key=lambda row: row["id"])

    async def force_orders(self, call: Call) -> Any:
        """GET /fapi/v1/forceOrders [symbol, autoCloseType, startTime, endTime, limit]: the account's liquidation
        orders (liquidation.py), the docs example's fields. limit default 50, max 100; "If 'startTime' is not
        sent, data within 7 days before 'endTime' can be queried" (User's Force Orders). simnet has no ADL, so
        autoCloseType=ADL lists nothing. unconfirmed: the order of the rows [ascending time, as the example],
        which rows a truncating limit keeps [the latest], the code for a bad autoCloseType [-1130]."""
        assert call.account is not None
        params = call.params
        symbol = futures_symbol(call.params, required=False)
        kind = params.get("autoCloseType")
        if kind not in (None, "LIQUIDATION", "ADL"):
            raise BinanceError(-1130, name="autoCloseType")
        end = int(params["endTime"]) if params.get("endTime", "").isdigit() else call.now
        start = int(params["startTime"]) if params.get("startTime", "").isdigit() else end - SEVEN_DAYS_MS
        raw = params.get("limit", "50")
        limit = min(int(raw), 100) if raw.isdigit() and int(raw) > 0 else 50
        orders = [o for o in self.venue.liquidator.force_orders(call.account.api_key)
                  if symbol in (None, o.symbol) and kind != "ADL" and start <= o.time <= end]
        return [{k: v for k, v in o.rest().items() if k in FORCE_ORDER_FIELDS} for o in orders[-limit:]]

    # ---- user data stream keys ------------------------------------------------
    async def listen_key_new(self, call: Call) -> Any:
        assert call.account is not None
        return {"listenKey": self.venue.listen_keys.open(call.account.api_key)}

    async def listen_key_keepalive(self, call: Call) -> Any:
        assert call.account is not None
        key = self.venue.listen_keys.keepalive(call.account.api_key, call.params.get("listenKey"))
        return {"listenKey": key}

    async def listen_key_close(self, call: Call) -> Any:
        assert call.account is not None
        self.venue.listen_keys.close(call.account.api_key, call.params.get("listenKey"))
        return {}
