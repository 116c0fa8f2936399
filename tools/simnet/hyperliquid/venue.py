"""The simulated Hyperliquid venue: one aiohttp app with /info, /exchange and /ws.

Options (``--set hyperliquid.KEY=VALUE``):
  basis_bps (0), spread_bps (1), depth_levels (20), level_size_usd (25000),
  level_step_bps (1), latency_ms (0), lag_seconds (0), maker_fee_bps (1.5),
  taker_fee_bps (4.5), fund_signers (false: an L1 signer must be a known
  account or API wallet), accounts (list of addresses known from the start),
  schedule_cancel_min_volume (0; mainnet wants $1,000,000).

Venue flags (``set_flag``): rate_limit=<n> (next n requests HTTP 429),
min_notional=<n> (next n orders refused below-$10), partial_fill=<fraction>
(IOC orders see only that share of their size in the book), slow_ack=<seconds>
(order/cancel actions execute at once but the HTTP answer waits).
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
from tools.simnet.hyperliquid.assets import ASSETS
from tools.simnet.hyperliquid.auth import NonceBook, Registry
from tools.simnet.hyperliquid.book import BookParams
from tools.simnet.hyperliquid.engine import Engine, FeeRates
from tools.simnet.hyperliquid.exchange import ORDER_ACTIONS, ExchangeApi
from tools.simnet.hyperliquid.info import InfoApi, InfoError
from tools.simnet.hyperliquid.ws import Hub

log = logging.getLogger("simnet.hyperliquid")

BAD_BODY = "Failed to deserialize the JSON body into the target type"


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


class HyperliquidVenue(Venue):
    name = "hyperliquid"

    def __init__(self, net):
        super().__init__(net)
        opt = self.options
        params = BookParams(spread_bps=_dec(opt.get("spread_bps", 1)),
                            depth_levels=int(opt.get("depth_levels", 20)),
                            level_size_usd=_dec(opt.get("level_size_usd", 25000)),
                            level_step_bps=_dec(opt.get("level_step_bps", 1)))
        fees = FeeRates(maker=_dec(opt.get("maker_fee_bps", 1.5)) / 10000,
                        taker=_dec(opt.get("taker_fee_bps", 4.5)) / 10000)
        self.basis = _dec(opt.get("basis_bps", 0)) / 10000
        self.latency = float(opt.get("latency_ms", 0)) / 1000.0
        dt = net.config.path.dt
        self.lag_steps = max(0, round(float(opt.get("lag_seconds", 0)) / dt)) if dt > 0 else 0
        self.history: deque[dict[str, float]] = deque(maxlen=self.lag_steps + 1)
        self.hub = Hub(self.faults, self._snapshot, {a.coin for a in ASSETS})
        self.recent_trades: dict[str, deque[dict[str, Any]]] = {a.coin: deque(maxlen=50) for a in ASSETS}
        self.engine = Engine(params, fees, _dec(net.config.initial_margin), self.hub_sink(), self.now_ms)
        self.registry = Registry()
        self.nonces = NonceBook()
        for address in opt.get("accounts", []) or []:
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
        await self.hub.close_all()

    async def _prelude(self, request: web.Request) -> web.Response | None:
        """Latency, delay and the request-level faults; a response if the request must fail."""
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        await self.faults.maybe_delay()
        if self.faults.take("rate_limit"):
            return web.Response(status=429, text="null", content_type="application/json")
        failure = self.faults.take_error()
        if failure is not None:
            code, message = failure
            status = int(code or 500)
            if status == 200:
                return web.json_response({"status": "err", "response": message or "Internal error"})
            return web.Response(status=status, text=message or "null", content_type="application/json")
        return None

    async def _body(self, request: web.Request) -> Any:
        try:
            return json.loads(await request.text())
        except ValueError:
            return None

    async def _handle_info(self, request: web.Request) -> web.StreamResponse:
        early = await self._prelude(request)
        if early is not None:
            return early
        body = await self._body(request)
        try:
            return web.json_response(self.info.answer(body))
        except InfoError as exc:
            return web.Response(status=422, text=str(exc))

    async def _handle_exchange(self, request: web.Request) -> web.StreamResponse:
        early = await self._prelude(request)
        if early is not None:
            return early
        body = await self._body(request)
        if not isinstance(body, dict):
            return web.Response(status=422, text=BAD_BODY)
        try:
            result = self.exchange.answer(body)
        except ValueError:
            return web.Response(status=422, text=BAD_BODY)
        slow = self.faults.flags.get("slow_ack")
        if slow and isinstance(body.get("action"), dict) and body["action"].get("type") in ORDER_ACTIONS:
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
