"""The simulated Hyperliquid venue: one aiohttp app with /info, /exchange and /ws.

Knobs (``--set hyperliquid.KEY=VALUE``; docs/simnet/hyperliquid.md says where each comes from):
  book/prices: basis_bps (0), spread_bps (1), depth_levels (20), level_size_usd (25000),
    level_step_bps (1), latency_ms (0), lag_seconds (0), maker_fee_bps (1.5), taker_fee_bps (4.5)
  accounts: fund_signers (false), accounts ([]), schedule_cancel_min_volume (0)
  limits: ip_weight_limit (1200; 0 = off), ip_weight_window_s (60), address_initial_requests (10000),
    address_throttle_s (10), ws_max_connections (100), ws_max_subscriptions (1000), ws_max_users (10),
    ws_max_messages_per_minute (2000)
  funding: funding (true), funding_rate (0.0000125 per hour, or {coin: rate}), funding_interval_s (3600)
  visibility: cloid_visibility_delay_ms (0)

Venue flags (``set_flag``): rate_limit=<n> (next n requests HTTP 429 regardless of weight),
min_notional=<n> (next n orders refused below-$10), partial_fill=<fraction> (IOC orders see only that
share of their size in the book), slow_ack=<seconds> (order/cancel actions execute at once but the HTTP
answer waits).
Control actions: rate_limit_usage, reset_rate_limits, fund_now [rate, coin], late_execution
[seconds, count=1, mode=drop|hang], late_execution_status, plus the generic ones of tools.simnet.faults.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from decimal import Decimal
from typing import Any

from aiohttp import web

from tools.simnet.core import Venue
from tools.simnet.hyperliquid import delivery, funding, knobs
from tools.simnet.hyperliquid.assets import ASSETS
from tools.simnet.hyperliquid.auth import NonceBook, Registry
from tools.simnet.hyperliquid.engine import Engine
from tools.simnet.hyperliquid.exchange import ORDER_ACTIONS, ExchangeApi
from tools.simnet.hyperliquid.info import InfoApi, InfoError
from tools.simnet.hyperliquid.limits import IpLimits, exchange_weight, info_base_weight, info_item_weight
from tools.simnet.hyperliquid.ws import Hub

log = logging.getLogger("simnet.hyperliquid")

BAD_BODY = "Failed to deserialize the JSON body into the target type"
# invalid JSON syntax: HTTP 400 with this plain text (riftresearch hypercore-simulator
# docs/observations.md "HTTP and parsing", measured on testnet)
BAD_JSON = "Failed to parse the request body as JSON"


class HyperliquidVenue(Venue):
    name = "hyperliquid"

    def __init__(self, net):
        super().__init__(net)
        k = self.knobs = knobs.read(self.options)
        self.basis = k.basis
        self.latency = k.latency_s
        dt = net.config.path.dt
        self.lag_steps = max(0, round(k.lag_seconds / dt)) if dt > 0 else 0
        self.history: deque[dict[str, float]] = deque(maxlen=self.lag_steps + 1)
        self.hub = Hub(self.faults, self._snapshot, {a.coin for a in ASSETS}, k.ws)
        self.recent_trades: dict[str, deque[dict[str, Any]]] = {a.coin: deque(maxlen=50) for a in ASSETS}
        self.engine = Engine(k.book, k.fees, Decimal(str(net.config.initial_margin)), self.hub_sink(), self.now_ms)
        self.registry = Registry()
        self.nonces = NonceBook()
        self.ip_limits = IpLimits(k.ip_weight_limit, k.ip_weight_window_s)
        self.address_budget = k.address
        self.cloid_visibility_delay_ms = k.cloid_visibility_delay_ms
        self.funding_schedule = funding.FundingSchedule(int(k.funding.interval_s * 1000), k.funding.enabled)
        self.late: delivery.LateExecution | None = None
        self._late_tasks: set[asyncio.Task] = set()
        for address in self.options.get("accounts", []) or []:
            self.engine.account(str(address))
        self.info = InfoApi(self)
        self.exchange = ExchangeApi(self)
        self._reprice(net.path.prices())

    # ---- prices ---------------------------------------------------------------
    @staticmethod
    def now_ms() -> int:
        return int(time.time() * 1000)

    def _reprice(self, prices: dict[str, float]) -> None:
        self.history.append(dict(prices))
        seen = self.history[0]   # lag_steps behind once the deque is full
        venue = {sym: Decimal(f"{p:.10g}") * (1 + self.basis) for sym, p in seen.items()}
        self.engine.reprice(venue)

    def on_tick(self, step: int, prices: dict[str, float]) -> None:
        self._reprice(prices)
        now = self.now_ms()
        if self.funding_schedule.due(now):
            self.pay_funding(now)
        self._publish_market()

    def _publish_market(self) -> None:
        hub = self.hub
        if hub.has_subscribers(("allMids",)):
            hub.publish(("allMids",), "allMids", {"mids": self.info.all_mids()})
        for asset in ASSETS:
            if hub.has_subscribers(("l2Book", asset.coin)):
                hub.publish(("l2Book", asset.coin), "l2Book", self.info.l2_book(asset.coin))
            if hub.has_subscribers(("bbo", asset.coin)):
                hub.publish(("bbo", asset.coin), "bbo", self.info.bbo(asset.coin))

    # ---- funding ------------------------------------------------------------------
    def funding_rate(self, coin: str) -> Decimal:
        f = self.knobs.funding
        return funding.rate_for(f.rates, f.default_rate, coin)

    def pay_funding(self, now_ms: int, rate: Decimal | None = None, coin: str | None = None) -> list[dict[str, Any]]:
        """One funding payment on every open position (or only ``coin``'s), at ``rate`` if given."""
        f = self.knobs.funding
        rates, default = dict(f.rates), f.default_rate
        if rate is not None:
            if coin is None:
                rates, default = {}, rate
            else:
                rates[coin] = rate
        marks = self.engine.marks()
        records: list[dict[str, Any]] = []
        for acct in self.engine.accounts.values():
            records += funding.pay(acct, marks, rates, default, now_ms, only=coin)
        return records

    # ---- control --------------------------------------------------------------------
    async def control(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        if action == "rate_limit_usage":
            return {"ip": self.ip_limits.usage(), "ip_weight_limit": self.ip_limits.limit,
                    "window_s": self.ip_limits.window_s, "ws": self.hub.usage(),
                    "addresses": {a.address: {"nRequestsUsed": a.n_requests,
                                              "nRequestsCap": self.address_budget.cap(a.volume)}
                                  for a in self.engine.accounts.values()}}
        if action == "reset_rate_limits":
            self.ip_limits.reset()
            self.hub.messages.clear()
            return {}
        if action == "fund_now":
            rate = params.get("rate")
            records = self.pay_funding(self.now_ms(), None if rate is None else Decimal(str(rate)),
                                       params.get("coin"))
            return {"payments": records}
        if action == "late_execution":
            self.late = delivery.arm(params)
            return {"armed": self.late.remaining, "seconds": self.late.seconds, "mode": self.late.mode}
        if action == "late_execution_status":
            return {"armed": self.late.remaining if self.late else 0, "pending": len(self._late_tasks)}
        if action == "clear":
            self.late = None
        return await super().control(action, params)

    # ---- accounts ---------------------------------------------------------------
    def account_exists(self, address: str) -> bool:
        if address in self.engine.accounts:
            return True
        if self.options.get("fund_signers"):
            self.engine.account(address)
            return True
        return False

    # ---- websocket glue ------------------------------------------------------------
    def hub_sink(self) -> "_HubSink":
        return _HubSink(self)

    def _snapshot(self, sub: dict[str, Any]) -> list[dict[str, Any]]:
        kind = sub["type"]
        if kind == "l2Book":
            return [{"channel": "l2Book", "data": self.info.l2_book(sub["coin"])}]
        if kind == "bbo":
            return [{"channel": "bbo", "data": self.info.bbo(sub["coin"])}]
        if kind == "trades":
            recent = list(self.recent_trades.get(sub["coin"], ()))
            return [{"channel": "trades", "data": recent}] if recent else []
        if kind == "allMids":
            return [{"channel": "allMids", "data": {"mids": self.info.all_mids()}}]
        if kind == "userFills":
            user = sub["user"].lower()
            acct = self.engine.accounts.get(user)
            fills = list(acct.fills[-2000:]) if acct else []
            return [{"channel": "userFills", "data": {"isSnapshot": True, "user": user, "fills": fills}}]
        return []

    # ---- HTTP ---------------------------------------------------------------------
    def build_apps(self) -> dict[str, web.Application]:
        app = web.Application()
        app.router.add_post("/info", self._handle_info)
        app.router.add_post("/exchange", self._handle_exchange)
        app.router.add_get("/ws", self.hub.handle)
        return {"hyperliquid": app}

    def ready_keys(self, bases: dict[str, str]) -> dict[str, Any]:
        return {"hyperliquid_url": f"http://{bases['hyperliquid']}"}

    async def on_stop(self) -> None:
        for task in list(self._late_tasks):
            task.cancel()
        await asyncio.gather(*self._late_tasks, return_exceptions=True)
        await self.hub.close_all()

    async def _prelude(self, request: web.Request, weight: int) -> web.Response | None:
        """Latency, the IP weight budget and the request-level faults; a response if the request must fail.

        Over the weight budget (or with the rate_limit flag) the answer is HTTP 429 with the JSON body
        ``null``: recorded on the real API (riftresearch observations.md "A real rate limit returned
        HTTP429 with JSON null"; the SDK's ClientError then reads (429, None, 'null', None, headers))."""
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        await self.faults.maybe_delay()
        meter = self.ip_limits.of(request.remote or "")
        if self.faults.take("rate_limit") or not meter.admits(weight):
            return web.Response(status=429, text="null", content_type="application/json")
        meter.charge(weight)
        failure = self.faults.take_error()
        if failure is not None:
            code, message = failure
            status = int(code or 500)
            if status == 200:
                return web.json_response({"status": "err", "response": message or "Internal error"})
            return web.Response(status=status, text=message or "null", content_type="application/json")
        return None

    @staticmethod
    async def _body(request: web.Request) -> tuple[bool, Any]:
        """(parsed, body): parsed is False for invalid JSON syntax."""
        try:
            return True, json.loads(await request.text())
        except ValueError:
            return False, None

    async def _handle_info(self, request: web.Request) -> web.StreamResponse:
        parsed, body = await self._body(request)
        kind = body.get("type") if isinstance(body, dict) else None
        early = await self._prelude(request, info_base_weight(kind))
        if early is not None:
            return early
        if not parsed:
            return web.Response(status=400, text=BAD_JSON)
        try:
            answer = self.info.answer(body)
        except InfoError as exc:
            return web.Response(status=422, text=str(exc))
        self.ip_limits.of(request.remote or "").charge(info_item_weight(kind, answer))
        return web.json_response(answer)

    async def _handle_exchange(self, request: web.Request) -> web.StreamResponse:
        parsed, body = await self._body(request)
        action = body.get("action") if isinstance(body, dict) else None
        early = await self._prelude(request, exchange_weight(action))
        if early is not None:
            return early
        if not parsed:
            return web.Response(status=400, text=BAD_JSON)
        if not isinstance(body, dict):
            return web.Response(status=422, text=BAD_BODY)
        kind = action.get("type") if isinstance(action, dict) else None
        if self.late is not None and self.late.take(kind):
            await delivery.run_late(self.late, request.transport, lambda: self.exchange.answer(body),
                                    self._late_tasks)
            return web.Response(status=500, text="null")   # never reaches the client: the connection is closed
        try:
            result = self.exchange.answer(body)
        except ValueError:
            return web.Response(status=422, text=BAD_BODY)
        slow = self.faults.flags.get("slow_ack")
        if slow and kind in ORDER_ACTIONS:
            await asyncio.sleep(float(slow))
        return web.json_response(result)


class _HubSink:
    """Engine events -> websocket channels."""

    def __init__(self, venue: HyperliquidVenue):
        self.venue = venue

    def on_fills(self, user: str, fills: list[dict[str, Any]]) -> None:
        key = ("userFills", user)
        if self.venue.hub.has_subscribers(key):
            self.venue.hub.publish(key, "userFills", {"user": user, "fills": fills})

    def on_order_updates(self, user: str, updates: list[dict[str, Any]]) -> None:
        key = ("orderUpdates", user)
        if self.venue.hub.has_subscribers(key):
            self.venue.hub.publish(key, "orderUpdates", updates)

    def on_trades(self, coin: str, trades: list[dict[str, Any]]) -> None:
        self.venue.recent_trades[coin].extend(trades)
        key = ("trades", coin)
        if self.venue.hub.has_subscribers(key):
            self.venue.hub.publish(key, "trades", trades)
