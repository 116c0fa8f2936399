"""Hyperliquid as the maker venue: ALO quotes with cloids, cancelled by cloid, fills from ``userFills``.

Venue facts this relies on (docs "Exchange endpoint", "Info endpoint",
"Websocket"; the SDK's exchange.py for the action shapes):

* an ALO ("add liquidity only") limit order is refused rather than matched
  when it would cross: status ``{"error": "Post only order would have
  immediately matched, ..."}`` (simnet engine.place, badAloPxRejected);
* one ``order`` action carries every quote of a tick; its weight is
  1 + floor(n / 40) (docs "Rate limits"); ``expiresAfter`` on every action, so
  an unanswered placement is provably dead after it (hedge.py's rule);
* ``cancelByCloid`` answers one status per cancel: "success" or an error such
  as "Order was never placed, already canceled, or filled.";
* ``orderStatus`` takes a cloid as its ``oid``; ``openOrders`` lists what rests;
  ``userFillsByTime`` is the read-back of a stream gap;
* ``scheduleCancel`` {time} cancels every open order at that time (at least
  5 s ahead; the SDK's ``schedule_cancel``); the venue may refuse it until the
  account has traded enough volume (its refusal text is kept and said once);
* the ``userFills`` subscription answers first with a snapshot (isSnapshot:
  true), which is the stream's confirmation here; later messages are new
  fills, each with its ``tid`` and, for an order that had one, its ``cloid``.

Resting orders count against the account's open-order limit (docs "Rate
limits and user limits": 1000, more with volume); a level rests at most two
quotes (quoter.py), so a market uses at most 4 x levels.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import time
from decimal import Decimal
from typing import Any, Callable

import aiohttp
from hyperliquid.utils.signing import order_request_to_order_wire, order_wires_to_order_action
from hyperliquid.utils.types import Cloid

from bot.maths import hedging as hm
from bot.maths.quoting import Account, Position
from bot.venues.cex_maker import UNWIND_TIMEOUT, DeadManSwitch, VenueBookFeed, VenueMaker, local_ms
from bot.venues.hedge_types import TransientError, VenueRequestError
from bot.venues.hyperliquid.hedge import (
    ADDRESS_BUDGET, CLOCK_MARGIN, ORDER_TTL_MS, UNKNOWN_SIGNER, HyperliquidHedgeClient,
)
from bot.venues.hyperliquid.stream import PING_SECONDS, ws_url
from bot.venues.maker_venue import (
    NO_EXPIRY_SECONDS, AccountReading, QuoteOrder, QuoteRules, StreamedFill, operator_remedy,
)

log = logging.getLogger("maker.hyperliquid")
BASE_MAKER_FEE = Decimal("0.00015")     # docs "Fees": 0.015% maker at the base tier (replaced by userAddRate)
OPERATOR_REFUSALS = {
    UNKNOWN_SIGNER: "the venue does not know HYPERLIQUID_PRIVATE_KEY: approve it as an API wallet of "
                    "HYPERLIQUID_TRADER or use the trader's own key",
    # docs "Rate limits and user limits": 10,000 requests to start, one more per USDC traded, then one request
    # per 10 s: quotes could no longer follow the market, so the bot stops (its quotes cancelled) rather than
    # leave stale ones resting
    ADDRESS_BUDGET: "the account has used up Hyperliquid's per-address request budget (it grows with traded "
                    "volume): raise orderFrequency, quote fewer levels, or trade volume to earn requests, then start "
                    "again",
}


class HyperliquidMaker(VenueMaker):
    venue = "hyperliquid"
    market = 0
    quotes_expire = False
    fill_model = "stream"
    positions_lag_fills = False

    def __init__(self, settings: Any, credentials: Any, endpoints: dict[str, str], fatal: Callable[[str], None]):
        self.s = settings
        self.client = HyperliquidHedgeClient(settings, credentials, endpoints, fatal)
        self.trader = self.client.trader
        self.symbol = self.client.coin
        self.fatal = fatal
        self._cloids = itertools.count(int.from_bytes(os.urandom(8), "big") << 40)
        self._book = VenueBookFeed(self.client)
        self.dead_man = DeadManSwitch(self.venue, self._schedule_cancel, fatal, settings.dead_man_seconds)
        self._fee: Decimal = BASE_MAKER_FEE
        self._unwinds: dict[str, dict] = {}

    # ---- life cycle (cex_maker.VenueMaker: start, close, tasks, book_feed) ------------------------------
    async def _after_start(self) -> None:
        await self._load_maker_fee()

    def quote_rules(self) -> QuoteRules:
        """ALO prices: five significant figures and at most 6 - szDecimals decimals (hm.hyperliquid_price);
        the grid here is the finer of the two at today's price, and sign() rounds onto the venue's rule."""
        rules, touch = self.client.rules, self.client.book.best_bid() or self.client.book.best_ask()
        decimals = 6 - self.client._sz_decimals
        tick = Decimal(1).scaleb(-decimals)
        if touch:
            tick = max(tick, Decimal(1).scaleb(touch.adjusted() - 4))
        return QuoteRules(tick, rules.size_step, rules.min_notional)

    def dead_after(self, order: QuoteOrder) -> float:
        return time.time() + (ORDER_TTL_MS / 1000) + CLOCK_MARGIN + self.client.clock.behind()

    def operator_remedy(self, error: str) -> str | None:
        return operator_remedy(OPERATOR_REFUSALS, error)

    async def clear_earlier_quotes(self, journal: Any, timeout: float) -> None:
        """Cancel every order of this coin resting on the account (an earlier run's quotes: the account's
        position in the coin belongs to this bot), then arm the dead-man switch."""
        deadline = time.monotonic() + timeout
        while True:
            resting = [o for o in await self.client._info({"type": "openOrders", "user": self.trader})
                       if o.get("coin") == self.symbol]
            if not resting:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(resting)} orders of an earlier run still rest on Hyperliquid after "
                                   f"{timeout:.0f}s")
            log.warning("%d orders of %s rest on Hyperliquid from an earlier run: cancelling them", len(resting),
                        self.symbol)
            cancels = [{"a": self.client._asset, "o": int(o["oid"])} for o in resting]
            await self._action({"type": "cancel", "cancels": cancels})
        await self.dead_man.start()

    # ---- quotes ------------------------------------------------------------------------------------
    def sign(self, market: int, size: Decimal, price: Decimal, expiry_seconds: float) -> QuoteOrder:
        """A quote rests until cancelled (no venue expiry); its price is put on the venue's rule, passively."""
        is_buy = size > 0
        price = hm.hyperliquid_price(price, self.client._sz_decimals, is_buy)
        cloid = f"{next(self._cloids) & ((1 << 128) - 1):#034x}"
        return QuoteOrder(cloid, market, size, price, time.time() + NO_EXPIRY_SECONDS)

    def _wire(self, order: QuoteOrder, tif: str = "Alo", reduce_only: bool = False) -> dict[str, Any]:
        request = {"coin": self.symbol, "is_buy": order.size > 0, "sz": float(abs(order.size)),
                   "limit_px": float(order.price), "order_type": {"limit": {"tif": tif}},
                   "reduce_only": reduce_only, "cloid": Cloid(order.order_id)}
        wire = order_request_to_order_wire(request, self.client._asset)
        if Decimal(wire["s"]) != abs(order.size) or Decimal(wire["p"]) != order.price:
            raise ValueError(f"size {order.size} / price {order.price} do not survive the wire format")
        return wire

    async def place(self, orders: list[QuoteOrder], on_sent: Callable[[], None] | None = None) -> list[dict]:
        """All quotes in one ``order`` action; one result per quote (success = it rests)."""
        action = order_wires_to_order_action([self._wire(o) for o in orders])
        return await self._send_orders(action, orders, on_sent)

    async def _send_orders(self, action: dict[str, Any], orders: list[QuoteOrder],
                           on_sent: Callable[[], None] | None) -> list[dict]:
        """One signed action whose answer holds one order status per quote (order, batchModify)."""
        task = asyncio.ensure_future(self.client._post("/exchange", self.client._signed(action, ORDER_TTL_MS),
                                                       order=True))
        if on_sent is not None:
            on_sent()
        answer = await task
        if answer.get("status") != "ok":
            error = str(answer.get("response"))
            return [{"order_id": o.order_id, "success": False, "error": error} for o in orders]
        statuses = answer["response"]["data"]["statuses"]
        return [_place_result(o, status) for o, status in zip(orders, statuses)]

    async def replace(self, pairs: list[tuple[QuoteOrder, QuoteOrder]],
                      on_sent: Callable[[], None] | None = None) -> list[dict]:
        """Requote in one ``batchModify`` action (the SDK's bulk_modify_orders_new: {oid: the old cloid, order:
        the new wire}): each old quote becomes the new one, with no moment where both rest. One result per pair,
        for the new quote; a refused modify leaves the old order as it was (simnet exchange.py _do_batchModify;
        unconfirmed on the live venue), so the caller cancels it then."""
        modifies = [{"oid": old.order_id, "order": self._wire(new)} for old, new in pairs]
        return await self._send_orders({"type": "batchModify", "modifies": modifies}, [new for _, new in pairs],
                                       on_sent)

    async def cancel(self, orders: list[QuoteOrder], timeout: float = 10.0) -> list[dict]:
        """``cancelByCloid`` for all of them in one action; a refusal is the venue's (not open any more)."""
        cancels = [{"asset": self.client._asset, "cloid": o.order_id} for o in orders]
        try:
            answer = await asyncio.wait_for(self._action({"type": "cancelByCloid", "cancels": cancels}), timeout)
        except (TransientError, VenueRequestError, asyncio.TimeoutError) as exc:
            return [{"order_id": o.order_id, "success": False, "error": f"{type(exc).__name__}: {exc}",
                     "unknown": True} for o in orders]
        statuses = (((answer.get("response") or {}).get("data") or {}).get("statuses")
                    if answer.get("status") == "ok" else None)
        if not isinstance(statuses, list):
            return [{"order_id": o.order_id, "success": False, "error": str(answer.get("response")),
                     "unknown": True} for o in orders]
        return [{"order_id": o.order_id, "success": s == "success",
                 "error": "" if s == "success" else str(s.get("error", s) if isinstance(s, dict) else s)}
                for o, s in zip(orders, statuses)]

    async def order_status(self, order_id: str) -> dict | None:
        """The venue's view of a quote while it can still match; None once it cannot (or never could)."""
        answer = await self.client._info({"type": "orderStatus", "user": self.trader, "oid": order_id})
        if answer.get("status") != "order":
            return None
        order = answer.get("order") or {}
        return order if order.get("status") == "open" else None

    async def _action(self, action: dict[str, Any]) -> dict[str, Any]:
        return await self.client._post("/exchange", self.client._signed(action, ORDER_TTL_MS))

    async def _schedule_cancel(self, seconds: int | None) -> None:
        """``scheduleCancel`` {time}: at least 5 s ahead of the venue's clock (its refusal text, simnet
        exchange.py), so a second is added for the request's travel; no time clears it (SDK schedule_cancel)."""
        action: dict[str, Any] = {"type": "scheduleCancel"}
        if seconds is not None:
            action["time"] = local_ms() + (seconds + 1) * 1000
        answer = await self._action(action)
        if answer.get("status") != "ok":
            raise VenueRequestError(str(answer.get("response")))

    # ---- fills -------------------------------------------------------------------------------------
    async def stream_fills(self, on_subscribed: Callable[[], None], on_fill: Callable[[StreamedFill], None],
                           alive: Callable[[], None]) -> None:
        """The account's ``userFills`` on a socket of its own, until it breaks (the caller reconnects)."""
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(ws_url(self.client.base_url), heartbeat=None, max_msg_size=2**23) as ws:
                await ws.send_str(json.dumps({"method": "subscribe",
                                              "subscription": {"type": "userFills", "user": self.trader}}))
                pinger = asyncio.create_task(_ping(ws))
                try:
                    async for message in ws:
                        if message.type != aiohttp.WSMsgType.TEXT:
                            if message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                                break
                            continue
                        self._on_message(message.data, on_subscribed, on_fill, alive)
                finally:
                    pinger.cancel()
                    await asyncio.gather(pinger, return_exceptions=True)
        raise ConnectionError("hyperliquid userFills socket closed")

    def _on_message(self, text: str, on_subscribed: Callable[[], None], on_fill: Callable[[StreamedFill], None],
                    alive: Callable[[], None]) -> None:
        if not text.startswith("{"):
            return
        received = time.perf_counter()
        message = json.loads(text)
        channel, data = message.get("channel"), message.get("data") or {}
        alive()
        if channel == "error":
            raise ConnectionError(f"hyperliquid refused the userFills subscription: {data}")
        if channel != "userFills":
            return
        if data.get("isSnapshot"):
            on_subscribed()                  # fills before now are the start-up's or the read-back's business
            return
        for raw in data.get("fills", ()):
            if raw.get("coin") == self.symbol:
                on_fill(_fill(raw, received))

    async def fills_since(self, start_ms: int) -> list[StreamedFill]:
        fills = await self.client._info({"type": "userFillsByTime", "user": self.trader, "startTime": start_ms})
        received = time.perf_counter()
        return [_fill(raw, received) for raw in fills or () if raw.get("coin") == self.symbol]

    # ---- account -------------------------------------------------------------------------------------
    async def head_block(self) -> int:
        return local_ms()

    async def _state(self) -> dict[str, Any]:
        return await self.client._info({"type": "clearinghouseState", "user": self.trader})

    async def account(self) -> Account:
        return _account(await self._state(), self.symbol)

    async def account_reading(self) -> AccountReading:
        """The account at the venue time its answer carries: every fill stamped up to then is in it
        (simnet stamps both from one clock; that the live venue's are as consistent is unconfirmed)."""
        state = await self._state()
        stamp = int(state.get("time") or local_ms())
        return AccountReading(_account(state, self.symbol), stamp, stamp)

    async def position(self, market: int) -> Decimal:
        position = (await self.account()).position(0)
        return position.size if position else Decimal(0)

    async def margin_requirement(self) -> Decimal:
        """The initial margin a position and an order use: 1 / the leverage set on the coin at start."""
        return 1 / Decimal(self.s.leverage)

    async def maintenance_margin(self) -> Decimal:
        """Half the initial margin at the coin's maximum leverage (docs "Liquidations": "the maintenance margin
        is half of the initial margin at max leverage")."""
        return 1 / Decimal(2 * self.client.rules.max_leverage)

    async def maker_fee(self) -> Decimal:
        return self._fee

    async def _load_maker_fee(self) -> None:
        """The account's maker rate (userFees ``userAddRate``; negative at the rebate tiers)."""
        try:
            answer = await self.client._info({"type": "userFees", "user": self.trader})
            self._fee = Decimal(str(answer["userAddRate"]))
        except (TransientError, VenueRequestError, KeyError, TypeError, ArithmeticError) as exc:
            log.warning("hyperliquid: maker fee unavailable (%s); quotes priced at the base maker rate %s",
                        exc, BASE_MAKER_FEE)

    # ---- the risk engine's unwind --------------------------------------------------------------------
    async def place_ioc(self, market: int, size: Decimal, price: Decimal, reduce_only: bool) -> tuple[str, str, float]:
        """A reduce-only IOC on the maker venue; its fill comes on userFills under its cloid like a quote's."""
        order = self.sign(market, size, hm.hyperliquid_price(price, self.client._sz_decimals, size < 0), 0)
        payload = self.client._signed(order_wires_to_order_action([self._wire(order, "Ioc", reduce_only)]),
                                      ORDER_TTL_MS)
        task = asyncio.ensure_future(self.client._post("/exchange", payload, order=True))
        self._unwinds[order.order_id] = {"task": task}
        return order.order_id, order.order_id, time.time() + ORDER_TTL_MS / 1000 + CLOCK_MARGIN

    async def ioc_receipt(self, order_id: str, timeout: float = UNWIND_TIMEOUT) -> dict | None:
        entry = self._unwinds.pop(order_id, {})
        task = entry.get("task")
        if task is None:
            return None
        try:
            answer = await asyncio.wait_for(task, timeout)
        except (TransientError, VenueRequestError, asyncio.TimeoutError) as exc:
            log.warning("hyperliquid unwind %s: %s", order_id, exc)
            return None
        return {"status": "0x1" if answer.get("status") == "ok" else "0x0"}


def _place_result(order: QuoteOrder, status: Any) -> dict:
    if isinstance(status, dict) and "resting" in status:
        return {"order_id": order.order_id, "success": True, "error": ""}
    if isinstance(status, dict) and "filled" in status:      # ALO cannot take; said rather than hidden
        log.error("hyperliquid: an ALO quote filled on placement?! %s", status)
        return {"order_id": order.order_id, "success": True, "error": ""}
    error = status.get("error", status) if isinstance(status, dict) else status
    return {"order_id": order.order_id, "success": False, "error": str(error)}


def _fill(raw: dict[str, Any], received: float) -> StreamedFill:
    order_id = str(raw.get("cloid") or f"oid:{raw.get('oid')}").lower()
    return StreamedFill(order_id, f"tid:{raw.get('tid')}:{raw.get('hash', '')}", 1 if raw["side"] == "B" else -1,
                        Decimal(str(raw["sz"])), Decimal(str(raw["px"])), int(raw.get("time") or 0), received)


def _account(state: dict[str, Any], coin: str) -> Account:
    """clearinghouseState in the quoting maths' shape: margin is the account value less unrealised PnL (the
    maths adds that back), each position's notional is its positionValue."""
    value = Decimal(str((state.get("marginSummary") or {}).get("accountValue") or 0))
    positions, upnl_total = [], Decimal(0)
    for item in state.get("assetPositions", ()):
        p = item.get("position") or {}
        upnl = Decimal(str(p.get("unrealizedPnl") or 0))
        upnl_total += upnl
        market = 0 if p.get("coin") == coin else -1      # other coins count for the margin, not as ours
        positions.append(Position(market, Decimal(str(p.get("szi") or 0)), Decimal(str(p.get("positionValue") or 0)),
                                  upnl, Decimal(0)))
    return Account(value - upnl_total, Decimal(0), tuple(positions))


async def _ping(ws) -> None:
    while True:
        await asyncio.sleep(PING_SECONDS)
        await ws.send_str('{"method":"ping"}')
