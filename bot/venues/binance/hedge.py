"""Binance USDT-M futures hedge client on python-binance's native asyncio ``AsyncClient``.

Pointing the SDK elsewhere: python-binance builds every futures URL from the
instance attributes ``FUTURES_URL`` ("<rest>/fapi") and ``FUTURES_DATA_URL``
("<rest>/futures/data") in ``_create_futures_api_uri`` /
``_create_futures_data_api_uri`` (spot: ``API_URL`` = "<spot rest>/api"), so
they are overridden right after construction from BINANCE_FUTURES_REST /
BINANCE_SPOT_REST. ``AsyncClient.create`` is not used because it pings the
SPOT API; the clock offset is taken from ``/fapi/v1/time`` instead and
resynced whenever the venue answers -1021.

Every signed request carries ``recvWindow`` (python-binance writes its
``REQUEST_RECVWINDOW`` into each one, so that is set on the client): the venue
refuses a request it receives later than timestamp + recvWindow (USDS-M
"Timing security"), and since the derivatives release of 2023-04-18 the
matching engine also refuses an order that reaches it after that time (-5028).
So an order whose answer was lost can provably no longer execute once
timestamp + recvWindow has passed: only then does -2013 "Order does not
exist" mean it never executed.

Fees: the order answer (newOrderRespType=RESULT) has no commission. The
user stream's ORDER_TRADE_UPDATE has it, in the asset it names (``N``): USDT,
or BNB when BNB fee deduction is on (fees.py converts it at the BNBUSDT mark,
read every ``BNB_PRICE_SECONDS`` while fee burn is on). Rather than one
``userTrades`` call per hedge read back by REST (weight 5: at 2400 weight a
minute that alone caps hedging near 6 a second, then 429 and a ban), the
account's taker rate is read with the rules (``/fapi/v1/commissionRate``,
``/fapi/v1/feeBurn``) and such a hedge's fee is filled notional x that rate,
which is how Binance computes it, at 90 % when fee burn is on and the futures
wallet holds the BNB for it. If the rate cannot be read, the published base
taker rate (market_specs.HEDGE_TAKER_FEE_PCT) is used and logged.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from decimal import Decimal
from typing import Any, Awaitable, Callable

import aiohttp
from binance import AsyncClient
from binance.exceptions import BinanceAPIException, BinanceRequestException

from bot.errors import ConfigurationProblem
from bot.market_specs import HEDGE_TAKER_FEE_PCT
from bot.maths import hedging as hm
from bot.venues.binance.fees import BNB, FeeAssets
from bot.venues.binance.stream import BinanceBookStream, BinanceUserStream, OrderEvent
from bot.venues.hedge_base import (
    BOOK_STALL_SECONDS,
    AccountState,
    MarginState,
    HedgeClient,
    HedgeSetupError,
    OrderOutcome,
    OrderRejected,
    PreparedOrder,
    TransientError,
    VenueRequestError,
    VenueRules,
)
from bot.venues.request_budget import Limit

log = logging.getLogger("hedge.binance")

BOOK_LIMIT = 20
TIMESTAMP_ERROR = -1021
ORDER_NOT_FOUND = -2013
RATE_LIMIT_CODES = (-1003,)
UNKNOWN_STATUS_CODES = (-1000, -1001, -1006, -1007)    # "execution status unknown" family
CREDENTIAL_CODES = (-1022, -2008, -2014, -2015)    # bad signature, unknown key, malformed key, key/IP/permissions
POSITION_SIDE_MISMATCH = -4061                     # an order without positionSide on a Hedge Mode account
RECV_WINDOW_MS = 3000       # every signed request, orders included (python-binance's default is 10000)
CLOCK_MARGIN = 1.0          # seconds: the request's timestamp is taken at send time, a little after prepare
STREAM_WAIT = 0.5           # seconds to wait for the user stream's account of a filled order before a GET
BNB_PRICE_SECONDS = 60.0    # the BNBUSDT mark (weight 1) is read this often while fee burn is on
BNB_PRICE_SYMBOL = "BNBUSDT"
IP_WEIGHT, ORDERS_10S, ORDERS_1M = "request weight per IP", "orders per account per 10 s", "orders per account per minute"
# USDⓈ-M limits (exchangeInfo rateLimits: REQUEST_WEIGHT 2400/min, ORDERS 300/10 s and 1200/min) and the weight of
# each call the bot makes (each endpoint's docs page; an order weighs 0 on the IP limit and 1 on both order limits)
WEIGHTS = {"futures_time": 1, "futures_exchange_info": 1, "futures_leverage_bracket": 1, "futures_commission_rate": 20,
           "futures_get_position_mode": 30, "futures_account": 5, "futures_change_leverage": 1, "futures_get_order": 1,
           "futures_stream_get_listen_key": 1, "futures_stream_keepalive": 1, "futures_create_order": 0,
           "futures_v1_get_fee_burn": 30, "futures_mark_price": 1,       # feeBurn GET; premiumIndex with a symbol
           "futures_position_information": 5, "futures_v1_get_funding_info": 1,   # positionRisk v3; fundingInfo
           # the maker side (bot/venues/binance/maker.py): batchOrders POST 5, DELETE 1; openOrders with a symbol 1;
           # allOpenOrders DELETE 1; countdownCancelAll 10; userTrades 5 (each endpoint's docs page, SDK docstrings)
           "futures_place_batch_order": 5, "futures_cancel_orders": 1, "futures_get_open_orders": 1,
           "futures_cancel_all_open_orders": 1, "futures_countdown_cancel_all": 10, "futures_account_trades": 5}
DEPTH_WEIGHT = ((50, 2), (100, 5), (500, 10), (1000, 20))   # GET /fapi/v1/depth: weight by limit


def request_cost(name: str, params: dict[str, Any]) -> dict[str, int]:
    if name == "futures_order_book":
        limit = int(params.get("limit", 500))
        weight = next((w for top, w in DEPTH_WEIGHT if limit <= top), 20)
    else:
        weight = WEIGHTS.get(name, 1)
    cost = {IP_WEIGHT: weight}
    if name == "futures_create_order":
        cost.update({ORDERS_10S: 1, ORDERS_1M: 1})
    elif name == "futures_place_batch_order":        # "5 on 10s order rate limit; 1 on 1min order rate limit"
        cost.update({ORDERS_10S: 5, ORDERS_1M: 1})
    return cost


class BinanceHedgeClient(HedgeClient):
    venue = "binance"
    limits = (Limit(IP_WEIGHT, 60, 2400), Limit(ORDERS_10S, 10, 300), Limit(ORDERS_1M, 60, 1200))
    account_weight = {IP_WEIGHT: 5}

    def __init__(self, settings: Any, credentials: Any, endpoints: dict[str, str],
                 fatal: Callable[[str], None]):
        super().__init__(settings, fatal)
        if credentials.binance_api_key is None or credentials.binance_secret_key is None:
            raise HedgeSetupError("binance: BINANCE_API_KEY and BINANCE_SECRET_KEY are required")
        self._api_key = credentials.binance_api_key           # Secrets, revealed only to build the client
        self._api_secret = credentials.binance_secret_key
        self.futures_rest = endpoints["BINANCE_FUTURES_REST"].rstrip("/")
        self.spot_rest = endpoints.get("BINANCE_SPOT_REST", "https://api.binance.com").rstrip("/")
        self._symbol = settings.spec.binance_symbol
        self.client: AsyncClient | None = None
        self.tick: Decimal | None = None            # PRICE_FILTER tickSize, read with the rules
        self._ids = itertools.count(1)
        self._id_prefix = "hg" + os.urandom(6).hex()
        self.taker_rate = HEDGE_TAKER_FEE_PCT["binance"] / 100   # replaced by the account's rate at start
        ws_base = endpoints["BINANCE_FUTURES_WS"]
        self.book_stream_up = asyncio.Event()
        self.book_stream = BinanceBookStream(ws_base, self._symbol, self._depth_snapshot, self.on_stream_book)
        self.fee_assets = FeeAssets()
        self.fee_prices_up = asyncio.Event()
        self.user_stream = BinanceUserStream(ws_base, self._symbol, self._listen_key, self._keepalive,
                                             self._on_stream_order, self.on_stream_position, self._on_stream_balance)
        self.venue_used_weight: int | None = None   # the venue's own count for this IP (X-MBX-USED-WEIGHT-1M)
        self.user_stream_restarts = 0                # silent user streams detected and reconnected

    @property
    def symbol(self) -> str:
        return self._symbol

    # ---- transport ---------------------------------------------------------------------
    async def _open(self) -> None:
        client = AsyncClient(self._api_key.reveal(), self._api_secret.reveal(),
                             session_params={"timeout": aiohttp.ClientTimeout(total=self.request_timeout)})
        client.FUTURES_URL = f"{self.futures_rest}/fapi"
        client.FUTURES_DATA_URL = f"{self.futures_rest}/futures/data"
        client.API_URL = f"{self.spot_rest}/api"
        client.REQUEST_TIMEOUT = self.request_timeout
        client.REQUEST_RECVWINDOW = RECV_WINDOW_MS
        self.client = client
        await self._retrying("clock sync", self._sync_clock)

    async def _close(self) -> None:
        if self.client is not None:
            await self.client.close_connection()
            self.client = None

    async def _sync_clock(self) -> None:
        assert self.client is not None
        answer = await self._call(self.client.futures_time)
        self.client.timestamp_offset = answer["serverTime"] - int(time.time() * 1000)

    async def _call(self, method: Callable[..., Awaitable[Any]], *, order: bool = False, **params: Any) -> Any:
        """One SDK call with Binance's errors sorted into retryable / refused."""
        name = getattr(method, "__name__", "request")
        self.budget.charge(request_cost(name, params))
        try:
            answer = await method(**params)
            self._note_used_weight()
            return answer
        except BinanceAPIException as exc:
            raise await self._classify(name, exc, order) from None
        except BinanceRequestException as exc:
            raise TransientError(f"{name}: {exc.message}", ambiguous=order) from None
        except aiohttp.ClientConnectorError as exc:    # no connection was made: the request never left
            raise TransientError(f"{name}: {type(exc).__name__}: {exc}") from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TransientError(f"{name}: {type(exc).__name__}: {exc}", ambiguous=order) from None

    async def _classify(self, name: str, exc: BinanceAPIException, order: bool) -> Exception:
        text = f"{name}: HTTP {exc.status_code} code {exc.code}: {exc.message}"
        if exc.code == TIMESTAMP_ERROR:
            # the request was refused before execution: resync and retry at once
            try:
                await self._sync_clock()
            except TransientError as sync_error:
                log.warning("binance: clock resync failed: %s", sync_error)
            return TransientError(f"{text} (clock resynced)", retry_after=0.001)
        if exc.code in CREDENTIAL_CODES or exc.code == POSITION_SIDE_MISMATCH:
            return ConfigurationProblem(f"binance refuses this account: {text}. Check BINANCE_API_KEY, "
                                        "BINANCE_SECRET_KEY, the key's futures permission and IP list, and "
                                        "that the account is in One-way Mode")
        if exc.status_code in (429, 418) or exc.code in RATE_LIMIT_CODES:
            return TransientError(text, retry_after=_retry_after(exc))
        if exc.status_code >= 500 or exc.code in UNKNOWN_STATUS_CODES:
            return TransientError(text, ambiguous=order)
        return OrderRejected(text) if order else VenueRequestError(f"binance {text}")

    async def _check_account_setup(self) -> None:
        """A Hedge Mode (dual side) account rejects every order without positionSide (-4061)."""
        assert self.client is not None
        try:
            mode = await self._call(self.client.futures_get_position_mode)
        except VenueRequestError as exc:
            log.warning("binance: could not read the position mode (%s)", exc)
            return
        if mode.get("dualSidePosition") in (True, "true"):
            raise ConfigurationProblem("binance: the futures account is in Hedge Mode (dualSidePosition); the bot "
                                       "hedges in One-way Mode: switch it in Binance's futures settings "
                                       "(Position Mode: One-way) with no open position")

    # ---- rules, book, account ----------------------------------------------------------------
    async def _load_rules(self) -> VenueRules:
        assert self.client is not None
        info = await self._call(self.client.futures_exchange_info)
        spec = next((s for s in info.get("symbols", []) if s.get("symbol") == self.symbol), None)
        if spec is None:
            raise HedgeSetupError(f"binance: symbol {self.symbol} is not listed on USDT-M futures")
        if spec.get("status", "TRADING") != "TRADING":
            raise HedgeSetupError(f"binance: {self.symbol} is not trading (status {spec.get('status')})")
        filters = {f["filterType"]: f for f in spec.get("filters", [])}
        tick = self.tick = Decimal(filters["PRICE_FILTER"]["tickSize"])   # the maker side prices quotes on it
        lot = filters["LOT_SIZE"]
        step, min_qty = Decimal(lot["stepSize"]), Decimal(lot["minQty"])
        min_notional = _min_notional(filters)
        brackets = await self._call(self.client.futures_leverage_bracket, symbol=self.symbol)
        max_leverage = _max_leverage(brackets, self.symbol)
        await self._load_taker_rate()
        return VenueRules(size_step=step, min_size=min_qty, min_notional=min_notional, max_leverage=max_leverage,
                          price_rounder=lambda px, is_buy: hm.binance_price(px, tick, is_buy))

    async def _fetch_book(self) -> hm.Book:
        assert self.client is not None
        depth = await self._call(self.client.futures_order_book, symbol=self.symbol, limit=BOOK_LIMIT)
        return hm.Book(bids=tuple((Decimal(p), Decimal(q)) for p, q in depth["bids"]),
                       asks=tuple((Decimal(p), Decimal(q)) for p, q in depth["asks"]))

    async def _fetch_account(self) -> AccountState:
        assert self.client is not None
        account = await self._call(self.client.futures_account)
        bnb = next((a for a in account.get("assets", []) if a.get("asset") == BNB), None)
        self.fee_assets.bnb_balance = Decimal(str(bnb["walletBalance"])) if bnb else hm.ZERO
        rows = [p for p in account.get("positions", []) if p.get("symbol") == self.symbol]
        position = sum((Decimal(p["positionAmt"]) for p in rows), hm.ZERO)
        leverage = int(rows[0]["leverage"]) if rows and rows[0].get("leverage") else None
        return AccountState(position=position, free_margin=Decimal(account["availableBalance"]), leverage=leverage)

    async def _fetch_margin(self) -> MarginState:
        """totalMarginBalance of GET /fapi/v3/account (wallet + unrealised PnL) and this symbol's
        liquidationPrice and markPrice of GET /fapi/v3/positionRisk (docs: Position Information V3; "0"
        when there is no position), 5 + 5 weight."""
        assert self.client is not None
        account = await self._call(self.client.futures_account)
        rows = await self._call(self.client.futures_position_information, symbol=self.symbol)
        equity = Decimal(str(account["totalMarginBalance"])) if account.get("totalMarginBalance") else None
        size = sum((Decimal(str(r["positionAmt"])) for r in rows), hm.ZERO)
        row = next((r for r in rows if Decimal(str(r["positionAmt"]))), None)
        if row is None:
            return MarginState(equity, None, None, hm.ZERO)
        liquidation = Decimal(str(row.get("liquidationPrice") or 0))
        return MarginState(equity, liquidation if liquidation > 0 else None, Decimal(str(row["markPrice"])), size)

    async def _fetch_funding(self) -> Decimal | None:
        """GET /fapi/v1/premiumIndex lastFundingRate, per funding interval, over fundingInfo's
        ``fundingIntervalHours`` (8 h for symbols the endpoint does not list: docs "Get Funding Rate Info")."""
        assert self.client is not None
        index = await self._call(self.client.futures_mark_price, symbol=self.symbol)
        rate = index.get("lastFundingRate")
        if rate in (None, ""):
            return None
        hours = Decimal(8)
        try:
            infos = await self._call(self.client.futures_v1_get_funding_info)
            hours = next((Decimal(str(i["fundingIntervalHours"])) for i in infos if i.get("symbol") == self.symbol),
                         hours)
        except Exception as exc:  # noqa: BLE001 - the default interval stands, said once at debug level
            log.debug("binance: fundingInfo unreadable (%s): 8 h assumed", exc)
        return Decimal(str(rate)) / hours

    async def _set_leverage(self, leverage: int) -> None:
        assert self.client is not None
        try:
            await self._call(self.client.futures_change_leverage, symbol=self.symbol, leverage=leverage)
        except VenueRequestError as exc:
            raise HedgeSetupError(f"binance: setting leverage {leverage}x on {self.symbol} refused: {exc}") from None

    # ---- orders ------------------------------------------------------------------------------------
    async def _prepare_order(self, is_buy: bool, size: Decimal, limit: Decimal) -> PreparedOrder:
        client_id = f"{self._id_prefix}-{next(self._ids)}"
        params = {"symbol": self.symbol, "side": "BUY" if is_buy else "SELL", "type": "LIMIT",
                  "timeInForce": "IOC", "quantity": f"{size:f}", "price": f"{limit:f}",
                  "newClientOrderId": client_id, "newOrderRespType": "RESULT"}
        dead_after = time.time() + RECV_WINDOW_MS / 1000 + CLOCK_MARGIN
        return PreparedOrder(params, client_id, is_buy, size, limit, dead_after)

    async def _submit_order(self, prepared: PreparedOrder) -> OrderOutcome:
        assert self.client is not None
        answer = await self._call(self.client.futures_create_order, order=True, **prepared.request)
        outcome = _outcome(answer)
        # The order answer carries no avgPrice or cumQuote since the SDK's 14.0.0 models (2026-07-15): the user
        # stream's ORDER_TRADE_UPDATE has them (ap, and the commission n of each trade); GET /fapi/v1/order
        # (weight 1) is the fallback when the stream does not tell in time.
        if outcome.filled and outcome.avg_price is None:
            found = await self._outcome_from_stream(prepared.client_id, outcome)
            outcome = found or await self._resolve_price(prepared) or outcome
        return outcome

    async def _outcome_from_stream(self, client_id: str, answer: OrderOutcome) -> OrderOutcome | None:
        if not self.position_stream_up.is_set():
            return None

        def complete(events: list[OrderEvent]) -> bool:
            return any(e.filled >= answer.filled and e.avg_price is not None for e in events)

        events = await self.await_stream_order(client_id, complete, STREAM_WAIT)
        if not complete(events):
            if not events:
                self._user_stream_silent(client_id, answer)
            return None
        last = max((e for e in events if e.avg_price is not None), key=lambda e: e.filled)
        fee = sum((self.fee_assets.usd(e.commission_asset, e.commission, e.last_qty * e.last_price, self.taker_rate)
                   for e in events), hm.ZERO)
        return OrderOutcome(answer.filled, last.avg_price, order_id=answer.order_id, fee=fee, status=answer.status)

    def _user_stream_silent(self, client_id: str, answer: OrderOutcome) -> None:
        """A filled order and not one ORDER_TRADE_UPDATE for it within STREAM_WAIT: the stream is open but
        silent (a venue-side stall; a route or filter that delivers nothing). Reconnect it now rather than
        hedge on REST read-backs until the 24 h mark."""
        if self.user_stream.restart(f"no ORDER_TRADE_UPDATE for filled order {client_id} within {STREAM_WAIT}s"):
            self.user_stream_restarts += 1
            log.warning("binance: user-data stream silent: order %s filled %s %s and no ORDER_TRADE_UPDATE for it "
                        "arrived on the stream within %.1fs; reconnecting the stream with the listenKey POST hands "
                        "out (fills are read back by REST until it is back)", client_id, answer.filled,
                        self.symbol, STREAM_WAIT)

    # ---- streams ----------------------------------------------------------------------------
    def _streams(self):
        return [("depth stream", self.book_stream.run, self.book_stream_up, BOOK_STALL_SECONDS),
                ("user-data stream", self.user_stream.run, self.position_stream_up),
                ("BNB price", self._bnb_price_worker, self.fee_prices_up)]

    async def _bnb_price_worker(self, health) -> None:
        """The BNBUSDT mark every BNB_PRICE_SECONDS while fee burn is on (a read the budget may skip)."""
        while True:
            if self.fee_assets.fee_burn and self.budget.allows_optional({IP_WEIGHT: WEIGHTS["futures_mark_price"]}):
                await self._read_bnb_price()
            health.ok()
            await asyncio.sleep(BNB_PRICE_SECONDS)

    async def _read_bnb_price(self) -> None:
        assert self.client is not None
        answer = await self._call(self.client.futures_mark_price, symbol=BNB_PRICE_SYMBOL)
        self.fee_assets.set_price(BNB, Decimal(str(answer["markPrice"])))

    def _on_stream_balance(self, asset: str, balance: Decimal) -> None:
        if asset == BNB:
            self.fee_assets.bnb_balance = balance

    async def _depth_snapshot(self) -> dict[str, Any]:
        assert self.client is not None
        try:
            return await self._call(self.client.futures_order_book, symbol=self.symbol, limit=1000)
        except (TransientError, VenueRequestError) as exc:
            raise ConnectionError(f"depth snapshot: {exc}") from None

    async def _listen_key(self) -> str:
        assert self.client is not None
        try:
            return await self._call(self.client.futures_stream_get_listen_key)
        except (TransientError, VenueRequestError) as exc:
            raise ConnectionError(f"listenKey: {exc}") from None

    async def _keepalive(self, key: str) -> None:
        assert self.client is not None
        await self._call(self.client.futures_stream_keepalive, listenKey=key)

    def _on_stream_order(self, event: OrderEvent) -> None:
        self.on_stream_order(event.client_id, event)

    def _note_used_weight(self) -> None:
        response = getattr(self.client, "response", None)
        used = getattr(response, "headers", {}).get("X-MBX-USED-WEIGHT-1M") if response is not None else None
        if used is not None and str(used).isdigit():
            self.venue_used_weight = int(used)

    async def _resolve_price(self, prepared: PreparedOrder) -> OrderOutcome | None:
        try:
            return await self._lookup_order(prepared)
        except TransientError as exc:
            log.warning("binance: average price of %s unavailable (%s)", prepared.client_id, exc)
            return None

    async def _lookup_order(self, prepared: PreparedOrder) -> OrderOutcome | None:
        assert self.client is not None
        try:
            answer = await self._call(self.client.futures_get_order, symbol=self.symbol,
                                      origClientOrderId=prepared.client_id)
        except VenueRequestError as exc:
            if f"code {ORDER_NOT_FOUND}" in str(exc):
                return None
            raise TransientError(str(exc)) from None
        outcome = _outcome(answer)
        if outcome.status in ("NEW", "PARTIALLY_FILLED"):   # IOC still being processed: ask again
            raise TransientError(f"order {prepared.client_id} still {outcome.status}")
        return outcome

    async def _load_taker_rate(self) -> None:
        assert self.client is not None
        try:
            answer = await self._call(self.client.futures_commission_rate, symbol=self.symbol)
            self.taker_rate = Decimal(str(answer["takerCommissionRate"]))
        except (TransientError, VenueRequestError, KeyError, ArithmeticError) as exc:
            log.warning("binance: commission rate unavailable (%s); fees use the base taker rate %s%%",
                        exc, HEDGE_TAKER_FEE_PCT["binance"])
        await self._load_fee_burn()

    async def _load_fee_burn(self) -> None:
        """Whether commissions are paid in BNB (GET /fapi/v1/feeBurn, weight 30, with each rules read), and
        then the BNB price at once, so the first hedge can be valued."""
        assert self.client is not None
        try:
            answer = await self._call(self.client.futures_v1_get_fee_burn)
            burn = answer.get("feeBurn") in (True, "true")
            if burn != self.fee_assets.fee_burn:
                log.info("binance: BNB fee deduction is %s", "on: commissions are paid in BNB at 90 %, valued at "
                         "the BNBUSDT mark" if burn else "off: commissions are paid in USDT")
            self.fee_assets.fee_burn = burn
            if burn:
                await self._read_bnb_price()
        except (TransientError, VenueRequestError, KeyError, ArithmeticError) as exc:
            log.warning("binance: BNB fee deduction state or BNB price unavailable (%s); a BNB commission is "
                        "valued at notional x the taker rate until they are read", exc)

    async def _fees(self, outcome: OrderOutcome) -> Decimal:
        return self.fee_assets.rate_fee(outcome.filled * (outcome.avg_price or hm.ZERO), self.taker_rate)


def _retry_after(exc: BinanceAPIException) -> float | None:
    """Seconds from the answer's Retry-After header (sent with 429 and 418), if any."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    try:
        return float(headers["Retry-After"]) if headers and headers.get("Retry-After") else None
    except (TypeError, ValueError):
        return None


def _outcome(answer: dict[str, Any]) -> OrderOutcome:
    """An order answer. ``avgPrice`` is used when present and non-zero, else cumQuote / executedQty
    (a client must not depend on a field an answer may omit)."""
    filled = Decimal(answer.get("executedQty") or "0")
    avg = None
    if filled and answer.get("avgPrice") and Decimal(answer["avgPrice"]) != 0:
        avg = Decimal(answer["avgPrice"])
    elif filled and answer.get("cumQuote"):
        avg = Decimal(answer["cumQuote"]) / filled
    return OrderOutcome(filled=filled, avg_price=avg, order_id=answer.get("orderId"),
                        status=str(answer.get("status", "")))


def _min_notional(filters: dict[str, dict[str, Any]]) -> Decimal:
    """USDT-M futures publish MIN_NOTIONAL {"notional"}; spot-style NOTIONAL {"minNotional"} is accepted too."""
    if "MIN_NOTIONAL" in filters:
        f = filters["MIN_NOTIONAL"]
        return Decimal(str(f.get("notional", f.get("minNotional", "0"))))
    if "NOTIONAL" in filters:
        f = filters["NOTIONAL"]
        return Decimal(str(f.get("minNotional", f.get("notional", "0"))))
    return hm.ZERO


def _max_leverage(answer: Any, symbol: str) -> int:
    """Highest initial leverage of the symbol's first bracket (answer is an object or a list)."""
    rows = answer if isinstance(answer, list) else [answer]
    row = next((r for r in rows if r.get("symbol") == symbol), None)
    if row is None or not row.get("brackets"):
        raise HedgeSetupError(f"binance: no leverage brackets for {symbol}")
    return max(int(b["initialLeverage"]) for b in row["brackets"])
