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
from typing import Any, Callable

from aiohttp import WSMsgType, web

from tools.simnet.faults import Faults

log = logging.getLogger("simnet.hyperliquid.ws")

STREAM = "ws"   # name every socket is tracked under (drop_ws stream="ws")
Key = tuple[str, ...]
Snapshot = Callable[[dict[str, Any]], list[dict[str, Any]]]


class Client:
    def __init__(self, ws: web.WebSocketResponse):
        self.ws = ws
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

    def __init__(self, faults: Faults, snapshot: Snapshot, known_coins: set[str]):
        self.faults = faults
        self.snapshot = snapshot          # subscription -> initial messages
        self.known_coins = known_coins
        self.clients: set[Client] = set()

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
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        client = Client(ws)
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
            client.subs[key] = sub
        else:
            if client.subs.pop(key, None) is None:
                self._send(client, "error", f"Already unsubscribed: {json.dumps(sub, separators=(',', ':'))}")
                return
        self._send(client, "subscriptionResponse", {"method": method, "subscription": sub})
        if method == "subscribe":
            for message in self.snapshot(sub):
                self._send(client, message["channel"], message["data"])

    async def close_all(self) -> None:
        for client in list(self.clients):
            client.queue.put_nowait(None)
            await client.ws.close()
