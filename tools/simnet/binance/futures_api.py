"""USDT-M futures REST endpoints (/fapi/...)."""
from __future__ import annotations

import asyncio
import time
from collections import deque
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tools.simnet.binance.accounts import ZERO, Account
from tools.simnet.binance.errors import BinanceError, missing
from tools.simnet.binance.rest import NONE, SIGNED, USER_STREAM, Call, RestPipeline
from tools.simnet.binance.specs import (FUTURES, MAX_LEVERAGE, futures_exchange_info, leverage_brackets,
                                        max_notional)

if TYPE_CHECKING:
    from tools.simnet.binance.venue import BinanceVenue

DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)
ORDERS_PER_10S, ORDERS_PER_MIN = 300, 1200


def depth_weight(params: dict[str, str]) -> int:
    limit = int(params.get("limit", "500")) if params.get("limit", "500").isdigit() else 500
    return 2 if limit <= 50 else 5 if limit <= 100 else 10 if limit <= 500 else 20


def reject_error(reason: str) -> BinanceError:
    """The ``reject_orders`` fault: reason "-2019" etc. picks a Binance code; other text is the
    message of -2010 NEW_ORDER_REJECTED (a clean rejection, not an unknown execution status)."""
    try:
        return BinanceError(int(reason))
    except ValueError:
        return BinanceError(-2010, reason)


class FuturesApi:
    def __init__(self, venue: "BinanceVenue", pipeline: RestPipeline):
        self.venue = venue
        self.engine = venue.engine
        self.p = pipeline
        self._order_log: dict[str, deque] = {}

    def app(self) -> web.Application:
        p, r = self.p, web.Application()
        routes = [
            ("GET", "/fapi/v1/ping", self.ping, 1, NONE),
            ("GET", "/fapi/v1/time", self.time, 1, NONE),
            ("GET", "/fapi/v1/exchangeInfo", self.exchange_info, 1, NONE),
            ("GET", "/fapi/v1/depth", self.depth, depth_weight, NONE),
            ("GET", "/fapi/v1/ticker/bookTicker", self.book_ticker, 2, NONE),
            ("GET", "/fapi/v1/ticker/price", self.ticker_price, 1, NONE),
            ("GET", "/fapi/v1/premiumIndex", self.premium_index, 1, NONE),
            ("POST", "/fapi/v1/order", self.new_order, 0, SIGNED),
            ("GET", "/fapi/v1/order", self.get_order, 1, SIGNED),
            ("DELETE", "/fapi/v1/order", self.cancel_order, 1, SIGNED),
            ("GET", "/fapi/v1/openOrders", self.open_orders, 1, SIGNED),
            ("DELETE", "/fapi/v1/allOpenOrders", self.cancel_all, 1, SIGNED),
            ("GET", "/fapi/v1/userTrades", self.user_trades, 5, SIGNED),
            ("GET", "/fapi/v2/account", self.account_v2, 5, SIGNED),
            ("GET", "/fapi/v3/account", self.account_v3, 5, SIGNED),
            ("GET", "/fapi/v2/balance", self.balance, 5, SIGNED),
            ("GET", "/fapi/v3/balance", self.balance, 5, SIGNED),
            ("GET", "/fapi/v2/positionRisk", self.position_risk_v2, 5, SIGNED),
            ("GET", "/fapi/v3/positionRisk", self.position_risk_v3, 5, SIGNED),
            ("POST", "/fapi/v1/leverage", self.leverage, 1, SIGNED),
            ("GET", "/fapi/v1/leverageBracket", self.leverage_bracket, 1, SIGNED),
            ("GET", "/fapi/v1/commissionRate", self.commission_rate, 20, SIGNED),
            ("POST", "/fapi/v1/listenKey", self.listen_key_new, 1, USER_STREAM),
            ("PUT", "/fapi/v1/listenKey", self.listen_key_keepalive, 1, USER_STREAM),
            ("DELETE", "/fapi/v1/listenKey", self.listen_key_close, 1, USER_STREAM),
        ]
        for method, path, handler, weight, security in routes:
            r.router.add_route(method, path, p.route(handler, weight, security))
        self.venue.add_ws_routes(r, self.venue.futures_ws)
        return r

    # ---- market data --------------------------------------------------------
    async def ping(self, call: Call) -> Any:
        return {}

    async def time(self, call: Call) -> Any:
        return {"serverTime": call.now}

    async def exchange_info(self, call: Call) -> Any:
        info = futures_exchange_info(call.now, self.p.limiter.limit)
        floor = self.venue.min_notional_floor()
        if floor is not None:
            for symbol in info["symbols"]:
                for rule in symbol["filters"]:
                    if rule["filterType"] == "MIN_NOTIONAL" and Decimal(rule["notional"]) < floor:
                        rule["notional"] = f"{floor:f}"
        return info

    def _symbol(self, call: Call, required: bool = True) -> str | None:
        symbol = call.params.get("symbol")
        if not symbol:
            if required:
                raise missing("symbol")
            return None
        if symbol not in FUTURES:
            raise BinanceError(-1121)
        return symbol

    async def depth(self, call: Call) -> Any:
        symbol = self._symbol(call)
        raw = call.params.get("limit", "500")
        limit = int(raw) if raw.isdigit() else -1
        if limit not in DEPTH_LIMITS:
            raise BinanceError(-1130, name="limit")
        book = self.engine.books[symbol]
        bids, asks = book.levels(limit)
        return {"lastUpdateId": book.update_id, "E": call.now, "T": call.now, "bids": bids, "asks": asks}

    def _ticker(self, symbol: str, now: int) -> dict[str, Any]:
        book = self.engine.books[symbol]
        spec = FUTURES[symbol]
        bid, bid_qty, ask, ask_qty = book.top()
        return {"symbol": symbol, "bidPrice": spec.fmt_price(bid), "bidQty": spec.fmt_qty(bid_qty),
                "askPrice": spec.fmt_price(ask), "askQty": spec.fmt_qty(ask_qty), "time": now,
                "lastUpdateId": book.update_id}

    async def book_ticker(self, call: Call) -> Any:
        symbol = self._symbol(call, required=False)
        if symbol:
            return self._ticker(symbol, call.now)
        return [self._ticker(s, call.now) for s in FUTURES]

    async def ticker_price(self, call: Call) -> Any:
        def one(s: str) -> dict[str, Any]:
            return {"symbol": s, "price": FUTURES[s].fmt_price(self.venue.last_price(s)), "time": call.now}
        symbol = self._symbol(call, required=False)
        return one(symbol) if symbol else [one(s) for s in FUTURES]

    async def premium_index(self, call: Call) -> Any:
        def one(s: str) -> dict[str, Any]:
            mark = f"{self.engine.books[s].mid:.8f}"
            return {"symbol": s, "markPrice": mark, "indexPrice": mark, "estimatedSettlePrice": mark,
                    "lastFundingRate": "0.00010000", "interestRate": "0.00010000",
                    "nextFundingTime": (call.now // 28_800_000 + 1) * 28_800_000, "time": call.now}
        symbol = self._symbol(call, required=False)
        return one(symbol) if symbol else [one(s) for s in FUTURES]

    # ---- orders -------------------------------------------------------------
    def _count_order(self, call: Call) -> None:
        """ORDERS limits (300 per 10 s, 1200 per minute per account) and their answer headers."""
        assert call.account is not None
        now = time.monotonic()
        log = self._order_log.setdefault(call.account.api_key, deque())
        while log and now - log[0] >= 60.0:
            log.popleft()
        log.append(now)
        last_10s = sum(1 for t in log if now - t < 10.0)
        call.headers.update({"X-MBX-ORDER-COUNT-10S": str(last_10s), "X-MBX-ORDER-COUNT-1M": str(len(log))})
        for count, limit, interval in ((last_10s, ORDERS_PER_10S, "10 seconds"), (len(log), ORDERS_PER_MIN, "minute")):
            if count > limit:
                raise BinanceError(-1015, f"Too many new orders; current limit is {limit} orders per {interval}.",
                                   status=429)

    async def new_order(self, call: Call) -> Any:
        venue, engine, account = self.venue, self.engine, call.account
        assert account is not None
        self._count_order(call)
        fields = engine.validate(account, call.params)
        reason = venue.faults.take_reject()
        if reason is not None:
            raise reject_error(reason)
        engine.min_notional_floor = venue.min_notional_floor()
        engine.check_prices(fields)
        engine.check_account(account, fields)
        if venue.faults.take("partial_fill"):
            engine.partial_ratio = Decimal(str(venue.faults.flags.get("partial_fill_ratio", 0.5)))
        order = engine.create(account, fields, call.now)
        engine.execute(account, order, call.now)
        venue.book_changed(order.symbol)
        if venue.faults.take("unknown_status"):
            raise BinanceError(-1001, "Unknown error, please check your request or try again later.", status=503)
        if venue.faults.take("slow_ack"):
            await asyncio.sleep(float(venue.faults.flags.get("slow_ack_seconds", 2.0)))
        if call.params.get("newOrderRespType", "ACK") == "RESULT":
            return order.result()
        return order.ack()

    async def get_order(self, call: Call) -> Any:
        assert call.account is not None
        return self.engine.find(call.account, call.params, -2013).rest()

    async def cancel_order(self, call: Call) -> Any:
        assert call.account is not None
        order = self.engine.cancel(call.account, call.params, call.now)
        return order.result()

    async def open_orders(self, call: Call) -> Any:
        assert call.account is not None
        symbol = self._symbol(call, required=False)
        return [o.rest() for o in self.engine.open_orders(call.account, symbol)]

    async def cancel_all(self, call: Call) -> Any:
        assert call.account is not None
        symbol = self._symbol(call)
        for order in self.engine.open_orders(call.account, symbol):
            self.engine.cancel(call.account, {"symbol": symbol, "orderId": str(order.order_id)}, call.now)
        return {"code": 200, "msg": "The operation of cancel all open order is done."}

    async def user_trades(self, call: Call) -> Any:
        account = call.account
        symbol = self._symbol(call)
        only = call.params.get("orderId")
        rows = []
        for oid, order in self.engine.orders.items():
            if self.engine.owner[oid] is not account or order.symbol != symbol or only not in (None, str(oid)):
                continue
            spec = order.spec
            for fill in order.fills:
                rows.append({"buyer": order.side == "BUY", "commission": f"{fill['fee']:.8f}",
                             "commissionAsset": "USDT", "id": fill["tradeId"], "maker": fill["maker"],
                             "orderId": oid, "price": spec.fmt_price(fill["price"]),
                             "qty": spec.fmt_qty(fill["qty"]), "quoteQty": f"{fill['price'] * fill['qty']:f}",
                             "realizedPnl": f"{fill['realized']:.8f}", "side": order.side, "positionSide": "BOTH",
                             "symbol": symbol, "time": fill["time"]})
        return sorted(rows, key=lambda row: row["id"])

    # ---- account ------------------------------------------------------------
    def _totals(self, account: Account) -> dict[str, Decimal]:
        marks = self.engine.marks()
        upnl = account.unrealized(marks)
        pos_im = account.position_margin(marks)
        ord_im = self.engine.order_margin(account)
        maint = sum((abs(p.amount) * marks[s] * Decimal("0.004") for s, p in account.positions.items()), ZERO)
        avail = account.wallet + upnl - pos_im - ord_im
        return {"wallet": account.wallet, "upnl": upnl, "margin": account.wallet + upnl, "pos_im": pos_im,
                "ord_im": ord_im, "im": pos_im + ord_im, "maint": maint, "avail": avail,
                "max_withdraw": max(ZERO, min(avail, account.wallet))}

    def _position_row(self, account: Account, symbol: str, now: int) -> dict[str, Any]:
        spec = FUTURES[symbol]
        position = account.position(symbol)
        mark = self.engine.books[symbol].mid
        lev = account.leverage_of(symbol)
        upnl = position.amount * (mark - position.entry) if position.amount else ZERO
        pos_im = abs(position.amount) * mark / lev
        ord_im = sum((o.remaining * o.price / lev for o in self.engine.open_orders(account, symbol)), ZERO)
        bid = sum((o.remaining * o.price for o in self.engine.open_orders(account, symbol) if o.side == "BUY"), ZERO)
        ask = sum((o.remaining * o.price for o in self.engine.open_orders(account, symbol) if o.side == "SELL"), ZERO)
        return {"symbol": symbol, "positionSide": "BOTH", "positionAmt": spec.fmt_qty(position.amount),
                "entryPrice": f"{position.entry:f}", "breakEvenPrice": f"{position.entry:f}",
                "markPrice": f"{mark:.8f}", "unRealizedProfit": f"{upnl:.8f}", "liquidationPrice": "0",
                "isolatedMargin": "0", "notional": f"{position.amount * mark:.8f}", "marginAsset": "USDT",
                "isolatedWallet": "0", "initialMargin": f"{pos_im + ord_im:.8f}",
                "maintMargin": f"{abs(position.amount) * mark * Decimal('0.004'):.8f}",
                "positionInitialMargin": f"{pos_im:.8f}", "openOrderInitialMargin": f"{ord_im:.8f}",
                "adl": 0, "bidNotional": f"{bid:f}", "askNotional": f"{ask:f}",
                "updateTime": position.update_time, "leverage": str(lev)}

    def _account(self, account: Account, now: int, all_positions: bool) -> dict[str, Any]:
        t = {k: f"{v:.8f}" for k, v in self._totals(account).items()}
        asset = {"asset": "USDT", "walletBalance": t["wallet"], "unrealizedProfit": t["upnl"],
                 "marginBalance": t["margin"], "maintMargin": t["maint"], "initialMargin": t["im"],
                 "positionInitialMargin": t["pos_im"], "openOrderInitialMargin": t["ord_im"],
                 "maxWithdrawAmount": t["max_withdraw"], "crossWalletBalance": t["wallet"],
                 "crossUnPnl": t["upnl"], "availableBalance": t["avail"], "marginAvailable": True,
                 "updateTime": now}
        positions = []
        for symbol in FUTURES:
            row = self._position_row(account, symbol, now)
            if not all_positions and row["positionAmt"] == FUTURES[symbol].fmt_qty(ZERO) \
                    and not self.engine.open_orders(account, symbol):
                continue
            lev = account.leverage_of(symbol)
            positions.append({
                "symbol": symbol, "initialMargin": row["initialMargin"], "maintMargin": row["maintMargin"],
                "unrealizedProfit": row["unRealizedProfit"], "positionInitialMargin": row["positionInitialMargin"],
                "openOrderInitialMargin": row["openOrderInitialMargin"], "leverage": str(lev), "isolated": False,
                "entryPrice": row["entryPrice"], "breakEvenPrice": row["breakEvenPrice"],
                "maxNotional": str(max_notional(lev)), "bidNotional": row["bidNotional"],
                "askNotional": row["askNotional"], "positionSide": "BOTH", "positionAmt": row["positionAmt"],
                "notional": row["notional"], "isolatedWallet": "0", "updateTime": row["updateTime"]})
        return {"feeTier": 0, "feeBurn": True, "canTrade": True, "canDeposit": True, "canWithdraw": True,
                "updateTime": 0, "multiAssetsMargin": False, "tradeGroupId": -1,
                "totalInitialMargin": t["im"], "totalMaintMargin": t["maint"], "totalWalletBalance": t["wallet"],
                "totalUnrealizedProfit": t["upnl"], "totalMarginBalance": t["margin"],
                "totalPositionInitialMargin": t["pos_im"], "totalOpenOrderInitialMargin": t["ord_im"],
                "totalCrossWalletBalance": t["wallet"], "totalCrossUnPnl": t["upnl"],
                "availableBalance": t["avail"], "maxWithdrawAmount": t["max_withdraw"],
                "assets": [asset], "positions": positions}

    async def account_v2(self, call: Call) -> Any:
        assert call.account is not None
        return self._account(call.account, call.now, all_positions=True)

    async def account_v3(self, call: Call) -> Any:
        assert call.account is not None
        return self._account(call.account, call.now, all_positions=False)

    async def balance(self, call: Call) -> Any:
        assert call.account is not None
        t = {k: f"{v:.8f}" for k, v in self._totals(call.account).items()}
        return [{"accountAlias": "SgsR", "asset": "USDT", "balance": t["wallet"],
                 "crossWalletBalance": t["wallet"], "crossUnPnl": t["upnl"], "availableBalance": t["avail"],
                 "maxWithdrawAmount": t["max_withdraw"], "marginAvailable": True, "updateTime": call.now}]

    async def position_risk_v2(self, call: Call) -> Any:
        assert call.account is not None
        symbol = self._symbol(call, required=False)
        rows = []
        for s in ([symbol] if symbol else list(FUTURES)):
            row = self._position_row(call.account, s, call.now)
            lev = call.account.leverage_of(s)
            rows.append({k: row[k] for k in ("entryPrice", "breakEvenPrice", "leverage", "liquidationPrice",
                                              "markPrice", "positionAmt", "notional", "isolatedWallet",
                                              "symbol", "unRealizedProfit", "positionSide", "updateTime")}
                        | {"marginType": "cross", "isAutoAddMargin": "false", "isolatedMargin": "0.00000000",
                           "maxNotionalValue": str(max_notional(lev))})
        return rows

    async def position_risk_v3(self, call: Call) -> Any:
        """v3 lists only symbols with a position or open orders, and has no leverage field."""
        account = call.account
        assert account is not None
        symbol = self._symbol(call, required=False)
        rows = []
        for s in ([symbol] if symbol else list(FUTURES)):
            if account.position(s).amount == 0 and not self.engine.open_orders(account, s):
                continue
            row = self._position_row(account, s, call.now)
            row.pop("leverage")
            rows.append(row)
        return rows

    async def leverage(self, call: Call) -> Any:
        assert call.account is not None
        symbol = self._symbol(call)
        raw = call.params.get("leverage", "")
        if not raw:
            raise missing("leverage")
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LEVERAGE:
            raise BinanceError(-4028, leverage=raw)
        call.account.leverage[symbol] = int(raw)
        return {"leverage": int(raw), "maxNotionalValue": str(max_notional(int(raw))), "symbol": symbol}

    async def leverage_bracket(self, call: Call) -> Any:
        symbol = self._symbol(call, required=False)
        if symbol:
            return leverage_brackets(symbol)
        return [leverage_brackets(s) for s in FUTURES]

    async def commission_rate(self, call: Call) -> Any:
        """The account's fee rates for a symbol, as fractions in strings (like Binance)."""
        symbol = self._symbol(call, required=True)
        engine = self.venue.engine
        return {"symbol": symbol, "makerCommissionRate": f"{engine.maker_fee.normalize():f}",
                "takerCommissionRate": f"{engine.taker_fee.normalize():f}"}

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
