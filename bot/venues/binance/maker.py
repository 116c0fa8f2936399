"""Binance USDⓈ-M as the maker venue: GTX (post-only) quotes in batches, fills from the user-data stream.

Venue facts this relies on (USDⓈ-M docs pages of each endpoint; the official
connector's docstrings, as cited in tools/simnet/binance/maker_api.py):

* ``timeInForce=GTX`` is post-only: an order that would take is refused with
  -5022 "Due to the order could not be executed as maker, the Post Only order
  will be rejected..." (error-code page; simnet trading.py);
* POST /fapi/v1/batchOrders takes at most 5 orders, answers one element per
  order in their order (the order, or {code, msg}); weight "5 on 10s order
  rate limit; 1 on 1min order rate limit; 5 on IP rate limit". A tick's quotes
  go out as batches of 5 at once: per minute they weigh a fifth of single
  orders against the 1,200-orders-a-minute limit;
* DELETE /fapi/v1/batchOrders with ``origClientOrderIdList`` (at most 10):
  -2011 "Unknown order sent." for an order no longer open;
* POST /fapi/v1/countdownCancelAll is the dead-man switch: all open orders of
  the symbol are cancelled when the countdown ends; each call replaces it and
  ``countdownTime=0`` stops it;
* the user-data stream's ORDER_TRADE_UPDATE with x=TRADE is a fill: c (our
  client id), S side, l / L this trade's quantity and price, t the trade id,
  T the trade time (docs "Event: Order Update"); GET /fapi/v1/userTrades is
  the read-back of a stream gap (it names the venue's orderId, not ours: the
  ids are mapped from the placement answers).

The account's position in the symbol belongs to this bot (one process per
symbol on the account), as on the hedge side: an earlier run's orders are
cancelled with DELETE /fapi/v1/allOpenOrders.
"""
from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import os
import time
from collections import OrderedDict
from decimal import Decimal
from typing import Any, Callable

import aiohttp

from bot.maths import hedging as hm
from bot.maths.quoting import Account, Position
from bot.venues.binance.hedge import CLOCK_MARGIN, ORDER_NOT_FOUND, RECV_WINDOW_MS, BinanceHedgeClient
from bot.venues.cex_maker import DeadManSwitch, VenueBookFeed, VenueMaker, local_ms
from bot.venues.hedge_types import OrderRejected, TransientError, VenueRequestError
from bot.venues.maker_venue import (
    NO_EXPIRY_SECONDS, AccountReading, QuoteOrder, QuoteRules, StreamedFill, operator_remedy,
)

log = logging.getLogger("maker.binance")
BATCH = 5                      # orders per batchOrders call
CANCEL_BATCH = 10              # client ids per batch cancel
BASE_MAKER_FEE = Decimal("0.0002")    # 0.02 %: the published base USDⓈ-M maker rate (replaced by the account's)
OPERATOR_REFUSALS = {
    "code -2015": "Binance refuses the API key (invalid key, IP not allowed or no futures permission): fix "
                  "BINANCE_API_KEY's permissions and IP list",
    "code -2014": "Binance refuses BINANCE_API_KEY's format: check the key",
    "code -4061": "the Binance futures account is in Hedge Mode: switch it to One-way Mode",
}
ID_MEMORY = 10_000             # venue order ids kept for mapping read-back trades to our client ids


class BinanceMaker(VenueMaker):
    venue = "binance"
    market = 0
    quotes_expire = False
    fill_model = "stream"
    positions_lag_fills = False

    def __init__(self, settings: Any, credentials: Any, endpoints: dict[str, str], fatal: Callable[[str], None]):
        self.s = settings
        self.client = BinanceHedgeClient(settings, credentials, endpoints, fatal)
        self.symbol = self.client.symbol
        # a name for the account that is not its key: the risk record is kept per trader
        self.trader = "binance:" + hashlib.sha256(credentials.binance_api_key.reveal().encode()).hexdigest()[:12]
        self._ids = itertools.count(1)
        self._id_prefix = "mm" + os.urandom(5).hex()
        self._book = VenueBookFeed(self.client)
        self.dead_man = DeadManSwitch(self.venue, self._countdown, fatal, settings.dead_man_seconds)
        self._fee = BASE_MAKER_FEE
        self._maintenance: Decimal | None = None
        self._client_ids: OrderedDict[int, str] = OrderedDict()   # venue orderId -> our client id
        self._unwinds: dict[str, asyncio.Task] = {}

    # ---- life cycle (cex_maker.VenueMaker: start, close, tasks, book_feed) ------------------------------
    async def _after_start(self) -> None:
        await self._load_account_rates()

    def quote_rules(self) -> QuoteRules:
        rules = self.client.rules
        return QuoteRules(self._tick, rules.size_step, rules.min_notional)

    @property
    def _tick(self) -> Decimal:
        return self.client.tick

    def dead_after(self, order: QuoteOrder) -> float:
        return time.time() + RECV_WINDOW_MS / 1000 + CLOCK_MARGIN

    def operator_remedy(self, error: str) -> str | None:
        return operator_remedy(OPERATOR_REFUSALS, error)

    async def clear_earlier_quotes(self, journal: Any, timeout: float) -> None:
        """Cancel every open order of the symbol (an earlier run's quotes), check none is left, arm the
        dead-man switch."""
        c = self.client
        deadline = time.monotonic() + timeout
        while True:
            resting = await c._call(c.client.futures_get_open_orders, symbol=self.symbol)
            if not resting:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(resting)} orders of an earlier run still rest on Binance after "
                                   f"{timeout:.0f}s")
            log.warning("%d orders of %s rest on Binance from an earlier run: cancelling them", len(resting),
                        self.symbol)
            await c._call(c.client.futures_cancel_all_open_orders, symbol=self.symbol)
        await self.dead_man.start()

    # ---- quotes ------------------------------------------------------------------------------------
    def sign(self, market: int, size: Decimal, price: Decimal, expiry_seconds: float) -> QuoteOrder:
        price = hm.binance_price(price, self._tick, size > 0)
        return QuoteOrder(f"{self._id_prefix}-{next(self._ids)}", market, size, price,
                          time.time() + NO_EXPIRY_SECONDS)

    def _params(self, order: QuoteOrder, tif: str = "GTX", reduce_only: bool = False) -> dict[str, str]:
        params = {"symbol": self.symbol, "side": "BUY" if order.size > 0 else "SELL", "type": "LIMIT",
                  "timeInForce": tif, "quantity": f"{abs(order.size):f}", "price": f"{order.price:f}",
                  "newClientOrderId": order.order_id}
        if reduce_only:
            params["reduceOnly"] = "true"
        return params

    async def place(self, orders: list[QuoteOrder], on_sent: Callable[[], None] | None = None) -> list[dict]:
        """Batches of 5 at once; one result per quote (success = the venue accepted it: NEW)."""
        c = self.client
        batches = [orders[i:i + BATCH] for i in range(0, len(orders), BATCH)]
        calls = [asyncio.ensure_future(self._send_batch(batch)) for batch in batches]
        if on_sent is not None:
            on_sent()
        answers = await asyncio.gather(*calls, return_exceptions=True)
        results: list[dict] = []
        for batch, answer in zip(batches, answers):
            if isinstance(answer, OrderRejected):
                results += [{"order_id": o.order_id, "success": False, "error": str(answer)} for o in batch]
                continue
            if isinstance(answer, BaseException):
                raise answer                # the quoter marks them unknown and settles them
            results += [self._place_result(o, item) for o, item in zip(batch, answer)]
        return results

    async def _send_batch(self, batch: list[QuoteOrder]) -> list:
        """A batch as batchOrders (5 on the 10-s order limit whatever it holds); one quote alone as POST
        /fapi/v1/order (1 on it), answered in the same shape."""
        c = self.client
        if len(batch) == 1:
            try:
                return [await c._call(c.client.futures_create_order, order=True, **self._params(batch[0]))]
            except OrderRejected as exc:           # a refusal of this one order: its element, as a batch gives it
                return [{"code": None, "msg": str(exc)}]
        return await c._call(c.client.futures_place_batch_order, order=True,
                             batchOrders=[self._params(o) for o in batch])

    def _place_result(self, order: QuoteOrder, item: Any) -> dict:
        if isinstance(item, dict) and "orderId" in item:
            self._remember(int(item["orderId"]), order.order_id)
            if item.get("status") == "EXPIRED":           # a GTX that would have taken (answered EXPIRED)
                return {"order_id": order.order_id, "success": False, "error": "GTX order expired: it would take"}
            return {"order_id": order.order_id, "success": True, "error": ""}
        code, msg = (item.get("code"), item.get("msg")) if isinstance(item, dict) else (None, item)
        return {"order_id": order.order_id, "success": False, "error": f"code {code}: {msg}"}

    def _remember(self, venue_id: int, client_id: str) -> None:
        self._client_ids[venue_id] = client_id
        while len(self._client_ids) > ID_MEMORY:
            self._client_ids.popitem(last=False)

    async def cancel(self, orders: list[QuoteOrder], timeout: float = 10.0) -> list[dict]:
        c = self.client
        chunks = [orders[i:i + CANCEL_BATCH] for i in range(0, len(orders), CANCEL_BATCH)]
        calls = [c._call(c.client.futures_cancel_orders, symbol=self.symbol,
                         origClientOrderIdList=json.dumps([o.order_id for o in chunk], separators=(",", ":")))
                 for chunk in chunks]
        try:
            answers = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), timeout)
        except asyncio.TimeoutError as exc:
            answers = [exc] * len(chunks)
        results: list[dict] = []
        for chunk, answer in zip(chunks, answers):
            if isinstance(answer, BaseException) or not isinstance(answer, list):
                results += [{"order_id": o.order_id, "success": False, "unknown": True,
                             "error": f"{type(answer).__name__}: {answer}"} for o in chunk]
                continue
            for order, item in zip(chunk, answer):
                done = isinstance(item, dict) and item.get("status") == "CANCELED"
                error = "" if done else (f"code {item.get('code')}: {item.get('msg')}" if isinstance(item, dict)
                                         else str(item))
                results.append({"order_id": order.order_id, "success": done, "error": error})
        return results

    async def order_status(self, order_id: str) -> dict | None:
        c = self.client
        try:
            answer = await c._call(c.client.futures_get_order, symbol=self.symbol, origClientOrderId=order_id)
        except VenueRequestError as exc:
            if f"code {ORDER_NOT_FOUND}" in str(exc):
                return None
            raise
        return answer if answer.get("status") in ("NEW", "PARTIALLY_FILLED") else None

    async def _countdown(self, seconds: int | None) -> None:
        c = self.client
        await c._call(c.client.futures_countdown_cancel_all, symbol=self.symbol,
                      countdownTime=0 if seconds is None else seconds * 1000)

    # ---- fills -------------------------------------------------------------------------------------
    async def stream_fills(self, on_subscribed: Callable[[], None], on_fill: Callable[[StreamedFill], None],
                           alive: Callable[[], None]) -> None:
        """ORDER_TRADE_UPDATEs on a connection of their own (the same listenKey the venue client keeps
        alive), until it breaks. Binance sends nothing when a private connection opens: open is confirmed."""
        key = await self.client._listen_key()
        url = self.client.user_stream.url(key)
        async with aiohttp.ClientSession() as session:
            try:
                ws = await session.ws_connect(url, heartbeat=None, max_msg_size=2**23)
            except aiohttp.ClientError as exc:        # its text carries the URL, listenKey included: not logged
                raise ConnectionError(f"binance fill stream: connecting failed ({type(exc).__name__})") from None
            async with ws:
                on_subscribed()
                keepalive = asyncio.create_task(self._keep_alive(key))
                try:
                    async for message in ws:
                        if message.type == aiohttp.WSMsgType.TEXT:
                            self._on_message(json.loads(message.data), on_fill, alive)
                        elif message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                            break
                finally:
                    keepalive.cancel()
                    await asyncio.gather(keepalive, return_exceptions=True)
        raise ConnectionError("binance fill stream closed")

    async def _keep_alive(self, key: str) -> None:
        from bot.venues.binance.stream import KEEPALIVE_SECONDS

        while True:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            await self.client._keepalive(key)

    def _on_message(self, message: dict[str, Any], on_fill: Callable[[StreamedFill], None],
                    alive: Callable[[], None]) -> None:
        event = message.get("data", message)
        alive()
        if event.get("e") == "listenKeyExpired":
            raise ConnectionError("binance listenKey expired: reconnecting the fill stream")
        if event.get("e") != "ORDER_TRADE_UPDATE":
            return
        o = event.get("o") or {}
        if o.get("s") != self.symbol or o.get("x") != "TRADE":
            return
        if o.get("i") is not None and o.get("c"):
            self._remember(int(o["i"]), str(o["c"]))
        on_fill(StreamedFill(str(o.get("c") or f"oid:{o.get('i')}").lower(), f"t:{o.get('t')}",
                             1 if o.get("S") == "BUY" else -1, Decimal(str(o["l"])), Decimal(str(o["L"])),
                             int(o.get("T") or event.get("E") or 0), time.perf_counter()))

    async def fills_since(self, start_ms: int) -> list[StreamedFill]:
        c = self.client
        trades = await c._call(c.client.futures_account_trades, symbol=self.symbol, startTime=start_ms, limit=1000)
        received = time.perf_counter()
        fills = []
        for t in trades or ():
            client_id = self._client_ids.get(int(t["orderId"]), f"oid:{t['orderId']}")
            fills.append(StreamedFill(client_id.lower(), f"t:{t['id']}", 1 if t.get("side") == "BUY" else -1,
                                      Decimal(str(t["qty"])), Decimal(str(t["price"])), int(t["time"]), received))
        return fills

    # ---- account -------------------------------------------------------------------------------------
    async def head_block(self) -> int:
        return local_ms()

    async def _account_answer(self) -> dict[str, Any]:
        c = self.client
        return await c._call(c.client.futures_account)

    async def account(self) -> Account:
        return _account(await self._account_answer(), self.symbol)[0]

    async def account_reading(self) -> AccountReading:
        """The account and the symbol's position updateTime: a position that moved at T holds every fill up to
        T, and no fill of the symbol came between T and the answer (it would have moved it again)."""
        account, stamp = _account(await self._account_answer(), self.symbol)
        return AccountReading(account, stamp, stamp)

    async def position(self, market: int) -> Decimal:
        position = (await self.account()).position(0)
        return position.size if position else Decimal(0)

    async def margin_requirement(self) -> Decimal:
        return 1 / Decimal(self.s.leverage)

    async def maintenance_margin(self) -> Decimal:
        if self._maintenance is None:
            raise VenueRequestError("binance: the maintenance margin ratio was not read at start")
        return self._maintenance

    async def maker_fee(self) -> Decimal:
        return self._fee

    async def _load_account_rates(self) -> None:
        """The account's maker rate (commissionRate) and the first bracket's maintenance margin ratio."""
        c = self.client
        try:
            answer = await c._call(c.client.futures_commission_rate, symbol=self.symbol)
            self._fee = Decimal(str(answer["makerCommissionRate"]))
        except (TransientError, VenueRequestError, KeyError, TypeError, ArithmeticError) as exc:
            log.warning("binance: maker fee unavailable (%s); quotes priced at the base maker rate %s", exc,
                        BASE_MAKER_FEE)
        try:
            brackets = await c._call(c.client.futures_leverage_bracket, symbol=self.symbol)
            rows = brackets[0]["brackets"] if isinstance(brackets, list) else brackets["brackets"]
            self._maintenance = Decimal(str(rows[0]["maintMarginRatio"]))
        except (TransientError, VenueRequestError, KeyError, IndexError, TypeError, ArithmeticError) as exc:
            log.warning("binance: maintenance margin ratio unavailable (%s): the maker-side liquidation distance "
                        "is not watched", exc)

    # ---- the risk engine's unwind --------------------------------------------------------------------
    async def place_ioc(self, market: int, size: Decimal, price: Decimal, reduce_only: bool) -> tuple[str, str, float]:
        order = self.sign(market, size, hm.binance_price(price, self._tick, size < 0), 0)
        c = self.client
        self._unwinds[order.order_id] = asyncio.ensure_future(
            c._call(c.client.futures_create_order, order=True, **self._params(order, "IOC", reduce_only)))
        return order.order_id, order.order_id, time.time() + RECV_WINDOW_MS / 1000 + CLOCK_MARGIN

    async def ioc_receipt(self, order_id: str, timeout: float = 10.0) -> dict | None:
        task = self._unwinds.pop(order_id, None)
        if task is None:
            return None
        try:
            await asyncio.wait_for(task, timeout)
        except OrderRejected as exc:
            log.warning("binance unwind %s refused: %s", order_id, exc)
            return {"status": "0x0"}
        except (TransientError, VenueRequestError, asyncio.TimeoutError) as exc:
            log.warning("binance unwind %s: %s", order_id, exc)
            return None
        return {"status": "0x1"}


def _account(answer: dict[str, Any], symbol: str) -> tuple[Account, int]:
    """GET /fapi/v2/account in the quoting maths' shape (margin: the wallet balance; each position's notional
    |notional|, its unrealised PnL), and the symbol's position updateTime."""
    wallet = Decimal(str(answer.get("totalWalletBalance") or 0))
    positions, stamp = [], 0
    for p in answer.get("positions", ()):
        size = Decimal(str(p.get("positionAmt") or 0))
        mine = p.get("symbol") == symbol
        if mine:
            stamp = int(p.get("updateTime") or 0)
        if size or mine:
            positions.append(Position(0 if mine else -1, size, abs(Decimal(str(p.get("notional") or 0))),
                                      Decimal(str(p.get("unrealizedProfit") or 0)), Decimal(0)))
    return Account(wallet, Decimal(0), tuple(positions)), stamp
