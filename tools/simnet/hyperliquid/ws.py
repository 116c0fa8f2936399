"""Websocket ``/ws``: subscriptions, snapshots, pushes and ping/pong.

Each connection has a send queue drained by its own task, so the engine and
the tick hook publish without awaiting. Stall faults are checked per channel
name (l2Book, bbo, trades, allMids, userFills, orderUpdates, pong) when a
message is published: a stalled stream's messages are lost, the socket stays
open.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Callable

from aiohttp import WSMsgType, web

from tools.simnet.faults import Faults
from tools.simnet.hyperliquid.limits import SlidingWeight

log = logging.getLogger("simnet.hyperliquid.ws")

STREAM = "ws"   # name every socket is tracked under (drop_ws stream="ws")
USER_CHANNELS = ("userFills", "orderUpdates", "userEvents")
Key = tuple[str, ...]
Snapshot = Callable[[dict[str, Any]], list[dict[str, Any]]]


@dataclass
class WsLimits:
    """Per-IP websocket limits, docs "Rate limits and user limits": 100 connections, 1000 subscriptions,
    10 unique users across user-specific subscriptions, 2000 messages sent to the venue per minute
    (100 inflight posts: simnet has no ws "post", so that one is not modelled).
    Error texts as recorded by the nktkas/hyperliquid SDK (issue #78, channel "error"). Unconfirmed: what
    the venue does with a connection over the limit (simnet refuses the upgrade with HTTP 429)."""
    connections: int = 100
    subscriptions: int = 1000
    users: int = 10
    messages_per_minute: int = 2000


class Client:
    def __init__(self, ws: web.WebSocketResponse, ip: str = ""):
        self.ws = ws
        self.ip = ip
        self.subs: dict[Key, dict[str, Any]] = {}
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()

    async def pump(self) -> None:
        while True:
            text = await self.queue.get()
            if text is None or self.ws.closed:
                return
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return


def subscription_key(sub: dict[str, Any]) -> Key | None:
    kind = sub.get("type")
    if kind in ("l2Book", "bbo", "trades"):
        return (kind, str(sub.get("coin", "")))
    if kind == "allMids":
        return (kind,)
    if kind in ("userFills", "orderUpdates", "userEvents"):
        return (kind, str(sub.get("user", "")).lower())
    return None


class Hub:
    """All websocket clients of the venue."""

    def __init__(self, faults: Faults, snapshot: Snapshot, known_coins: set[str],
                 limits: WsLimits | None = None):
        self.faults = faults
        self.snapshot = snapshot          # subscription -> initial messages
        self.known_coins = known_coins
        self.clients: set[Client] = set()
        self.limits = limits or WsLimits()
        self.messages: dict[str, SlidingWeight] = {}   # ip -> messages received in the last minute

    def of_ip(self, ip: str) -> list[Client]:
        return [c for c in self.clients if c.ip == ip]

    def usage(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for ip in {c.ip for c in self.clients} | set(self.messages):
            clients = self.of_ip(ip)
            meter = self.messages.get(ip)
            out[ip] = {"connections": len(clients), "subscriptions": sum(len(c.subs) for c in clients),
                       "users": len(self._users(clients)), "messages_last_minute": meter.used() if meter else 0}
        return out

    @staticmethod
    def _users(clients: list[Client]) -> set[str]:
        return {key[1] for c in clients for key in c.subs if key[0] in USER_CHANNELS}

    # ---- publishing ----------------------------------------------------------
    def publish(self, key: Key, channel: str, data: Any) -> None:
        if self.faults.is_stalled(channel):
            return
        text: str | None = None
        for client in self.clients:
            if key in client.subs:
                text = text or json.dumps({"channel": channel, "data": data})
                client.queue.put_nowait(text)

    def has_subscribers(self, key: Key) -> bool:
        return any(key in c.subs for c in self.clients)

    def _send(self, client: Client, channel: str, data: Any) -> None:
        if not self.faults.is_stalled(channel):
            client.queue.put_nowait(json.dumps({"channel": channel, "data": data}))

    # ---- connection ------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        ip = request.remote or ""
        if self.limits.connections > 0 and len(self.of_ip(ip)) >= self.limits.connections:
            return web.Response(status=429, text="null", content_type="application/json")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        client = Client(ws, ip)
        self.clients.add(client)
        self.faults.track(ws, STREAM)
        pump = asyncio.create_task(client.pump())
        client.queue.put_nowait("Websocket connection established.")
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                self._on_text(client, msg.data)
        finally:
            self.clients.discard(client)
            self.faults.untrack(ws)
            client.queue.put_nowait(None)
            await asyncio.gather(pump, return_exceptions=True)
        return ws

    def _on_text(self, client: Client, text: str) -> None:
        meter = self.messages.setdefault(client.ip, SlidingWeight(self.limits.messages_per_minute, 60.0))
        if not meter.admits(1):
            self._send(client, "error", f"Cannot send more than {self.limits.messages_per_minute} messages per minute.")
            return
        meter.charge(1)
        try:
            msg = json.loads(text)
            method = msg.get("method")
        except (ValueError, AttributeError):
            self._send(client, "error", f"Error parsing JSON into valid websocket request: {text}")
            return
        if method == "ping":
            self._pong(client)
        elif method in ("subscribe", "unsubscribe"):
            self._on_subscription(client, method, msg.get("subscription") or {})
        else:
            self._send(client, "error", f"Error parsing JSON into valid websocket request: {text}")

    def _pong(self, client: Client) -> None:
        if not self.faults.is_stalled("pong"):
            client.queue.put_nowait(json.dumps({"channel": "pong"}))

    def _on_subscription(self, client: Client, method: str, sub: dict[str, Any]) -> None:
        key = subscription_key(sub)
        coin = sub.get("coin")
        if key is None or (coin is not None and coin not in self.known_coins):
            self._send(client, "error", f"Invalid subscription {json.dumps(sub, separators=(',', ':'))}")
            return
        if method == "subscribe":
            if key in client.subs:
                self._send(client, "error", f"Already subscribed: {json.dumps(sub, separators=(',', ':'))}")
                return
            refusal = self._over_limit(client, key)
            if refusal:
                self._send(client, "error", refusal)
                return
            client.subs[key] = sub
        else:
            if client.subs.pop(key, None) is None:
                self._send(client, "error", f"Already unsubscribed: {json.dumps(sub, separators=(',', ':'))}")
                return
        self._send(client, "subscriptionResponse", {"method": method, "subscription": sub})
        if method == "subscribe":
            for message in self.snapshot(sub):
                self._send(client, message["channel"], message["data"])

    def _over_limit(self, client: Client, key: Key) -> str | None:
        clients = self.of_ip(client.ip)
        lim = self.limits
        if lim.subscriptions > 0 and sum(len(c.subs) for c in clients) >= lim.subscriptions:
            return f"Cannot subscribe to more than {lim.subscriptions} channels."
        if key[0] in USER_CHANNELS and lim.users > 0:
            users = self._users(clients)
            if key[1] not in users and len(users) >= lim.users:
                return f"Cannot track more than {lim.users} total users."
        return None

    async def close_all(self) -> None:
        for client in list(self.clients):
            client.queue.put_nowait(None)
            await client.ws.close()
