"""Futures order handling: validation (Binance's filters and error codes),
matching against the synthetic book, fills into accounts, user-data events.

Market and IOC/FOK orders take liquidity at once (walking the synthetic book).
A GTC LIMIT order takes what crosses and rests with the remainder; a resting
order fills as maker, at its own price, once a later book crosses it or a
background taker reaches it (flow.py). Resting orders (LIMIT GTC/GTX) are
indexed per symbol and shown in the book (book.py ``resting_source``).
"""
from __future__ import annotations

import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any, Callable

from tools.simnet.binance import bnb
from tools.simnet.binance.accounts import BOTH, LONG, SHORT, Account
from tools.simnet.binance.book import ASK, BID, Book, Levels
from tools.simnet.binance.errors import BinanceError, missing
from tools.simnet.binance.marks import Marks
from tools.simnet.binance.orders import Order
from tools.simnet.binance.specs import FUTURES, PERCENT_PRICE, PercentPrice, SymbolSpec

ZERO = Decimal(0)
RESTS = ("GTC", "GTX")                  # the time in force of a LIMIT order that can rest in the book
CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")

UserSink = Callable[[str, dict[str, Any]], None]          # (api_key, event)
TradeSink = Callable[[str, Decimal, Decimal, bool, int], None]  # symbol, price, qty, buyer is maker, trade id


def decimals(text: str) -> int:
    return len(text.split(".", 1)[1].rstrip("0")) if "." in text else 0


def _bound(value: Decimal, places: int, rounding: str) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=rounding):f}"


def parse_decimal(params: dict[str, str], name: str) -> tuple[Decimal, str]:
    raw = params.get(name, "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise missing(name) from None
    if not value.is_finite():
        raise missing(name)
    return value, raw


class FuturesEngine:
    def __init__(self, books: dict[str, Book], maker_fee_bps: float, taker_fee_bps: float,
                 first_order_id: int, on_user: UserSink, on_trade: TradeSink, marks: Marks | None = None,
                 percent_price: dict[str, PercentPrice] | None = None):
        self.books = books
        self.mark_prices = marks or Marks(books, {})
        self.percent_price = percent_price or dict(PERCENT_PRICE)
        self.next_tran_id = first_order_id * 3
        self.maker_fee = Decimal(repr(maker_fee_bps)) / Decimal(10_000)
        self.taker_fee = Decimal(repr(taker_fee_bps)) / Decimal(10_000)
        self.orders: dict[int, Order] = {}
        self.owner: dict[int, Account] = {}
        self.by_client: dict[tuple[str, str, str], int] = {}   # (key, symbol, clientId) -> orderId
        self.next_order_id = first_order_id
        self.next_trade_id = first_order_id // 2
        self.on_user = on_user
        self.on_trade = on_trade
        self.partial_ratio: Decimal | None = None               # set for one order by the partial-fill fault
        self.min_notional_floor: Decimal | None = None          # raised minimum (``min_notional`` flag)
        # a fill's ACCOUNT_UPDATE before its ORDER_TRADE_UPDATE (option user_event_order, user_events())
        self.account_first = True
        self.bnb_price = bnb.BnbPrice()                         # what a BNB-paid commission is converted at
        self.resting: dict[str, dict[int, Order]] = {symbol: {} for symbol in books}   # may rest (open or not)
        self.next_queue = 0                                     # time priority among resting orders
        for symbol, book in books.items():
            book.resting_source = lambda symbol=symbol: self.resting_levels(symbol)

    # ---- marks and margin -------------------------------------------------------
    def marks(self) -> dict[str, Decimal]:
        return self.mark_prices.all()

    def tran_id(self) -> int:
        self.next_tran_id += 1
        return self.next_tran_id

    def order_margin(self, account: Account) -> Decimal:
        total = ZERO
        for oid, order in self.orders.items():
            if order.is_open() and self.owner[oid] is account:
                total += order.remaining * order.price / account.leverage_of(order.symbol)
        return total

    def open_orders(self, account: Account, symbol: str | None = None) -> list[Order]:
        return [o for oid, o in self.orders.items()
                if o.is_open() and self.owner[oid] is account and symbol in (None, o.symbol)]

    # ---- lookup ---------------------------------------------------------------
    def find(self, account: Account, params: dict[str, str], unknown_code: int) -> Order:
        symbol = params.get("symbol", "")
        if not symbol:
            raise missing("symbol")
        if symbol not in FUTURES:
            raise BinanceError(-1121)
        if params.get("orderId"):
            try:
                order = self.orders.get(int(params["orderId"]))
            except ValueError:
                raise missing("orderId") from None
        elif params.get("origClientOrderId"):
            oid = self.by_client.get((account.api_key, symbol, params["origClientOrderId"]))
            order = self.orders.get(oid) if oid is not None else None
        else:
            raise BinanceError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
        if order is None or self.owner[order.order_id] is not account or order.symbol != symbol:
            raise BinanceError(unknown_code)
        return order

    def cancel(self, account: Account, params: dict[str, str], now: int) -> Order:
        order = self.find(account, params, -2011)
        if not order.is_open():
            raise BinanceError(-2011)
        order.status = "CANCELED"
        order.update_time = now
        self.order_event(account, order, now, "CANCELED")
        return order

    def notional(self, account: Account, symbol: str) -> tuple[Decimal, Decimal]:
        """(bids, asks): price x remaining quantity of the account's open LIMIT orders on `symbol`."""
        bids = asks = ZERO
        for order in self.open_orders(account, symbol):
            if order.type == "LIMIT":
                if order.side == "BUY":
                    bids += order.price * order.remaining
                else:
                    asks += order.price * order.remaining
        return bids, asks

    def order_event(self, account: Account, order: Order, now: int, execution: str) -> None:
        self.on_user(account.api_key, order.trade_event(now, execution,
                                                        notional=self.notional(account, order.symbol)))

    # ---- new order ------------------------------------------------------------
    def validate(self, account: Account, params: dict[str, str]) -> dict[str, Any]:
        """Binance's checks in roughly Binance's order; returns the parsed order fields."""
        for name in ("symbol", "side", "type"):
            if not params.get(name):
                raise missing(name)
        spec = FUTURES.get(params["symbol"])
        if spec is None:
            raise BinanceError(-1121)
        side, kind = params["side"], params["type"]
        if side not in ("BUY", "SELL"):
            raise BinanceError(-1117)
        if kind not in ("LIMIT", "MARKET"):
            raise BinanceError(-1116)
        tif = params.get("timeInForce", "GTC")
        if kind == "LIMIT" and not params.get("timeInForce"):
            raise missing("timeInForce")
        if tif not in ("GTC", "IOC", "FOK", "GTX"):
            raise BinanceError(-1115)
        if not params.get("quantity"):
            raise missing("quantity")
        qty, raw_qty = parse_decimal(params, "quantity")
        if qty <= 0:
            raise BinanceError(-4003)
        if decimals(raw_qty) > spec.quantity_precision or qty % spec.step:
            raise BinanceError(-1111)
        if qty < spec.min_qty:
            raise BinanceError(-4004)
        if qty > (spec.market_max_qty if kind == "MARKET" else spec.max_qty):
            raise BinanceError(-4005)
        price = ZERO
        if kind == "LIMIT":
            if not params.get("price"):
                raise missing("price")
            price, raw_price = parse_decimal(params, "price")
            if price <= 0:
                raise BinanceError(-4001)
            if decimals(raw_price) > spec.price_precision:
                raise BinanceError(-1111)
            if price % spec.tick:
                raise BinanceError(-4014)
        client_id = params.get("newClientOrderId") or f"simnet{self.next_order_id}"
        if not CLIENT_ID.match(client_id):
            raise BinanceError(-4015)
        prior = self.by_client.get((account.api_key, spec.symbol, client_id))
        if prior is not None and self.orders[prior].is_open():
            raise BinanceError(-4116)
        reduce_only = params.get("reduceOnly", "false").lower() == "true"
        position_side = self._position_side(account, params)
        return {"spec": spec, "side": side, "type": kind, "tif": tif if kind == "LIMIT" else "GTC",
                "qty": qty, "price": price, "client_id": client_id, "reduce_only": reduce_only,
                "position_side": position_side}

    @staticmethod
    def _position_side(account: Account, params: dict[str, str]) -> str:
        """positionSide against the account's position mode.

        Hedge Mode needs LONG or SHORT; One-way Mode needs BOTH (the default): otherwise -4061
        "Order's position side does not match user's setting." (USDⓈ-M error-code page; observed
        answers quoted in public issue threads). reduceOnly "cannot be sent in Hedge Mode" (New Order
        docs); unconfirmed: the code it is refused with (-1106 is the docs' "sent when not required").
        """
        side = params.get("positionSide") or BOTH
        if side not in (BOTH, LONG, SHORT):
            raise BinanceError(-4060)
        if (side == BOTH) == account.dual_side:
            raise BinanceError(-4061)
        if account.dual_side and "reduceOnly" in params:
            raise BinanceError(-1106, name="reduceOnly")
        return side

    def check_prices(self, f: dict[str, Any]) -> None:
        """PERCENT_PRICE around the MARK price, per symbol: a BUY limit at most mark * multiplierUp, a SELL
        limit at least mark * multiplierDown (common-definition); a MARKET order whose counterparty best
        price is outside that band: -4131 (error-code page). The price in the -4016/-4024 text is the bound;
        unconfirmed: its rounding (simnet: pricePrecision decimals, toward the allowed side)."""
        spec: SymbolSpec = f["spec"]
        book = self.books[spec.symbol]
        self.check_band(f)
        limit = f["price"] if f["type"] == "LIMIT" else None
        if f["tif"] == "GTX" and book.would_cross(f["side"], f["price"]):
            # -5022 "Due to the order could not be executed as maker, the Post Only order will be rejected"
            # (error-code page, errors.py): against the whole book, the users' resting orders included (book.py),
            # for POST /fapi/v1/order and each batchOrders element ({code, msg}: a live batch answer quoted in
            # enarjord/passivbot#437, 2024). unconfirmed: that an account's own resting order counts too (simnet
            # has one API key, so every resting user order is the account's own; self-trade prevention is not
            # modelled)
            raise BinanceError(-5022)
        if f["tif"] == "FOK" and book.fillable(f["side"], f["qty"], limit) < f["qty"]:
            raise BinanceError(-5021)

    def check_band(self, f: dict[str, Any]) -> None:
        """PERCENT_PRICE alone (check_prices; amend.py)."""
        spec: SymbolSpec = f["spec"]
        book = self.books[spec.symbol]
        band = self.percent_price[spec.symbol]
        mark = self.mark_prices.mark(spec.symbol)
        up, down = mark * band.up, mark * band.down
        if f["type"] == "LIMIT":
            if f["side"] == "BUY" and f["price"] > up:
                raise BinanceError(-4016, limit=_bound(up, spec.price_precision, ROUND_FLOOR))
            if f["side"] == "SELL" and f["price"] < down:
                raise BinanceError(-4024, limit=_bound(down, spec.price_precision, ROUND_CEILING))
        else:
            best = book.best_for(f["side"])
            if best is None or (f["side"] == "BUY" and best > up) or (f["side"] == "SELL" and best < down):
                raise BinanceError(-4131)

    def check_account(self, account: Account, f: dict[str, Any]) -> None:
        """MIN_NOTIONAL at the order's price (limit price for LIMIT orders, IOC included; the mark price for
        MARKET orders: common-definition "MIN_NOTIONAL"), reduce-only, then margin."""
        spec: SymbolSpec = f["spec"]
        mark = self.mark_prices.mark(spec.symbol)
        ref_price = f["price"] if f["type"] == "LIMIT" else mark
        if f["reduce_only"]:
            position = account.position(spec.symbol).amount
            if position == 0 or (position > 0) == (f["side"] == "BUY"):
                raise BinanceError(-2022)
            f["qty"] = min(f["qty"], abs(position))
            return
        if f["position_side"] != BOTH and not account.exposure_increase(spec.symbol, f["side"], f["qty"],
                                                                         f["position_side"]):
            held = abs(account.position(spec.symbol, f["position_side"]).amount)
            if f["qty"] > held:                      # unconfirmed: code for closing more than the position
                raise BinanceError(-2022)
            return
        minimum = max(spec.min_notional, self.min_notional_floor or ZERO)
        if f["qty"] * ref_price < minimum:
            raise BinanceError(-4164, notional=f"{minimum:f}")
        opening = account.exposure_increase(spec.symbol, f["side"], f["qty"], f["position_side"])
        if opening <= 0:
            return
        price = max(ref_price, mark) if f["side"] == "BUY" else ref_price
        need = opening * price / account.leverage_of(spec.symbol) + opening * price * self.taker_fee
        if need > account.available(self.marks(), self.order_margin(account)):
            raise BinanceError(-2019)

    def create(self, account: Account, f: dict[str, Any], now: int) -> Order:
        spec: SymbolSpec = f["spec"]
        order = Order(self.next_order_id, spec, f["client_id"], f["side"], f["type"], f["tif"], f["qty"],
                      f["price"], f["reduce_only"], now, f["position_side"], update_time=now)
        self.next_order_id += 1
        self.orders[order.order_id] = order
        self.owner[order.order_id] = account
        self.by_client[(account.api_key, spec.symbol, order.client_id)] = order.order_id
        if order.type == "LIMIT" and order.tif in RESTS and spec.symbol in self.resting:
            self.resting[spec.symbol][order.order_id] = order
            self.requeue(order)
        return order

    def requeue(self, order: Order) -> None:
        """The order goes to the back of its price level's queue (placement; an amendment "will be reordered in
        the match queue", Modify Order docs)."""
        self.next_queue += 1
        order.queue = self.next_queue

    def execute(self, account: Account, order: Order, now: int) -> None:
        """Run a freshly accepted order against the book (emits NEW, TRADE..., EXPIRED)."""
        self.order_event(account, order, now, "NEW")
        wanted = order.qty
        if self.partial_ratio is not None and (order.type == "MARKET" or order.tif == "IOC"):
            wanted = order.spec.floor_qty(order.qty * self.partial_ratio)
            self.partial_ratio = None
        self.take(account, order, now, wanted)
        if order.remaining > 0 and (order.type == "MARKET" or order.tif in ("IOC", "FOK")):
            order.status = "EXPIRED"
            order.update_time = now
            self.order_event(account, order, now, "EXPIRED")

    def take(self, account: Account, order: Order, now: int, wanted: Decimal | None = None) -> None:
        """Fill `order` (up to `wanted`, default its remainder) against the book at its limit, as taker."""
        wanted = order.remaining if wanted is None else wanted
        limit = order.price if order.type == "LIMIT" else None
        for price, qty in self.books[order.symbol].take(order.side, wanted, limit) if wanted > 0 else []:
            self._fill(account, order, price, qty, maker=False, now=now)
            self.on_trade(order.symbol, price, qty, order.side == "SELL", self.next_trade_id - 1)

    def _fill(self, account: Account, order: Order, price: Decimal, qty: Decimal, maker: bool, now: int) -> None:
        spec = order.spec
        signed = qty if order.side == "BUY" else -qty
        position = account.position(spec.symbol, order.position_side)
        realized = position.apply(signed, price)
        position.update_time = now
        usdt_fee = price * qty * (self.maker_fee if maker else self.taker_fee)
        fee_asset, fee = bnb.commission(account, usdt_fee, self.bnb_price.price)
        if fee_asset == "BNB":
            account.bnb -= fee
            account.wallet += realized
        else:
            account.wallet += realized - fee
        order.executed += qty
        order.cum_quote += price * qty
        order.status = "FILLED" if order.remaining == 0 else "PARTIALLY_FILLED"
        order.update_time = now
        trade_id = self.next_trade_id
        self.next_trade_id += 1
        order.fills.append({"price": price, "qty": qty, "fee": fee, "fee_asset": fee_asset, "maker": maker,
                            "tradeId": trade_id, "realized": realized, "time": now})
        # income rows as GET /fapi/v1/income lists them (incomeType enum: REALIZED_PNL, COMMISSION, ...)
        account.add_income(spec.symbol, "COMMISSION", -fee, now, self.tran_id(), str(trade_id), fee_asset)
        if realized:
            account.add_income(spec.symbol, "REALIZED_PNL", realized, now, self.tran_id(), str(trade_id))
        self._fill_events(account, order, now, qty, price, (fee, fee_asset), maker, trade_id, realized)

    def _fill_events(self, account: Account, order: Order, now: int, qty: Decimal, price: Decimal,
                     fee: tuple[Decimal, str], maker: bool, trade_id: int, realized: Decimal) -> None:
        """TRADE_LITE first (the docs call it the lower-latency push), then ACCOUNT_UPDATE and the TRADE
        ORDER_TRADE_UPDATE. Binance orders pushes only within one event type (User Data Streams, "Message
        Ordering Guarantee"); captures in metacodi/binance (test/results/exemple-8-75_leverage.ts,
        exemple-10, 2022) show NEW, ACCOUNT_UPDATE, then TRADE, all with the same E. unconfirmed: that this
        order is the rule; option ``user_event_order`` = "order_first" swaps the last two."""
        key = account.api_key
        trade = order.trade_event(now, "TRADE", qty, price, fee[0], maker, trade_id, realized,
                                  notional=self.notional(account, order.symbol), fee_asset=fee[1])
        update = self.account_event(account, order.symbol, order.position_side, now, bnb_changed=fee[1] == "BNB")
        self.on_user(key, order.trade_lite(now, qty, price, maker, trade_id))
        for event in ((update, trade) if self.account_first else (trade, update)):
            self.on_user(key, event)

    def account_event(self, account: Account, symbol: str, position_side: str, now: int,
                      bnb_changed: bool = False) -> dict[str, Any]:
        """ACCOUNT_UPDATE (reason ORDER) for the changed position and the USDT wallet, and the BNB wallet when
        a BNB-paid commission changed it ("B": the balances that changed, Balance and Position Update page)."""
        position = account.position(symbol, position_side)
        spec = FUTURES[symbol]
        mark = self.mark_prices.mark(symbol)
        upnl = position.amount * (mark - position.entry) if position.amount else ZERO
        wallet = f"{account.wallet:.8f}"
        balances = [{"a": "USDT", "wb": wallet, "cw": wallet, "bc": "0"}]
        if bnb_changed:
            balances.append({"a": "BNB", "wb": f"{account.bnb:.8f}", "cw": f"{account.bnb:.8f}", "bc": "0"})
        return {"e": "ACCOUNT_UPDATE", "E": now, "T": now, "a": {
            "m": "ORDER",
            "B": balances,
            "P": [{"s": symbol, "pa": spec.fmt_qty(position.amount), "ep": f"{position.entry:f}",
                   "bep": f"{position.entry:f}", "cr": f"{position.realized:.8f}", "up": f"{upnl:.8f}",
                   "mt": "cross", "iw": "0", "ps": position_side}],
        }}

    # ---- resting orders ---------------------------------------------------------
    def resting_orders(self, symbol: str, side: str | None = None) -> list[Order]:
        """Open resting LIMIT orders of every account on `symbol` (of `side`), in creation order; orders that
        are no longer open leave the index."""
        index = self.resting.get(symbol, {})
        for oid in [oid for oid, order in index.items() if not order.is_open()]:
            del index[oid]
        return [order for order in index.values() if side in (None, order.side)]

    def resting_levels(self, symbol: str) -> Levels:
        """Remaining quantity of the resting orders per side and price (the book's overlay, book.py)."""
        out: Levels = {BID: {}, ASK: {}}
        for order in self.resting_orders(symbol):
            level = out[BID if order.side == "BUY" else ASK]
            level[order.price] = level.get(order.price, ZERO) + order.remaining
        return out

    def makers_for(self, symbol: str, taker_side: str) -> list[Order]:
        """The resting orders a taker on `taker_side` meets, in price-time priority (best price first, then
        the earliest in the queue)."""
        makers = self.resting_orders(symbol, "SELL" if taker_side == "BUY" else "BUY")
        sign = 1 if taker_side == "BUY" else -1
        return sorted(makers, key=lambda o: (sign * o.price, o.queue))

    def fill_resting(self, order: Order, qty: Decimal, now: int) -> None:
        """`qty` of a resting order trades as maker at its own price (user events, public trade)."""
        self._fill(self.owner[order.order_id], order, order.price, qty, maker=True, now=now)
        # the resting order is the maker: the buyer is maker when it is a BUY
        self.on_trade(order.symbol, order.price, qty, order.side == "BUY", self.next_trade_id - 1)

    def cross_resting(self, symbol: str, now: int) -> None:
        """Fill resting LIMIT orders the new synthetic book crosses (as maker, at the order's price)."""
        bid, _, ask, _ = self.books[symbol].synthetic_top()
        for order in self.resting_orders(symbol):
            crossed = (order.side == "BUY" and ask and ask <= order.price) or \
                      (order.side == "SELL" and bid and bid >= order.price)
            if crossed:
                self.fill_resting(order, order.remaining, now)
