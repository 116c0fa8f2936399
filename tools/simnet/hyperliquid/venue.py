"""The simulated Hyperliquid venue: one aiohttp app with /info, /exchange and /ws.

Knobs (``--set hyperliquid.KEY=VALUE``; docs/simnet/hyperliquid.md says where each comes from):
  book/prices: basis_bps (0), spread_bps (1), depth_levels (20), level_size_usd (25000),
    level_step_bps (1), latency_ms (0), lag_seconds (0), maker_fee_bps (1.5), taker_fee_bps (4.5)
  accounts: fund_signers (false), accounts ([]), schedule_cancel_min_volume (0)
  limits: ip_weight_limit (1200; 0 = off), ip_weight_window_s (60), address_initial_requests (10000),
    address_throttle_s (10), ws_max_connections (10), ws_max_new_connections_per_minute (30),
    ws_max_subscriptions (1000), ws_max_users (10), ws_max_messages_per_minute (2000),
    ws_max_inflight_posts (100), ws_post_ip_weight (false)
  websocket: ws_idle_timeout_s (60; 0 = off), ws_idle_rule ("server" | "client"), l2book_interval_s (5),
    l2book_fast_interval_s (0.5), all_mids_interval_s (5), account_push_interval_s (5)
  funding: funding (true), funding_rate (0.0000125 per hour, or {coin: rate}), funding_interval_s (3600)
  visibility: cloid_visibility_delay_ms (0)
  liquidation: liquidation (true), maintenance_margin_rate (1 / (2 * maxLeverage); a rate or {coin: rate}),
    backstop_fraction (2/3), partial_liquidation_usd (100000), partial_liquidation_fraction (0.2),
    partial_liquidation_cooldown_s (30)
  background flow (flow.py, a model of other traders): taker_rate (0 per second per coin = off),
    taker_size_usd (1000), taker_buy_share (0.5), informed_takers (0); spread_bps widens the book they meet

Venue flags (``set_flag``): rate_limit=<n> (next n requests HTTP 429 regardless of weight),
min_notional=<n> (next n orders refused below-$10), partial_fill=<fraction> (IOC orders see only that
share of their size in the book), slow_ack=<seconds> (order/cancel actions execute at once but the HTTP
answer waits).
Control actions: rate_limit_usage, reset_rate_limits, fund_now [rate, coin], builder_fees, liquidations (every
liquidation so far), placements [user, coin] (every order of the user with its wall-clock placement second: a
test device for tools/observer, not a venue behaviour), late_execution [seconds, count=1, mode=drop|hang],
late_execution_status, drop_ws [stream, subscription, abrupt], mute_ws (open sockets get nothing more),
lose_pushes / hold_pushes / release_pushes / delay_pushes / stream_faults (ws_faults.py), plus the generic
ones of tools.simnet.faults.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from decimal import Decimal
from typing import Any

from aiohttp import web

from tools.simnet.core import Venue
from tools.simnet.hyperliquid import delivery, fmt, funding, knobs
from tools.simnet.hyperliquid.feeds import Feeds
from tools.simnet.hyperliquid.assets import ASSETS
from tools.simnet.hyperliquid.auth import NonceBook, Registry
from tools.simnet.hyperliquid.builders import BuilderApprovals
from tools.simnet.hyperliquid.clock import VenueClock
from tools.simnet.hyperliquid.engine import Engine
from tools.simnet.hyperliquid.exchange import ORDER_ACTIONS, ExchangeApi
from tools.simnet.hyperliquid.flow import TakerFlow
from tools.simnet.hyperliquid.gate import RequestGate
from tools.simnet.hyperliquid.info import InfoApi, InfoError
from tools.simnet.hyperliquid.limits import IpLimits, exchange_weight, info_base_weight, info_item_weight
from tools.simnet.hyperliquid.liquidation import Liquidator
from tools.simnet.hyperliquid.ws import Hub
from tools.simnet.hyperliquid.ws_post import WsPosts

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
        self.clock = VenueClock(self.faults, self.options)       # clock_skew_ms
        self.basis = k.basis
        dt = net.config.path.dt
        self.lag_steps = max(0, round(k.lag_seconds / dt)) if dt > 0 else 0
        self.history: deque[dict[str, float]] = deque(maxlen=self.lag_steps + 1)
        self.hub = Hub(self.faults, {a.coin for a in ASSETS}, k.ws, k.ws_idle)
        self.feeds = Feeds(self, k.feed_clock)
        self.posts = WsPosts(self, k.ws_post_ip_weight)
        self.hub.snapshot = self.feeds.snapshot
        self.hub.on_post = self.posts.handle
        self.engine = Engine(k.book, k.fees, Decimal(str(net.config.initial_margin)), self.feeds, self.clock.now_ms,
                             k.maintenance)
        self.liquidator = Liquidator(self.engine, k.liquidation, self.clock.now_ms)
        self.flow = TakerFlow(self.engine, self.rng, k.flow, dt)
        self.registry = Registry()
        self.builders = BuilderApprovals()
        self.funding_history: dict[str, list[dict[str, Any]]] = {a.coin: [] for a in ASSETS}   # fundingHistory
        self.nonces = NonceBook()
        self.ip_limits = IpLimits(k.ip_weight_limit, k.ip_weight_window_s)
        self.gate = RequestGate(k.latency_s, self.faults, self.ip_limits)
        self.address_budget = k.address
        self.cloid_visibility_delay_ms = k.cloid_visibility_delay_ms
        self.funding_schedule = funding.FundingSchedule(int(k.funding.interval_s * 1000), k.funding.enabled)
        self.late: delivery.LateExecution | None = None
        self.late_tasks: set[asyncio.Task] = set()
        for address in self.options.get("accounts", []) or []:
            self.engine.account(str(address))
        self.info = InfoApi(self.engine, self.clock, self.registry, self.builders, self.address_budget, k.funding,
                            self.funding_history, self.cloid_visibility_delay_ms)
        self.exchange = ExchangeApi(self.engine, self.registry, self.nonces, self.address_budget, self.builders,
                                    self.faults, self.options, self.clock, self.feeds.touch)
        self._reprice(net.path.prices())
        self.feeds.push_bbo_changes()     # the starting bbo, so the first push is a change

    # ---- prices ---------------------------------------------------------------
    def _reprice(self, prices: dict[str, float]) -> None:
        self.history.append(dict(prices))
        seen = self.history[0]   # lag_steps behind once the deque is full
        venue = {sym: Decimal(f"{p:.10g}") * (1 + self.basis) for sym, p in seen.items()}
        self.engine.reprice(venue)
        self.liquidator.check()     # new marks: simnet's books are rebuilt (and its marks move) only here

    def on_tick(self, step: int, prices: dict[str, float]) -> None:
        self._reprice(prices)
        self.flow.on_tick(self.net.path)     # other traders take from the rebuilt book (flow.py)
        now = self.clock.now_ms()
        if self.funding_schedule.due(now):
            self.pay_funding(now)
        self.feeds.on_tick()

    # ---- funding ------------------------------------------------------------------
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
        for asset in ASSETS:
            if coin is None or asset.coin == coin:
                applied = funding.rate_for(rates, default, asset.coin)
                self.funding_history[asset.coin].append(funding.rate_record(asset.coin, applied, now_ms))
        records: list[dict[str, Any]] = []
        for acct in self.engine.accounts.values():
            paid = funding.pay(acct, marks, rates, default, now_ms, only=coin)
            if paid:
                self.feeds.touch(acct.address)
            records += paid
        return records

    # ---- control --------------------------------------------------------------------
    async def control(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        if action == "rate_limit_usage":
            return {"ip": self.ip_limits.usage(), "ip_weight_limit": self.ip_limits.limit,
                    "window_s": self.ip_limits.window_s, "ws": self.hub.usage(),
                    "ws_inflight_posts": dict(self.posts.inflight),
                    "addresses": {a.address: {"nRequestsUsed": a.n_requests,
                                              "nRequestsCap": self.address_budget.cap(a.volume)}
                                  for a in self.engine.accounts.values()}}
        if action == "reset_rate_limits":
            self.ip_limits.reset()
            self.hub.messages.clear()
            return {}
        if action == "fund_now":
            rate = params.get("rate")
            records = self.pay_funding(self.clock.now_ms(), None if rate is None else Decimal(str(rate)),
                                       params.get("coin"))
            return {"payments": records}
        if action == "liquidations":
            return {"liquidations": list(self.liquidator.records)}
        if action == "placements":
            return {"placements": self._placements(str(params["user"]), params.get("coin"))}
        if action == "builder_fees":
            return {"approved": self.builders.snapshot(),
                    "collected": {b: str(v) for b, v in self.engine.builder_fees.items()}}
        if action == "late_execution":
            self.late = delivery.arm(params)
            return {"armed": self.late.remaining, "seconds": self.late.seconds, "mode": self.late.mode}
        if action == "late_execution_status":
            return {"armed": self.late.remaining if self.late else 0, "pending": len(self.late_tasks)}
        if action == "mute_ws":
            return {"muted": self.hub.mute()}
        if action == "drop_ws" and ("subscription" in params or params.get("abrupt")):
            return {"dropped": await self.hub.drop(params.get("subscription"), bool(params.get("abrupt")))}
        stream = self.hub.stream_faults.control(action, params)
        if stream is not None:
            return stream
        if action == "clear":
            self.late = None
            self.hub.stream_faults.clear()
        return await super().control(action, params)

    def _placements(self, user: str, coin: str | None) -> list[dict[str, Any]]:
        """Every order ``user`` placed (filled, cancelled and refused-at-runtime ones too) with ``placed_at``, the
        wall-clock second it was accepted. A test device for tools/observer, not a venue behaviour: no info
        request answers it (historicalOrders keeps 2000 and carries the venue's ms, not this machine's)."""
        user = user.lower()
        return [{"oid": o.oid, "cloid": o.cloid, "coin": o.asset.coin, "side": o.side, "sz": fmt.plain(o.orig_sz),
                 "px": fmt.px(o.limit_px), "tif": o.tif, "placed_at": o.placed_at}
                for o in self.engine.orders_by_oid.values() if o.user == user and coin in (None, o.asset.coin)]

    # ---- HTTP ---------------------------------------------------------------------
    def build_apps(self) -> dict[str, web.Application]:
        app = web.Application()
        app.router.add_post("/info", self._handle_info)
        app.router.add_post("/exchange", self._handle_exchange)
        app.router.add_get("/ws", self.hub.handle)
        return {"hyperliquid": app}

    def ready_keys(self, bases: dict[str, str]) -> dict[str, Any]:
        return {"hyperliquid_url": f"http://{bases['hyperliquid']}"}

    async def on_start(self) -> None:
        self.feeds.start()

    async def on_stop(self) -> None:
        for task in list(self.late_tasks):
            task.cancel()
        await asyncio.gather(*self.late_tasks, return_exceptions=True)
        await self.feeds.stop()
        await self.posts.stop()
        await self.hub.close_all()

    async def _prelude(self, request: web.Request, weight: int) -> web.Response | None:
        failure = await self.gate.admit(request.remote or "", weight)
        if failure is None:
            return None
        if failure.status == 200:
            return web.json_response({"status": "err", "response": failure.body})
        return web.Response(status=failure.status, text=failure.body, content_type="application/json")

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
                                    self.late_tasks)
            return web.Response(status=500, text="null")   # never reaches the client: the connection is closed
        try:
            result = self.exchange.answer(body)
        except ValueError:
            return web.Response(status=422, text=BAD_BODY)
        slow = self.faults.flags.get("slow_ack")
        if slow and kind in ORDER_ACTIONS:
            await asyncio.sleep(float(slow))
        return web.json_response(result)

